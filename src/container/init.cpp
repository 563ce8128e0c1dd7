#include "container/init.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "container/lifecycle_internal.hpp"
#include "container/process_setup.hpp"
#include "container/sync.hpp"
#include "hooks/hooks.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"
#include "oci/state.hpp"
#include "process/process.hpp"
#include "rootfs/rootfs.hpp"
#include "seccomp/seccomp.hpp"
#include "terminal/terminal.hpp"

namespace hull::container {

namespace {

// Set once the runtime has been told we are ready: later failures can only go to stderr.
bool runtime_released = false;
// The exec fifo once `start` has opened it: where later failures are reported.
UniqueFd start_fifo;

void join_session_keyring(const std::string& id) {
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, id.c_str()) < 0 && errno != ENOSYS && errno != EPERM &&
        errno != EDQUOT) {
        throw_errno("join a new session keyring");
    }
}

// While the runtime writes our id maps it needs /proc/<pid>/uid_map of a dumpable process.
class TemporarilyDumpable {
public:
    TemporarilyDumpable() { ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); }
    ~TemporarilyDumpable() { ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
    TemporarilyDumpable(const TemporarilyDumpable&) = delete;
    TemporarilyDumpable& operator=(const TemporarilyDumpable&) = delete;
};

// Becomes root of a new user namespace (uid/gid 0 are mapped by now).
void become_namespace_root() {
    if (::setresgid(0, 0, 0) != 0) throw_errno("setresgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) != 0) throw_errno("setresuid 0 in the user namespace");
}

// Blocks until `start` opens the exec fifo for reading. From then on `start` hears from us on
// it: "0" right before execve, or the error that stopped us.
UniqueFd wait_for_start(int state_dir_fd) {
    UniqueFd fifo(::openat(state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC));
    if (!fifo) throw_errno("open exec fifo");
    return fifo;
}

// Namespaces that clone3 could not create or join: joins by path, then new ones, then pid.
// Returns only in the process that goes on to be the container process.
void enter_namespaces(const InitContext& ctx, const SyncChannel& sync) {
    const ns::Plan& plan = ctx.config->namespaces;
    if (!ctx.created_by_clone) {
        ns::join_all(plan);
        const uint64_t unshare_flags = plan.create_flags & ~static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWTIME | CLONE_NEWCGROUP);
        if ((unshare_flags & CLONE_NEWUSER) != 0) {
            if (::unshare(CLONE_NEWUSER) != 0) throw_errno("unshare user namespace");
            const TemporarilyDumpable dumpable;
            sync.send(Message::UserNamespaceReady);
            sync.expect(Message::MappingsWritten, "id mappings");
        }
        if (::unshare(static_cast<int>(unshare_flags & ~static_cast<uint64_t>(CLONE_NEWUSER))) != 0) {
            throw_errno("unshare namespaces");
        }
        const bool pid_changes = plan.owns(CLONE_NEWPID);
        if (plan.has(CLONE_NEWPID) && ::unshare(CLONE_NEWPID) != 0) throw_errno("unshare pid namespace");
        if (pid_changes) {
            const pid_t child = ::fork();
            if (child < 0) throw_errno("fork into the pid namespace");
            if (child > 0) {
                sync.send(Message::InitPid, std::to_string(child));
                ::_exit(0);
            }
        }
    } else if (plan.has(CLONE_NEWUSER)) {
        const TemporarilyDumpable dumpable;
        sync.send(Message::UserNamespaceReady);
        sync.expect(Message::MappingsWritten, "id mappings");
    }
    // A user namespace joined by path too: until then our ids are the host's, unmapped there, and
    // whatever we make in the namespaces it owns (/dev/pts on its tmpfs) fails with EOVERFLOW.
    if (plan.owns(CLONE_NEWUSER)) become_namespace_root();
}

