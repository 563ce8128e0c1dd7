// Flag strings the verbs take, turned into the values libhull works with. Errors name the flag.
#pragma once

#include <cstdint>
#include <string>

#include "hull/container.hpp"

namespace hull::cli {

// "KILL", "SIGKILL", "sigterm", "9", "RTMIN+1", "0" (a liveness check); throws for an unknown signal.
int parse_signal(const std::string& text);

// --user "UID[:GID]" (numeric, as runc takes it; the gid defaults to 0).
ExecUser parse_user(const std::string& text);

// --env "KEY=VALUE": throws unless it has a key and an '='.
void check_env_entry(const std::string& entry);

// exec --cgroup: a path below the container's cgroup, never out of it ("..").
void check_sub_cgroup(const std::string& path);

}  // namespace hull::cli
