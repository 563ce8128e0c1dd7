// A container's cgroup behind one interface, whichever driver manages it: cgroupfs (files, by the
// host's layout: v2.cpp on a pure cgroup2 host, v1.cpp on a v1 or hybrid one), systemd (a
// transient scope over D-Bus, then the cgroupfs driver's files), or none (rootless where no cgroup
// can be made). The driver is picked once, at create, by one factory (manager.cpp), recorded in
// the state, and every later verb opens the same one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgroups/layout.hpp"
#include "oci/config.hpp"

namespace hull::cgroups {

enum class Driver { None, Cgroupfs, Systemd };

// "none", "cgroupfs", "systemd": the names in the state record.
std::string_view driver_name(Driver driver);
// Throws hull::Error for an unknown name.
Driver driver_from_name(std::string_view name);

class Manager {
public:
    explicit Manager(Layout layout) : layout_(std::move(layout)) {}
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;
    // A manager from create() that was not released takes back what it made.
    virtual ~Manager() = default;

    virtual Driver driver() const noexcept = 0;
    // The cgroup path ("/hull/c1", "/system.slice/hull-c1.scope"); "" without a cgroup.
    virtual const std::string& path() const noexcept = 0;
    bool has_cgroup() const noexcept { return driver() != Driver::None; }
    // The host's cgroup mounts (the container's cgroup mount is made from them).
    const Layout& layout() const noexcept { return layout_; }

    // create, in this order. prepare: before the container's process exists, makes the cgroup and
    // writes the limits that can be written before any process is in it.
    virtual void prepare(const oci::LinuxResources& resources) = 0;
    // The fd for clone3(CLONE_INTO_CGROUP); -1 when the process is placed afterwards.
    virtual int clone_target() const noexcept = 0;
    // Puts `pid` in the cgroup (every v1 hierarchy; the systemd scope on the first call). Called
    // again for an init forked by an intermediate process.
    virtual void place(pid_t pid) = 0;
    // The container's processes are in: the limits that had to wait for them (pids.limit 0).
    virtual void placement_done() = 0;
    // The shallowest directory this manager created ("" none): delete removes up to it.
    virtual std::string created_top() const = 0;
    // The create succeeded: the container owns the cgroup now.
    virtual void release() noexcept = 0;

    // An existing container.
    virtual std::vector<pid_t> pids() const = 0;
    virtual bool frozen() const = 0;
    // Waits until the kernel reports every process frozen or thawed.
    virtual void set_frozen(bool frozen) = 0;
    virtual void signal_all(int signal) = 0;
    virtual void update(const oci::LinuxResources& resources) = 0;
    // runc's `events --stats` shape.
    virtual oci::Json stats() const = 0;
    virtual uint64_t oom_kills() const = 0;
    // Kills what is left and removes the cgroup (and the parents hull made, up to created_top).
    virtual void destroy() = 0;
    // The cgroup an exec'd process joins: the container's, or its child `sub` (exec --cgroup),
    // which must exist. The process is cloned into its clone_target() and place()d.
    virtual std::unique_ptr<Manager> for_exec(const std::string& sub) const = 0;

private:
    Layout layout_;
};

struct ManagerRequest {
    std::string container_id;
    std::optional<std::string> cgroups_path;  // linux.cgroupsPath
    bool systemd = false;                     // --systemd-cgroup
};

// create: picks the driver (--systemd-cgroup: systemd, checked to be running and the path
// parsed; otherwise cgroupfs, or none where an unprivileged user may not make a cgroup, whose
// resources are then refused by field). Creates nothing yet: see prepare().
std::unique_ptr<Manager> for_new_container(const ManagerRequest& request, const oci::LinuxResources& resources);

// The manager of an existing container, from its record, on the host layout (detect()).
std::unique_ptr<Manager> for_container(Driver driver, const std::string& path, const std::string& created_top,
                                       Layout layout);

}  // namespace hull::cgroups
