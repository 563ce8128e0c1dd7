#include "common/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "hull/error.hpp"

namespace hull::sys {

UniqueFd connect_unix(const std::string& path, const std::string& what) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path) {
        throw Error(what + " \"" + path + "\": not a usable socket path (1 to " + std::to_string(sizeof address.sun_path - 1) +
                    " bytes)");
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno(what + ": socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw_errno(what + ": connect " + path);
    }
    return fd;
}

void send_fd(int socket, int fd, const std::string& payload, const std::string& what) {
    msghdr message{};
    iovec data{const_cast<char*>(payload.data()), payload.size()};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno(what);
    }
}

UniqueFd receive_fd(int socket, std::string* payload) {
    msghdr message{};
    char buffer[4096];
    iovec data{buffer, sizeof buffer};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0) {
        if (errno != EINTR) throw_errno("recvmsg");
    }
    const cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (header == nullptr || header->cmsg_type != SCM_RIGHTS) throw Error("no file descriptor received");
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    if (payload != nullptr) payload->assign(buffer, static_cast<size_t>(n));
    return UniqueFd(fd);
}

}  // namespace hull::sys
