// The container's network namespace, as seen from the runtime's.
#pragma once

#include <sys/types.h>

#include <string>

namespace hull::net {

// Throws when the process `pid` shares our network namespace (the container has none of its own).
void check_own_netns(pid_t pid);

// Sets lo up in the network namespace at `netns_path` (the CNI chain only configures CNI_IFNAME).
void bring_up_loopback(const std::string& netns_path);

}  // namespace hull::net
