#include "cli.hpp"
#include "flags.hpp"
#include "hull/error.hpp"

namespace hull::cli {

void add_exec(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("exec", "run a new process inside a running container");
    auto options = std::make_shared<ExecOptions>();
    auto id = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    command->add_option("-p,--process", options->process_file, "path to a runtime-spec process.json");
    command->add_flag("-t,--tty", options->tty, "allocate a pseudo-TTY");
    command->add_option("--console-socket", options->console_socket, "unix socket that receives the pty master");
    command->add_flag("-d,--detach", options->detach, "do not wait for the process");
    command->add_option("--pid-file", options->pid_file, "file to write the process's pid to");
    command->add_option("--cwd", options->cwd, "working directory in the container");
    command->add_option("-e,--env", options->env, "KEY=VALUE environment entries")->allow_extra_args(false);
    command->add_option("-u,--user", *user, "UID[:GID]");
    command->add_option("-g,--additional-gids", options->additional_gids, "additional gids")->allow_extra_args(false);
    command->add_option("-c,--cap", options->capabilities, "add a capability (CAP_...)")->allow_extra_args(false);
    command->add_flag("--no-new-privs", options->no_new_privs, "set no_new_privs");
    command->add_option("--apparmor", options->apparmor_profile, "AppArmor profile");
    command->add_option("--process-label", options->process_label, "SELinux label");
    command->add_option("--preserve-fds", options->preserve_fds, "pass N extra fds (3..3+N-1)");
    command->add_option("--cgroup", options->cgroup, "sub-cgroup of the container to run in");
    command->add_flag("--ignore-paused", options->ignore_paused, "allow exec in a paused container");
    command->add_option("container-id", *id, "container id")->required();
    // Everything after the id is the command, flags included (sh -c ...).
    command->prefix_command();
    command->callback([&globals, &action, options, id, user, command] {
        globals.preserve_fds = options->preserve_fds;
        for (const auto& extra : command->remaining()) options->args.push_back(extra);
        action = [&globals, options, id, user] {
            try {
                if (options->process_file.empty() && options->args.empty()) {
                    throw hull::Error("exec: a command to run is required (or --process FILE)");
                }
                check_sub_cgroup(options->cgroup);
                if (!user->empty()) options->user = parse_user(*user);
                for (const auto& entry : options->env) check_env_entry(entry);
                return exec_in_container(globals.runtime(), *id, *options);
            } catch (const std::exception& e) {
                log::error(e.what());
                return 255;  // runc's status when the runtime itself fails to exec
            }
        };
    });
}

}  // namespace hull::cli
