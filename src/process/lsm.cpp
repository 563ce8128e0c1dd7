// AppArmor and SELinux labels; the policy is described in include/hull/lsm.hpp.
#include "process/lsm.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>

#include "hull/error.hpp"

namespace hull::lsm {

namespace {

bool read_first_line(const char* path, std::string& line) {
    std::ifstream file(path);
    return file && static_cast<bool>(std::getline(file, line));
}

bool apparmor_enabled() {
    std::string value;
    return read_first_line("/sys/module/apparmor/parameters/enabled", value) && !value.empty() && value[0] == 'Y';
}

bool selinux_enabled() {
    struct statfs fs {};
    if (::statfs("/sys/fs/selinux", &fs) != 0 || fs.f_type != SELINUX_MAGIC) return false;
    // go-selinux's test as well: a process still labelled "kernel" has no policy loaded.
    std::string current;
    if (!read_first_line("/proc/thread-self/attr/current", current)) return false;
    while (!current.empty() && (current.back() == '\0' || current.back() == '\n')) current.pop_back();
    return current != "kernel";
}

bool set(const std::optional<std::string>& value) { return value && !value->empty(); }

// Writes `value` to /proc/<path> through the private procfs; returns 0 or the errno.
int write_attr(const procfs::Handle& proc, const std::string& path, const std::string& value) {
    return proc.try_write(path, value);
}

}  // namespace

HostLsms detect() { return {apparmor_enabled(), selinux_enabled()}; }

Labels resolve(const std::optional<std::string>& apparmor_profile, const std::optional<std::string>& selinux_label,
               const std::optional<std::string>& mount_label, const HostLsms& host) {
    Labels labels;
    if (set(apparmor_profile)) {
        if (!host.apparmor) {
            throw Error("process.apparmorProfile \"" + *apparmor_profile +
                            "\": AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled)",
                        EINVAL);
        }
        labels.apparmor_profile = apparmor_profile;
    }
    if (set(selinux_label)) {
        if (!host.selinux) {
            throw Error("process.selinuxLabel \"" + *selinux_label + "\": SELinux is disabled or not supported on this host",
                        EINVAL);
        }
        labels.selinux_label = selinux_label;
    }
    if (set(mount_label)) {
        if (!host.selinux) {
            throw Error("linux.mountLabel \"" + *mount_label + "\": SELinux is disabled or not supported on this host",
                        EINVAL);
        }
        if (mount_label->find_first_of("\"\n") != std::string::npos) {
            throw Error("linux.mountLabel \"" + *mount_label + "\": must not contain '\"' or a newline", EINVAL);
        }
        labels.mount_label = mount_label;
    }
    return labels;
}

Labels resolve(const oci::Process& process, const std::optional<std::string>& mount_label) {
    if (!set(process.apparmorProfile) && !set(process.selinuxLabel) && !set(mount_label)) return {};
    return resolve(process.apparmorProfile, process.selinuxLabel, mount_label, detect());
}

std::string with_mount_label(const std::string& data, const std::optional<std::string>& mount_label) {
    if (!set(mount_label)) return data;
    const std::string option = "context=\"" + *mount_label + "\"";
    return data.empty() ? option : data + "," + option;
}

bool takes_mount_label(const std::string& type) {
    return type != "proc" && type != "sysfs" && type != "cgroup" && type != "cgroup2" && type != "bind" &&
           type != "none" && !type.empty();
}

std::string exec_attr_path(bool apparmor, bool has_apparmor_dir) {
    return apparmor && has_apparmor_dir ? "thread-self/attr/apparmor/exec" : "thread-self/attr/exec";
}

void apply_exec_labels(const procfs::Handle& proc, const Labels& labels) {
    if (labels.apparmor_profile) {
        const std::string& profile = *labels.apparmor_profile;
        const bool has_dir = static_cast<bool>(proc.open_file("thread-self/attr/apparmor", O_PATH | O_DIRECTORY));
        const std::string path = exec_attr_path(true, has_dir);
        const int err = write_attr(proc, path, "exec " + profile);
        // AppArmor answers ENOENT for a profile it has not loaded.
        if (err == ENOENT) throw Error("process.apparmorProfile \"" + profile + "\": profile not loaded", err);
        if (err != 0) throw_errno("process.apparmorProfile \"" + profile + "\": write /proc/" + path, err);
    }
    if (labels.selinux_label) {
        const std::string path = exec_attr_path(false, false);
        const int err = write_attr(proc, path, *labels.selinux_label);
        if (err != 0) throw_errno("process.selinuxLabel \"" + *labels.selinux_label + "\": write /proc/" + path, err);
    }
}

void apply_key_label(const procfs::Handle& proc, const Labels& labels) {
    if (!labels.selinux_label) return;
    const int err = write_attr(proc, "thread-self/attr/keycreate", *labels.selinux_label);
    if (err != 0) throw_errno("process.selinuxLabel \"" + *labels.selinux_label + "\": write /proc/thread-self/attr/keycreate", err);
}

}  // namespace hull::lsm
