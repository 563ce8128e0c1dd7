// linux.intelRdt: the container's processes in a resctrl group (Intel RDT / AMD PQoS), its
// schemata written, and an optional monitoring group. runtime-spec: a config with intelRdt on a
// host without a mounted resctrl filesystem MUST fail.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace hull::resctrl {

// What create does, computed before anything is made.
struct Plan {
    std::string group_dir;            // <mount>/<closID or container id>
    bool group_is_containers = false; // named after the container: delete removes it
    std::vector<std::string> schemata;  // lines for <group>/schemata, in order
    std::optional<std::string> monitor_dir;  // <group>/mon_groups/<container id>
};

// The mounted resctrl filesystem ("" when there is none), from mountinfo and checked by its
// filesystem magic.
std::string find_mount();

// Throws naming linux.intelRdt when the config cannot be applied (no resctrl mounted, a closID
// that is not a plain name, nothing to do).
Plan plan(const oci::LinuxIntelRdt& rdt, const std::string& container_id, const std::string& mount);

// In the runtime once the container's first process exists: makes the group (and monitoring
// group), writes the schemata, then the pid to the tasks files. An existing closID group keeps
// its schemata when they already say the same (runtime-spec: else it is an error).
void apply(const Plan& plan, pid_t pid);
// Adds a process (exec) to the groups.
void add_process(const Plan& plan, pid_t pid);
// delete: removes the monitoring group, and the group when it is the container's own.
void remove(const Plan& plan) noexcept;

}  // namespace hull::resctrl
