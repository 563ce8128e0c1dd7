// --systemd-cgroup: the container's cgroup is a transient systemd scope, created over D-Bus
// (org.freedesktop.systemd1.Manager.StartTransientUnit), as runc and crun do.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "cgroups/dbus.hpp"
#include "oci/config.hpp"

namespace hull::cgroups::systemd {

struct ScopePath {
    std::string slice;   // "machine.slice" ("system.slice" when the config leaves it empty)
    std::string prefix;  // "hull"
    std::string name;    // the container id by default

    // "prefix-name.scope"
    std::string unit() const;
    // Where systemd puts it: "/machine.slice/hull-c1.scope", "/a.slice/a-b.slice/hull-c1.scope".
    std::string cgroup_path() const;
};

// linux.cgroupsPath in the systemd form "slice:prefix:name" (runc's): exactly three fields, a slice
// name ending in ".slice" or empty, a non-empty prefix and name made of unit-name characters.
// An absent or empty cgroupsPath means ":hull:<id>". Throws hull::Error naming the field.
ScopePath parse_path(const std::optional<std::string>& cgroups_path, const std::string& container_id);

// "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice" ("-.slice" is the root). Throws on a bad name.
std::string expand_slice(const std::string& slice);

// Throws a clear error naming --systemd-cgroup unless systemd is the running init
// (/run/systemd/system exists) — no silent fallback to the cgroupfs driver.
void require_running(const std::string& marker = "/run/systemd/system");

// The StartTransientUnit call for `scope` holding `pid` (PIDs, Delegate=yes, the slice, and the
// resource properties). On cgroup v2 every limit systemd has a property for is one (MemoryMax,
// MemoryHigh, MemoryLow, MemoryMin, MemorySwapMax, TasksMax, CPUWeight, CPUQuotaPerSecUSec with
// CPUQuotaPeriodUSec, AllowedCPUs, AllowedMemoryNodes, IOWeight, IODeviceWeight, IO*Max), taken
// from the files the cgroupfs driver would write: systemd rewrites a unit's cgroup files from its
// properties (daemon-reload, set-property). On v1: MemoryLimit, TasksMax, CPUShares, CPUQuota.
// Exposed for unit tests.
dbus::Call start_transient_unit(const ScopePath& scope, pid_t pid, const oci::LinuxResources* resources, bool unified);
// SetUnitProperties(unit, runtime, the same resource properties), for `update`; nullopt when
// systemd has no property for any of the resources.
std::optional<dbus::Call> set_unit_properties(const std::string& unit, const oci::LinuxResources& resources, bool unified);
void update_unit(const std::string& unit, const oci::LinuxResources& resources, bool unified);

// Starts the scope and waits until systemd reports the job done (JobRemoved with "done").
// Throws hull::Error with systemd's answer otherwise.
void start_scope(const ScopePath& scope, pid_t pid, const oci::LinuxResources* resources, bool unified);
// Stops the unit (best effort use on failed creates; errors are thrown).
void stop_unit(const std::string& unit);

}  // namespace hull::cgroups::systemd
