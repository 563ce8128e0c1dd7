// Bind mounts as detached trees: open_tree(OPEN_TREE_CLONE), mount_setattr for their attributes
// and, for idmapped mounts, their id mapping; move_mount attaches them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hull/fd.hpp"
#include "oci/config.hpp"
#include "rootfs/mount_options.hpp"

namespace hull::rootfs {

// "mount SOURCE on DEST (mounts[i])": how errors name a config mount.
std::string describe_mount(const oci::Mount& m, size_t index);

// The host path a bind mount's source names (a relative source is the bundle's).
std::string bind_source(const oci::Mount& m, const std::string& bundle);

// mount_setattr of one set of attributes (AT_RECURSIVE for the r* options); the access-time
// mode is one field, replaced as a whole.
void set_attributes(int tree_fd, unsigned flags, uint64_t set, uint64_t clear, const std::optional<uint64_t>& atime,
                    const std::string& what);
void set_recursive_attributes(int tree_fd, const MountOptions& options, const std::string& what);

bool is_bind(const oci::Mount& m, const MountOptions& options);
// idmap, ridmap, or mappings of its own.
bool wants_idmap(const oci::Mount& m, const MountOptions& options);

// A detached copy of `source` (with its submounts for rbind), idmapped with the user namespace
// `idmap_userns` when it is not -1 (all submounts for `recursive_idmap`, ridmap). Throws naming
// `what`.
UniqueFd clone_source(const std::string& source, const MountOptions& options, const std::string& what,
                      int idmap_userns = -1);

// host_trees.cpp: refuses at create an idmapped mount that is not a bind, or the idmap option without
// mappings of its own or of the container's user namespace.
void check_idmap(const oci::Spec& spec, const oci::Mount& m, size_t index);

}  // namespace hull::rootfs
