// OCI hooks: run a hook program with the container state on stdin, its args, env and timeout.
#pragma once

#include <string>
#include <vector>

#include "oci/config.hpp"

namespace hull::hooks {

// Runs each hook in order; the first failure throws hull::Error naming the hook kind, index,
// path and the reason (exit status, signal, timeout) with the hook's stderr appended.
// `kind` is the config key, e.g. "createRuntime".
void run_all(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json);

// Like run_all but a failure is logged as a warning and the remaining hooks still run
// (poststart, poststop).
void run_all_warn(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json);

}  // namespace hull::hooks
