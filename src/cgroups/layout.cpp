// Which cgroup hierarchies the host has, from /proc/self/mountinfo.
#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "cgroups/layout.hpp"
#include "common/mountinfo.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, separator)) parts.push_back(part);
    return parts;
}

bool is_mount_option(const std::string& option) {
    static const std::set<std::string> ignored = {"rw", "ro", "xattr", "clone_children", "noprefix", "cpuset_v2_mode",
                                                  "nosuid", "nodev", "noexec", "relatime"};
    return ignored.count(option) != 0 || option.rfind("release_agent=", 0) == 0;
}

}  // namespace

Layout detect_from_mountinfo(std::string_view mountinfo, const std::function<bool(const std::string&, int)>& is_cgroup) {
    Layout layout;
    std::set<std::string> seen_controllers;
    std::stringstream lines{std::string(mountinfo)};
    std::string line;
    while (std::getline(lines, line)) {
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const auto before = split(line.substr(0, dash), ' ');
        const auto after = split(line.substr(dash + 3), ' ');
        if (before.size() < 5 || after.size() < 3) continue;
        const std::string& fstype = after[0];
        const std::string mount_point = sys::unescape_mountinfo(before[4]);
        if (fstype == "cgroup2") {
            if (layout.unified_mount.empty() && (!is_cgroup || is_cgroup(mount_point, 2))) layout.unified_mount = mount_point;
            continue;
        }
        if (fstype != "cgroup" || (is_cgroup && !is_cgroup(mount_point, 1))) continue;
        Hierarchy hierarchy;
        hierarchy.mount_point = mount_point;
        for (const auto& option : split(after[2], ',')) {
            if (!is_mount_option(option)) hierarchy.controllers.push_back(option);
        }
        if (hierarchy.controllers.empty()) continue;
        std::string key;
        for (const auto& c : hierarchy.controllers) key += c + ",";
        if (!seen_controllers.insert(key).second) continue;  // a bind mount of a hierarchy already seen
        layout.v1.push_back(std::move(hierarchy));
    }
    if (!layout.unified_mount.empty() && (layout.v1.empty() || layout.unified_mount == "/sys/fs/cgroup")) {
        layout.mode = Mode::Unified;
        if (layout.unified_mount == "/sys/fs/cgroup") layout.v1.clear();
    } else if (!layout.unified_mount.empty()) {
        layout.mode = Mode::Hybrid;
    } else {
        layout.mode = Mode::Legacy;
    }
    return layout;
}

const Hierarchy* Layout::v1_hierarchy(const std::string& controller) const {
    for (const auto& h : v1) {
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
    }
    return nullptr;
}

Layout detect() {
    // By the filesystem magic of what is mounted there now, never by a path existing: an empty
    // directory or a tmpfs at /sys/fs/cgroup/unified is not a cgroup2 tree.
    const auto is_cgroup = [](const std::string& path, int version) {
        struct statfs fs {};
        if (::statfs(path.c_str(), &fs) != 0) return false;
        return fs.f_type == (version == 2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC);
    };
    return detect_from_mountinfo(sys::read_file("/proc/self/mountinfo"), is_cgroup);
}

std::string resolve_path(const std::optional<std::string>& cgroups_path, const std::string& container_id) {
    if (!cgroups_path || cgroups_path->empty()) return "/hull/" + container_id;
    const std::string& path = *cgroups_path;
    const std::string field = "linux.cgroupsPath \"" + path + "\"";
    if (path.find(':') != std::string::npos) {
        throw Error(field + ": the systemd form slice:prefix:name needs --systemd-cgroup");
    }
    if (path.size() > 4096) throw Error(field + ": longer than 4096 characters");
    if (path.find('\0') != std::string::npos) throw Error(field + ": contains a NUL byte");
    std::string normalised;
    for (const auto& part : split(path, '/')) {
        if (part.empty()) continue;
        if (part == "." || part == "..") throw Error(field + ": must not contain \".\" or \"..\" components");
        normalised += "/" + part;
    }
    if (normalised.empty()) throw Error(field + ": must name a cgroup below the root");
    return normalised;
}

}  // namespace hull::cgroups
