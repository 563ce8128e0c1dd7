// start, state, kill, delete, run, list.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <optional>

#include "hull/cgroups.hpp"
#include "hull/net_devices.hpp"
#include "hull/resctrl.hpp"
#include "hull/rootfs.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/hooks.hpp"
#include "hull/log.hpp"
#include "hull/state_store.hpp"
#include "hull/syscall.hpp"
#include "hull/terminal.hpp"
#include "lifecycle_internal.hpp"
#include "oci/config.hpp"

namespace hull::container {

namespace {

constexpr int stop_timeout_ms = 10000;

bool process_matches(const ContainerRecord& record) {
    if (record.pid <= 0) return false;
    const uint64_t start_time = sys::process_start_time(record.pid);
    if (start_time == 0 || start_time != record.pid_start_time) return false;
    const char state = sys::process_state(record.pid);
    return state != 'Z' && state != 'X' && state != 0;
}

// A pidfd for the container process, or an empty fd when it is gone (or the pid was reused).
UniqueFd open_container_process(const ContainerRecord& record) {
    if (record.pid <= 0) return {};
    UniqueFd pidfd(sys::pidfd_open(record.pid));
    if (!pidfd) return {};
    // The pidfd pins the process: check it is still ours after opening it.
    if (!process_matches(record)) return {};
    return pidfd;
}

bool wait_for_exit(int pidfd, int timeout_ms) {
    pollfd fd{pidfd, POLLIN, 0};
    for (;;) {
        const int ready = ::poll(&fd, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        return ready > 0;
    }
}

oci::Spec record_spec(const ContainerRecord& record) {
    return oci::parse_config(record.config, "state.json config");
}

oci::State make_state(const ContainerRecord& record, const std::string& status, const oci::Spec& spec) {
    return container_state(record.id, record.bundle, spec.annotations, record.pid, status);
}

// linux.netDevices go back to the host before the namespace can end: through the netns create
// kept in the state dir, or the one the config joined, or the running process's.
void give_back_net_devices(const ContainerDir& dir, const ContainerRecord& record, const oci::Linux& linux) {
    const std::string kept = dir.path() + "/netns";
    std::string netns = kept;
    if (::access(kept.c_str(), F_OK) != 0) {
        netns = "/proc/" + std::to_string(record.pid) + "/ns/net";
        for (const auto& n : linux.namespaces) {
            if (n.type == "network" && n.path && !n.path->empty()) netns = *n.path;
        }
    }
    if (const UniqueFd fd(::open(netns.c_str(), O_RDONLY | O_CLOEXEC)); fd) ns::move_net_devices_out(linux, fd.get());
    ns::release_netns(kept);
}

void destroy(ContainerDir& dir, const ContainerRecord& record, const oci::Spec& spec) {
    if (spec.linux && !spec.linux->netDevices.empty()) give_back_net_devices(dir, record, *spec.linux);
    if (UniqueFd pidfd = open_container_process(record)) {
        sys::pidfd_send_signal(pidfd.get(), SIGKILL);
        if (!wait_for_exit(pidfd.get(), stop_timeout_ms)) {
            throw Error("delete " + record.id + ": container process " + std::to_string(record.pid) +
                        " did not exit after SIGKILL");
        }
    }
    cgroup_manager(record)->destroy();
    if (!oci::has_namespace(spec, "mount")) rootfs::unmount_below(record.rootfs);
    if (spec.linux && spec.linux->intelRdt) {
        if (const std::string mount = resctrl::find_mount(); !mount.empty()) {
            resctrl::remove(resctrl::plan(*spec.linux->intelRdt, record.id, mount));
        }
    }
    if (spec.hooks) {
        const auto state = make_state(record, "stopped", spec);
        hooks::run_all_warn(spec.hooks->poststop, "poststop", oci::to_json(state).dump());
    }
    dir.remove();
}

}  // namespace

std::unique_ptr<cgroups::Manager> cgroup_manager(const ContainerRecord& record) {
    return cgroups::for_container(cgroups::driver_from_name(record.cgroup_driver), record.cgroup_path,
                                  record.cgroup_created_top);
}

std::vector<pid_t> container_processes(const ContainerRecord& record) {
    if (const auto cgroup = cgroup_manager(record); cgroup->has_cgroup()) return cgroup->pids();
    if (!process_matches(record)) return {};
    struct stat init_ns {}, own_ns {};
    const auto pid_namespace = [](const std::string& pid, struct stat& st) {
        return ::stat(("/proc/" + pid + "/ns/pid").c_str(), &st) == 0;
    };
    if (!pid_namespace(std::to_string(record.pid), init_ns)) return {};
    if (pid_namespace("self", own_ns) && own_ns.st_ino == init_ns.st_ino && own_ns.st_dev == init_ns.st_dev) {
        return {record.pid};
    }
    std::vector<pid_t> pids;
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) throw_errno("open /proc");
    while (const dirent* entry = ::readdir(proc.get())) {
        if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
        struct stat st {};
        if (pid_namespace(entry->d_name, st) && st.st_ino == init_ns.st_ino && st.st_dev == init_ns.st_dev) {
            pids.push_back(static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10)));
        }
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

oci::State container_state(const std::string& id, const std::string& bundle, const oci::StringMap& annotations,
                           pid_t pid, const std::string& status) {
    oci::State state;
    state.id = id;
    state.status = status;
    if (status != "stopped") state.pid = pid;
    state.bundle = bundle;
    state.annotations = annotations;
    return state;
}

std::string current_status(const ContainerDir& dir, const ContainerRecord& record) {
    // We hold the lock create keeps until it is done: this create died half way.
    if (record.creating) return "creating";
    if (!process_matches(record)) return "stopped";
    if (dir.has_exec_fifo()) return "created";
    if (!record.cgroup_path.empty() && cgroup_manager(record)->frozen()) return "paused";
    return "running";
}

}  // namespace hull::container

