#include <iostream>

#include "cli.hpp"

namespace hull::cli {

void add_state(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("state", "print the state of a container (runtime-spec JSON)");
    auto id = std::make_shared<std::string>();
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, id] {
        action = [&globals, id] {
            std::cout << oci::to_json(container_state(globals.runtime(), *id)).dump(2) << "\n";
            return 0;
        };
    });
}

}  // namespace hull::cli
