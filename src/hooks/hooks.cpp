#include "hull/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "hull/log.hpp"
#include "hull/process.hpp"
#include "hull/syscall.hpp"

namespace hull::hooks {

namespace {

constexpr size_t max_captured_output = 4096;

using sys::make_pipe;
using sys::Pipe;

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (const auto& s : strings) result.push_back(const_cast<char*>(s.c_str()));
    result.push_back(nullptr);
    return result;
}

[[noreturn]] void exec_hook(const oci::Hook& hook, int stdin_fd, int output_fd) {
    ::dup2(stdin_fd, STDIN_FILENO);
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    // A hook gets stdio only, not the fds hull's caller passed on (runc's exec.Cmd does the same).
    process::close_fds_from(3);
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    std::vector<std::string> args = hook.args;
    if (args.empty()) args.push_back(hook.path);
    auto argv = c_strings(args);
    auto envp = c_strings(hook.env);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    const std::string message = errno_message("exec " + hook.path, errno) + "\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message.data(), message.size());
    ::_exit(127);
}

// Waits for the hook, collecting its output, until it exits or the deadline passes.
// Returns the wait status, or -1 on timeout (the hook is killed).
int wait_for_hook(pid_t pid, int output_fd, std::optional<int32_t> timeout, std::string& output) {
    UniqueFd pidfd(sys::pidfd_open(pid));
    if (!pidfd) throw_errno("pidfd_open hook");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout.value_or(0));
    bool output_open = true;
    for (;;) {
        pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {output_open ? output_fd : -1, POLLIN, 0}};
        int wait_ms = -1;
        if (timeout) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        }
        const int ready = ::poll(fds, 2, wait_ms);
        if (ready < 0 && errno != EINTR) throw_errno("poll hook");
        if (ready == 0) {
            sys::pidfd_send_signal(pidfd.get(), SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            return -1;
        }
        if (output_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
            char buffer[1024];
            const ssize_t n = ::read(output_fd, buffer, sizeof buffer);
            if (n <= 0) {
                output_open = false;
            } else if (output.size() < max_captured_output) {
                output.append(buffer, static_cast<size_t>(n));
            }
        }
        if ((fds[0].revents & POLLIN) != 0) {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) throw_errno("wait for hook");
            }
            // Collect what is left in the pipe without blocking on grandchildren holding it open.
            ::fcntl(output_fd, F_SETFL, O_NONBLOCK);
            char buffer[1024];
            ssize_t n;
            while (output.size() < max_captured_output && (n = ::read(output_fd, buffer, sizeof buffer)) > 0) {
                output.append(buffer, static_cast<size_t>(n));
            }
            return status;
        }
    }
}

void run_one(const oci::Hook& hook, const std::string& name, const std::string& state_json) {
    Pipe input = make_pipe();
    Pipe output = make_pipe();
    // The state is small; make sure writing it never blocks on a hook that doesn't read stdin.
    ::fcntl(input.write.get(), F_SETPIPE_SZ, static_cast<int>(std::max<size_t>(state_json.size(), 4096)));
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno(name + ": fork");
    if (pid == 0) exec_hook(hook, input.read.get(), output.write.get());
    input.read.reset();
    output.write.reset();
    ::fcntl(input.write.get(), F_SETFL, O_NONBLOCK);
    // A hook may exit without reading its stdin: EPIPE is not an error of ours.
    sigset_t pipe_signal, previous;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::sigprocmask(SIG_BLOCK, &pipe_signal, &previous);
    [[maybe_unused]] auto written = ::write(input.write.get(), state_json.data(), state_json.size());
    timespec no_wait{};
    ::sigtimedwait(&pipe_signal, nullptr, &no_wait);
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    input.write.reset();

    std::string captured;
    const int status = wait_for_hook(pid, output.read.get(), hook.timeout, captured);
    while (!captured.empty() && (captured.back() == '\n' || captured.back() == ' ')) captured.pop_back();
    const std::string detail = captured.empty() ? "" : ": " + captured;
    if (status == -1) {
        throw Error(name + " " + hook.path + ": timed out after " + std::to_string(*hook.timeout) + "s" + detail);
    }
    if (WIFSIGNALED(status)) {
        throw Error(name + " " + hook.path + ": killed by signal " + std::to_string(WTERMSIG(status)) + detail);
    }
    if (WEXITSTATUS(status) != 0) {
        throw Error(name + " " + hook.path + ": exit status " + std::to_string(WEXITSTATUS(status)) + detail);
    }
    if (!captured.empty()) log::debug(name + " " + hook.path + " said: " + captured);
}

std::string hook_name(const std::string& kind, size_t index) {
    return "hook " + kind + "[" + std::to_string(index) + "]";
}

}  // namespace

void run_all(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) run_one(hooks[i], hook_name(kind, i), state_json);
}

void run_all_warn(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            run_one(hooks[i], hook_name(kind, i), state_json);
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
}

}  // namespace hull::hooks
