// Resolving paths inside the rootfs and mounting onto fds.
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "hull/error.hpp"
#include "rootfs/fd_path.hpp"

namespace hull::rootfs {

UniqueFd open_in_root(int root_fd, const std::string& path, int flags, bool no_symlinks) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
    const std::string relative = path.empty() ? "." : path;
    return UniqueFd(static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how)));
}

namespace {

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream stream(path);
    std::string part;
    while (std::getline(stream, part, '/')) {
        if (!part.empty() && part != ".") parts.push_back(part);
    }
    return parts;
}

}  // namespace

UniqueFd make_dirs_in_root(int root_fd, const std::string& path, const std::string& what) {
    UniqueFd current = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
    if (!current) throw_errno(what + ": open root");
    std::string prefix;
    for (const auto& part : components(path)) {
        if (part == "..") throw Error(what + ": \"..\" in " + path);
        prefix += "/" + part;
        UniqueFd next = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
        if (!next && errno == ENOENT) {
            if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
                throw_errno(what + ": mkdir " + prefix);
            }
            next = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
        }
        if (!next) throw_errno(what + ": open " + prefix);
        current = std::move(next);
    }
    return current;
}

UniqueFd make_target(int root_fd, const std::string& path, bool as_file, const std::string& what) {
    UniqueFd existing = open_in_root(root_fd, path, O_PATH);
    if (existing) return existing;
    if (errno != ENOENT) throw_errno(what + ": open " + path);
    if (!as_file) return make_dirs_in_root(root_fd, path, what);
    const auto slash = path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = path.substr(slash + 1);
    UniqueFd dir = make_dirs_in_root(root_fd, parent, what);
    // O_PATH dirfds can't create files; reopen the directory itself for that.
    UniqueFd writable(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!writable) throw_errno(what + ": open " + parent);
    UniqueFd created(::openat(writable.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!created && errno != EEXIST) throw_errno(what + ": create " + path);
    UniqueFd target = open_in_root(root_fd, path, O_PATH);
    if (!target) throw_errno(what + ": open " + path);
    return target;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int open_tree(int dirfd, const char* path, unsigned flags) {
    return static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags | OPEN_TREE_CLOEXEC));
}

int move_mount(int from_fd, int to_fd) {
    return static_cast<int>(
        ::syscall(SYS_move_mount, from_fd, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

int mount_setattr(int fd, unsigned flags, uint64_t attr_set, uint64_t attr_clr, unsigned propagation, int userns_fd) {
    mount_attr attr{};
    attr.attr_set = attr_set;
    attr.attr_clr = attr_clr;
    attr.propagation = propagation;
    if (userns_fd >= 0) attr.userns_fd = static_cast<uint64_t>(userns_fd);
    return static_cast<int>(::syscall(SYS_mount_setattr, fd, "", flags | AT_EMPTY_PATH, &attr, sizeof attr));
}

}  // namespace hull::rootfs
