// The host's cgroup layout (pure v2 / hybrid / v1), the container's cgroup path, and whether it
// may have a cgroup at all.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/config.hpp"

namespace hull::cgroups {

enum class Mode { Unified, Hybrid, Legacy };

struct Hierarchy {
    std::string mount_point;               // "/sys/fs/cgroup/memory"
    std::vector<std::string> controllers;  // {"memory"}, {"cpu","cpuacct"}, {"name=systemd"}
};

struct Layout {
    Mode mode = Mode::Legacy;
    std::string unified_mount;     // cgroup2 mount point, "" when there is none
    std::vector<Hierarchy> v1;     // every mounted v1 hierarchy (controllers and named ones)

    // The v1 hierarchy that has `controller`, or nullptr.
    const Hierarchy* v1_hierarchy(const std::string& controller) const;
};

// Reads /proc/self/mountinfo (first mount of each hierarchy wins).
Layout detect();
// The same from the text of a mountinfo file (unit-testable).
// `is_cgroup(path, version)` confirms a mount point really is a cgroup filesystem of that
// version (detect() asks statfs): a mountinfo line can be covered by a later mount.
Layout detect_from_mountinfo(std::string_view mountinfo,
                             const std::function<bool(const std::string&, int)>& is_cgroup = nullptr);

// The cgroup path a container gets when linux.cgroupsPath is absent or relative.
// Validates: no "..", no empty components beyond the leading "/", bounded length.
std::string resolve_path(const std::optional<std::string>& cgroups_path, const std::string& container_id);

// Why the container cannot have a cgroup at `path`, or "" when it can: root always can; an
// unprivileged user only under a writable (delegated) cgroup v2 subtree. Without one, the
// container runs without a cgroup (its record's cgroup path is empty), as with runc and crun.
std::string why_no_cgroup(const Layout& layout, const std::string& path);

}  // namespace hull::cgroups