namespace hull {

using container::current_status;

void start_container(const RuntimeOptions& runtime, const std::string& id) {
    const StateStore store(runtime.root);
    ContainerDir dir = store.open(id);
    const ContainerRecord record = dir.load();
    const std::string status = current_status(dir, record);
    if (status != "created") throw Error("cannot start container \"" + id + "\": it is " + status + ", not created");

    UniqueFd pidfd(sys::pidfd_open(record.pid));
    if (!pidfd) throw_errno("start " + id + ": container process " + std::to_string(record.pid));
    UniqueFd fifo(::openat(dir.fd(), ContainerDir::exec_fifo_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo) throw_errno("start " + id + ": open " + dir.path() + "/exec.fifo");
    // The container process opens the other end, runs the startContainer hooks and writes "0"
    // right before execve, then the error if execve fails; the fifo closes at execve (close-on-exec)
    // or exit. So "0" and then end-of-file is the only success: we read to the end.
    std::string reply;
    pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    bool writer_seen = false;
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("start " + id + ": poll");
        }
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
            char buffer[4096];
            const ssize_t n = ::read(fifo.get(), buffer, sizeof buffer);
            if (n > 0) {
                writer_seen = true;
                reply.append(buffer, static_cast<size_t>(n));
                continue;
            }
            if (n == 0 && writer_seen) break;
        }
        if ((fds[1].revents & POLLIN) != 0) {
            // Collect what it said before it died.
            char buffer[4096];
            ssize_t n;
            while ((n = ::read(fifo.get(), buffer, sizeof buffer)) > 0) reply.append(buffer, static_cast<size_t>(n));
            break;
        }
    }
    dir.remove_exec_fifo();
    if (reply != "0") {
        if (reply.empty()) throw Error("start " + id + ": the container process exited before start");
        throw Error("start " + id + ": " + (reply.front() == '0' ? reply.substr(1) : reply));
    }

    const oci::Spec spec = container::record_spec(record);
    if (spec.hooks && !spec.hooks->poststart.empty()) {
        const auto state = container::make_state(record, "running", spec);
        hooks::run_all_warn(spec.hooks->poststart, "poststart", oci::to_json(state).dump());
    }
}

