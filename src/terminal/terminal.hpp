// process.terminal: the pty is created inside the container and its master is handed to the
// caller over the --console-socket unix socket with SCM_RIGHTS (the containerd/conmon protocol),
// or, for run/exec in the foreground without a socket, to hull itself, which relays it.
#pragma once

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::terminal {

// In the container process, after pivot_root and before the root is made read-only: creates
// /dev/console (a file we create or a device node, never a symlink: CVE-2025-52565) and returns an
// O_PATH handle on it for setup_container_terminal.
UniqueFd open_console_target();

struct Pty {
    UniqueFd master;
    UniqueFd slave;
};
// A new pty from `ptmx` (the container's /dev/ptmx, or the host's for a restore), unlocked, its
// window size set when given, its slave owned by `owner` (process.user.uid, as runc's; the group
// stays devpts's tty group). Neither end becomes anyone's controlling terminal.
Pty open_pty(const char* ptmx, const std::optional<oci::Box>& size, uid_t owner);

// In the container process, after pivot_root: opens a pty from the container's /dev/ptmx, makes
// its slave the controlling terminal and stdin/stdout/stderr, bind-mounts it on `console_target`
// (from open_console_target; -1 for exec: the container's /dev/console belongs to its init) and
// sends the master over `console_socket`.
// The pty belongs to `owner` (see open_pty).
void setup_container_terminal(int console_socket, const std::optional<oci::Box>& size, int console_target, uid_t owner);

}  // namespace hull::terminal

namespace hull::terminal {

// The caller's side of a container terminal when hull holds the pty master itself (`run` and
// `exec` in the foreground with process.terminal and no --console-socket): the caller's terminal
// goes into raw mode, bytes are relayed both ways, and the window size follows the caller's.
class Relay {
public:
    // Takes the master; raw mode when `in` is a terminal, and the window size is copied.
    explicit Relay(UniqueFd master, int in = STDIN_FILENO, int out = STDOUT_FILENO);
    // Restores the caller's terminal.
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Copies the caller's window size (of `in`, else `out`) to the pty; the kernel sends
    // SIGWINCH to the container's foreground process group.
    void resize() noexcept;

    static constexpr size_t poll_count = 2;
    // Fills fds[0..poll_count) for poll(); entries not to watch get fd -1.
    void prepare(pollfd* fds) const;
    // Moves what poll() found ready.
    void handle(const pollfd* fds);
    // After the process exited: copies what is left in the pty until it hangs up, or nothing
    // comes for `idle_ms`, at most `limit_ms` in all.
    void drain(int idle_ms = 100, int limit_ms = 2000);

private:
    void copy_out();

    UniqueFd master_;
    int in_;
    int out_;
    bool in_open_ = true;
    bool master_open_ = true;
    bool restore_ = false;
    termios saved_{};
    std::string to_master_;
    struct sigaction previous_pipe_ {};
};

}  // namespace hull::terminal
