// `exec`: a new process in a running container.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <array>
#include <optional>
#include <sstream>

#include "cgroups/manager.hpp"
#include "common/unix_socket.hpp"
#include "container/container.hpp"
#include "container/lifecycle_internal.hpp"
#include "container/process_setup.hpp"
#include "container/sync.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/state_store.hpp"
#include "hull/syscall.hpp"
#include "namespaces/namespaces.hpp"
#include "oci/error.hpp"
#include "process/lsm.hpp"
#include "process/placement.hpp"
#include "process/process.hpp"
#include "resctrl/resctrl.hpp"
#include "seccomp/seccomp.hpp"
#include "terminal/terminal.hpp"

namespace hull::container {

namespace {

// `entry` (KEY=VALUE) replaces the entry of its key, or is added.
void set_env(std::vector<std::string>& env, const std::string& entry) {
    const std::string key = entry.substr(0, entry.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; }),
              env.end());
    env.push_back(entry);
}

void add_capability(std::optional<std::vector<std::string>>& set, const std::string& cap) {
    if (!set) set.emplace();
    if (std::find(set->begin(), set->end(), cap) == set->end()) set->push_back(cap);
}

oci::Process build_process(const oci::Spec& spec, const ExecOptions& options) {
    if (!options.process_file.empty()) {
        const std::string& path = options.process_file;
        return oci::parse_process(oci::parse_json(oci::read_document(path), path), path);
    }
    if (options.args.empty()) throw Error("exec: no command to run (no args and no process file)");
    oci::Process process = spec.process ? *spec.process : oci::Process{};
    process.args = options.args;
    process.terminal = options.tty;
    process.consoleSize.reset();
    if (!options.cwd.empty()) process.cwd = options.cwd;
    for (const auto& entry : options.env) set_env(process.env, entry);
    if (options.user) {
        process.user.uid = options.user->uid;
        process.user.gid = options.user->gid;
    }
    if (!options.additional_gids.empty()) process.user.additionalGids = options.additional_gids;
    if (!options.capabilities.empty()) {
        if (!process.capabilities) process.capabilities.emplace();
        for (const auto& cap : options.capabilities) {
            add_capability(process.capabilities->bounding, cap);
            add_capability(process.capabilities->effective, cap);
            add_capability(process.capabilities->permitted, cap);
        }
    }
    process.noNewPrivileges = process.noNewPrivileges || options.no_new_privs;
    if (!options.apparmor_profile.empty()) process.apparmorProfile = options.apparmor_profile;
    if (!options.process_label.empty()) process.selinuxLabel = options.process_label;
    return process;
}

void validate_process(oci::Process& process, const oci::Spec& spec) {
    if (process.cwd.empty() || process.cwd.front() != '/') throw Error("process.cwd \"" + process.cwd + "\": must be an absolute path");
    drop_unknown_capabilities(process, oci::has_namespace(spec, "user"));
    check_process_limits(process, spec.linux.value_or(oci::Linux{}));
}

struct ExecContext {
    const oci::Process* process = nullptr;
    const oci::Spec* spec = nullptr;
    int container_pidfd = -1;
    pid_t container_pid = 0;
    int join_flags = 0;
    int sync_fd = -1;
    int console_socket_fd = -1;
    bool terminal_relayed = false;  // the master goes to the runtime, which relays it (foreground, no socket)
    unsigned preserve_fds = 0;
    SeccompAgent agent;
    ExecLabels labels;
    std::optional<process::MemoryPolicyPlan> memory_policy;
    const seccomp::Filter* seccomp_filter = nullptr;
};

[[noreturn]] void exec_process(const ExecContext& ctx, const SyncChannel& sync) {
    const oci::Process& process = *ctx.process;
    sync.expect(Message::Go, "the runtime");
    if (process.terminal) terminal::setup_container_terminal(ctx.console_socket_fd, process.consoleSize, -1, process.user.uid);
    // The relay sets the window size and clears ONLCR: the program must not start before.
    if (ctx.terminal_relayed) sync.expect(Message::Go, "the terminal relay");
    change_to_working_directory(process.cwd);
    const std::string executable = find_executable(process);
    process::apply_rlimits(process.rlimits);
    if (ctx.memory_policy) process::apply_memory_policy(*ctx.memory_policy);
    apply_final_cpu_affinity(process);
    keep_only_preserved_fds(ctx.preserve_fds);
    const oci::Linux no_linux;
    lock_down(process, ctx.spec->linux ? *ctx.spec->linux : no_linux, ctx.seccomp_filter, executable, ctx.agent, ctx.labels);
    exec_program(process, executable);
}

