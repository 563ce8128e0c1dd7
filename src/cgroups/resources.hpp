// linux.resources → cgroup files, for cgroup v2 and for v1 hierarchies.
#pragma once

#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "oci/config.hpp"

namespace hull::cgroups {

struct FileWrite {
    std::string controller;  // "memory"; "" for core cgroup2 files
    std::string file;        // "memory.max"
    std::string value;
};

// The writes for a pure cgroup2 hierarchy, in the order they must happen.
std::vector<FileWrite> v2_writes(const oci::LinuxResources& resources);
// The writes for v1 hierarchies (controller says which one), in order; not the device rules, which
// apply_resources writes as a transition from the cgroup's devices.list (devices::v1_transition).
std::vector<FileWrite> v1_writes(const oci::LinuxResources& resources);

// cpu.shares (2..262144) → cpu.weight (1..10000), the conversion runc and crun use.
uint64_t shares_to_weight(uint64_t shares);
// blkio.weight (10..1000) → io.weight (1..10000).
uint64_t blkio_to_io_weight(uint64_t weight);

// Writes the resources into the container's cgroup `path`, refusing what the layout can't apply by
// field; a controller the config needs but the host lacks is an error naming it. `Create` always
// installs the device rules (deny-all plus the default devices when the config has none);
// `Update` touches them only when the new resources carry device rules.
enum class Apply { Create, Update };
// Pure cgroup v2 under `mount`: enables the controllers in each ancestor's cgroup.subtree_control;
// device rules become an eBPF program (device_filter.hpp).
void apply_v2_resources(const std::string& mount, const std::string& path, const oci::LinuxResources& resources,
                        Apply when = Apply::Update);
// v1 hierarchies (legacy and hybrid hosts); hugetlb falls back to the cgroup2 tree of a hybrid host.
void apply_v1_resources(const Layout& layout, const std::string& path, const oci::LinuxResources& resources,
                        Apply when = Apply::Update);

// For a container without a cgroup (`why`: why_no_cgroup): every resource limit is refused in one
// line naming linux.resources.<field>; the device rules, which podman and `spec` send to every
// container, are skipped with a warning (such a container reaches only the device nodes
// bind-mounted into it, with the user's permissions).
void check_without_cgroup(const oci::LinuxResources& resources, const std::string& why);

// Refuses values no kernel would accept or that would escape the cgroup directory (negative sizes
// other than -1, cpu period/quota out of the kernel's range, weights out of range, hugepage sizes
// and rdma device names that are not plain names). Names the field.
void validate(const oci::LinuxResources& resources);

}  // namespace hull::cgroups
