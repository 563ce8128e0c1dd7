#include "cli.hpp"

namespace hull::cli {

void add_start(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("start", "run the user program of a created container");
    auto id = std::make_shared<std::string>();
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, id] {
        action = [&globals, id] {
            start_container(globals.runtime(), *id);
            return 0;
        };
    });
}

}  // namespace hull::cli
