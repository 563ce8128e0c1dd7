// `checkpoint` and `restore`, with runc's flags.
#include "cli.hpp"
#include "hull/error.hpp"

namespace hull::cli {

namespace {

// Asked only when help is printed: `criu check` takes a while.
std::string support_footer() {
    const CheckpointSupport support = checkpoint_support();
    if (support.available) return "checkpoint/restore: available (criu " + support.criu_version + ")";
    return "checkpoint/restore: not available here: " + support.reason;
}

// runc's flags hull does not drive, parsed only to be refused by name.
struct Unsupported {
    std::string page_server;
    int status_fd = -1;
    std::string lsm_profile;
    std::string lsm_mount_context;
};

void add_criu_flags(CLI::App& command, CriuOptions& flags, const std::string& verb) {
    command.add_option("--image-path", flags.image_path, "path for the criu image files (default: ./checkpoint)");
    command.add_option("--work-path", flags.work_path, "path for criu's work files and log (default: the image path)");
    command.add_flag("--tcp-established", flags.tcp_established, "allow open tcp connections");
    command.add_flag("--ext-unix-sk", flags.ext_unix_sk, "allow external unix sockets");
    command.add_flag("--shell-job", flags.shell_job, "allow shell jobs");
    command.add_flag("--file-locks", flags.file_locks, "handle file locks");
    command.add_flag("--auto-dedup", flags.auto_dedup, "enable auto deduplication of memory images");
    command.add_flag("--lazy-pages", flags.lazy_pages, "use userfaultfd to lazily " + verb + " memory (not supported: refused)");
    command.add_option("--manage-cgroups-mode", flags.manage_cgroups_mode, "cgroups mode: soft (criu's default), full, strict, ignore");
    command.add_option("--empty-ns", flags.empty_ns, "create a namespace, but do not " + verb + " its properties (network)");
    command.footer(support_footer);
}

// runc's flags hull does not drive: refused by name rather than ignored.
void refuse_unsupported(const std::string& verb, const Unsupported& flags) {
    const auto refuse = [&verb](const std::string& flag, const std::string& why) {
        throw Error(verb + " " + flag + ": not supported by hull (" + why + ")", EINVAL);
    };
    if (!flags.page_server.empty()) refuse("--page-server", "images are written to --image-path");
    if (flags.status_fd >= 0) refuse("--status-fd", "criu's status fd is not driven");
    if (!flags.lsm_profile.empty()) refuse("--lsm-profile", "the restored process keeps the config's LSM labels");
    if (!flags.lsm_mount_context.empty()) refuse("--lsm-mount-context", "the config's linux.mountLabel applies");
}

}  // namespace

void add_checkpoint(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("checkpoint", "checkpoint a running container with criu");
    auto options = std::make_shared<CheckpointOptions>();
    auto flags = std::make_shared<Unsupported>();
    auto id = std::make_shared<std::string>();
    add_criu_flags(*command, options->criu, "checkpoint");
    command->add_option("--parent-path", options->parent_path, "path for previous criu image files in a pre-dump");
    command->add_flag("--leave-running", options->leave_running, "leave the process running after checkpointing");
    command->add_flag("--pre-dump", options->pre_dump, "dump the container's memory only, leaving it running");
    command->add_option("--page-server", flags->page_server, "ADDRESS:PORT of a criu page server (not supported: refused)");
    command->add_option("--status-fd", flags->status_fd, "criu status fd (not supported: refused)");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, options, flags, id] {
        action = [&globals, options, flags, id] {
            refuse_unsupported("checkpoint", *flags);
            checkpoint_container(globals.runtime(), *id, *options);
            return 0;
        };
    });
}

void add_restore(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("restore", "restore a container from a checkpoint");
    auto options = std::make_shared<RestoreOptions>();
    auto flags = std::make_shared<Unsupported>();
    auto id = std::make_shared<std::string>();
    add_criu_flags(*command, options->criu, "restore");
    command->add_option("-b,--bundle", options->create.bundle, "path to the bundle directory")->capture_default_str();
    command->add_option("--pid-file", options->create.pid_file, "file to write the restored process's pid to");
    command->add_option("--console-socket", options->create.console_socket, "unix socket that receives the new pty master (process.terminal)");
    command->add_flag("-d,--detach", options->detach, "detach from the container's process");
    command->add_flag("--no-subreaper", options->no_subreaper, "accepted: the restored process is hull's own child either way");
    command->add_flag("--no-pivot", options->create.no_pivot, "accepted: criu rebuilds the mount namespace itself");
    command->add_option("--lsm-profile", flags->lsm_profile, "LSM profile for the restored process (refused)");
    command->add_option("--lsm-mount-context", flags->lsm_mount_context, "LSM mount context (refused)");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, options, flags, id] {
        action = [&globals, options, flags, id] {
            refuse_unsupported("restore", *flags);
            return restore_container(globals.runtime(), *id, *options);
        };
    });
}

}  // namespace hull::cli
