// fd-relative path handling inside an untrusted root: openat2(RESOLVE_IN_ROOT) and the new mount API.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "hull/fd.hpp"

namespace hull::rootfs {

// Opens `path` (absolute or relative, interpreted inside root_fd) with RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS (| RESOLVE_NO_SYMLINKS when `no_symlinks`). Returns an invalid fd with
// errno set on failure.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags, bool no_symlinks = false);

// Creates the missing directories of `path` inside root_fd, one component at a time, and
// returns an O_PATH fd of the last one. Throws naming `what`.
UniqueFd make_dirs_in_root(int root_fd, const std::string& path, const std::string& what);

// Ensures `path` exists inside root_fd (a directory, or an empty file when `as_file`) and returns an
// O_PATH fd to it.
UniqueFd make_target(int root_fd, const std::string& path, bool as_file, const std::string& what);

// "/proc/self/fd/N": a path the legacy mount(2) can use for an fd we resolved safely.
std::string fd_path(int fd);

int open_tree(int dirfd, const char* path, unsigned flags);
int move_mount(int from_fd, int to_fd);
// userns_fd: the user namespace of MOUNT_ATTR_IDMAP.
int mount_setattr(int fd, unsigned flags, uint64_t attr_set, uint64_t attr_clr, unsigned propagation = 0,
                  int userns_fd = -1);

}  // namespace hull::rootfs
