#include "common/procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hull/error.hpp"

namespace hull::procfs {

namespace {

constexpr unsigned long proc_root_inode = 1;

UniqueFd mount_private_procfs() {
    UniqueFd context(static_cast<int>(::syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC)));
    if (!context) return {};
    if (::syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return {};
    return UniqueFd(static_cast<int>(::syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
}

// Where procfs can't be mounted (no CAP_SYS_ADMIN over the pid namespace's owner): the /proc
// mount alone, without what is mounted below or over it.
UniqueFd clone_proc_mount() {
    return UniqueFd(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
}

// Last: the /proc we see. Still safe against mounts over its files (RESOLVE_NO_XDEV below); an
// unprivileged runtime in the host's mount namespace has only this one.
UniqueFd open_proc_directory() { return UniqueFd(::open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)); }

bool is_procfs_root(int fd) {
    struct statfs fs {};
    struct stat st {};
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && ::fstat(fd, &st) == 0 &&
           st.st_ino == proc_root_inode;
}

std::string read_link_at(int dirfd, const char* name) {
    char buffer[64];
    const ssize_t n = ::readlinkat(dirfd, name, buffer, sizeof buffer - 1);
    if (n <= 0) return {};
    return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

Handle Handle::open(const std::string& why) {
    UniqueFd root = mount_private_procfs();
    if (!root) root = clone_proc_mount();
    if (!root) root = open_proc_directory();
    if (!root) throw_errno(why + ": open a procfs");
    if (!is_procfs_root(root.get())) throw Error(why + ": the private procfs handle is not the root of a procfs");
    return Handle(std::move(root));
}

UniqueFd Handle::open_file(std::string_view path, int flags) const {
    std::string resolved(path);
    for (const char* link : {"thread-self", "self"}) {
        const std::string_view prefix(link);
        if (path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
            const std::string target = read_link_at(root_.get(), link);
            if (target.empty()) {
                errno = ESRCH;
                return {};
            }
            resolved = target + std::string(path.substr(prefix.size()));
            break;
        }
    }
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root_.get(), resolved.c_str(), &how, sizeof how)));
    if (!fd) return fd;
    struct statfs fs {};
    if (::fstatfs(fd.get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
        errno = EXDEV;
        return {};
    }
    return fd;
}

int Handle::try_write(std::string_view path, std::string_view data) const {
    UniqueFd fd = open_file(path, O_WRONLY);
    if (!fd) return errno;
    return ::write(fd.get(), data.data(), data.size()) < 0 ? errno : 0;
}

void Handle::write(std::string_view path, std::string_view data, const std::string& field) const {
    const int err = try_write(path, data);
    if (err != 0) throw_errno(field + ": write /proc/" + std::string(path), err);
}

}  // namespace hull::procfs
