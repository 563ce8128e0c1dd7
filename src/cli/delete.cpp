#include "cli.hpp"

namespace hull::cli {

void add_delete(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("delete", "delete a stopped container");
    auto id = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    command->add_flag("-f,--force", *force, "kill the container first if it is running");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, id, force] {
        action = [&globals, id, force] {
            delete_container(globals.runtime(), *id, *force);
            return 0;
        };
    });
}

}  // namespace hull::cli
