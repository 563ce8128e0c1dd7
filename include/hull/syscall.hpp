// Thin wrappers for the system calls glibc 2.36 does not wrap, and small fd helpers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hull/fd.hpp"

namespace hull::sys {

// clone3 with CLONE_* `flags`, optionally into the cgroup directory `cgroup_fd` (-1: none).
// Returns 0 in the child, the child's pid in the parent; throws on failure.
pid_t clone3(uint64_t flags, int cgroup_fd);

int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);

// Reads a whole (small) file; throws naming the path.
std::string read_file(const std::string& path);
std::string read_file_at(int dirfd, const std::string& name);
// Writes `data` to an existing file (no O_CREAT); throws naming the path.
void write_file(const std::string& path, const std::string& data);

// Whether hull runs without the host's root: an effective uid other than 0, or root of a user
// namespace that does not map the whole id range (rootless podman runs its runtime that way).
// Then the state root is $XDG_RUNTIME_DIR/hull and cgroups are made only where delegated.
bool unprivileged();

// Writes all of `data` (retrying short writes and EINTR); failures name `what`.
void write_all(int fd, const std::string& data, const std::string& what);

// Replaces `name` in the directory `dirfd` with a file holding `data`, atomically: the data goes
// to a temporary file created there with O_EXCL|O_NOFOLLOW (never through a symlink someone
// planted) and renamed over `name`. Readers see the old file or the whole new one.
// Failures name `what` (the file as the user knows it) and leave no temporary file behind.
void write_file_atomic(int dirfd, const std::string& name, const std::string& data, mode_t mode, const std::string& what);
// The same for a path: its directory is opened (following symlinks only in the directory part).
void write_file_atomic(const std::string& path, const std::string& data, mode_t mode, const std::string& what);

// Process start time in clock ticks since boot (field 22 of /proc/PID/stat); 0 when gone.
uint64_t process_start_time(pid_t pid);
// Process state letter from /proc/PID/stat ('R', 'S', 'Z', ...); 0 when gone.
char process_state(pid_t pid);

// A pipe with both ends close-on-exec.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
};
Pipe make_pipe();

}  // namespace hull::sys
