// Where the container's processes run: CPU affinity (process.execCPUAffinity) and the NUMA
// memory policy (linux.memoryPolicy). Plans are checked in the runtime before anything is made;
// the syscalls run in the process they govern.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace hull::process {

// "0-3,7" → {0,1,2,3,7}. Throws hull::Error naming `field` for a malformed list or a number
// above `limit` (exclusive).
std::vector<unsigned> parse_id_list(const std::string& list, const std::string& field, unsigned limit);

// The CPUs this machine can have (sysconf(_SC_NPROCESSORS_CONF), at least 1).
unsigned configured_cpus();

// Checks both lists of execCPUAffinity against the configured CPUs.
void check_cpu_affinity(const oci::CPUAffinity& affinity, const std::string& field);

// sched_setaffinity of the calling process to `list`; without a list, every CPU (the kernel
// keeps it within the cgroup's cpuset).
void set_cpu_affinity(const std::optional<std::string>& list, const std::string& field);

struct MemoryPolicyPlan {
    int mode = 0;                 // MPOL_* | MPOL_F_* flags, as set_mempolicy takes it
    std::vector<unsigned long> nodemask;
    unsigned long maxnode = 0;    // bits in nodemask, as set_mempolicy counts them
};

// Checks mode, flags and nodes (each must be an online node: `online_nodes` is the text of
// /sys/devices/system/node/online, "0" on a kernel without NUMA).
MemoryPolicyPlan plan_memory_policy(const oci::LinuxMemoryPolicy& policy, const std::string& online_nodes);
// The host's online NUMA nodes, as plan_memory_policy takes them.
std::string online_numa_nodes();
void apply_memory_policy(const MemoryPolicyPlan& plan);

}  // namespace hull::process
