// The container process: from clone3 to execve of the user program.
#pragma once

#include <string>

#include "cgroups/layout.hpp"
#include "container/config.hpp"
#include "namespaces/namespaces.hpp"
#include "oci/config.hpp"
#include "process/lsm.hpp"
#include "process/placement.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::container {

struct InitContext {
    const ContainerConfig* config = nullptr;
    // Namespaces were created by clone3 itself (nothing to join first).
    bool created_by_clone = false;
    const cgroups::Layout* cgroup_layout = nullptr;
    std::string cgroup_path;
    int sync_fd = -1;
    int state_dir_fd = -1;       // O_PATH dir holding exec.fifo
    int console_socket_fd = -1;  // -1 without process.terminal
    int seccomp_agent_fd = -1;   // connected listenerPath socket when the profile uses SCMP_ACT_NOTIFY
    unsigned preserve_fds = 0;   // fds 3 .. 3+preserve_fds-1 stay open
    bool no_pivot = false;
    bool no_new_keyring = false;
    std::optional<rootfs::OverlayDirs> overlay;  // the copy-on-write rootfs, when the annotations ask for it
    const procfs::Handle* procfs = nullptr;  // private host procfs for the labels (empty without them)
    std::vector<int> host_trees;  // rootfs::open_host_trees, per config mount (-1: none)
};

// Runs in the child of clone3; never returns.
[[noreturn]] void run_init(const InitContext& ctx);

}  // namespace hull::container
