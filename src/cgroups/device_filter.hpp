// Device control: linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program on cgroup v2,
// assembled here (no libbpf, no compiler at run time) and attached to the container's cgroup; on
// cgroup v1 as the devices.allow/devices.deny lines that move devices.list to the rules' result.
//
// Semantics (runc/crun, and the v1 devices controller in allow-list mode): the default devices are
// appended to the config's rules; each access bit asked for (mknod, read, write) is judged by the
// LAST rule that names the device's type/major/minor and that bit; no such rule means deny. An
// access is allowed when every bit it asks for is.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace hull::cgroups::devices {

inline constexpr int64_t any = -1;  // wildcard major or minor

// Access bits as the kernel passes them (BPF_DEVCG_ACC_*).
inline constexpr uint8_t acc_mknod = BPF_DEVCG_ACC_MKNOD;
inline constexpr uint8_t acc_read = BPF_DEVCG_ACC_READ;
inline constexpr uint8_t acc_write = BPF_DEVCG_ACC_WRITE;

struct Rule {
    bool allow = false;
    char type = 'a';       // 'a' (both), 'b' (block), 'c' (char)
    int64_t major = any;   // any or 0..4095
    int64_t minor = any;   // any or 0..1048575
    uint8_t access = 0;    // acc_* bits

    // The v1 devices.allow/deny line: "c 1:3 rwm", "a *:* m".
    std::string v1_line() const;
    bool operator==(const Rule&) const = default;
};

// The devices every container may use (runc's list): mknod of any node, null, zero, full, random,
// urandom, tty, ptmx, the pts range and tun. Not the host's console (c 5:1): a container's
// /dev/console is a bind of its own pty (in the pts range), and a node made with mknod must not
// reach the host's.
const std::vector<Rule>& default_rules();

// linux.resources.devices, validated (type a/b/c, major/minor -1 or in the kernel's range; the
// access letters r, w, m count, others are ignored as runc ignores them; absent or empty access
// means "rwm"), followed by default_rules().
std::vector<Rule> effective_rules(const std::vector<oci::LinuxDeviceCgroup>& config);

// The program for `rules` (see the semantics above). Throws hull::Error when the rule list is too
// long for the program's 16-bit jumps.
std::vector<bpf_insn> build_program(const std::vector<Rule>& rules);

// Loads `program` and attaches it to the cgroup2 directory `cgroup_fd` (BPF_CGROUP_DEVICE,
// BPF_F_ALLOW_MULTI), then detaches the device programs that were attached there before, so an
// update replaces the filter without a moment where the old and new rules are both absent.
// `cgroup_dir` names the directory in errors.
void install(int cgroup_fd, const std::string& cgroup_dir, const std::vector<bpf_insn>& program);

// cgroup v1: the writes (allow → devices.allow, else devices.deny; Rule::v1_line) that turn the
// cgroup whose devices.list reads `devices_list` into deny-all followed by `rules`, touching only
// what differs: removals, then additions. "a *:* rwm" (which empties the list for a moment, and
// which the kernel refuses once the cgroup has children) is written only when the default must
// change or the list is allow-all (whose deny exceptions devices.list does not show). A deny rule
// that would take access from a wildcard allow before it is refused: v1 keeps no holes in a
// wildcard. `list_file` names devices.list in errors.
std::vector<Rule> v1_transition(const std::string& devices_list, const std::vector<Rule>& rules,
                                const std::string& list_file);

// Ids of the device programs attached directly to the cgroup (BPF_PROG_QUERY).
std::vector<uint32_t> attached_programs(int cgroup_fd, const std::string& cgroup_dir);

}  // namespace hull::cgroups::devices
