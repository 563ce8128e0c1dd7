#include "container/config.hpp"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "container/lifecycle_internal.hpp"
#include "container/process_setup.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "namespaces/net_devices.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::container {

namespace {

std::string real_path(const std::string& path, const std::string& what) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) throw_errno(what + " " + path);
    return resolved;
}

// The checks that need no host resource; the seccomp profile is checked as it is compiled.
void validate_for_linux(oci::Spec& spec) {
    if (!spec.process) throw Error("config.json: process: required to create a container");
    if (!spec.root) throw Error("config.json: root: required to create a container");
    drop_unknown_capabilities(*spec.process, oci::has_namespace(spec, "user"));
    check_process_limits(*spec.process, spec.linux.value_or(oci::Linux{}));
    ns::validate_sysctl(spec);
    rootfs::validate_mounts(spec);
    if (!oci::has_namespace(spec, "mount")) rootfs::validate_without_mount_namespace(spec);
    ns::validate_net_devices(spec);
}

unsigned add_socket_activation_env(oci::Process& process) {
    const unsigned count = socket_activation_fds();
    if (count == 0) return 0;
    process.env.push_back("LISTEN_FDS=" + std::to_string(count));
    process.env.push_back("LISTEN_PID=1");
    return static_cast<unsigned>(count);
}

}  // namespace

ContainerConfig load_container_config(const std::string& id, const std::string& bundle) {
    ContainerConfig config;
    config.id = id;
    config.bundle = real_path(bundle, "bundle");
    config.spec = oci::load_config_file(config.bundle + "/config.json");
    oci::Spec& spec = config.spec;
    validate_for_linux(spec);
    if (spec.linux && spec.linux->seccomp) config.seccomp = seccomp::Filter::compile(*spec.linux->seccomp);
    if (spec.linux && spec.linux->intelRdt) config.rdt = resctrl::plan(*spec.linux->intelRdt, id, resctrl::find_mount());
    if (spec.linux && spec.linux->memoryPolicy) {
        config.memory_policy = process::plan_memory_policy(*spec.linux->memoryPolicy, process::online_numa_nodes());
    }
    config.activation_fds = add_socket_activation_env(*spec.process);
    const std::string& root_path = spec.root->path;
    config.rootfs = real_path(root_path.front() == '/' ? root_path : config.bundle + "/" + root_path, "root.path");
    struct stat st {};
    if (::stat(config.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw Error("root.path " + config.rootfs + ": not a directory");
    }
    config.labels = lsm::resolve(*spec.process, spec.linux ? spec.linux->mountLabel : std::nullopt);
    config.namespaces = ns::plan(spec);
    config.host_mount_namespace = !oci::has_namespace(spec, "mount");
    log::debug("config loaded: ", config.bundle, "/config.json (container ", id, ", rootfs ", config.rootfs, ")");
    return config;
}

oci::State ContainerConfig::state(pid_t pid, const std::string& status) const {
    return container_state(id, bundle, spec.annotations, pid, status);
}

}  // namespace hull::container
