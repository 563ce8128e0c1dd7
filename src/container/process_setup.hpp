// The steps the container init and an exec'd process share on the way to execve.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"
#include "process/lsm.hpp"
#include "seccomp/seccomp.hpp"

namespace hull::container {

// Capability names this kernel does not know, and (outside a user namespace) capabilities the
// runtime's own bounding set lacks, are dropped with a warning naming them: config.md says such
// values MUST be logged as a warning and runtimes SHOULD NOT fail for them.
void drop_unknown_capabilities(oci::Process& process, bool in_user_namespace);

// What would otherwise only fail at execve time (after `start`), checked up front so that create
// and exec fail instead: args, the number of additionalGids (NGROUPS_MAX), execCPUAffinity,
// linux.personality.
void check_process_limits(const oci::Process& process, const oci::Linux& linux);

// execCPUAffinity: `initial` for the runtime before the process joins the container's cgroup
// (the process inherits it), `final` in the process once it is there; with only `initial`, the
// process gets every CPU its cgroup allows.
void apply_initial_cpu_affinity(const oci::Process& process);
void apply_final_cpu_affinity(const oci::Process& process);

// chdir into process.cwd and make sure it is below the process's root (CVE-2024-21626).
void change_to_working_directory(const std::string& cwd);

// Resolves args[0] as execvp would, with runc's wording ("executable file not found in $PATH")
// so engines can map the error to exit codes 126/127.
std::string find_executable(const oci::Process& process);

// No fd but stdio and the `preserved` ones from 3 survives execve.
void keep_only_preserved_fds(unsigned preserved);

// Where a SCMP_ACT_NOTIFY listener goes: the agent's socket and the container process state.
struct SeccompAgent {
    int socket = -1;
    std::string process_state_json;
};

// AppArmor / SELinux exec labels and the host procfs handle they are written through.
struct ExecLabels {
    lsm::Labels labels;
    const procfs::Handle* procfs = nullptr;
};

// What the process must be before its program runs: personality, LSM exec labels, scheduling,
// seccomp, user and capabilities, no_new_privs. Seccomp goes last when no_new_privs is set, else
// before the capabilities are dropped (loading a filter without no_new_privs needs
// CAP_SYS_ADMIN); a NOTIFY filter's fd goes to the agent at once. The init does this during
// `create` (runc's order: what fails, fails create), then waits for `start`.
// linux.personality applies here, to the init and to each exec'd process alike.
void lock_down(const oci::Process& process, const oci::Linux& linux, const seccomp::Filter* seccomp_filter,
               const std::string& executable, const SeccompAgent& agent = {}, const ExecLabels& labels = {});

// Default signals, then execve. `ready_fd` (>= 0) gets "0" right before execve: `start` learns
// that nothing failed.
[[noreturn]] void exec_program(const oci::Process& process, const std::string& executable, int ready_fd = -1);

}  // namespace hull::container
