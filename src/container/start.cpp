// `start`: lets a created container run its program, then runs the poststart hooks.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "container/container.hpp"
#include "hooks/hooks.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace hull {

namespace {

// The container process opens the other end of the exec fifo, runs the startContainer hooks and
// writes "0" right before execve (after the log records of these steps), then the error if execve fails; the fifo closes at execve
// (close-on-exec) or exit. So "0" and then end-of-file is the only success: we read to the end.
std::string read_start_reply(int fifo, int pidfd, const std::string& id) {
    std::string reply;
    pollfd fds[2] = {{fifo, POLLIN, 0}, {pidfd, POLLIN, 0}};
    bool writer_seen = false;
    char buffer[4096];
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("start " + id + ": poll");
        }
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
            const ssize_t n = ::read(fifo, buffer, sizeof buffer);
            if (n > 0) {
                writer_seen = true;
                reply.append(buffer, static_cast<size_t>(n));
                continue;
            }
            if (n == 0 && writer_seen) return reply;
        }
        if ((fds[1].revents & POLLIN) != 0) {
            // Collect what it said before it died.
            ssize_t n;
            while ((n = ::read(fifo, buffer, sizeof buffer)) > 0) reply.append(buffer, static_cast<size_t>(n));
            return reply;
        }
    }
}

}  // namespace

void start_container(const RuntimeOptions& runtime, const std::string& id) {
    using container::Status;
    auto c = container::Container::open(runtime, id);
    // runc's words first (scripts match them), then which container and why.
    if (c.status() == Status::Running) throw Error("cannot start an already running container: \"" + id + "\" is running");
    if (c.status() == Status::Stopped) throw Error("cannot start a container that has stopped: \"" + id + "\" is stopped");
    if (c.status() != Status::Created) {
        const std::string now(container::status_name(c.status()));
        throw Error("cannot start a container in the " + now + " state: \"" + id + "\" is " + now + ", not created");
    }
    const ContainerRecord& record = c.record();
    UniqueFd pidfd(sys::pidfd_open(record.pid));
    if (!pidfd) throw_errno("start " + id + ": container process " + std::to_string(record.pid));
    UniqueFd fifo(::openat(c.dir().fd(), ContainerDir::exec_fifo_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo) throw_errno("start " + id + ": open " + c.dir().path() + "/exec.fifo");
    // The container process's log records come with its reply.
    const std::string reply = log::replay(read_start_reply(fifo.get(), pidfd.get(), id));
    c.dir().remove_exec_fifo();
    if (reply != "0") {
        if (reply.empty()) throw Error("start " + id + ": the container process exited before start");
        throw Error("start " + id + ": " + (reply.front() == '0' ? reply.substr(1) : reply));
    }
    const oci::Spec& spec = c.spec();
    if (spec.hooks && !spec.hooks->poststart.empty()) {
        hooks::run_all_warn(spec.hooks->poststart, "poststart", c.state_as(Status::Running));
    }
}

}  // namespace hull
