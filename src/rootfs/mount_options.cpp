#include "rootfs/mount_options.hpp"

#include <linux/mount.h>
#include <sys/mount.h>

#include <algorithm>
#include <array>

#include "hull/error.hpp"
#include "hull/log.hpp"

namespace hull::rootfs {

namespace {

constexpr unsigned long ms_nosymfollow = 256;  // MS_NOSYMFOLLOW, missing from glibc 2.36's headers

// A per-mount flag: mount(2) takes `flag`, mount_setattr (binds) takes `attr`. attr 0 marks a
// superblock flag: it changes the filesystem, which a bind mount cannot do.
struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
    uint64_t attr;
};

constexpr std::array<FlagOption, 23> flag_options{{
    {"ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY},            {"rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID},        {"suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"nodev", false, MS_NODEV, MOUNT_ATTR_NODEV},           {"dev", true, MS_NODEV, MOUNT_ATTR_NODEV},
    {"noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC},        {"exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {"diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", false, ms_nosymfollow, MOUNT_ATTR_NOSYMFOLLOW}, {"symfollow", true, ms_nosymfollow, MOUNT_ATTR_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS, 0},                     {"async", true, MS_SYNCHRONOUS, 0},
    {"dirsync", false, MS_DIRSYNC, 0},                      {"mand", false, MS_MANDLOCK, 0},
    {"nomand", true, MS_MANDLOCK, 0},                       {"lazytime", false, MS_LAZYTIME, 0},
    {"nolazytime", true, MS_LAZYTIME, 0},                   {"silent", false, MS_SILENT, 0},
    {"loud", true, MS_SILENT, 0},                           {"iversion", false, MS_I_VERSION, 0},
    {"noiversion", true, MS_I_VERSION, 0},
}};

// The access-time mode is one field of mount_setattr (MOUNT_ATTR__ATIME), set as a whole.
struct AtimeOption {
    const char* name;
    bool clear;
    unsigned long flag;  // for mount(2)
    uint64_t mode;       // MOUNT_ATTR_RELATIME (0), _NOATIME or _STRICTATIME
};

constexpr std::array<AtimeOption, 6> atime_options{{
    {"noatime", false, MS_NOATIME, MOUNT_ATTR_NOATIME},       {"atime", true, MS_NOATIME, MOUNT_ATTR_RELATIME},
    {"relatime", false, MS_RELATIME, MOUNT_ATTR_RELATIME},    {"norelatime", true, MS_RELATIME, MOUNT_ATTR_STRICTATIME},
    {"strictatime", false, MS_STRICTATIME, MOUNT_ATTR_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME, MOUNT_ATTR_RELATIME},
}};

struct AttrOption {
    const char* name;
    bool clear;
    uint64_t attr;
};

constexpr std::array<AttrOption, 12> recursive_options{{
    {"rro", false, MOUNT_ATTR_RDONLY},         {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},     {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},       {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},     {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
}};

constexpr std::array<AttrOption, 6> recursive_atime_options{{
    {"rnoatime", false, MOUNT_ATTR_NOATIME},         {"ratime", true, MOUNT_ATTR_RELATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},       {"rnorelatime", true, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_RELATIME},
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

// Options that are hull's, not the kernel's.
constexpr std::array<const char*, 6> hull_options{{"bind", "rbind", "idmap", "ridmap", "tmpcopyup", "defaults"}};

void set_attr(uint64_t& set, uint64_t& clear, uint64_t attr, bool clearing) {
    (clearing ? clear : set) |= attr;
    (clearing ? set : clear) &= ~attr;
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
            result.recursive_idmap = option == "ridmap";
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
            if (f.clear) {
                result.flags &= ~f.flag;
            } else {
                result.flags |= f.flag;
            }
            if (f.attr != 0) {
                set_attr(result.attr_set, result.attr_clear, f.attr, f.clear);
            } else {
                result.superblock_options.push_back(option);
            }
        }
        for (const auto& a : atime_options) {
            if (option != a.name) continue;
            handled = true;
            if (a.clear) {
                result.flags &= ~a.flag;
            } else {
                result.flags |= a.flag;
            }
            result.atime = a.mode;
        }
        for (const auto& r : recursive_options) {
            if (option != r.name) continue;
            handled = true;
            set_attr(result.recursive_set, result.recursive_clear, r.attr, r.clear);
        }
        for (const auto& r : recursive_atime_options) {
            if (option != r.name) continue;
            handled = true;
            result.recursive_atime = r.attr;
        }
        for (const auto& p : propagation_options) {
            if (option != p.name) continue;
            handled = true;
            result.propagation = p.flags;
        }
        if (!handled) {
            result.data += (result.data.empty() ? "" : ",") + option;
            result.filesystem_options.push_back(option);
        }
    }
    return result;
}

std::vector<std::string> known_mount_options() {
    std::vector<std::string> names(hull_options.begin(), hull_options.end());
    for (const auto& f : flag_options) names.emplace_back(f.name);
    for (const auto& a : atime_options) names.emplace_back(a.name);
    for (const auto& r : recursive_options) names.emplace_back(r.name);
    for (const auto& r : recursive_atime_options) names.emplace_back(r.name);
    for (const auto& p : propagation_options) names.emplace_back(p.name);
    std::sort(names.begin(), names.end());
    return names;
}

void check_mount_options(const oci::Mount& mount, size_t index) {
    const std::string field = "mounts[" + std::to_string(index) + "].options";
    const MountOptions options = parse_mount_options(mount.options);
    const bool bind = options.bind || mount.type.value_or("") == "bind";
    // Filesystem options go to the kernel, which refuses what the filesystem does not know; a
    // bind mount and hull's cgroup mount have no filesystem to pass them to.
    // key=value data names a setting of a filesystem this mount does not create (runtime-tools'
    // mounts test gives binds tmpfs's mode= and size=; runc and crun ignore them): a warning.
    // A bare word hull does not know ("rdonly", "bogusopt") is a mistake: refused.
    if (bind || mount.type.value_or("") == "cgroup") {
        for (const auto& option : options.filesystem_options) {
            if (option.find('=') == std::string::npos) {
                throw Error(field + ": \"" + option + "\" is not a mount option hull knows" +
                            (bind ? " (a bind mount passes no filesystem options)" : " (the cgroup mount takes none)"));
            }
            log::warn(field + ": \"" + option + "\" is a filesystem option; a " + (bind ? "bind" : "cgroup") +
                      " mount has no filesystem to give it to: ignored");
        }
    }
    if (bind && !options.superblock_options.empty()) {
        throw Error(field + ": \"" + options.superblock_options.front() +
                    "\" is a filesystem (superblock) flag, which a bind mount cannot change; set it where the source is mounted");
    }
}

}  // namespace hull::rootfs
