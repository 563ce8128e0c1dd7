// What the cgroupfs drivers (v1.cpp, v2.cpp) share, and the choice between them.
#include "cgroups/cgroupfs.hpp"

#include <utility>

#include "hull/error.hpp"

namespace hull::cgroups {

namespace {

// pids.limit 0 would stop the container's own process from being placed: it waits for
// placement_done().
std::optional<oci::LinuxResources> split_after_placement(oci::LinuxResources& resources) {
    if (!resources.pids || resources.pids->limit != 0) return std::nullopt;
    oci::LinuxResources later;
    later.pids = resources.pids;
    resources.pids.reset();
    return later;
}

}  // namespace

void CgroupfsManager::make(const oci::LinuxResources& resources, bool in_scope) {
    oci::LinuxResources now = resources;
    deferred_ = split_after_placement(now);
    cgroup_.emplace(Cgroup::create(layout(), path_, {.populated_ok = in_scope, .delegate = pure_v2()}));
    // A process cloned into a frozen cgroup (its own freezer or an ancestor's) would sit there,
    // and create would wait for it forever.
    if (!in_scope && frozen_in_effect()) throw Error("cannot create container in a frozen cgroup: " + path_ + " (thaw it first)");
    write(now, Apply::Create);
}

void CgroupfsManager::placement_done() {
    if (deferred_) write(*deferred_, Apply::Update);
    deferred_.reset();
}

std::unique_ptr<Manager> CgroupfsManager::for_exec(const std::string& sub) const {
    if (sub.find("..") != std::string::npos || (!sub.empty() && sub.front() == '/')) {
        throw Error("sub-cgroup \"" + sub + "\": must be a path below the container's cgroup");
    }
    auto joined = attached(sub.empty() ? path_ : path_ + "/" + sub);
    joined->cgroup_.emplace(Cgroup::attach(joined->layout(), joined->path_));
    return joined;
}

Cgroup& CgroupfsManager::cgroup() const {
    if (!cgroup_) cgroup_.emplace(Cgroup::attach(layout(), path_));
    return *cgroup_;
}

std::unique_ptr<CgroupfsManager> cgroupfs_manager(Layout layout, std::string path, std::string created_top) {
    if (layout.mode == Mode::Unified) return v2_manager(std::move(layout), std::move(path), std::move(created_top));
    return v1_manager(std::move(layout), std::move(path), std::move(created_top));
}

}  // namespace hull::cgroups
