#include "container/container.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "container/lifecycle_internal.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::container {

namespace {

constexpr std::array<std::pair<Status, std::string_view>, 5> status_names{{
    {Status::Creating, "creating"},
    {Status::Created, "created"},
    {Status::Running, "running"},
    {Status::Paused, "paused"},
    {Status::Stopped, "stopped"},
}};

bool same_pid_namespace(const std::string& pid, const struct stat& other) {
    struct stat st {};
    return ::stat(("/proc/" + pid + "/ns/pid").c_str(), &st) == 0 && st.st_ino == other.st_ino && st.st_dev == other.st_dev;
}

}  // namespace

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

std::string_view status_name(Status status) {
    for (const auto& [known, name] : status_names) {
        if (known == status) return name;
    }
    return "unknown";
}

Container Container::open(const RuntimeOptions& runtime, const std::string& id) {
    return open(StateStore(runtime.root), id);
}

Container Container::open(const StateStore& store, const std::string& id) {
    ContainerDir dir = store.open(id);
    ContainerRecord record = dir.load();
    return {std::move(dir), std::move(record)};
}

Container::Container(ContainerDir dir, ContainerRecord record) : dir_(std::move(dir)), record_(std::move(record)) {}

const oci::Spec& Container::spec() const {
    if (!spec_) spec_ = oci::parse_config(dir_.load_config(), dir_.path() + "/config.json");
    return *spec_;
}

Status Container::status() const {
    if (!status_) {
        // We hold the lock create keeps until it is done: this create died half way.
        if (record_.creating) {
            status_ = Status::Creating;
        } else if (!process_alive()) {
            status_ = Status::Stopped;
        } else if (!record_.cgroup_path.empty() && cgroup().frozen()) {
            // Before "created", as runc: a created container can be paused too.
            status_ = Status::Paused;
        } else if (dir_.has_exec_fifo()) {
            status_ = Status::Created;
        } else {
            status_ = Status::Running;
        }
    }
    return *status_;
}

void Container::require(std::initializer_list<Status> allowed, std::string_view verb) const {
    const Status now = status();
    if (std::find(allowed.begin(), allowed.end(), now) != allowed.end()) return;
    throw Error("cannot " + std::string(verb) + " container \"" + id() + "\": it is " + std::string(status_name(now)));
}

cgroups::Manager& Container::cgroup() const {
    if (!cgroup_) {
        cgroup_ = cgroups::for_container(cgroups::driver_from_name(record_.cgroup_driver), record_.cgroup_path,
                                         record_.cgroup_created_top, layout_ ? *layout_ : cgroups::detect());
    }
    return *cgroup_;
}

cgroups::Manager& Container::cgroup_for(std::string_view verb) const {
    if (!cgroup().has_cgroup()) {
        const std::string name(verb);
        throw Error(name + " \"" + id() + "\": the container has no cgroup (created rootless where no cgroup v2 "
                    "subtree is delegated to the user), and " + name + " works through its cgroup");
    }
    return cgroup();
}

oci::State Container::state_as(Status status) const {
    return container_state(record_.id, record_.bundle, record_.annotations, record_.pid, std::string(status_name(status)));
}

bool Container::process_alive() const {
    if (record_.pid <= 0) return false;
    const uint64_t start_time = sys::process_start_time(record_.pid);
    if (start_time == 0 || start_time != record_.pid_start_time) return false;
    const char state = sys::process_state(record_.pid);
    return state != 'Z' && state != 'X' && state != 0;
}

UniqueFd Container::open_process() const {
    if (record_.pid <= 0) return {};
    UniqueFd pidfd(sys::pidfd_open(record_.pid));
    if (!pidfd) return {};
    // The pidfd pins the process: check it is still ours after opening it.
    if (!process_alive()) return {};
    return pidfd;
}

std::vector<pid_t> Container::processes() const {
    if (cgroup().has_cgroup()) return cgroup().pids();
    if (!process_alive()) return {};
    struct stat init_ns {};
    if (::stat(("/proc/" + std::to_string(record_.pid) + "/ns/pid").c_str(), &init_ns) != 0) return {};
    if (same_pid_namespace("self", init_ns)) return {record_.pid};
    std::vector<pid_t> pids;
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) throw_errno("open /proc");
    while (const dirent* entry = ::readdir(proc.get())) {
        if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
        if (same_pid_namespace(entry->d_name, init_ns)) pids.push_back(static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10)));
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

bool wait_for_exit(int pidfd, int timeout_ms) {
    pollfd fd{pidfd, POLLIN, 0};
    for (;;) {
        const int ready = ::poll(&fd, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        return ready > 0;
    }
}

}  // namespace hull::container
