#include "hull/syscall.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "hull/error.hpp"

namespace hull::sys {

pid_t clone3(uint64_t flags, int cgroup_fd) {
    clone_args args{};
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    const long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) throw_errno("clone3");
    return static_cast<pid_t>(pid);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

namespace {

std::string read_all(int fd, const std::string& what) {
    std::string data;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + what);
        }
        if (n == 0) break;
        data.append(buffer, static_cast<size_t>(n));
    }
    return data;
}

}  // namespace

std::string read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

std::string read_file_at(int dirfd, const std::string& name) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) throw_errno("open " + name);
    return read_all(fd.get(), name);
}

void write_file(const std::string& path, const std::string& data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY));
    if (!fd) throw_errno("open " + path);
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) throw_errno("write " + path);
    if (static_cast<size_t>(n) != data.size()) throw Error("write " + path + ": short write");
}

bool unprivileged() {
    if (::geteuid() != 0) return true;
    std::string map;
    try {
        map = read_file("/proc/self/uid_map");
    } catch (const Error&) {
        return false;
    }
    unsigned long inside = 1, outside = 1, count = 0;
    // The initial namespace maps "0 0 4294967295", as one line.
    return std::sscanf(map.c_str(), "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0 || outside != 0 ||
           count != 4294967295UL || map.find('\n') + 1 != map.size();
}

void write_all(int fd, const std::string& data, const std::string& what) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + what);
        }
        done += static_cast<size_t>(n);
    }
}

void write_file_atomic(int dirfd, const std::string& name, const std::string& data, mode_t mode, const std::string& what) {
    const std::string temp = "." + name + ".hull-tmp";
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    UniqueFd fd(::openat(dirfd, temp.c_str(), flags, mode));
    // A temporary file left by a writer that was killed: it is ours to replace.
    if (!fd && errno == EEXIST && ::unlinkat(dirfd, temp.c_str(), 0) == 0) fd.reset(::openat(dirfd, temp.c_str(), flags, mode));
    if (!fd) throw_errno("create " + what + " (temporary " + temp + ")");
    try {
        write_all(fd.get(), data, what);
        fd.reset();
        if (::renameat(dirfd, temp.c_str(), dirfd, name.c_str()) != 0) throw_errno("rename to " + what);
    } catch (...) {
        ::unlinkat(dirfd, temp.c_str(), 0);
        throw;
    }
}

void write_file_atomic(const std::string& path, const std::string& data, mode_t mode, const std::string& what) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") throw Error(what + ": not a file name", EINVAL);
    UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd) throw_errno("open the directory of " + what);
    write_file_atomic(dirfd.get(), name, data, mode, what);
}

namespace {

// The fields of /proc/PID/stat after the ")" that ends the command name; empty when gone.
std::string stat_fields(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    char buffer[1024];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
    if (n <= 0) return {};
    std::string text(buffer, static_cast<size_t>(n));
    const auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos || close_paren + 2 >= text.size()) return {};
    return text.substr(close_paren + 2);
}

}  // namespace

char process_state(pid_t pid) {
    const std::string fields = stat_fields(pid);
    return fields.empty() ? 0 : fields[0];
}

uint64_t process_start_time(pid_t pid) {
    const std::string fields = stat_fields(pid);
    if (fields.empty()) return 0;
    // fields[0] is field 3 (state); starttime is field 22.
    size_t pos = 0;
    for (int field = 3; field < 22; ++field) {
        pos = fields.find(' ', pos);
        if (pos == std::string::npos) return 0;
        ++pos;
    }
    return std::strtoull(fields.c_str() + pos, nullptr, 10);
}

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace hull::sys
