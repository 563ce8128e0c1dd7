#include "rootfs/devices.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "hull/error.hpp"
#include "rootfs/fd_path.hpp"

namespace hull::rootfs {

namespace {

struct DefaultDevice {
    const char* name;
    unsigned major;
    unsigned minor;
};

constexpr std::array<DefaultDevice, 6> default_devices{{
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}};

mode_t type_bits(const std::string& type) {
    if (type == "b") return S_IFBLK;
    if (type == "p") return S_IFIFO;
    return S_IFCHR;  // "c" and "u"
}

void bind_host_device(int root_fd, const std::string& path, const std::string& what) {
    UniqueFd tree(open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE));
    if (!tree) throw_errno(what + ": open host device " + path);
    UniqueFd target = make_target(root_fd, path, true, what);
    if (move_mount(tree.get(), target.get()) != 0) throw_errno(what + ": bind host device " + path);
}

void make_node(int root_fd, const std::string& path, mode_t mode, dev_t device, uid_t uid, gid_t gid,
               const std::string& what) {
    const auto slash = path.rfind('/');
    UniqueFd parent = make_dirs_in_root(root_fd, path.substr(0, slash), what);
    const std::string name = path.substr(slash + 1);
    // Replace whatever the image put there (a symlink must not redirect the node).
    ::unlinkat(parent.get(), name.c_str(), 0);
    if (::mknodat(parent.get(), name.c_str(), mode, device) != 0) throw_errno(what + ": mknod " + path);
    if (::fchownat(parent.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(what + ": chown " + path);
}

void add_symlink(int dev_fd, const char* target, const char* name) {
    if (::symlinkat(target, dev_fd, name) != 0 && errno != EEXIST) {
        throw_errno(std::string("create /dev/") + name + " -> " + target);
    }
}

// Whether the rootfs already has the right device at `path` (no symlink followed).
bool has_device(int root_fd, const std::string& path, dev_t device) {
    UniqueFd fd = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW, true);
    struct stat st {};
    return fd && ::fstat(fd.get(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == device;
}

}  // namespace

void create_devices(const oci::Spec& spec, int root_fd, bool dev_from_config, bool user_namespace, bool has_devpts) {
    // config-linux "Default Devices": the runtime MUST supply them. On the config's /dev tmpfs
    // they are made; on the image's own /dev only those missing or wrong are (the image keeps the
    // rest of its /dev).
    for (const auto& d : default_devices) {
        const std::string path = std::string("/dev/") + d.name;
        const std::string what = "default device " + path;
        if (!dev_from_config && has_device(root_fd, path, makedev(d.major, d.minor))) continue;
        if (user_namespace) {
            bind_host_device(root_fd, path, what);
        } else {
            make_node(root_fd, path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0, what);
        }
    }
    if (spec.linux) {
        for (size_t i = 0; i < spec.linux->devices.size(); ++i) {
            const auto& d = spec.linux->devices[i];
            const std::string what = "linux.devices[" + std::to_string(i) + "] " + d.path;
            if (user_namespace) {
                bind_host_device(root_fd, d.path, what);
                continue;
            }
            const mode_t mode = type_bits(d.type) | (d.fileMode.value_or(0666) & 07777);
            make_node(root_fd, d.path, mode, makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor)),
                      d.uid.value_or(0), d.gid.value_or(0), what);
        }
    }
    if (!dev_from_config) return;
    UniqueFd dev = open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, true);
    if (!dev) throw_errno("open /dev in the container");
    add_symlink(dev.get(), "/proc/self/fd", "fd");
    add_symlink(dev.get(), "/proc/self/fd/0", "stdin");
    add_symlink(dev.get(), "/proc/self/fd/1", "stdout");
    add_symlink(dev.get(), "/proc/self/fd/2", "stderr");
    if (::access("/proc/kcore", F_OK) == 0) add_symlink(dev.get(), "/proc/kcore", "core");
    if (has_devpts) add_symlink(dev.get(), "pts/ptmx", "ptmx");
}

}  // namespace hull::rootfs
