#include "hull/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "hull/syscall.hpp"
#include "oci/version.hpp"
#include "process/process.hpp"

extern char** environ;

namespace hull::sys {

namespace {

[[noreturn]] void exec_child(const Command& command, int in, int out, int err, int go) {
    if (go >= 0) {
        char byte = 0;
        ssize_t n;
        while ((n = ::read(go, &byte, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) ::_exit(126);
    }
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    if (out >= 0) ::dup2(out, STDOUT_FILENO);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    // Copied above the target range first, so that no target overwrites a source not yet moved.
    const int passed = static_cast<int>(command.pass_fds.size());
    std::vector<int> high;
    for (const int fd : command.pass_fds) high.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 3 + passed));
    for (int i = 0; i < passed; ++i) {
        if (high[static_cast<size_t>(i)] < 0 || ::dup2(high[static_cast<size_t>(i)], 3 + i) < 0) ::_exit(126);
    }
    process::close_fds_from(3 + passed);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!command.dir.empty()) [[maybe_unused]] auto ignored = ::chdir(command.dir.c_str());
    const std::vector<std::string> args = command.argv.empty() ? std::vector<std::string>{command.path} : command.argv;
    auto argv = c_strings(args);
    std::vector<char*> envp;
    if (command.env) envp = c_strings(*command.env);
    ::execve(command.path.c_str(), argv.data(), command.env ? envp.data() : environ);
    const std::string message = errno_message("exec " + command.path, errno) + "\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message.data(), message.size());
    ::_exit(127);
}

// SIGPIPE stays blocked while we write to a helper that may exit without reading its stdin;
// a pending one is consumed before the mask is restored.
class PipeSignalBlock {
public:
    PipeSignalBlock() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::sigprocmask(SIG_BLOCK, &pipe_, &previous_);
    }
    ~PipeSignalBlock() {
        timespec no_wait{};
        while (::sigtimedwait(&pipe_, nullptr, &no_wait) > 0) {
        }
        ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
    }
    PipeSignalBlock(const PipeSignalBlock&) = delete;
    PipeSignalBlock& operator=(const PipeSignalBlock&) = delete;

private:
    sigset_t pipe_{};
    sigset_t previous_{};
};

struct Stream {
    UniqueFd fd;
    std::string* text;
};

void read_some(Stream& stream, size_t limit) {
    char buffer[4096];
    const ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
    if (n > 0) {
        const size_t room = stream.text->size() < limit ? limit - stream.text->size() : 0;
        stream.text->append(buffer, std::min(room, static_cast<size_t>(n)));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stream.fd.reset();
    }
}

// What is left in the pipes once the helper exited, without waiting on grandchildren that
// inherited them.
void drain(Stream& stream, size_t limit) {
    if (!stream.fd) return;
    ::fcntl(stream.fd.get(), F_SETFL, O_NONBLOCK);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(stream.fd.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0 && stream.text->size() < limit) stream.text->append(buffer, std::min(limit - stream.text->size(), static_cast<size_t>(n)));
    }
    stream.fd.reset();
}

}  // namespace

bool Outcome::succeeded() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string Outcome::describe(const Command& command) const {
    if (timed_out) return "timed out after " + std::to_string(command.timeout.value_or(std::chrono::seconds(0)).count()) + "s";
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exit status " + std::to_string(WEXITSTATUS(status));
}

