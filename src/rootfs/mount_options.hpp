// runtime-spec mount options → mount(2) flags, mount_setattr attributes, propagation and data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hull::rootfs {

struct MountOptions {
    unsigned long flags = 0;        // MS_* for mount(2) (ro, nosuid, atime...)
    uint64_t attr_set = 0;          // MOUNT_ATTR_* for binds, on the top mount
    uint64_t attr_clear = 0;
    uint64_t recursive_set = 0;     // MOUNT_ATTR_* from the r* options, AT_RECURSIVE
    uint64_t recursive_clear = 0;
    unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC]
    bool bind = false;
    bool recursive_bind = false;
    bool idmap = false;
    bool copy_up = false;           // tmpcopyup: a tmpfs starts with the rootfs's files at its destination
    std::string data;               // filesystem-specific options, comma separated
};

// Unknown options are passed to the filesystem in `data`, as runc does.
MountOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace hull::rootfs
