#include "mount_options.hpp"

#include <linux/mount.h>
#include <sys/mount.h>

#include <array>

namespace hull::rootfs {

namespace {

struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr std::array<FlagOption, 26> flag_options{{
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},     {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},       {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME}, {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},         {"remount", false, MS_REMOUNT},
}};

struct AttrOption {
    const char* name;
    bool clear;
    uint64_t attr;
};

constexpr std::array<AttrOption, 16> recursive_options{{
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME}, {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},   {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
}};

struct PropagationOption {
    const char* name;
    unsigned long flags;
};

constexpr std::array<PropagationOption, 8> propagation_options{{
    {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC},     {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC}, {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// The bind-mount attribute for a mount(2) flag, so one option list serves both paths.
uint64_t attr_for_flag(unsigned long flag) {
    switch (flag) {
        case MS_RDONLY: return MOUNT_ATTR_RDONLY;
        case MS_NOSUID: return MOUNT_ATTR_NOSUID;
        case MS_NODEV: return MOUNT_ATTR_NODEV;
        case MS_NOEXEC: return MOUNT_ATTR_NOEXEC;
        case MS_NOATIME: return MOUNT_ATTR_NOATIME;
        case MS_NODIRATIME: return MOUNT_ATTR_NODIRATIME;
        case MS_RELATIME: return MOUNT_ATTR_RELATIME;
        case MS_STRICTATIME: return MOUNT_ATTR_STRICTATIME;
        default: return 0;
    }
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions result;
    for (const auto& option : options) {
        if (option == "bind") {
            result.bind = true;
            continue;
        }
        if (option == "rbind") {
            result.bind = result.recursive_bind = true;
            continue;
        }
        if (option == "idmap" || option == "ridmap") {
            result.idmap = true;
            continue;
        }
        if (option == "tmpcopyup") {
            result.copy_up = true;
            continue;
        }
        if (option == "defaults") continue;
        bool handled = false;
        for (const auto& f : flag_options) {
            if (option != f.name) continue;
            handled = true;
            const uint64_t attr = attr_for_flag(f.flag);
            if (f.clear) {
                result.flags &= ~f.flag;
                result.attr_clear |= attr;
                result.attr_set &= ~attr;
            } else {
                result.flags |= f.flag;
                result.attr_set |= attr;
                result.attr_clear &= ~attr;
            }
        }
        for (const auto& r : recursive_options) {
            if (option != r.name) continue;
            handled = true;
            (r.clear ? result.recursive_clear : result.recursive_set) |= r.attr;
            (r.clear ? result.recursive_set : result.recursive_clear) &= ~r.attr;
        }
        if (option == "rsymfollow") {
            handled = true;
            result.recursive_clear |= MOUNT_ATTR_NOSYMFOLLOW;
        }
        if (option == "nosymfollow") {
            handled = true;
            result.attr_set |= MOUNT_ATTR_NOSYMFOLLOW;
            result.flags |= 256;  // MS_NOSYMFOLLOW, missing from glibc 2.36's headers
        }
        for (const auto& p : propagation_options) {
            if (option != p.name) continue;
            handled = true;
            result.propagation = p.flags;
        }
        if (!handled) result.data += (result.data.empty() ? "" : ",") + option;
    }
    return result;
}

}  // namespace hull::rootfs
