#include "cli.hpp"

namespace hull::cli {

void add_create_flags(CLI::App& command, CreateOptions& options) {
    command.add_option("-b,--bundle", options.bundle, "path to the bundle directory")->capture_default_str();
    command.add_option("--pid-file", options.pid_file, "file to write the container process's pid to");
    command.add_option("--console-socket", options.console_socket,
                       "unix socket that receives the pty master when process.terminal is true");
    command.add_flag("--no-pivot", options.no_pivot, "do not use pivot_root (for a ramdisk root)");
    command.add_flag("--no-new-keyring", options.no_new_keyring, "do not create a new session keyring");
    command.add_option("--preserve-fds", options.preserve_fds, "pass N extra fds (3..3+N-1) to the container");
}

void add_create(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("create", "create a container");
    auto options = std::make_shared<CreateOptions>();
    auto id = std::make_shared<std::string>();
    add_create_flags(*command, *options);
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, options, id] {
        globals.preserve_fds = options->preserve_fds;
        action = [&globals, options, id] {
            create_container(globals.runtime(), *id, *options);
            return 0;
        };
    });
}

}  // namespace hull::cli
