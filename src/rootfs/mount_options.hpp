// runtime-spec mount options → mount(2) flags, mount_setattr attributes, propagation and data.
// The tables in mount_options.cpp are the one list: parsing, validation and `features` use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::rootfs {

struct MountOptions {
    unsigned long flags = 0;        // MS_* for mount(2) (ro, nosuid, atime...)
    uint64_t attr_set = 0;          // MOUNT_ATTR_* for binds, on the top mount
    uint64_t attr_clear = 0;
    std::optional<uint64_t> atime;  // MOUNT_ATTR_RELATIME/_NOATIME/_STRICTATIME for binds
    uint64_t recursive_set = 0;     // MOUNT_ATTR_* from the r* options, AT_RECURSIVE
    uint64_t recursive_clear = 0;
    std::optional<uint64_t> recursive_atime;
    unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC]
    bool bind = false;
    bool recursive_bind = false;
    bool idmap = false;             // idmap or ridmap
    bool recursive_idmap = false;   // ridmap: the submounts of an rbind too
    bool copy_up = false;           // tmpcopyup: a tmpfs starts with the rootfs's files at its destination
    std::string data;               // filesystem-specific options, comma separated
    std::vector<std::string> filesystem_options;  // the same, one by one
    std::vector<std::string> superblock_options;  // flags of the filesystem, not of the mount (sync, lazytime...)
};

// Options hull does not know are the filesystem's, passed in `data` (the kernel refuses what
// the filesystem does not take).
MountOptions parse_mount_options(const std::vector<std::string>& options);

// Refuses at create what no mount could apply: filesystem options on a bind or cgroup mount,
// superblock flags on a bind. Errors name mounts[index].options.
void check_mount_options(const oci::Mount& mount, size_t index);

}  // namespace hull::rootfs
