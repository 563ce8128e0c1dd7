// AppArmor and SELinux labels; the policy is described in include/hull/lsm.hpp.
#include "hull/lsm.hpp"

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

constexpr unsigned long proc_root_inode = 1;

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

// Opens `path` below the procfs root without leaving it: no magic links, no other mounts.
UniqueFd open_in_procfs(int procfs, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, procfs, path.c_str(), &how, sizeof how)));
    if (!fd && errno == ENOSYS) fd.reset(::openat(procfs, path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW));
    return fd;
}

// Writes `value` to /proc/<path> through the verified handle; returns 0 or the write's errno.
int write_attr(int procfs, const std::string& path, const std::string& value, const std::string& field) {
    if (procfs < 0) throw Error(field + ": no procfs handle to write /proc/" + path);
    UniqueFd fd = open_in_procfs(procfs, path, O_WRONLY);
    if (!fd) throw_errno(field + ": open /proc/" + path);
    struct statfs fs {};
    if (::fstatfs(fd.get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
        throw Error(field + ": /proc/" + path + " is not on a procfs");
    }
    return ::write(fd.get(), value.data(), value.size()) < 0 ? errno : 0;
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

UniqueFd open_host_procfs() {
    UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!proc) throw_errno("open /proc for the LSM labels");
    struct statfs fs {};
    struct stat st {};
    if (::fstatfs(proc.get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC || ::fstat(proc.get(), &st) != 0 ||
        st.st_ino != proc_root_inode) {
        throw Error("/proc is not the root of a procfs: cannot apply LSM labels safely");
    }
    return proc;
}

void apply_exec_labels(int procfs, const Labels& labels) {
    if (labels.apparmor_profile) {
        const std::string& profile = *labels.apparmor_profile;
        struct stat st {};
        const bool has_dir = ::fstatat(procfs, "thread-self/attr/apparmor", &st, 0) == 0;
        const std::string path = exec_attr_path(true, has_dir);
        const int err = write_attr(procfs, path, "exec " + profile, "process.apparmorProfile");
        // AppArmor answers ENOENT for a profile it has not loaded.
        if (err == ENOENT) throw Error("process.apparmorProfile \"" + profile + "\": profile not loaded", err);
        if (err != 0) throw_errno("process.apparmorProfile \"" + profile + "\": write /proc/" + path, err);
    }
    if (labels.selinux_label) {
        const std::string path = exec_attr_path(false, false);
        const int err = write_attr(procfs, path, *labels.selinux_label, "process.selinuxLabel");
        if (err != 0) throw_errno("process.selinuxLabel \"" + *labels.selinux_label + "\": write /proc/" + path, err);
    }
}

void apply_key_label(int procfs, const Labels& labels) {
    if (!labels.selinux_label) return;
    const int err = write_attr(procfs, "thread-self/attr/keycreate", *labels.selinux_label, "process.selinuxLabel");
    if (err != 0) throw_errno("process.selinuxLabel \"" + *labels.selinux_label + "\": write /proc/thread-self/attr/keycreate", err);
}

}  // namespace hull::lsm
