// The container's root filesystem: mounts, devices, pivot_root, masked and read-only paths.
// Runs in the container init process, inside its own mount namespace. The rootfs is
// attacker-controlled: every path inside it is resolved fd-relative without following
// symlinks out of it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "hull/fd.hpp"
#include "namespaces/namespaces.hpp"
#include "oci/config.hpp"

namespace hull::container {
struct ContainerConfig;
}  // namespace hull::container

namespace hull::rootfs {

// What prepare, enter and finalize read: the container's config (spec, bundle, namespace plan,
// mount label), and what only the runtime knows.
struct Context {
    const container::ContainerConfig* config = nullptr;
    std::string rootfs;           // config->rootfs, or the overlay mounted over it
    // In a user namespace (the container's, or the one hull runs in): no mknod, devices are bound
    // from the host, sysfs may need the host's bound.
    bool user_namespace = false;
    const cgroups::Layout* cgroup_layout = nullptr;
    std::string cgroup_path;      // the container's cgroup path, for cgroup mounts without cgroupns
    bool no_pivot = false;        // --no-pivot: MS_MOVE + chroot instead of pivot_root
    // Per config mount, a bind tree the runtime cloned in the host's mount namespace (-1: none).
    // See open_host_trees.
    std::vector<int> host_trees;

    const oci::Spec& spec() const;
    // No mount namespace in the config: the container shares the runtime's (runtime-spec: a type
    // not listed is inherited). Mounts are made below the rootfs there, / is left alone, the
    // process is chrooted; delete unmounts them (unmount_below).
    bool host_mount_namespace() const;
    bool cgroup_namespace() const;
    // linux.mountLabel when SELinux is enabled (process/lsm.hpp).
    const std::optional<std::string>& mount_label() const;
};

inline constexpr bool idmapped_mounts = true;  // what `features` reports (mountExtensions.idmap)

// Copy-on-write rootfs, opt-in per container: the bundle's rootfs is the read-only lower layer
// of an overlay whose upper layer lives in the state dir (removed by delete) or, with the second
// annotation, in a directory the user keeps (a "commit").
inline constexpr const char* overlay_annotation = "run.oci.hull.overlay";
inline constexpr const char* overlay_upper_annotation = "run.oci.hull.overlay.upperdir";

struct OverlayDirs {
    std::string upper;
    std::string work;
    std::string merged;
    bool upper_kept = false;
};

// What the annotations ask for; nullopt when the overlay is not requested.
std::optional<OverlayDirs> overlay_request(const oci::StringMap& annotations, const std::string& state_dir);
// In the runtime: creates the directories.
void make_overlay_dirs(const OverlayDirs& dirs);
// In the container's mount namespace: mounts the overlay of `lower` on dirs.merged.
void mount_overlay(const std::string& lower, const OverlayDirs& dirs);

// Without a mount namespace of its own, what would change the runtime's whole namespace is
// refused (root.readonly, rootfsPropagation, the overlay annotations).
void validate_without_mount_namespace(const oci::Spec& spec);
// Detaches every mount below `rootfs` (deepest first): what a container without a mount
// namespace left in the runtime's. Best effort, never throws.
void unmount_below(const std::string& rootfs) noexcept;

// In the runtime, before anything is made: refuses each config mount no mount call could apply
// as asked (mount options; id mappings on a mount that is not a bind, or idmap without a mapping
// to take), naming mounts[i].
void validate_mounts(const oci::Spec& spec);

// In the runtime, before the container process exists: the bind trees it cannot clone itself,
// per config mount (empty fds elsewhere); the container process attaches them.
// - Idmapped binds (idmap, ridmap, mounts[].uidMappings/gidMappings): MOUNT_ATTR_IDMAP needs
//   CAP_SYS_ADMIN over the source's filesystem (the host's), which the container's user namespace
//   never has. A mount without mappings of its own maps as the container's user namespace does.
// - Binds with shared/rshared propagation, so that the clone is a peer of the host's mount and
//   what the container mounts under it propagates back to the host (Kubernetes' Bidirectional).
//   A clone made in the container's namespace, which is rslave while it is set up, could only
//   be the host's slave. None with a user namespace (the tree could not be attached there).
std::vector<UniqueFd> open_host_trees(const oci::Spec& spec, const std::string& bundle, const ns::Plan& namespaces);

// Every mount option hull applies, sorted: what `features` reports (mount_options.cpp's tables).
std::vector<std::string> known_mount_options();

// Before the createContainer hooks: sets mount propagation (rootfsPropagation, default rslave on
// "/"), bind-mounts the rootfs on itself, performs every config mount in order with its options,
// creates the default devices, linux.devices and the /dev symlinks.
void prepare(const Context& ctx);

// After the createContainer hooks: pivot_root (or MS_MOVE + chroot). cwd is "/" afterwards.
void enter(const Context& ctx);

// After sysctl (which needs a writable /proc/sys): maskedPaths, readonlyPaths, root.readonly and
// the rootfsPropagation of the new root.
void finalize(const Context& ctx);

}  // namespace hull::rootfs