// The child of clone3: joins the namespaces, forks into the pid namespace when needed, and execs.
[[noreturn]] void exec_child(const ExecContext& ctx) {
    const SyncChannel sync(ctx.sync_fd);
    // Our stderr becomes the process's: what we log goes to the runtime's log instead.
    forward_log(ctx.sync_fd);
    try {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        sync.expect(Message::Go, "cgroup placement");
        if (ctx.process->oomScoreAdj) process::apply_oom_score_adj(*ctx.process->oomScoreAdj);
        // CVE-2019-5736: until execve this process is the hull binary inside the container's pid
        // namespace; non-dumpable, its /proc/<pid>/exe can't be opened by the container.
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl PR_SET_DUMPABLE");
        // A container without a mount namespace of its own is chrooted, not pivoted: so is this.
        UniqueFd container_root;
        if ((ctx.join_flags & CLONE_NEWNS) == 0) {
            container_root.reset(::open(("/proc/" + std::to_string(ctx.container_pid) + "/root").c_str(),
                                        O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!container_root) throw_errno("open the container's root");
        }
        if (ctx.join_flags != 0 && ::setns(ctx.container_pidfd, ctx.join_flags) != 0) {
            throw_errno("join the container's namespaces");
        }
        if (container_root && (::fchdir(container_root.get()) != 0 || ::chroot(".") != 0)) {
            throw_errno("chroot into the container's root");
        }
        ::close(ctx.container_pidfd);
        if ((ctx.join_flags & CLONE_NEWPID) != 0) {
            const pid_t child = ::fork();
            if (child < 0) throw_errno("fork into the container's pid namespace");
            if (child > 0) {
                sync.send(Message::InitPid, std::to_string(child));
                ::_exit(0);
            }
        } else {
            sync.send(Message::InitPid, std::to_string(::getpid()));
        }
        exec_process(ctx, sync);
    } catch (const std::exception& e) {
        try {
            sync.send(Message::Failed, e.what());
        } catch (const std::exception&) {
            const std::string line = std::string("hull exec: ") + e.what() + "\n";
            [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
        }
    }
    ::_exit(255);
}

// After Go the process execs: the sync socket closes on success (CLOEXEC) or carries the error.
void wait_for_exec(const SyncChannel& sync) {
    try {
        auto [type, payload] = sync.receive();
        if (type == Message::Failed) throw Error(payload);
        throw Error("exec: unexpected message from the new process");
    } catch (const Error& e) {
        if (std::string(e.what()) == "container process exited during setup") return;
        throw;
    }
}

}  // namespace

}  // namespace hull::container