Outcome run(const Command& command) {
    Outcome outcome;
    Pipe input = make_pipe();
    Pipe output = make_pipe();
    std::optional<Pipe> errors;
    if (command.stderr_to == Stderr::Capture) errors = make_pipe();
    const int child_err = command.stderr_to == Stderr::Capture ? errors->write.get()
                          : command.stderr_to == Stderr::WithStdout ? output.write.get()
                                                                   : -1;
    std::optional<Pipe> go;
    if (command.before_exec) go = make_pipe();
    PipeSignalBlock no_sigpipe;
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork for " + command.path);
    if (pid == 0) {
        if (command.shares_stdio) exec_child(command, -1, -1, -1, go ? go->read.get() : -1);
        exec_child(command, input.read.get(), output.write.get(), child_err, go ? go->read.get() : -1);
    }
    if (go) {
        go->read.reset();
        try {
            command.before_exec(pid);
        } catch (...) {
            go->write.reset();  // the child exits unrun
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            throw;
        }
        const char byte = 1;
        if (::write(go->write.get(), &byte, 1) != 1) throw_errno("start " + command.path);
        go->write.reset();
    }
    input.read.reset();
    output.write.reset();
    if (errors) errors->write.reset();
    UniqueFd pidfd(pidfd_open(pid));
    if (!pidfd) throw_errno("pidfd_open " + command.path);

    UniqueFd to_child = std::move(input.write);
    ::fcntl(to_child.get(), F_SETFL, O_NONBLOCK);
    size_t written = 0;
    if (command.input.empty() || command.shares_stdio) to_child.reset();
    Stream streams[2] = {{std::move(output.read), &outcome.out}, {errors ? std::move(errors->read) : UniqueFd(), &outcome.err}};
    if (command.shares_stdio) {
        streams[0].fd.reset();
        streams[1].fd.reset();
    }
    const auto deadline = std::chrono::steady_clock::now() + command.timeout.value_or(std::chrono::seconds(0));
    for (;;) {
        pollfd fds[4] = {{pidfd.get(), POLLIN, 0},
                         {to_child ? to_child.get() : -1, POLLOUT, 0},
                         {streams[0].fd ? streams[0].fd.get() : -1, POLLIN, 0},
                         {streams[1].fd ? streams[1].fd.get() : -1, POLLIN, 0}};
        int wait_ms = -1;
        if (command.timeout) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        }
        const int ready = ::poll(fds, 4, wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll " + command.path);
        }
        if (ready == 0) {
            pidfd_send_signal(pidfd.get(), SIGKILL);
            outcome.timed_out = true;
            break;
        }
        if (to_child && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const ssize_t n = ::write(to_child.get(), command.input.data() + written, command.input.size() - written);
            if (n > 0) written += static_cast<size_t>(n);
            // EPIPE: the helper did not read its input; its exit status tells what happened.
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == command.input.size()) to_child.reset();
        }
        for (int i = 0; i < 2; ++i) {
            if (streams[i].fd && (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_some(streams[i], command.capture_limit);
        }
        if ((fds[0].revents & POLLIN) != 0) break;
    }
    while (::waitpid(pid, &outcome.status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for " + command.path);
    }
    for (auto& stream : streams) drain(stream, command.capture_limit);
    return outcome;
}

std::string run_and_capture(const std::vector<std::string>& argv, bool with_stderr) {
    Command command;
    command.path = argv.at(0);
    if (command.path.find('/') == std::string::npos) {
        const char* search = std::getenv("PATH");
        const auto found = find_in_path(command.path, search != nullptr ? std::string(search) : std::string(oci::default_path));
        if (!found) throw Error("run " + command.path + ": not found in PATH", ENOENT);
        command.path = *found;
    }
    command.argv = argv;
    command.stderr_to = with_stderr ? Stderr::WithStdout : Stderr::Inherit;
    Outcome outcome = run(command);
    if (!outcome.succeeded()) {
        std::string line;
        for (const auto& arg : argv) line += (line.empty() ? "" : " ") + arg;
        std::string said;
        if (with_stderr) {
            said = outcome.out.substr(0, outcome.out.find_last_not_of('\n') + 1);
            said = said.substr(said.find_last_of('\n') + 1);
        }
        throw Error(line + ": failed (" + outcome.describe(command) + ")" + (said.empty() ? "" : ": " + said));
    }
    return std::move(outcome.out);
}

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> find_in_path(const std::string& name, const std::string& search) {
    size_t start = 0;
    while (start <= search.size()) {
        size_t end = search.find(':', start);
        if (end == std::string::npos) end = search.size();
        const std::string dir = search.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (is_executable_file(candidate)) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
    std::string value;
    for (const auto& entry : env) {
        if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
            value = entry.substr(name.size() + 1);
        }
    }
    return value;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (const auto& s : strings) result.push_back(const_cast<char*>(s.c_str()));
    result.push_back(nullptr);
    return result;
}

}  // namespace hull::sys
