// The config's mounts as plain data, decided before anything is mounted: what kind of mount each
// is, its parsed options (with the mount label where the filesystem takes one) and the errors a
// config can have found without root. rootfs::prepare then applies the steps in order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rootfs/mount_options.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::rootfs {

struct MountStep {
    enum class Kind {
        Bind,         // a bind of a host path (or the tree the runtime cloned for it)
        Filesystem,   // a new filesystem of `type`
        TmpfsCopyUp,  // tmpcopyup: a tmpfs with a copy of the directory it covers
        Cgroup,       // the container's cgroup, per the host's layout and the cgroup namespace
    };
    Kind kind = Kind::Filesystem;
    size_t index = 0;      // in the config's mounts
    std::string what;      // how errors name it: "mounts[3] (/proc)"
    std::string type;      // the filesystem type (Filesystem, TmpfsCopyUp)
    MountOptions options;
    int host_tree = -1;    // Bind: the tree the runtime cloned in the host's namespace, -1 none
    // sysfs needs a network namespace owned by the container's user namespace; in a user namespace
    // without one the mount fails (EPERM) and the host's /sys is bound read-only instead.
    bool bind_host_sysfs_on_eperm = false;
};

// Throws naming the mount (mounts[i]) for a mount without a type, or an idmapped bind the runtime
// made no tree for.
std::vector<MountStep> plan_mounts(const Context& ctx);

}  // namespace hull::rootfs