namespace hull {

int exec_in_container(const RuntimeOptions& runtime, const std::string& id, const ExecOptions& options) {
    using namespace container;
    ContainerRecord record;
    oci::Spec spec;
    UniqueFd pidfd;
    std::unique_ptr<cgroups::Manager> container_cgroup;
    {
        // Closed (and its lock released) before the process runs: a foreground exec may last.
        auto c = Container::open(runtime, id);
        const Status status = c.status();
        if (status == Status::Paused && !options.ignore_paused) {
            throw Error("cannot exec in a paused container (use --ignore-paused to override): \"" + id +
                        "\" is paused; resume it first");
        }
        // runc execs into a created container too (its init waits for start, its namespaces exist).
        if (status == Status::Stopped) throw Error("cannot exec in a stopped container: \"" + id + "\" is stopped");
        if (status != Status::Running && status != Status::Paused && status != Status::Created) {
            throw Error("cannot exec in container \"" + id + "\": it is " + std::string(status_name(status)));
        }
        pidfd = c.open_process();
        if (!pidfd) throw Error("cannot exec in container \"" + id + "\": its process is gone");
        spec = c.spec();
        record = c.record();
        container_cgroup = c.take_cgroup();
    }
    oci::Process process = build_process(spec, options);
    validate_process(process, spec);
    // The process's own labels; the mount label belongs to the container and is not needed.
    const lsm::Labels labels = lsm::resolve(process, std::nullopt);
    procfs::Handle label_procfs;
    if (labels.any()) label_procfs = procfs::Handle::open("LSM labels");
    UniqueFd console_socket;
    UniqueFd relay_socket;  // our end, when the master comes to hull itself (foreground, no socket)
    if (process.terminal) {
        if (!options.console_socket.empty()) {
            console_socket = sys::connect_unix(options.console_socket, "--console-socket");
        } else if (options.detach) {
            // runc's wording; nobody would hold the terminal.
            throw Error("cannot allocate tty if hull will detach without setting console socket");
        } else {
            int ends[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) throw_errno("socketpair for the terminal");
            relay_socket.reset(ends[0]);
            console_socket.reset(ends[1]);
        }
    }

    const std::unique_ptr<cgroups::Manager> cgroup = container_cgroup->for_exec(options.cgroup);

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    UniqueFd runtime_end(fds[0]), child_end(fds[1]);

    ExecContext ctx;
    ctx.process = &process;
    ctx.spec = &spec;
    ctx.container_pidfd = pidfd.get();
    ctx.container_pid = record.pid;
    ctx.join_flags = ns::differing_namespaces(record.pid);
    if (log::debug_enabled()) {
        log::debug("exec in container ", id, " (pid ", record.pid, "): joining ",
                   ns::type_names(static_cast<uint64_t>(ctx.join_flags)), "; cgroup driver ",
                   cgroups::driver_name(cgroup->driver()), ", path ", cgroup->path());
    }
    ctx.sync_fd = child_end.get();
    ctx.console_socket_fd = console_socket.get();
    ctx.terminal_relayed = static_cast<bool>(relay_socket);
    ctx.preserve_fds = options.preserve_fds;
    ctx.labels = {labels, &label_procfs};
    std::optional<seccomp::Filter> seccomp_filter;
    if (spec.linux && spec.linux->seccomp) {
        seccomp_filter = seccomp::Filter::compile(*spec.linux->seccomp);
        ctx.seccomp_filter = &*seccomp_filter;
    }
    UniqueFd seccomp_agent;
    if (seccomp_filter && seccomp_filter->uses_notify()) {
        seccomp_agent = seccomp::connect_agent(*spec.linux->seccomp);
        ctx.agent.socket = seccomp_agent.get();
        ctx.agent.process_state_json = seccomp::agent_message(
            *spec.linux->seccomp, record.pid, container_state(id, record.bundle, spec.annotations, record.pid, "running"));
    }

    std::optional<ForegroundSignals> signals;
    if (!options.detach) signals.emplace();

    if (spec.linux && spec.linux->memoryPolicy) {
        ctx.memory_policy = process::plan_memory_policy(*spec.linux->memoryPolicy, process::online_numa_nodes());
    }

    std::optional<terminal::Relay> relay;
    apply_initial_cpu_affinity(process);
    const pid_t child = sys::clone3(0, cgroup->clone_target());
    if (child == 0) {
        runtime_end.reset();
        relay_socket.reset();
        exec_child(ctx);
    }
    child_end.reset();
    console_socket.reset();  // the process holds its copy: if it dies before sending the master, receive_fd sees EOF
    seccomp_agent.reset();  // the process's copy is the agent's only writer: it sees EOF once the fd is sent
    const SyncChannel sync(runtime_end.get());
    pid_t pid = child;
    try {
        cgroup->place(child);
        sync.send(Message::Go);
        pid = std::stoi(sync.expect(Message::InitPid, "the new process"));
        if (spec.linux && spec.linux->intelRdt) {
            resctrl::add_process(resctrl::plan(*spec.linux->intelRdt, id, resctrl::find_mount()), pid);
        }
        if (pid != child) {
            int status = 0;
            while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (!options.pid_file.empty()) {
            sys::write_file_atomic(options.pid_file, std::to_string(pid), 0644, "--pid-file " + options.pid_file);
        }
        sync.send(Message::Go);
        if (relay_socket) {
            relay.emplace(sys::receive_fd(relay_socket.get()));
            sync.send(Message::Go);
        }
        wait_for_exec(sync);
    } catch (...) {
        ::kill(pid, SIGKILL);
        if (pid != child) ::kill(child, SIGKILL);
        int status = 0;
        while (::waitpid(-1, &status, WNOHANG) > 0) {
        }
        throw;
    }
    if (options.detach) return 0;
    return signals->wait_for(pid, relay ? &*relay : nullptr);
}

}  // namespace hull
