// An existing container, opened once per verb: its state directory (locked), its record, and,
// each computed at most once and only when asked, its spec, its status and its cgroup manager.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroups/manager.hpp"
#include "hull/container.hpp"
#include "hull/fd.hpp"
#include "hull/state_store.hpp"
#include "oci/config.hpp"
#include "oci/state.hpp"

namespace hull::container {

// runtime.md's statuses, plus creating: a create that died half way (its lock is free).
enum class Status { Creating, Created, Running, Paused, Stopped };
std::string_view status_name(Status status);

class Container {
public:
    // Throws as StateStore::open does (ENOENT: no such container) and when the record is unreadable.
    static Container open(const RuntimeOptions& runtime, const std::string& id);
    static Container open(const StateStore& store, const std::string& id);
    Container(ContainerDir dir, ContainerRecord record);

    const std::string& id() const noexcept { return record_.id; }
    ContainerDir& dir() noexcept { return dir_; }
    const ContainerDir& dir() const noexcept { return dir_; }
    const ContainerRecord& record() const noexcept { return record_; }
    ContainerRecord& record() noexcept { return record_; }
    // Writes the record back.
    void save() const { dir_.save(record_); }

    // The config as validated at create.
    const oci::Spec& spec() const;
    // From the process (its start time guards against pid reuse), the exec fifo and the freezer.
    Status status() const;
    // Throws "cannot VERB container "ID": it is STATUS" unless the status is one of `allowed`.
    void require(std::initializer_list<Status> allowed, std::string_view verb) const;
    cgroups::Manager& cgroup() const;
    // A verb that opens many containers (list) detects the host's cgroup layout once and lends
    // it to each; it must outlive the container.
    void share_layout(const cgroups::Layout& layout) noexcept { layout_ = &layout; }
    // The cgroup `verb` works through; throws naming the verb when the container has none.
    cgroups::Manager& cgroup_for(std::string_view verb) const;
    // The cgroup manager, to use after the container (and its lock) is closed.
    std::unique_ptr<cgroups::Manager> take_cgroup() {
        cgroup();
        return std::move(cgroup_);
    }

    // The runtime-spec state document (a stopped container has no pid).
    oci::State state() const { return state_as(status()); }
    oci::State state_as(Status status) const;

    // Whether the recorded pid is still the container's process (not exited, not reused).
    bool process_alive() const;
    // A pidfd pinning the container's process, or an empty fd when it is gone.
    UniqueFd open_process() const;
    // Its processes: those in its cgroup; without a cgroup (rootless), those in its pid namespace,
    // or only its init when it shares ours.
    std::vector<pid_t> processes() const;

private:
    ContainerDir dir_;
    ContainerRecord record_;
    mutable std::optional<oci::Spec> spec_;
    mutable std::optional<Status> status_;
    mutable std::unique_ptr<cgroups::Manager> cgroup_;
    const cgroups::Layout* layout_ = nullptr;
};

// Waits for the process behind `pidfd` to exit; false after `timeout_ms`.
bool wait_for_exit(int pidfd, int timeout_ms);

}  // namespace hull::container
