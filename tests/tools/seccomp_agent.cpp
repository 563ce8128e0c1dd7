// seccomp-agent SOCKET [--continue] [--quit] [--wait-eof]: a listenerPath agent for tests. It receives
// the notify fd and the container process state, prints "state: <json>", then answers every
// notification with "success, return value 0" (without doing the call) and prints
// "notified: <syscall>".
//   --continue  lets the kernel run each notified call instead (what a real agent does for most)
//   --quit      exits once it has the fd (an agent that went away)
//   --wait-eof  reads the connection to its end first, printing "eof" (agents that read the
//               message until the runtime closes the connection)
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/unix_socket.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"

int main(int argc, char** argv) {
    bool continue_calls = false;
    bool quit = false;
    bool wait_eof = false;
    for (int i = 2; i < argc; ++i) {
        const std::string option = argv[i];
        continue_calls |= option == "--continue";
        quit |= option == "--quit";
        wait_eof |= option == "--wait-eof";
        if (option != "--continue" && option != "--quit" && option != "--wait-eof") argc = 0;
    }
    if (argc < 2) {
        std::fprintf(stderr, "usage: seccomp-agent SOCKET [--continue] [--quit] [--wait-eof]\n");
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
        hull::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!connection) hull::throw_errno("accept");
        std::string state;
        hull::UniqueFd notify = hull::sys::receive_fd(connection.get(), &state);
        std::printf("state: %s\n", state.c_str());
        std::fflush(stdout);
        if (quit) return 0;
        if (wait_eof) {
            char byte;
            while (::read(connection.get(), &byte, 1) > 0) {
            }
            std::printf("eof\n");
            std::fflush(stdout);
        }
        seccomp_notif* request = nullptr;
        seccomp_notif_resp* response = nullptr;
        if (seccomp_notify_alloc(&request, &response) != 0) throw hull::Error("seccomp_notify_alloc");
        seccomp_notif_sizes sizes{};
        if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) hull::throw_errno("SECCOMP_GET_NOTIF_SIZES");
        for (;;) {
            pollfd fd{notify.get(), POLLIN, 0};
            if (::poll(&fd, 1, 20000) <= 0 || (fd.revents & POLLHUP) != 0) break;
            // The kernel refuses a request buffer that is not zeroed (EINVAL), and libseccomp 2.5
            // does not clear it.
            std::memset(request, 0, sizes.seccomp_notif);
            if (const int rc = seccomp_notify_receive(notify.get(), request); rc != 0) {
                std::fprintf(stderr, "seccomp-agent: receive: %s\n", std::strerror(-rc));
                break;
            }
            char* name = seccomp_syscall_resolve_num_arch(request->data.arch, request->data.nr);
            std::printf("notified: %s\n", name != nullptr ? name : "?");
            std::fflush(stdout);
            std::free(name);
            response->id = request->id;
            response->val = 0;
            response->error = 0;
            response->flags = continue_calls ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
            seccomp_notify_respond(notify.get(), response);
        }
        seccomp_notify_free(request, response);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "seccomp-agent: %s\n", e.what());
        return 1;
    }
    return 0;
}
