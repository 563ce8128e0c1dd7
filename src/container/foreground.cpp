// The foreground of `run` and `exec`: signals forwarded to the container process, the terminal
// relayed, the exit status returned.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "container/lifecycle_internal.hpp"
#include "hull/error.hpp"

namespace hull::container {

namespace {

// Signals a foreground `run` passes on to the container instead of acting on them.
constexpr std::array<int, 12> forwarded_signals{SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                                SIGALRM, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU};

int exit_code_from_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

}  // namespace

ForegroundSignals::ForegroundSignals() {
    // The container process must be our child even when it was forked into a joined pid namespace.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigset_t handled;
    sigemptyset(&handled);
    for (const int sig : forwarded_signals) sigaddset(&handled, sig);
    sigaddset(&handled, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &handled, &previous_);
    signal_fd_.reset(::signalfd(-1, &handled, SFD_CLOEXEC));
    if (!signal_fd_) throw_errno("signalfd");
}

ForegroundSignals::~ForegroundSignals() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

int ForegroundSignals::wait_for(pid_t pid, terminal::Relay* relay) {
    for (;;) {
        // The process may have exited before we started to listen for SIGCHLD.
        int status = 0;
        pid_t reaped;
        while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped == pid) {
                if (relay != nullptr) relay->drain();
                return exit_code_from_status(status);
            }
        }
        pollfd fds[1 + terminal::Relay::poll_count];
        fds[0] = {signal_fd_.get(), POLLIN, 0};
        nfds_t count = 1;
        if (relay != nullptr) {
            relay->prepare(fds + 1);
            count += terminal::Relay::poll_count;
        }
        if (::poll(fds, count, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll signalfd");
        }
        if (relay != nullptr) relay->handle(fds + 1);
        if ((fds[0].revents & POLLIN) == 0) continue;
        signalfd_siginfo info{};
        const ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read signalfd");
        }
        const int signo = static_cast<int>(info.ssi_signo);
        if (signo == SIGCHLD) continue;
        if (signo == SIGWINCH && relay != nullptr) {
            relay->resize();
        } else {
            ::kill(pid, signo);
        }
    }
}

}  // namespace hull::container
