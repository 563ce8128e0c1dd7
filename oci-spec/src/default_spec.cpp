// The config `hull spec` writes: the shape of `runc spec`, with a user namespace for --rootless.
#include "oci/config.hpp"

namespace oci {

namespace {

Mount mount(std::string destination, std::string type, std::string source, std::vector<std::string> options) {
    Mount m;
    m.destination = std::move(destination);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

}  // namespace

Spec default_spec(bool rootless, uint32_t host_uid, uint32_t host_gid) {
    Spec spec;
    spec.ociVersion = spec_version;
    Process process;
    process.terminal = true;
    process.args = {"sh"};
    process.env = {std::string(default_path_env), "TERM=xterm"};
    process.cwd = std::string(1, '/');
    const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    process.capabilities = LinuxCapabilities{caps, caps, std::nullopt, caps, std::nullopt};
    process.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}};
    process.noNewPrivileges = true;
    spec.process = process;
    spec.root = Root{"rootfs", true};
    spec.hostname = "hull";
    spec.mounts = {
        mount("/proc", "proc", "proc", {}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              rootless ? std::vector<std::string>{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
                       : std::vector<std::string>{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
                 : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
    };
    Linux linux;
    linux.maskedPaths = {"/proc/acpi",          "/proc/asound",        "/proc/kcore",       "/proc/keys",
                         "/proc/latency_stats", "/proc/timer_list",    "/proc/timer_stats", "/proc/sched_debug",
                         "/sys/firmware",       "/proc/scsi"};
    linux.readonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    linux.namespaces = {{"pid", {}}, {"ipc", {}}, {"uts", {}}, {"mount", {}}};
    if (rootless) {
        linux.namespaces.push_back({"user", {}});
        linux.uidMappings = {{0, host_uid, 1}};
        linux.gidMappings = {{0, host_gid, 1}};
    } else {
        linux.namespaces.insert(linux.namespaces.begin() + 1, {"network", {}});
        linux.resources = LinuxResources{};
        linux.resources->devices = {{false, std::nullopt, std::nullopt, std::nullopt, std::string("rwm")}};
    }
    spec.linux = linux;
    return spec;
}

}  // namespace oci
