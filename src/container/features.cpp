#include <seccomp.h>

#include <algorithm>

#include "hull/container.hpp"
#include "hull/namespaces.hpp"
#include "hull/process.hpp"
#include "hull/rootfs.hpp"

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
    linux.seccomp.actions = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",        "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
                             "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};
    linux.seccomp.operators = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",       "SCMP_CMP_LE",
                               "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ"};
    linux.seccomp.archs = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",     "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
                           "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
                           "SCMP_ARCH_PPC",     "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_RISCV64",
                           "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",   "SCMP_ARCH_X32",      "SCMP_ARCH_X86",
                           "SCMP_ARCH_X86_64"};
    linux.seccomp.knownFlags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG",
                                "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    linux.seccomp.supportedFlags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                    "SECCOMP_FILTER_FLAG_LOG"};
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
