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

// Replaces `path` with a file holding `data`, atomically: the data goes to a temporary file created
// beside it with O_EXCL|O_NOFOLLOW (never through a symlink someone planted; a stale one is
// removed first) and is renamed over `path`, which is replaced, never followed. Readers see no
// file or the whole one. Failures name `what` and leave no temporary file behind.
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

// Runs argv[0] (looked up in PATH, no shell) and returns its standard output (and error, when
// `with_stderr`); throws naming the command, and with `with_stderr` its last line, when it can't
// run or exits non-zero.
std::string run_and_capture(const std::vector<std::string>& argv, bool with_stderr = false);

}  // namespace hull::sys
