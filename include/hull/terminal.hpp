// process.terminal: the pty is created inside the container and its master is handed to the
// caller over the --console-socket unix socket with SCM_RIGHTS (the containerd/conmon protocol).
#pragma once

#include <optional>
#include <string>

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::terminal {

// Connects to the caller's console socket (done by the runtime, before the container exists).
UniqueFd connect_console_socket(const std::string& path);

// In the container process, after pivot_root: opens a pty from the container's /dev/ptmx, makes
// its slave the controlling terminal and stdin/stdout/stderr, bind-mounts it on /dev/console
// (created without following symlinks) and sends the master over `console_socket`.
// `bind_console` is false for exec: the container's /dev/console belongs to its init.
void setup_container_terminal(int console_socket, const std::optional<oci::Box>& size, bool bind_console = true);

void send_fd(int socket, int fd, const std::string& name);
// Returns the fd received with SCM_RIGHTS and the name sent with it.
UniqueFd receive_fd(int socket, std::string* name = nullptr);

}  // namespace hull::terminal
