// linux.netDevices: host network interfaces moved into the container's network namespace
// (renamed per `name`) at create, and moved back, under their host names, at delete.
#pragma once

#include <sys/types.h>

#include <string>

#include "oci/config.hpp"

namespace hull::ns {

// Refuses, naming linux.netDevices, a config whose devices cannot be moved: no network
// namespace of the container's own, a name that is not an interface name, two devices given
// the same name, or a device this host's namespace does not have.
void validate_net_devices(const oci::Spec& spec);

// Moves each device into the network namespace of `pid`, renamed.
void move_net_devices_in(const oci::Linux& linux, pid_t pid);

// Moves each device from the network namespace open at `netns_fd` back into ours under its host
// name. Devices already gone are skipped; failures are warnings (delete goes on).
void move_net_devices_out(const oci::Linux& linux, int netns_fd) noexcept;

// A new network namespace ends with the container's process, and the devices in it with it
// (virtual ones are destroyed): create binds it on `path` in the state dir so that delete can
// give them back; delete unbinds it.
void keep_netns(pid_t pid, const std::string& path);
void release_netns(const std::string& path) noexcept;

}  // namespace hull::ns
