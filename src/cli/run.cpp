#include "cli.hpp"

namespace hull::cli {

void add_run(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("run", "create and start a container, and wait for it unless detached");
    auto options = std::make_shared<RunOptions>();
    auto id = std::make_shared<std::string>();
    add_create_flags(*command, options->create);
    command->add_flag("-d,--detach", options->detach, "return once the container has started");
    command->add_flag("--keep", options->keep, "do not delete the container after it exits");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, options, id] {
        globals.preserve_fds = options->create.preserve_fds;
        action = [&globals, options, id] { return run_container(globals.runtime(), *id, *options); };
    });
}

}  // namespace hull::cli
