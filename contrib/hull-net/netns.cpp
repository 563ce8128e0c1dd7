#include "netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "hull/error.hpp"
#include "hull/fd.hpp"

namespace hull::net {

void check_own_netns(pid_t pid) {
    const std::string theirs = "/proc/" + std::to_string(pid) + "/ns/net";
    struct stat container {}, ours {};
    if (::stat(theirs.c_str(), &container) != 0) throw_errno("container network namespace " + theirs);
    if (::stat("/proc/self/ns/net", &ours) != 0) throw_errno("stat /proc/self/ns/net");
    if (container.st_dev == ours.st_dev && container.st_ino == ours.st_ino) {
        throw Error("the container shares the runtime's network namespace: add {\"type\": \"network\"} to linux.namespaces");
    }
}

void bring_up_loopback(const std::string& netns_path) {
    UniqueFd netns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) throw_errno("open " + netns_path);
    // A child enters the namespace so that this process stays where the plugins expect it.
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw_errno("pipe");
    UniqueFd report_read(report[0]), report_write(report[1]);
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork to set lo up");
    if (pid == 0) {
        int err = 0;
        const char* step = "setns";
        if (::setns(netns.get(), CLONE_NEWNET) != 0) {
            err = errno;
        } else {
            step = "socket";
            const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            ifreq request{};
            std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
            if (sock < 0) {
                err = errno;
            } else if (step = "SIOCGIFFLAGS lo"; ::ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
                err = errno;
            } else {
                request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
                step = "SIOCSIFFLAGS lo up";
                if (::ioctl(sock, SIOCSIFFLAGS, &request) != 0) err = errno;
            }
        }
        if (err != 0) {
            const std::string message = errno_message(step, err);
            [[maybe_unused]] auto ignored = ::write(report_write.get(), message.data(), message.size());
        }
        ::_exit(err == 0 ? 0 : 1);
    }
    report_write.reset();
    char buffer[256];
    ssize_t n;
    while ((n = ::read(report_read.get(), buffer, sizeof buffer)) < 0 && errno == EINTR) {
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw Error("set lo up in " + netns_path + ": " +
                    (n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("the helper process failed")));
    }
}

}  // namespace hull::net
