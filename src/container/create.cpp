// `create`: validate the bundle, reserve the id, make the cgroup, clone the container process
// into it and drive its setup until it waits on the exec fifo.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <ctime>

#include "cgroups/manager.hpp"
#include "cgroups/resources.hpp"
#include "common/unix_socket.hpp"
#include "container/config.hpp"
#include "container/init.hpp"
#include "container/lifecycle_internal.hpp"
#include "container/process_setup.hpp"
#include "container/sync.hpp"
#include "hooks/hooks.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/state_store.hpp"
#include "hull/syscall.hpp"
#include "namespaces/namespaces.hpp"
#include "namespaces/net_devices.hpp"
#include "oci/error.hpp"
#include "oci/state.hpp"
#include "process/lsm.hpp"
#include "process/placement.hpp"
#include "process/process.hpp"
#include "resctrl/resctrl.hpp"
#include "rootfs/rootfs.hpp"
#include "seccomp/seccomp.hpp"
#include "terminal/terminal.hpp"

namespace hull::container {

namespace {

// Kills and reaps the processes of a failed create.
class ProcessGuard {
public:
    void track(pid_t pid, bool is_child) { processes_.push_back({pid, is_child}); }
    void release() noexcept { processes_.clear(); }
    // Kills the tracked processes now (reaping our children) and forgets them.
    void kill_all() noexcept {
        for (const auto& [pid, is_child] : processes_) {
            ::kill(pid, SIGKILL);
            if (is_child) {
                int status = 0;
                while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
            }
        }
        processes_.clear();
    }
    ~ProcessGuard() { kill_all(); }

private:
    std::vector<std::pair<pid_t, bool>> processes_;
};

// Removes the resctrl groups of a failed create.
struct ResctrlGuard {
    const resctrl::Plan* plan = nullptr;
    ResctrlGuard() = default;
    ResctrlGuard(const ResctrlGuard&) = delete;
    ResctrlGuard& operator=(const ResctrlGuard&) = delete;
    ~ResctrlGuard() {
        if (plan != nullptr) resctrl::remove(*plan);
    }
};

struct HostMountsGuard {
    std::string rootfs;
    HostMountsGuard() = default;
    HostMountsGuard(const HostMountsGuard&) = delete;
    HostMountsGuard& operator=(const HostMountsGuard&) = delete;
    ~HostMountsGuard() {
        if (!rootfs.empty()) rootfs::unmount_below(rootfs);
    }
};

// Gives the devices of a failed create back before its process (and netns) goes.
struct NetDevicesGuard {
    const oci::Linux* linux = nullptr;
    pid_t pid = 0;
    std::string kept;  // the netns bind in the state dir, when there is one
    NetDevicesGuard() = default;
    NetDevicesGuard(const NetDevicesGuard&) = delete;
    NetDevicesGuard& operator=(const NetDevicesGuard&) = delete;
    void give_back() noexcept {
        if (linux == nullptr) return;
        const std::string netns = "/proc/" + std::to_string(pid) + "/ns/net";
        const UniqueFd fd(::open(kept.empty() ? netns.c_str() : kept.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd) ns::move_net_devices_out(*linux, fd.get());
        if (!kept.empty()) ns::release_netns(kept);
        linux = nullptr;
    }
    ~NetDevicesGuard() { give_back(); }
};

struct SocketPair {
    UniqueFd runtime_end;
    UniqueFd container_end;
};

SocketPair make_sync_sockets() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

std::string now_rfc3339() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1000000000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%09lldZ", static_cast<long long>(nanos));
    return text;
}

ContainerRecord begin_record(const ContainerDir& dir, const ContainerConfig& config, const cgroups::Manager& cgroup) {
    ContainerRecord record;
    record.id = config.id;
    record.bundle = config.bundle;
    record.rootfs = config.rootfs;
    record.created = now_rfc3339();
    record.cgroup_path = cgroup.path();
    record.cgroup_driver = cgroups::driver_name(cgroup.driver());
    record.owner = ::geteuid();
    record.annotations = config.spec.annotations;
    record.creating = true;
    dir.save_config(oci::to_json(config.spec));
    dir.save(record);
    return record;
}

pid_t create(const RuntimeOptions& runtime, const std::string& id, const CreateOptions& options,
             UniqueFd* terminal_master) {
    ContainerConfig config = load_container_config(id, options.bundle);
    oci::Spec& spec = config.spec;
    const std::string& bundle = config.bundle;
    const std::string& rootfs = config.rootfs;
    const ns::Plan& namespaces = config.namespaces;
    procfs::Handle label_procfs;
    if (config.labels.apparmor_profile || config.labels.selinux_label) label_procfs = procfs::Handle::open("LSM labels");
    const std::vector<UniqueFd> host_trees = rootfs::open_host_trees(spec, bundle, namespaces);
    UniqueFd console_socket;
    UniqueFd relay_socket;  // our end, when the master comes to hull itself
    if (spec.process->terminal) {
        if (!options.console_socket.empty()) {
            console_socket = sys::connect_unix(options.console_socket, "--console-socket");
        } else if (terminal_master != nullptr) {
            int ends[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) throw_errno("socketpair for the terminal");
            relay_socket.reset(ends[0]);
            console_socket.reset(ends[1]);
        } else {
            throw Error("process.terminal is true: --console-socket is required (or set terminal to false)");
        }
    }
    const std::unique_ptr<cgroups::Manager> cgroup = cgroups::for_new_container(
        {id, spec.linux->cgroupsPath, runtime.systemd_cgroup}, spec.linux->resources.value_or(oci::LinuxResources{}));

    const StateStore store(runtime.root);
    ContainerDir dir = store.reserve(id);
    ContainerRecord record = begin_record(dir, config, *cgroup);
    cgroup->prepare(spec.linux->resources.value_or(oci::LinuxResources{}));
    log::debug("cgroup: driver ", record.cgroup_driver, ", path ", record.cgroup_path);
    dir.make_exec_fifo();
    UniqueFd state_dir(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!state_dir) throw_errno("open " + dir.path());
    SocketPair sockets = make_sync_sockets();

    InitContext ctx;
    ctx.config = &config;
    ctx.overlay = rootfs::overlay_request(spec.annotations, dir.path());
    if (ctx.overlay) rootfs::make_overlay_dirs(*ctx.overlay);
    ctx.created_by_clone = !namespaces.joins_any();
    ctx.cgroup_layout = &cgroup->layout();
    ctx.cgroup_path = cgroup->path();
    ctx.sync_fd = sockets.container_end.get();
    ctx.state_dir_fd = state_dir.get();
    ctx.console_socket_fd = console_socket.get();
    UniqueFd seccomp_agent;
    if (spec.linux->seccomp && seccomp::uses_notify(*spec.linux->seccomp)) {
        seccomp_agent = seccomp::connect_agent(*spec.linux->seccomp);
        ctx.seccomp_agent_fd = seccomp_agent.get();
    }
    ctx.preserve_fds = config.activation_fds + options.preserve_fds;
    ctx.no_pivot = options.no_pivot;
    ctx.no_new_keyring = options.no_new_keyring;
    ctx.procfs = &label_procfs;
    for (const auto& tree : host_trees) ctx.host_trees.push_back(tree.get());

    const uint64_t clone_flags =
        ctx.created_by_clone ? namespaces.create_flags & ~static_cast<uint64_t>(CLONE_NEWCGROUP | CLONE_NEWTIME) : 0;
    // Without a mount namespace the mounts are made in ours: a failed create takes them down.
    HostMountsGuard host_mounts;
    if (config.host_mount_namespace) host_mounts.rootfs = rootfs;
    ProcessGuard guard;
    apply_initial_cpu_affinity(*spec.process);
    const pid_t child = sys::clone3(clone_flags, cgroup->clone_target());
    if (child == 0) {
        sockets.runtime_end.reset();
        ::close(dir.fd());  // the lock belongs to the runtime
        run_init(ctx);
    }
    guard.track(child, true);
    seccomp_agent.reset();  // the container's copy is the agent's only writer: it sees EOF once the fd is sent
    record.pid = child;
    record.pid_start_time = sys::process_start_time(child);
    cgroup->place(child);
    record.cgroup_created_top = cgroup->created_top();
    sockets.container_end.reset();
    const SyncChannel sync(sockets.runtime_end.get());

    if (namespaces.has(CLONE_NEWUSER)) {
        sync.expect(Message::UserNamespaceReady, "the user namespace");
        ns::write_id_mappings(child, *spec.linux);
        log::debug("user namespace: id mappings written for ", child);
        sync.send(Message::MappingsWritten);
    }
    pid_t pid = child;
    if (!ctx.created_by_clone && namespaces.owns(CLONE_NEWPID)) {
        pid = std::stoi(sync.expect(Message::InitPid, "the container process"));
        guard.track(pid, false);
        // The intermediate process may have forked the init before add_process(child) moved it
        // into the v1 hierarchies; the init waits for Go, so placing it now is in time.
        cgroup->place(pid);
        record.pid = pid;
        record.pid_start_time = sys::process_start_time(pid);
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
    }
    cgroup->placement_done();
    ResctrlGuard rdt_guard;
    if (config.rdt) {
        resctrl::apply(*config.rdt, pid);
        rdt_guard.plan = &*config.rdt;
    }
    sync.send(Message::Go, std::to_string(pid));
    // The pid is saved while the container process mounts, not before it may go on: a runtime
    // killed before this closes the sync socket, and the init, waiting on it, exits.
    dir.save(record);

    sync.expect(Message::RunCreateRuntimeHooks, "the mounts");
    NetDevicesGuard net_devices;
    try {
        // Before the hooks: a createRuntime hook (CNI) may configure them.
        if (!spec.linux->netDevices.empty()) {
            net_devices.linux = &*spec.linux;
            net_devices.pid = pid;
            ns::move_net_devices_in(*spec.linux, pid);
            if (namespaces.has(CLONE_NEWNET)) {
                net_devices.kept = dir.path() + "/netns";
                ns::keep_netns(pid, net_devices.kept);
            }
        }
        if (spec.hooks) {
            // runtime.md: these hooks run after the environment is created (step 2), so the
            // state they get says "created", as for startContainer.
            const oci::State state = config.state(pid, "created");
            hooks::run_all(spec.hooks->prestart, "prestart", state);
            hooks::run_all(spec.hooks->createRuntime, "createRuntime", state);
        }
        sync.send(Message::HooksDone);
        sync.expect(Message::Ready, "the container process");
        log::debug("container process ", pid, " is ready and waits for start");

        record.pid = pid;
        record.pid_start_time = sys::process_start_time(pid);
        record.created = now_rfc3339();
        record.creating = false;
        dir.save(record);
        if (!options.pid_file.empty()) sys::write_file_atomic(options.pid_file, std::to_string(pid), 0644, "--pid-file " + options.pid_file);
        // The container sent the master before Ready (with our copy of its end closed, a
        // container that did not would end the wait).
        console_socket.reset();
        if (relay_socket) *terminal_master = sys::receive_fd(relay_socket.get());
    } catch (...) {
        // runtime.md: when a prestart, createRuntime or createContainer hook (or what follows)
        // fails, the container is stopped and the poststop hooks run (e.g. network teardown).
        net_devices.give_back();
        if (spec.hooks && !spec.hooks->poststop.empty()) {
            guard.kill_all();
            hooks::run_all_warn(spec.hooks->poststop, "poststop", config.state(pid, "stopped"));
        }
        throw;
    }
    dir.commit();
    host_mounts.rootfs.clear();
    net_devices.linux = nullptr;
    rdt_guard.plan = nullptr;
    cgroup->release();
    guard.release();
    return pid;
}

}  // namespace hull::container

namespace hull {

// systemd socket activation (sd_listen_fds(3)): fds 3.. are ours to pass on only when LISTEN_PID
// names this very process. A stale LISTEN_FDS inherited from a caller would otherwise hand the
// caller's open fds (a host directory, say) to the container: CVE-2024-21626 again. The variables
// are dropped either way, so nothing after us reads them.
unsigned socket_activation_fds() {
    static const unsigned count = [] {
        const char* listen_fds = std::getenv("LISTEN_FDS");
        const char* listen_pid = std::getenv("LISTEN_PID");
        unsigned result = 0;
        if (listen_fds != nullptr && *listen_fds != '\0' && listen_pid != nullptr &&
            std::strtol(listen_pid, nullptr, 10) == ::getpid()) {
            char* end = nullptr;
            const unsigned long value = std::strtoul(listen_fds, &end, 10);
            if (*end != '\0' || value > 4096) {
                throw Error("LISTEN_FDS=\"" + std::string(listen_fds) + "\": not a count of fds");
            }
            result = static_cast<unsigned>(value);
        }
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDNAMES");
        return result;
    }();
    return count;
}

void check_preserved_fds(unsigned preserve_fds) {
    unsigned count = preserve_fds;
    count += socket_activation_fds();
    for (unsigned i = 0; i < count; ++i) {
        const int fd = 3 + static_cast<int>(i);
        if (::fcntl(fd, F_GETFD) < 0) {
            throw Error("--preserve-fds: fd " + std::to_string(fd) + " is not open (" + std::to_string(count) +
                        " fds from 3 are passed on)");
        }
    }
}

void create_container(const RuntimeOptions& runtime, const std::string& id, const CreateOptions& options) {
    container::create(runtime, id, options);
}

}  // namespace hull
