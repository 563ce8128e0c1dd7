// What create needs from the bundle, validated and resolved once, before anything is made: the
// one type to follow to find where a config field is applied.
#pragma once

#include <optional>
#include <string>

#include "namespaces/namespaces.hpp"
#include "oci/config.hpp"
#include "oci/state.hpp"
#include "process/lsm.hpp"
#include "process/placement.hpp"
#include "resctrl/resctrl.hpp"
#include "seccomp/seccomp.hpp"

namespace hull::container {

struct ContainerConfig {
    std::string id;
    std::string bundle;  // absolute
    std::string rootfs;  // absolute, canonical root.path
    // Validated; capabilities this kernel lacks dropped; LISTEN_FDS/LISTEN_PID added when hull
    // was socket-activated.
    oci::Spec spec;
    unsigned activation_fds = 0;  // fds from 3 passed on for socket activation
    ns::Plan namespaces;
    // No mount namespace in the config: the container shares the runtime's (runtime-spec: a type
    // not listed is inherited).
    bool host_mount_namespace = false;
    lsm::Labels labels;                          // checked against the host
    std::optional<seccomp::Filter> seccomp;      // compiled here, loaded by the container process
    std::optional<process::MemoryPolicyPlan> memory_policy;
    std::optional<resctrl::Plan> rdt;

    // The runtime-spec state document of this container.
    oci::State state(pid_t pid, const std::string& status) const;
};

// Reads BUNDLE/config.json and builds the config of container `id`. Errors name the JSON path.
ContainerConfig load_container_config(const std::string& id, const std::string& bundle);

}  // namespace hull::container
