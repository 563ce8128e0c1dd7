// Unix stream sockets that carry a file descriptor (SCM_RIGHTS): the console socket (the pty
// master goes to the caller) and the seccomp agent (the notify fd goes to listenerPath).
#pragma once

#include <string>

#include "hull/fd.hpp"

namespace hull::sys {

// Connects to the socket at `path`. Failures name `what` (the config field or option the path
// came from) and the path.
UniqueFd connect_unix(const std::string& path, const std::string& what);

// Sends `fd` with `payload` as the message; failures name `what`.
void send_fd(int socket, int fd, const std::string& payload, const std::string& what);

// Returns the fd received with SCM_RIGHTS and the payload sent with it.
UniqueFd receive_fd(int socket, std::string* payload = nullptr);

}  // namespace hull::sys
