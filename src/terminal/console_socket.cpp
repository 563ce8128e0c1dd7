#include <fcntl.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/unix_socket.hpp"
#include "hull/error.hpp"
#include "terminal/terminal.hpp"

namespace hull::terminal {


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

Pty open_pty(const char* ptmx, const std::optional<oci::Box>& size, uid_t owner) {
    Pty pty;
    pty.master.reset(::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.master) throw_errno(std::string("open ") + ptmx);
    int unlock = 0;
    if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) throw_errno("unlock pty");
    pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave) throw_errno("open pty peer");
    if (owner != 0 && ::fchown(pty.slave.get(), owner, static_cast<gid_t>(-1)) != 0) throw_errno("chown the pty to process.user.uid");
    if (size) {
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        if (::ioctl(pty.slave.get(), TIOCSWINSZ, &ws) != 0) throw_errno("process.consoleSize: set window size");
    }
    return pty;
}

void setup_container_terminal(int console_socket, const std::optional<oci::Box>& size, int console_target, uid_t owner) {
    Pty pty = open_pty("/dev/ptmx", size, owner);
    const UniqueFd master = std::move(pty.master);
    const UniqueFd slave = std::move(pty.slave);
    if (console_target >= 0) bind_on_console(slave.get(), console_target);
    if (::setsid() < 0 && errno != EPERM) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("make the pty the controlling terminal");
    for (int target = 0; target <= 2; ++target) {
        if (::dup2(slave.get(), target) < 0) throw_errno("dup2 pty onto stdio");
    }
    sys::send_fd(console_socket, master.get(), "/dev/console", "send terminal master over --console-socket");
}

}  // namespace hull::terminal
