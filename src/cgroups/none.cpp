// Containers without a cgroup: what an unprivileged user gets where it may not create one
// (cgroup v1 and hybrid hosts, cgroup v2 without a delegated subtree), as with runc and crun.
#include <unistd.h>

#include "cgroups/cgroup.hpp"
#include "cgroups/resources.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

// The deepest existing directory on the way to `dir`.
std::string nearest_existing(std::string dir) {
    while (::access(dir.c_str(), F_OK) != 0 && dir.find('/') != std::string::npos) dir = dir.substr(0, dir.rfind('/'));
    return dir;
}

}  // namespace

std::string why_no_cgroup(const Layout& layout, const std::string& path) {
    if (!sys::unprivileged()) return "";
    if (layout.mode != Mode::Unified) {
        return std::string("rootless on a cgroup ") + (layout.mode == Mode::Hybrid ? "hybrid" : "v1") +
               " host, where cgroups are not delegated to users";
    }
    // A delegated subtree (a systemd user slice, or one chowned to us): the cgroup is made there,
    // and clone3 can place the container in it when we may write its nearest existing ancestor.
    const std::string parent = nearest_existing(layout.unified_mount + path);
    if (::access(parent.c_str(), W_OK) == 0 && ::access((parent + "/cgroup.procs").c_str(), W_OK) == 0) return "";
    return "rootless, and " + parent + " is not a cgroup v2 subtree delegated to this user";
}

void check_without_cgroup(const oci::LinuxResources& resources, const std::string& why) {
    const oci::Json json = oci::to_json(resources);
    for (const auto& [key, value] : json.items()) {
        if (value.empty()) continue;
        if (key == "devices") {
            log::warn("linux.resources.devices: not applied: the container has no cgroup (" + why +
                      "); it reaches only the device nodes bind-mounted into it, with this user's permissions");
            continue;
        }
        throw Error("linux.resources." + key + ": needs the container's cgroup, and there is none (" + why +
                    "): remove the limit, or run on cgroup v2 with a delegated subtree");
    }
}

}  // namespace hull::cgroups
