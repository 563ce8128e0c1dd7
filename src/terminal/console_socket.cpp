#include <fcntl.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "hull/error.hpp"
#include "hull/terminal.hpp"

namespace hull::terminal {

UniqueFd connect_console_socket(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw Error("--console-socket " + path + ": path too long");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("--console-socket: socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw_errno("--console-socket: connect " + path);
    }
    return fd;
}

void send_fd(int socket, int fd, const std::string& name) {
    msghdr message{};
    iovec payload{const_cast<char*>(name.data()), name.size()};
    message.msg_iov = &payload;
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
        if (errno != EINTR) throw_errno("send terminal master over --console-socket");
    }
}

UniqueFd receive_fd(int socket, std::string* name) {
    msghdr message{};
    char buffer[4096];
    iovec payload{buffer, sizeof buffer};
    message.msg_iov = &payload;
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
    if (name != nullptr) name->assign(buffer, static_cast<size_t>(n));
    return UniqueFd(fd);
}

// /dev/console must be a file we created or a device node, never a symlink (CVE-2025-52565).
UniqueFd open_console_target() {
    UniqueFd dev(::open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dev) throw_errno("open /dev for /dev/console");
    UniqueFd created(::openat(dev.get(), "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!created && errno != EEXIST) throw_errno("create /dev/console");
    UniqueFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) throw_errno("open /dev/console");
    struct stat st {};
    if (::fstat(target.get(), &st) != 0) throw_errno("stat /dev/console");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        throw Error("/dev/console in the container is not a regular file or device (symlink?)");
    }
    return target;
}

namespace {

void bind_on_console(int slave, int target) {
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
    if (!tree) throw_errno("open_tree of the terminal for /dev/console");
    if (::syscall(SYS_move_mount, tree.get(), "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
        throw_errno("bind the terminal on /dev/console");
    }
}

}  // namespace

void setup_container_terminal(int console_socket, const std::optional<oci::Box>& size, int console_target) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("open /dev/ptmx in the container");
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) throw_errno("unlock pty");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("open pty peer");
    if (size) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        if (::ioctl(slave.get(), TIOCSWINSZ, &ws) != 0) throw_errno("process.consoleSize: set window size");
    }
    if (console_target >= 0) bind_on_console(slave.get(), console_target);
    if (::setsid() < 0 && errno != EPERM) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("make the pty the controlling terminal");
    for (int target = 0; target <= 2; ++target) {
        if (::dup2(slave.get(), target) < 0) throw_errno("dup2 pty onto stdio");
    }
    send_fd(console_socket, master.get(), "/dev/console");
}

}  // namespace hull::terminal
