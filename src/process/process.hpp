// The container process's identity: rlimits, user and groups, capabilities, no_new_privs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace hull::process {

// Maps "CAP_SYS_ADMIN" to its number; throws hull::Error for an unknown name
// ("process.capabilities.bounding: unknown capability \"CAP_FOO\"").
int capability_from_name(const std::string& name, const std::string& field);
// Every capability this kernel knows, as "CAP_..." names.
std::vector<std::string> known_capabilities();

// setrlimit for each entry; a value above the current hard limit without CAP_SYS_RESOURCE is an
// error naming the rlimit and the errno text.
void apply_rlimits(const std::vector<oci::POSIXRlimit>& rlimits);

// Drops everything not in the bounding set, switches to user.uid/gid/additionalGids while keeping
// the permitted capabilities (PR_SET_KEEPCAPS), applies umask, then sets effective/permitted/
// ambient. The inheritable set is exactly the config's, and an ambient capability is raised only
// when it is permitted and inheritable (CVE-2022-29162).
// Without process.capabilities every capability is dropped.
void switch_user_and_capabilities(const oci::Process& process);

void set_no_new_privileges();

// Writes /proc/self/oom_score_adj through a verified procfs.
void apply_oom_score_adj(int value);
void apply_scheduler(const oci::LinuxSchedulerAttr& scheduler);
void apply_io_priority(const oci::LinuxIOPriority& priority);
void check_personality(const oci::LinuxPersonality& personality);
void apply_personality(const oci::LinuxPersonality& personality);

// Marks every fd >= first CLOEXEC so no host fd reaches the container (CVE-2024-21626).
void close_fds_from(int first);

}  // namespace hull::process
