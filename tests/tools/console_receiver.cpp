// console-receiver SOCKET: plays containerd/conmon for --console-socket. It listens on SOCKET,
// receives the pty master hull sends with SCM_RIGHTS, writes stdin's content into the terminal,
// and copies what the container writes to its terminal to stdout until the container exits.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/unix_socket.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: console-receiver SOCKET\n");
        return 2;
    }
    try {
        hull::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
        ::unlink(argv[1]);
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) hull::throw_errno("bind");
        if (::listen(listener.get(), 1) != 0) hull::throw_errno("listen");
        std::printf("listening\n");
        std::fflush(stdout);
        hull::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!connection) hull::throw_errno("accept");
        std::string name;
        hull::UniqueFd master = hull::sys::receive_fd(connection.get(), &name);
        std::fprintf(stderr, "received terminal %s\n", name.c_str());
        bool stdin_open = true;
        char buffer[4096];
        for (;;) {
            pollfd fds[2] = {{master.get(), POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
            if (::poll(fds, 2, 30000) <= 0) break;
            if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
                const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
                if (n <= 0) {
                    stdin_open = false;
                } else {
                    [[maybe_unused]] auto w = ::write(master.get(), buffer, static_cast<size_t>(n));
                }
            }
            if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                const ssize_t n = ::read(master.get(), buffer, sizeof buffer);
                if (n <= 0) break;  // EIO once the last holder of the terminal is gone
                [[maybe_unused]] auto w = ::write(STDOUT_FILENO, buffer, static_cast<size_t>(n));
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "console-receiver: %s\n", e.what());
        return 1;
    }
    return 0;
}
