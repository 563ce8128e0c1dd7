#include <iostream>

#include "cli.hpp"
#include "oci/features.hpp"

namespace hull::cli {

void add_features(CLI::App& app, Globals&, Action& action) {
    auto* command = app.add_subcommand("features", "print what this runtime implements (features.json)");
    command->callback([&action] {
        action = [] {
            std::cout << oci::to_json(runtime_features()).dump(4) << "\n";
            return 0;
        };
    });
}

}  // namespace hull::cli
