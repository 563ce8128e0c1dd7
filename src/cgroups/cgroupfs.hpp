// The cgroupfs drivers: the container's cgroup directories are hull's, made and written as files,
// by one driver per layout: v2.cpp (a pure cgroup2 host) and v1.cpp (v1 hierarchies, with the
// cgroup2 tree of a hybrid host beside them). The systemd driver uses one of them for the files
// systemd has no property for.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cgroups/cgroup.hpp"
#include "cgroups/manager.hpp"
#include "cgroups/resources.hpp"

namespace hull::cgroups {

// What the two layouts share: the directories (Cgroup), the order of create's steps, the limits
// that wait for placement, delete. The layout's own part is the pure virtuals below and
// Manager's frozen, set_frozen, signal_all, stats and oom_kills.
class CgroupfsManager : public Manager {
public:
    CgroupfsManager(Layout layout, std::string path, std::string created_top)
        : Manager(std::move(layout)), path_(std::move(path)), created_top_(std::move(created_top)) {}

    Driver driver() const noexcept override { return Driver::Cgroupfs; }
    const std::string& path() const noexcept override { return path_; }

    void prepare(const oci::LinuxResources& resources) override { make(resources, false); }
    int clone_target() const noexcept override { return cgroup_ ? cgroup_->unified_fd() : -1; }
    void place(pid_t pid) override { cgroup().add_process(pid, false); }
    void placement_done() override;
    std::string created_top() const override { return cgroup_ ? cgroup_->created_top() : created_top_; }
    void release() noexcept override {
        if (cgroup_) cgroup_->release();
    }

    std::vector<pid_t> pids() const override { return cgroup().pids(); }
    void update(const oci::LinuxResources& resources) override { write(resources, Apply::Update); }
    void destroy() override { cgroup().destroy(created_top_); }
    std::unique_ptr<Manager> for_exec(const std::string& sub) const override;

    // Makes the cgroup and writes the limits that can be written before the container's process
    // is in it. `in_scope`: systemd made the cgroup and already put the process there.
    void make(const oci::LinuxResources& resources, bool in_scope);
    // A pure cgroup v2 host: each parent of a new cgroup delegates every controller it has
    // (Cgroup::Options), and systemd gets the v2 property names.
    virtual bool pure_v2() const noexcept = 0;

protected:
    // Whether the kernel holds the cgroup's processes frozen, by its own freezer or an ancestor's.
    virtual bool frozen_in_effect() const = 0;
    // linux.resources as this layout's files.
    virtual void write(const oci::LinuxResources& resources, Apply when) const = 0;
    // The same driver for another path of an existing cgroup.
    virtual std::unique_ptr<CgroupfsManager> attached(std::string path) const = 0;

    // The cgroup of an existing container is opened on first use: `state` of a container that
    // is not paused-checked never opens it.
    Cgroup& cgroup() const;

private:
    std::string path_;
    std::string created_top_;
    mutable std::optional<Cgroup> cgroup_;
    std::optional<oci::LinuxResources> deferred_;  // pids.limit 0, written by placement_done
};

// The driver for the host's layout (the one place the layout's mode picks code), and the two.
std::unique_ptr<CgroupfsManager> cgroupfs_manager(Layout layout, std::string path, std::string created_top = "");
std::unique_ptr<CgroupfsManager> v2_manager(Layout layout, std::string path, std::string created_top);
std::unique_ptr<CgroupfsManager> v1_manager(Layout layout, std::string path, std::string created_top);

// The cgroup2 freezer of the directory `dir` (pure v2 hosts, and a hybrid host without a v1
// freezer): cgroup.freeze says whether it is asked to freeze, cgroup.events whether the kernel
// holds it frozen (by its own freezer or an ancestor's).
// Freezing waits at most this long for the kernel to settle.
constexpr auto freeze_timeout = std::chrono::seconds(10);
bool frozen_v2(const std::string& dir);
bool frozen_in_effect_v2(const std::string& dir);
void set_frozen_v2(const std::string& dir, bool frozen);

// runc's `events --stats` shape from a cgroup2 directory; and from v1 hierarchies (plus hugetlb
// from the cgroup2 tree of a hybrid host without a v1 hugetlb hierarchy).
oci::Json stats_v2(const std::string& dir);
oci::Json stats_v1(const Cgroup& cgroup);

}  // namespace hull::cgroups
