// Running a helper program (a hook, a CNI plugin, ps): input on its stdin, its output captured,
// an optional deadline. One fork/exec path, so every helper gets the same fd and signal hygiene:
// stdio only, an empty signal mask, nothing of hull's left open.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hull::sys {

enum class Stderr {
    Capture,       // into Outcome::err
    WithStdout,    // into Outcome::out, interleaved as written (hooks)
    Inherit,       // hull's own stderr
};

struct Command {
    std::string path;                               // executed as is (see find_in_path)
    std::vector<std::string> argv;                  // empty: {path}
    std::optional<std::vector<std::string>> env;    // nullopt: hull's environment
    std::string input;                              // written to stdin, which then closes
    std::string dir;                                // working directory; empty, or one that can't be entered: hull's
    std::optional<std::chrono::seconds> timeout;    // killed with SIGKILL when it passes
    Stderr stderr_to = Stderr::Capture;
    size_t capture_limit = SIZE_MAX;                // bytes kept of each stream; the rest is read and dropped
    // Called in hull with the child's pid while the child waits before its execve (to place it in
    // a cgroup, say); when it throws, the child exits without running the command.
    std::function<void(pid_t)> before_exec;
    // The child keeps hull's stdin, stdout and stderr (input, capture and stderr_to are unused).
    bool shares_stdio = false;
    // hull's fds the child gets as fds 3, 4, ... in this order (everything else from 3 is closed).
    std::vector<int> pass_fds;
};

struct Outcome {
    int status = 0;          // waitpid status
    bool timed_out = false;  // killed at the deadline
    std::string out;
    std::string err;
    bool succeeded() const;  // exited with status 0
    // "exit status N", "killed by signal N" or "timed out after Ns".
    std::string describe(const Command& command) const;
};

// Runs the command to its end. Throws hull::Error only when it cannot be started or waited for;
// a command that fails is reported in the Outcome. A command that can't be executed exits 127
// with "exec PATH: reason" on its stderr.
Outcome run(const Command& command);

// Runs argv (argv[0] looked up in hull's PATH) and returns its standard output (and error, when
// `with_stderr`); throws naming the command, and with `with_stderr` its last line, when it can't
// run or fails.
std::string run_and_capture(const std::vector<std::string>& argv, bool with_stderr = false);

// The first `dir/name` of the ':'-separated `search` that is an executable regular file; an empty
// entry means the current directory. nullopt when there is none.
std::optional<std::string> find_in_path(const std::string& name, const std::string& search);
bool is_executable_file(const std::string& path);

// The value of NAME in a NAME=value list; empty when absent.
std::string env_value(const std::vector<std::string>& env, const std::string& name);

// NULL-terminated char* views of `strings` for execve (valid while `strings` lives).
std::vector<char*> c_strings(const std::vector<std::string>& strings);

}  // namespace hull::sys