oci::State container_state(const RuntimeOptions& runtime, const std::string& id) {
    const StateStore store(runtime.root);
    const ContainerDir dir = store.open(id);
    const ContainerRecord record = dir.load();
    return container::make_state(record, current_status(dir, record), container::record_spec(record));
}

void kill_container(const RuntimeOptions& runtime, const std::string& id, int signal, bool all) {
    const StateStore store(runtime.root);
    const ContainerDir dir = store.open(id);
    const ContainerRecord record = dir.load();
    const auto cgroup = container::cgroup_manager(record);
    // A frozen cgroup v1 task cannot die: after SIGKILL a paused container is thawed (as runc does),
    // or containerd's `task delete --force` of a paused task waits forever for the exit.
    const auto thaw_if_killed = [&] {
        if (signal == SIGKILL && cgroup->frozen()) cgroup->set_frozen(false);
    };
    if (all) {
        if (cgroup->has_cgroup()) {
            cgroup->signal_all(signal);
        } else {
            for (const pid_t pid : container::container_processes(record)) {
                if (::kill(pid, signal) != 0 && errno != ESRCH) throw_errno("kill " + std::to_string(pid));
            }
        }
        thaw_if_killed();
        return;
    }
    UniqueFd pidfd = container::open_container_process(record);
    // "container not running" is runc's wording; containerd's shim matches it to treat the kill
    // of an exited container as "process already finished".
    if (!pidfd) throw Error("cannot kill \"" + id + "\": container not running");
    if (sys::pidfd_send_signal(pidfd.get(), signal) != 0) throw_errno("kill " + id);
    thaw_if_killed();
}

void delete_container(const RuntimeOptions& runtime, const std::string& id, bool force) {
    const StateStore store(runtime.root);
    std::optional<ContainerDir> opened;
    try {
        opened.emplace(store.open(id));
    } catch (const Error& e) {
        if (e.code() != ENOENT) throw;
        // Like runc: the leftover of a create that was killed before it saved its state is
        // removed, and `delete --force` of a container that does not exist succeeds (containerd's
        // shim and podman call it after a plain delete or a failed create). Debug level: podman
        // parses the log of a failure as one JSON object.
        if (store.remove_abandoned(id)) log::debug("delete: removed the state dir of an unfinished create of \"" + id + "\"");
        if (force) return;
        throw;
    }
    ContainerDir& dir = *opened;
    ContainerRecord record;
    try {
        record = dir.load();
    } catch (const Error& e) {
        if (!force) throw;
        log::warn(std::string("delete --force: removing container with unreadable state: ") + e.what());
        dir.remove();
        return;
    }
    const std::string status = current_status(dir, record);
    // An interrupted create (status creating) is removed with or without --force: nothing will
    // ever finish it; its process, if it still runs, is killed with the cgroup.
    if ((status == "running" || status == "paused") && !force) {
        throw Error("cannot delete container \"" + id + "\": it is " + status + " (stop it first or use --force)");
    }
    if (status == "paused") {
        // A frozen process cannot die until it is thawed (cgroup v1 freezer).
        const auto cgroup = container::cgroup_manager(record);
        cgroup->signal_all(SIGKILL);
        cgroup->set_frozen(false);
    }
    container::destroy(dir, record, container::record_spec(record));
}

namespace {

constexpr std::array<std::pair<const char*, int>, 31> signal_names{{
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},       {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},       {"KILL", SIGKILL},
    {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},   {"IO", SIGIO},
    {"SYS", SIGSYS},
}};

// Signals a foreground `run` passes on to the container instead of acting on them.
constexpr std::array<int, 12> forwarded_signals{SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                                SIGALRM, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU};

int exit_code_from_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace

