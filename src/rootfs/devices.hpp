#pragma once

#include "oci/config.hpp"

namespace hull::rootfs {

// Default devices (only when /dev is a mount of the config, as runc does), linux.devices and the
// /dev symlinks. In a user namespace, device nodes are bind mounts of the host's.
void create_devices(const oci::Spec& spec, int root_fd, bool dev_from_config, bool user_namespace, bool has_devpts);

}  // namespace hull::rootfs
