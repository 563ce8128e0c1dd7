#include "rootfs/bind.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "hull/error.hpp"
#include "hull/syscall.hpp"
#include "rootfs/fd_path.hpp"

namespace hull::rootfs {

namespace {

// The filesystem type of the mount `path` is on ("sysfs"), from mountinfo; "" when not found.
std::string filesystem_type(const std::string& path) {
    struct statx stx {};
    if (::statx(AT_FDCWD, path.c_str(), 0, STATX_MNT_ID, &stx) != 0 || (stx.stx_mask & STATX_MNT_ID) == 0) return {};
    std::istringstream mountinfo(sys::read_file("/proc/self/mountinfo"));
    const std::string id = std::to_string(stx.stx_mnt_id);
    for (std::string line; std::getline(mountinfo, line);) {
        if (line.compare(0, id.size() + 1, id + " ") != 0) continue;
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) return {};
        const auto start = dash + 3;
        return line.substr(start, line.find(' ', start) - start);
    }
    return {};
}

void set_id_mapping(int tree_fd, const MountOptions& options, int userns, const std::string& source, const std::string& what) {
    const unsigned flags = options.recursive_idmap ? AT_RECURSIVE : 0;
    if (mount_setattr(tree_fd, flags, MOUNT_ATTR_IDMAP, 0, 0, userns) == 0) return;
    const int err = errno;
    const std::string prefix = what + ": idmap " + source;
    if (err == EINVAL) {
        const std::string type = filesystem_type(source);
        throw_errno(prefix + ": its filesystem" + (type.empty() ? "" : " (" + type + ")") +
                        " does not support idmapped mounts" + (options.recursive_idmap ? " (ridmap: nor may any submount)" : "") +
                        ", or it is idmapped already",
                    err);
    }
    if (err == EPERM) {
        throw_errno(prefix + ": needs CAP_SYS_ADMIN in the user namespace that mounted its filesystem "
                             "(the host's for host filesystems: root, never rootless)",
                    err);
    }
    throw_errno(prefix, err);
}

}  // namespace

std::string describe_mount(const oci::Mount& m, size_t index) {
    return "mount " + m.source.value_or(m.type.value_or("none")) + " on " + m.destination + " (mounts[" +
           std::to_string(index) + "])";
}

std::string bind_source(const oci::Mount& m, const std::string& bundle) {
    const std::string source = m.source.value_or("");
    if (source.empty()) throw Error("mount on " + m.destination + ": a bind mount needs a source");
    return source.front() == '/' ? source : bundle + "/" + source;
}

void set_attributes(int tree_fd, unsigned flags, uint64_t set, uint64_t clear, const std::optional<uint64_t>& atime,
                    const std::string& what) {
    if (atime) {
        set |= *atime;
        clear |= MOUNT_ATTR__ATIME;
    }
    if ((set | clear) != 0 && mount_setattr(tree_fd, flags, set, clear) != 0) throw_errno(what + ": set mount flags");
}

void set_recursive_attributes(int tree_fd, const MountOptions& options, const std::string& what) {
    set_attributes(tree_fd, AT_RECURSIVE, options.recursive_set, options.recursive_clear, options.recursive_atime,
                   what + " (recursive)");
}

bool is_bind(const oci::Mount& m, const MountOptions& options) { return options.bind || m.type.value_or("") == "bind"; }

bool wants_idmap(const oci::Mount& m, const MountOptions& options) {
    return options.idmap || !m.uidMappings.empty() || !m.gidMappings.empty();
}

UniqueFd clone_source(const std::string& source, const MountOptions& options, const std::string& what, int idmap_userns) {
    UniqueFd tree(open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | (options.recursive_bind ? AT_RECURSIVE : 0)));
    if (!tree) throw_errno(what + ": open_tree " + source);
    if (idmap_userns >= 0) set_id_mapping(tree.get(), options, idmap_userns, source, what);
    return tree;
}

}  // namespace hull::rootfs
