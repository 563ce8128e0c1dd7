#include <seccomp.h>

#include <algorithm>

#include "hull/container.hpp"
#include "namespaces/namespaces.hpp"
#include "process/process.hpp"
#include "rootfs/rootfs.hpp"
#include "seccomp/seccomp.hpp"

namespace hull {

namespace {

std::string libseccomp_version() {
    const scmp_version* v = seccomp_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace

oci::Features runtime_features() {
    oci::Features features;
    features.hooks = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
    features.mountOptions = rootfs::known_mount_options();
    auto& linux = features.linux;
    linux.namespaces = ns::known_types();
    linux.capabilities = process::known_capabilities();
    linux.cgroup.v1 = true;
    linux.cgroup.v2 = true;
    linux.cgroup.systemd = true;  // transient scopes over D-Bus where systemd runs (not the user instance)
    linux.cgroup.rdma = true;     // rdma.max, on cgroup v2
    linux.seccomp.enabled = true;
    // Support is built in (hull/lsm.hpp); whether the host has the LSM is another matter.
    linux.apparmor = true;
    linux.selinux = true;
    linux.seccomp.actions = seccomp::supported_actions();
    linux.seccomp.operators = seccomp::supported_operators();
    linux.seccomp.archs = seccomp::supported_architectures();
    linux.seccomp.knownFlags = seccomp::supported_flags();
    linux.seccomp.supportedFlags = seccomp::supported_flags();
    linux.intelRdt = true;      // hull/resctrl.hpp; refused where no resctrl is mounted
    linux.memoryPolicy = true;  // hull/placement.hpp
    linux.netDevices = true;    // hull/net_devices.hpp
    linux.mountIdmap = rootfs::idmapped_mounts;
    features.annotations["io.github.seccomp.libseccomp.version"] = libseccomp_version();
    // runc's key, which callers read; present only where `criu check` passes.
    if (const CheckpointSupport criu = checkpoint_support(); criu.available) {
        features.annotations["org.opencontainers.runc.checkpoint.enabled"] = "true";
        features.annotations["org.criu.version"] = criu.criu_version;
    }
    // They make hull mount an overlay whose upper layer is a host directory the config names.
    features.potentiallyUnsafeConfigAnnotations = {rootfs::overlay_annotation, rootfs::overlay_upper_annotation};
    return features;
}

}  // namespace hull
