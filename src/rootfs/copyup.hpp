// tmpcopyup (a runc/crun mount option podman sends for --read-only): a new tmpfs starts with a
// copy of what the rootfs had at its destination.
#pragma once

#include <string>

namespace hull::rootfs {

// Copies the tree below directory fd `from` into directory fd `to`: directories, regular files,
// symlinks (never followed) and fifos, with their modes and owners. Device nodes and sockets are
// skipped. Every lookup is fd-relative with O_NOFOLLOW, so nothing outside `from` is read.
// Throws hull::Error naming `what` and the relative path that failed.
void copy_tree(int from, int to, const std::string& what);

}  // namespace hull::rootfs