int parse_signal(const std::string& text) {
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
        char* end = nullptr;
        const long value = std::strtol(text.c_str(), &end, 10);
        if (*end != '\0' || value <= 0 || value >= NSIG) throw Error("invalid signal \"" + text + "\"");
        return static_cast<int>(value);
    }
    std::string name = text;
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    for (const auto& [candidate, number] : signal_names) {
        if (name == candidate) return number;
    }
    if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
        const bool from_min = name.rfind("RTMIN", 0) == 0;
        const std::string rest = name.substr(5);
        int offset = 0;
        if (!rest.empty()) {
            if ((rest[0] != '+' && rest[0] != '-') || rest.size() < 2) throw Error("invalid signal \"" + text + "\"");
            offset = std::stoi(rest);
        }
        const int number = (from_min ? SIGRTMIN : SIGRTMAX) + offset;
        if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
    }
    throw Error("invalid signal \"" + text + "\"");
}

}  // namespace hull

namespace hull::container {

ForegroundSignals::ForegroundSignals() {
    // The container process must be our child even when it was forked into a joined pid namespace.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigset_t handled;
    sigemptyset(&handled);
    for (const int sig : forwarded_signals) sigaddset(&handled, sig);
    sigaddset(&handled, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &handled, &previous_);
    signal_fd_.reset(::signalfd(-1, &handled, SFD_CLOEXEC));
    if (!signal_fd_) throw_errno("signalfd");
}

ForegroundSignals::~ForegroundSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

int ForegroundSignals::wait_for(pid_t pid, terminal::Relay* relay) {
    for (;;) {
        // The process may have exited before we started to listen for SIGCHLD.
        int status = 0;
        pid_t reaped;
        while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped == pid) {
                if (relay != nullptr) relay->drain();
                return exit_code_from_status(status);
            }
        }
        pollfd fds[1 + terminal::Relay::poll_count];
        fds[0] = {signal_fd_.get(), POLLIN, 0};
        nfds_t count = 1;
        if (relay != nullptr) {
            relay->prepare(fds + 1);
            count += terminal::Relay::poll_count;
        }
        if (::poll(fds, count, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll signalfd");
        }
        if (relay != nullptr) relay->handle(fds + 1);
        if ((fds[0].revents & POLLIN) == 0) continue;
        signalfd_siginfo info{};
        const ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read signalfd");
        }
        const int signo = static_cast<int>(info.ssi_signo);
        if (signo == SIGCHLD) continue;
        if (signo == SIGWINCH && relay != nullptr) {
            relay->resize();
        } else {
            ::kill(pid, signo);
        }
    }
}

}  // namespace hull::container

namespace hull {

int run_container(const RuntimeOptions& runtime, const std::string& id, const RunOptions& options) {
    if (options.detach) {
        container::create(runtime, id, options.create);
        try {
            start_container(runtime, id);
        } catch (...) {
            delete_container(runtime, id, true);
            throw;
        }
        return 0;
    }
    container::ForegroundSignals signals;
    // A terminal without --console-socket: the master comes to us and we relay it.
    UniqueFd master;
    const pid_t pid = container::create(runtime, id, options.create, &master);
    int code = 0;
    try {
        std::optional<terminal::Relay> relay;
        if (master) relay.emplace(std::move(master));
        start_container(runtime, id);
        code = signals.wait_for(pid, relay ? &*relay : nullptr);
    } catch (...) {
        delete_container(runtime, id, true);
        throw;
    }
    if (!options.keep) delete_container(runtime, id, true);
    return code;
}

std::vector<ContainerSummary> list_containers(const RuntimeOptions& runtime) {
    std::vector<ContainerSummary> result;
    const StateStore store(runtime.root);
    for (const auto& id : store.list()) {
        try {
            const ContainerDir dir = store.open(id);
            const ContainerRecord record = dir.load();
            ContainerSummary summary;
            summary.state = container::make_state(record, current_status(dir, record), container::record_spec(record));
            summary.rootfs = record.rootfs;
            summary.created = record.created;
            summary.owner = record.owner;
            result.push_back(std::move(summary));
        } catch (const Error& e) {
            log::debug("list: skipping " + id + ": " + e.what());
        }
    }
    return result;
}

}  // namespace hull
