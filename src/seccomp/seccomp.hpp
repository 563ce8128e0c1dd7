// linux.seccomp → a loaded seccomp filter (libseccomp).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "hull/fd.hpp"
#include "oci/config.hpp"
#include "oci/state.hpp"

namespace hull::seccomp {

// Validates the profile without loading it (unknown actions, operators, architectures, flags are
// errors naming the JSON path; unknown syscall names are skipped, as runc does).
void validate(const oci::LinuxSeccomp& profile);

// The filter of a profile, validated and built once in the runtime, before the container's process
// exists (the clone inherits it), and loaded in the process it governs.
class Filter {
public:
    // Validates (errors name the JSON path) and builds the filter: the profile's rules, behind a
    // stub giving ENOSYS to syscalls newer than the profile when its default action denies.
    static Filter compile(const oci::LinuxSeccomp& profile);

    // Loads the filter into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). Returns the
    // notify listener fd when the profile uses SCMP_ACT_NOTIFY, else an empty UniqueFd.
    UniqueFd load() const;
    bool uses_notify() const noexcept { return uses_notify_; }

private:
    Filter() = default;
    std::vector<sock_filter> program_;
    unsigned flags_ = 0;  // SECCOMP_FILTER_FLAG_*
    bool uses_notify_ = false;
};

// Whether the profile has SCMP_ACT_NOTIFY rules (and so needs its listenerPath agent).
bool uses_notify(const oci::LinuxSeccomp& profile);

// What linux.seccomp takes, from the tables validate() uses (`features` lists them).
std::vector<std::string> supported_actions();
std::vector<std::string> supported_operators();
std::vector<std::string> supported_architectures();  // those this libseccomp can filter here
std::vector<std::string> supported_flags();

// Connects to the agent at listenerPath; the error leads with runc's words, which callers match.
UniqueFd connect_agent(const oci::LinuxSeccomp& profile);

// What the agent at listenerPath receives with the notify fd: the container process state
// ({"ociVersion","fds":["seccompFd"],"pid","metadata","state"}), as runtime-spec requires.
std::string agent_message(const oci::LinuxSeccomp& profile, pid_t pid, const oci::State& state);

}  // namespace hull::seccomp
