#include "container/process_setup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "common/unix_socket.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "hull/log.hpp"
#include "hull/subprocess.hpp"
#include "oci/version.hpp"
#include "process/placement.hpp"
#include "process/process.hpp"
#include "seccomp/seccomp.hpp"

namespace hull::container {

namespace {

void reset_signals() {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        ::sigaction(sig, &action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// CVE-2019-5736: the container must not get the runtime's binary as its program, directly
// (/proc/self/exe is hull until execve) or as the interpreter of a script ("#!/proc/self/exe"),
// else code from the image runs in a process whose /proc/self/exe is the host's hull file and can
// reopen it for writing once hull has exited. Follows #! lines as deep as the kernel does.
void refuse_runtime_binary(const std::string& executable) {
    struct stat self {};
    if (::stat("/proc/self/exe", &self) != 0) return;
    std::string path = executable;
    for (int depth = 0; depth < 5; ++depth) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return;
        if (st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
            throw Error("exec: \"" + executable + "\"" + (path == executable ? "" : " (interpreter " + path + ")") +
                            " is the hull binary: refusing to run the runtime inside the container (CVE-2019-5736)",
                        EPERM);
        }
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
        if (!fd) return;
        char head[256];
        const ssize_t n = ::read(fd.get(), head, sizeof head);
        if (n < 3 || head[0] != '#' || head[1] != '!') return;
        const std::string line(head + 2, head + n);
        const size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos) return;
        const size_t end = line.find_first_of(" \t\n", start);
        path = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
}

}  // namespace

void drop_unknown_capabilities(oci::Process& process, bool in_user_namespace) {
    auto& caps = process.capabilities;
    if (!caps) return;
    // Without a user namespace the container can only get what the runtime's bounding set holds
    // (this host runs hull without CAP_SYS_RESOURCE, for one). config.md: such capabilities are
    // logged as warnings, not errors.
    const auto held_by_runtime = [in_user_namespace](int cap) {
        return in_user_namespace || ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
    };
    const std::pair<const char*, std::optional<std::vector<std::string>>*> sets[] = {
        {"bounding", &caps->bounding},   {"effective", &caps->effective}, {"inheritable", &caps->inheritable},
        {"permitted", &caps->permitted}, {"ambient", &caps->ambient}};
    for (const auto& [name, set] : sets) {
        if (!*set) continue;
        std::vector<std::string> grantable;
        for (size_t i = 0; i < (*set)->size(); ++i) {
            const std::string& cap = (**set)[i];
            const std::string field = std::string("process.capabilities.") + name + "[" + std::to_string(i) + "]";
            try {
                if (held_by_runtime(process::capability_from_name(cap, field))) {
                    grantable.push_back(cap);
                } else {
                    log::warn(field + ": " + cap + " is not in the runtime's bounding set: not granted");
                }
            } catch (const Error& e) {
                log::warn(std::string(e.what()) + ": not granted");
            }
        }
        **set = std::move(grantable);
    }
    const auto in = [](const std::optional<std::vector<std::string>>& set, const std::string& cap) {
        return set && std::find(set->begin(), set->end(), cap) != set->end();
    };
    // The kernel takes an inheritable capability only within the bounding set.
    if (caps->inheritable) {
        std::vector<std::string> settable;
        for (const std::string& cap : *caps->inheritable) {
            if (in(caps->bounding, cap)) {
                settable.push_back(cap);
            } else {
                log::warn("process.capabilities.inheritable: " + cap + " is not in the bounding set: not granted");
            }
        }
        caps->inheritable = std::move(settable);
    }
    // The kernel raises an ambient capability only when it is both permitted and inheritable, and
    // the inheritable set is never widened to make it so (CVE-2022-27650, CVE-2022-29162).
    if (caps->ambient) {
        std::vector<std::string> raisable;
        for (const std::string& cap : *caps->ambient) {
            if (in(caps->inheritable, cap) && in(caps->permitted, cap)) {
                raisable.push_back(cap);
            } else {
                log::warn("process.capabilities.ambient: " + cap + " is not in both the inheritable and the permitted set: not raised");
            }
        }
        caps->ambient = std::move(raisable);
    }
}

// execve's limits (fs/exec.c): one string at most 32 pages; all strings plus the pointer arrays
// within a quarter of the stack limit, capped at 6 MiB and never below 32 pages. Checked here so
// the failure is a create error naming the field, not an execve after start.
void check_exec_sizes(const oci::Process& process) {
    constexpr size_t max_string = 32 * 4096;
    rlimit stack{};
    ::getrlimit(RLIMIT_STACK, &stack);
    for (const auto& rlimit : process.rlimits) {
        if (rlimit.type == "RLIMIT_STACK") stack.rlim_cur = rlimit.soft;
    }
    const size_t quarter = stack.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(stack.rlim_cur / 4);
    const size_t limit = std::max(std::min<size_t>(6 << 20, quarter), max_string);
    size_t total = (process.args.size() + process.env.size() + 2) * sizeof(char*);
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {{"process.args", &process.args},
                                                                            {"process.env", &process.env}};
    for (const auto& [field, list] : lists) {
        for (size_t i = 0; i < list->size(); ++i) {
            const size_t size = (*list)[i].size() + 1;
            if (size > max_string) {
                throw Error(std::string(field) + "[" + std::to_string(i) + "]: " + std::to_string(size) +
                                " bytes, more than execve takes in one string (" + std::to_string(max_string) + ")",
                            E2BIG);
            }
            total += size;
        }
    }
    if (total > limit) {
        throw Error("process.args and process.env: " + std::to_string(total) + " bytes, more than execve takes (" +
                        std::to_string(limit) + " with this stack limit)",
                    E2BIG);
    }
}

void check_process_limits(const oci::Process& process, const oci::Linux& linux) {
    check_exec_sizes(process);
    if (process.args.empty()) {
        throw Error(std::string("process.args: at least one argument is required") +
                    (process.commandLine ? " (process.commandLine is for Windows only)" : ""));
    }
    if (process.execCPUAffinity) process::check_cpu_affinity(*process.execCPUAffinity, "process.execCPUAffinity");
    if (linux.personality) process::check_personality(*linux.personality);
    const long max_groups = ::sysconf(_SC_NGROUPS_MAX);
    const size_t count = process.user.additionalGids.size();
    if (max_groups > 0 && count > static_cast<size_t>(max_groups)) {
        throw Error("process.user.additionalGids: " + std::to_string(count) + " groups, more than setgroups accepts (" +
                        std::to_string(max_groups) + ")",
                    EINVAL);
    }
}

void apply_initial_cpu_affinity(const oci::Process& process) {
    if (process.execCPUAffinity && process.execCPUAffinity->initial) {
        process::set_cpu_affinity(process.execCPUAffinity->initial, "process.execCPUAffinity.initial");
    }
}

void apply_final_cpu_affinity(const oci::Process& process) {
    if (!process.execCPUAffinity) return;
    const auto& affinity = *process.execCPUAffinity;
    if (affinity.final || affinity.initial) process::set_cpu_affinity(affinity.final, "process.execCPUAffinity.final");
}

void change_to_working_directory(const std::string& cwd) {
    if (::chdir(cwd.c_str()) != 0) throw_errno("process.cwd: chdir " + cwd);
    // getcwd fails (ENOENT) when the cwd is not below our root, e.g. reached through a host fd.
    char resolved[PATH_MAX];
    if (::getcwd(resolved, sizeof resolved) == nullptr || resolved[0] != '/') {
        throw Error("process.cwd " + cwd + ": resolves outside the container's root filesystem", EPERM);
    }
}

std::string find_executable(const oci::Process& process) {
    const std::string& name = process.args.at(0);
    if (name.find('/') != std::string::npos) {
        struct stat st {};
        if (::stat(name.c_str(), &st) != 0) throw_errno("exec: \"" + name + "\"");
        if (S_ISDIR(st.st_mode)) throw Error("exec: \"" + name + "\": is a directory", EISDIR);
        if (::access(name.c_str(), X_OK) != 0) throw_errno("exec: \"" + name + "\"");
        return name;
    }
    std::string search = sys::env_value(process.env, "PATH");
    if (search.empty()) search = oci::default_path;
    if (auto found = sys::find_in_path(name, search)) return *found;
    throw Error("exec: \"" + name + "\": executable file not found in $PATH", ENOENT);
}

void keep_only_preserved_fds(unsigned preserved) {
    process::close_fds_from(3 + static_cast<int>(preserved));
    for (unsigned i = 0; i < preserved; ++i) {
        const int fd = 3 + static_cast<int>(i);
        const int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
}

void lock_down(const oci::Process& process, const oci::Linux& linux, const seccomp::Filter* seccomp_filter,
               const std::string& executable, const SeccompAgent& agent, const ExecLabels& labels) {
    // As runc: the process leads a session of its own, not the caller's (criu dumps only a tree
    // whose sessions are inside it; a terminal set up before already made us the leader: EPERM).
    if (::setsid() < 0 && errno != EPERM) throw_errno("setsid");
    if (linux.personality) process::apply_personality(*linux.personality);
    // First: the write needs /proc before seccomp may forbid it and while we are still root.
    if (labels.labels.apparmor_profile || labels.labels.selinux_label) lsm::apply_exec_labels(*labels.procfs, labels.labels);
    refuse_runtime_binary(executable);
    if (process.scheduler) process::apply_scheduler(*process.scheduler);
    if (process.ioPriority) process::apply_io_priority(*process.ioPriority);
    // The notify fd goes to the agent right after the load, before any other call the filter may
    // send to it: with nobody listening yet, that call would wait forever. Then we close ours and
    // the connection (runc too): should the agent go away, a notified call fails with ENOSYS
    // instead of waiting forever, and an agent reading its message to EOF gets it.
    const auto load_seccomp = [&] {
        const UniqueFd listener = seccomp_filter->load();
        if (listener && agent.socket >= 0) {
            sys::send_fd(agent.socket, listener.get(), agent.process_state_json, "linux.seccomp.listenerPath: send the notify fd");
            ::close(agent.socket);
        }
        log::debug("seccomp filter loaded", listener ? " (notify fd sent to the agent)" : "");
    };
    if (seccomp_filter != nullptr && !process.noNewPrivileges) load_seccomp();
    process::switch_user_and_capabilities(process);
    if (process.noNewPrivileges) process::set_no_new_privileges();
    log::debug("process: uid ", process.user.uid, ", gid ", process.user.gid, ", ", process.user.additionalGids.size(),
               " additional gids", process.noNewPrivileges ? ", no_new_privs" : "");
    if (seccomp_filter != nullptr && process.noNewPrivileges) load_seccomp();
}

void exec_program(const oci::Process& process, const std::string& executable, int ready_fd) {
    reset_signals();
    auto argv = sys::c_strings(process.args);
    auto envp = sys::c_strings(process.env);
    log::debug("exec ", executable, " (args[0] ", process.args.front(), ")");
    if (ready_fd >= 0 && ::write(ready_fd, "0", 1) != 1) throw_errno("write exec fifo");
    ::execve(executable.c_str(), argv.data(), envp.data());
    throw_errno("exec \"" + executable + "\"");
}

}  // namespace hull::container
