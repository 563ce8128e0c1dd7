// run/exec in the foreground with a terminal and no --console-socket: hull relays the pty.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>

#include "hull/error.hpp"
#include "terminal/terminal.hpp"

namespace hull::terminal {

namespace {

// Writes all of `data`; gives up silently when `fd` is gone (the caller closed its terminal).
void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                pollfd ready{fd, POLLOUT, 0};
                ::poll(&ready, 1, -1);
                continue;
            }
            return;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

}  // namespace

Relay::Relay(UniqueFd master, int in, int out) : master_(std::move(master)), in_(in), out_(out) {
    if (::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK) != 0) {
        throw_errno("terminal: make the pty master non-blocking");
    }
    // Output to a closed pipe must not kill us with the caller's terminal still raw.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous_pipe_);
    // The caller's own terminal (if any) adds its "\r": the container's, like runc's, does not.
    termios modes{};
    if (::tcgetattr(master_.get(), &modes) == 0) {
        modes.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
        if (::tcsetattr(master_.get(), TCSANOW, &modes) != 0) throw_errno("terminal: clear ONLCR on the pty");
    }
    resize();
    if (::isatty(in_) && ::tcgetattr(in_, &saved_) == 0) {
        termios raw = saved_;
        ::cfmakeraw(&raw);
        if (::tcsetattr(in_, TCSANOW, &raw) != 0) throw_errno("terminal: set the caller's terminal to raw mode");
        restore_ = true;
    }
}

Relay::~Relay() {
    if (restore_) ::tcsetattr(in_, TCSANOW, &saved_);
    ::sigaction(SIGPIPE, &previous_pipe_, nullptr);
}

void Relay::resize() noexcept {
    winsize size{};
    if (::ioctl(in_, TIOCGWINSZ, &size) != 0 && ::ioctl(out_, TIOCGWINSZ, &size) != 0) return;
    if (size.ws_row == 0 && size.ws_col == 0) return;
    ::ioctl(master_.get(), TIOCSWINSZ, &size);
}

void Relay::prepare(pollfd* fds) const {
    // Backpressure: no more input is read while the pty has not taken the last.
    fds[0] = {in_open_ && to_master_.empty() ? in_ : -1, POLLIN, 0};
    short master_events = POLLIN;
    if (!to_master_.empty()) master_events |= POLLOUT;
    fds[1] = {master_open_ ? master_.get() : -1, master_events, 0};
}

void Relay::copy_out() {
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(master_.get(), buffer, sizeof buffer);
        if (n > 0) {
            write_all(out_, buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        // EIO: every slave is closed (the processes holding the terminal are gone).
        if (n == 0 || (n < 0 && errno != EAGAIN)) master_open_ = false;
        return;
    }
}

void Relay::handle(const pollfd* fds) {
    if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buffer[4096];
        const ssize_t n = ::read(in_, buffer, sizeof buffer);
        if (n > 0) {
            to_master_.append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            in_open_ = false;
        }
    }
    if (fds[1].fd < 0) return;
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) copy_out();
    if (master_open_ && !to_master_.empty() && (fds[1].revents & POLLOUT) != 0) {
        const ssize_t n = ::write(master_.get(), to_master_.data(), to_master_.size());
        if (n > 0) {
            to_master_.erase(0, static_cast<size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            to_master_.clear();
        }
    }
}

void Relay::drain(int idle_ms, int limit_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    while (master_open_ && std::chrono::steady_clock::now() < deadline) {
        pollfd ready{master_.get(), POLLIN, 0};
        const int n = ::poll(&ready, 1, idle_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        copy_out();
    }
}

}  // namespace hull::terminal
