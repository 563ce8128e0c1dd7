// OCI hooks: run a hook program with the container state on stdin, its args, env and timeout.
#pragma once

#include <string>
#include <vector>

#include "oci/config.hpp"
#include "oci/state.hpp"

namespace hull::hooks {

// Runs each hook in order; the first failure throws hull::Error naming the hook kind, index,
// path and the reason (exit status, signal, timeout) with the hook's stderr appended.
// `kind` is the config key, e.g. "createRuntime". Hooks run in the runtime's namespaces get the
// state's bundle as their working directory, as runc's do; those run in the container's
// (createContainer, startContainer) keep the container process's.
void run_all(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state);
void run_all_in_container(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state);

// Like run_all but a failure is logged as a warning and the remaining hooks still run
// (poststart, poststop).
void run_all_warn(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state);

}  // namespace hull::hooks
