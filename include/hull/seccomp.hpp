// linux.seccomp → a loaded seccomp filter (libseccomp).
#pragma once

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::seccomp {

// Validates the profile without loading it (unknown actions, operators, architectures, flags are
// errors naming the JSON path; unknown syscall names are skipped, as runc does).
void validate(const oci::LinuxSeccomp& profile);

// Loads the filter into the calling thread (needs no_new_privs or CAP_SYS_ADMIN).
// Returns the notify listener fd when the profile uses SCMP_ACT_NOTIFY, else an empty UniqueFd.
UniqueFd load(const oci::LinuxSeccomp& profile);

}  // namespace hull::seccomp