[[noreturn]] void init_main(const InitContext& ctx) {
    const SyncChannel sync(ctx.sync_fd);
    // Our stderr becomes the container's: what we log goes to the runtime's log instead.
    forward_log(ctx.sync_fd);
    const ContainerConfig& config = *ctx.config;
    const oci::Spec& spec = config.spec;
    const oci::Process& process = *spec.process;
    const oci::Linux empty_linux;
    const oci::Linux& linux = spec.linux ? *spec.linux : empty_linux;

    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // /proc/self is still ours to write here (owner checks), so before the next step.
    if (process.oomScoreAdj) process::apply_oom_score_adj(*process.oomScoreAdj);
    // CVE-2019-5736 / CVE-2016-9962: until execve this process is the hull binary, holding host
    // fds, cwd and root. Non-dumpable, no process of the container (or of one sharing its pid
    // namespace) can open its /proc/<pid>/exe, fd/, cwd or root, nor ptrace it.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl PR_SET_DUMPABLE");
    enter_namespaces(ctx, sync);
    const int pid = std::stoi(sync.expect(Message::Go, "cgroup placement"));

    const ns::Plan& plan = config.namespaces;
    if (plan.has(CLONE_NEWCGROUP) && ::unshare(CLONE_NEWCGROUP) != 0) throw_errno("unshare cgroup namespace");
    if (plan.has(CLONE_NEWTIME)) {
        // /proc/self/timens_offsets of a non-dumpable process belongs to the host's root.
        std::optional<TemporarilyDumpable> dumpable;
        if (plan.owns(CLONE_NEWUSER)) dumpable.emplace();
        ns::enter_new_time_namespace(linux.timeOffsets);
    }
    if (log::debug_enabled()) log::debug("namespaces: ", ns::describe(plan));
    if (plan.has(CLONE_NEWNET)) ns::bring_up_loopback();
    if (spec.hostname) {
        ns::set_hostname(*spec.hostname);
        log::debug("hostname ", *spec.hostname);
    }
    if (spec.domainname) ns::set_domainname(*spec.domainname);
    if (!ctx.no_new_keyring) {
        if (ctx.procfs != nullptr) lsm::apply_key_label(*ctx.procfs, config.labels);
        join_session_keyring(config.id);
    }

    rootfs::Context rootfs_ctx;
    rootfs_ctx.config = &config;
    rootfs_ctx.rootfs = config.rootfs;
    if (ctx.overlay) {
        rootfs::mount_overlay(config.rootfs, *ctx.overlay);
        rootfs_ctx.rootfs = ctx.overlay->merged;
    }
    // The container's own user namespace, or the one hull runs in (rootless podman's).
    rootfs_ctx.user_namespace = plan.owns(CLONE_NEWUSER) || sys::unprivileged();
    rootfs_ctx.cgroup_layout = ctx.cgroup_layout;
    rootfs_ctx.cgroup_path = ctx.cgroup_path;
    rootfs_ctx.no_pivot = ctx.no_pivot;
    rootfs_ctx.host_trees = ctx.host_trees;
    rootfs::prepare(rootfs_ctx);

    sync.send(Message::RunCreateRuntimeHooks);
    sync.expect(Message::HooksDone, "createRuntime hooks");
    if (spec.hooks) hooks::run_all_in_container(spec.hooks->createContainer, "createContainer", config.state(pid, "created"));

    rootfs::enter(rootfs_ctx);
    ns::apply_sysctl(linux.sysctl);
    // Before finalize: /dev may be the image's own, read-only once root.readonly is applied.
    UniqueFd console_target;
    if (process.terminal) console_target = terminal::open_console_target();
    rootfs::finalize(rootfs_ctx);
    if (process.terminal) terminal::setup_container_terminal(ctx.console_socket_fd, process.consoleSize, console_target.get(), process.user.uid);
    change_to_working_directory(process.cwd);
    const std::string executable = find_executable(process);

    // Before Ready, so an impossible limit fails create rather than the started container.
    process::apply_rlimits(process.rlimits);
    if (config.memory_policy) process::apply_memory_policy(*config.memory_policy);
    apply_final_cpu_affinity(process);
    ::prctl(PR_SET_PDEATHSIG, 0);  // the runtime exits after Ready; we must outlive it
    // Seccomp, user and capabilities now, as runc does: what fails here fails create, and a
    // listenerPath agent gets its fd while the container is being created.
    SeccompAgent agent;
    if (ctx.seccomp_agent_fd >= 0) {
        agent.socket = ctx.seccomp_agent_fd;
        agent.process_state_json = seccomp::agent_message(*linux.seccomp, pid, config.state(pid, "creating"));
    }
    lock_down(process, linux, config.seccomp ? &*config.seccomp : nullptr, executable, agent, {config.labels, ctx.procfs});
    sync.send(Message::Ready);
    runtime_released = true;
    ::close(ctx.sync_fd);
    if (ctx.console_socket_fd >= 0) ::close(ctx.console_socket_fd);
    keep_only_preserved_fds(ctx.preserve_fds);

    // The fifo is 0622 in a 0711 state dir: whatever user we are now can open it.
    start_fifo = wait_for_start(ctx.state_dir_fd);
    // The runtime that created us is gone; `start` reads our log records with its reply.
    log::forward_to([fd = start_fifo.get()](const std::string& record) { sys::write_all(fd, record, "exec fifo"); });
    // startContainer hooks run as the program will: under its filter, user and capabilities (runc too).
    if (spec.hooks) hooks::run_all_in_container(spec.hooks->startContainer, "startContainer", config.state(pid, "created"));
    exec_program(process, executable, start_fifo.get());
}

}  // namespace

void run_init(const InitContext& ctx) {
    try {
        init_main(ctx);
    } catch (const std::exception& e) {
        // Before Ready the runtime reports it; afterwards only stderr is left.
        bool reported = false;
        if (!runtime_released) {
            try {
                SyncChannel(ctx.sync_fd).send(Message::Failed, e.what());
                reported = true;
            } catch (const std::exception&) {
                reported = false;
            }
        }
        if (!reported && start_fifo) {
            const std::string message = e.what();
            reported = ::write(start_fifo.get(), message.data(), message.size()) > 0;
        }
        if (!reported) {
            const std::string line = std::string("hull: container process: ") + e.what() + "\n";
            [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
        }
    }
    ::_exit(127);
}

}  // namespace hull::container
