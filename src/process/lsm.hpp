// Linux security module labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
//
// When the LSM is enabled, the label applies at the process's execve: "exec <profile>" is
// written to attr/apparmor/exec (attr/exec on kernels without the per-LSM directory) and the
// SELinux label to attr/exec, both of /proc/thread-self, through a handle on the host's procfs
// opened by the runtime before the container's rootfs is entered and verified with fstatfs
// (CVE-2019-16884: an image must not be able to fake /proc/self/attr and run unconfined).
// linux.mountLabel becomes context="<label>" in the data of the filesystems hull mounts
// (tmpfs, devpts, mqueue, ...; not proc, sysfs, cgroup or binds).
//
// When the LSM is not enabled, hull refuses the config as runc 1.1 does, but up front and in
// one line naming the field: runc 1.1 rejects a selinuxLabel on a host without SELinux when it
// validates the config, fails an apparmorProfile when the write to attr/exec fails in the
// container init (EINVAL with no AppArmor), and passes a mountLabel to mount(2) as context=,
// which fails without SELinux. Clients (podman, containerd, docker) set these fields only when
// the host has the LSM, so nothing that works with runc is refused.
#pragma once

#include <optional>
#include <string>

#include "common/procfs.hpp"
#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::lsm {

// Which LSMs the host has enabled.
struct HostLsms {
    bool apparmor = false;  // /sys/module/apparmor/parameters/enabled is "Y"
    bool selinux = false;   // selinuxfs is mounted on /sys/fs/selinux and we are not "kernel"
};

HostLsms detect();

// What the process gets: the attr/exec values to write before execve and the mount label.
struct Labels {
    std::optional<std::string> apparmor_profile;
    std::optional<std::string> selinux_label;
    std::optional<std::string> mount_label;
    bool any() const { return apparmor_profile || selinux_label || mount_label; }
};

// The decision: empty values are unset; a value for an LSM the host does not have is an error
// naming the field (see the file comment). Throws hull::Error.
Labels resolve(const std::optional<std::string>& apparmor_profile, const std::optional<std::string>& selinux_label,
               const std::optional<std::string>& mount_label, const HostLsms& host);
// The same for a config's process and linux.mountLabel, detecting the host only when a label is
// set (no cost otherwise).
Labels resolve(const oci::Process& process, const std::optional<std::string>& mount_label);

// Mount data with the SELinux context option appended (unchanged without a label).
std::string with_mount_label(const std::string& data, const std::optional<std::string>& mount_label);
// Whether a filesystem type gets linux.mountLabel (runc: not proc, sysfs, cgroup, bind).
bool takes_mount_label(const std::string& type);

// The attr file an LSM's exec label goes to, relative to /proc: "thread-self/attr/apparmor/exec"
// when the kernel has the per-LSM directory, else "thread-self/attr/exec".
std::string exec_attr_path(bool apparmor, bool has_apparmor_dir);

// In the container process, right before execve (before seccomp and the user switch): writes the
// exec labels through `proc`, a private procfs the runtime opened before the container existed.
// Throws naming the field and errno text.
void apply_exec_labels(const procfs::Handle& proc, const Labels& labels);
// SELinux: the label of keyrings this thread creates (the session keyring), as runc does.
void apply_key_label(const procfs::Handle& proc, const Labels& labels);

}  // namespace hull::lsm
