#include "process/placement.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::process {

namespace {

// <linux/mempolicy.h> values; the header is not part of glibc.
struct Named {
    const char* name;
    int value;
};
constexpr Named mempolicy_modes[] = {{"MPOL_DEFAULT", 0},    {"MPOL_PREFERRED", 1},        {"MPOL_BIND", 2},
                                     {"MPOL_INTERLEAVE", 3}, {"MPOL_LOCAL", 4},            {"MPOL_PREFERRED_MANY", 5},
                                     {"MPOL_WEIGHTED_INTERLEAVE", 6}};
constexpr Named mempolicy_flags[] = {{"MPOL_F_STATIC_NODES", 1 << 15}, {"MPOL_F_RELATIVE_NODES", 1 << 14},
                                     {"MPOL_F_NUMA_BALANCING", 1 << 13}};

template <size_t N>
int lookup(const Named (&table)[N], const std::string& name) {
    for (const auto& entry : table) {
        if (name == entry.name) return entry.value;
    }
    return -1;
}

unsigned long parse_number(const std::string& text, const std::string& field) {
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw Error(field + ": \"" + text + "\" is not a number");
    }
    return std::stoul(text);
}

}  // namespace

std::vector<unsigned> parse_id_list(const std::string& list, const std::string& field, unsigned limit) {
    std::set<unsigned> ids;
    size_t start = 0;
    if (list.empty()) throw Error(field + ": empty list");
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        const std::string item = list.substr(start, end - start);
        const size_t dash = item.find('-');
        const unsigned long low = parse_number(item.substr(0, dash), field + " \"" + list + "\"");
        const unsigned long high = dash == std::string::npos ? low : parse_number(item.substr(dash + 1), field + " \"" + list + "\"");
        if (high < low) throw Error(field + " \"" + list + "\": range " + item + " runs backwards");
        if (high >= limit) {
            throw Error(field + " \"" + list + "\": " + std::to_string(high) + " does not exist on this host (0.." +
                        std::to_string(limit - 1) + ")");
        }
        for (unsigned long id = low; id <= high; ++id) ids.insert(static_cast<unsigned>(id));
        start = end + 1;
    }
    return {ids.begin(), ids.end()};
}

unsigned configured_cpus() {
    const long n = ::sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

void check_cpu_affinity(const oci::CPUAffinity& affinity, const std::string& field) {
    if (affinity.initial) parse_id_list(*affinity.initial, field + ".initial", configured_cpus());
    if (affinity.final) parse_id_list(*affinity.final, field + ".final", configured_cpus());
}

void set_cpu_affinity(const std::optional<std::string>& list, const std::string& field) {
    const unsigned count = std::max<unsigned>(configured_cpus(), CPU_SETSIZE);
    cpu_set_t* set = CPU_ALLOC(count);
    if (set == nullptr) throw Error(field + ": out of memory", ENOMEM);
    const size_t size = CPU_ALLOC_SIZE(count);
    CPU_ZERO_S(size, set);
    if (list) {
        for (const unsigned cpu : parse_id_list(*list, field, configured_cpus())) CPU_SET_S(cpu, size, set);
    } else {
        for (unsigned cpu = 0; cpu < count; ++cpu) CPU_SET_S(cpu, size, set);
    }
    const int rc = ::sched_setaffinity(0, size, set);
    const int err = errno;
    CPU_FREE(set);
    if (rc != 0) throw_errno(field + ": sched_setaffinity" + (list ? " \"" + *list + "\"" : std::string()), err);
}

MemoryPolicyPlan plan_memory_policy(const oci::LinuxMemoryPolicy& policy, const std::string& online_nodes) {
    const std::string field = "linux.memoryPolicy";
    MemoryPolicyPlan plan;
    plan.mode = lookup(mempolicy_modes, policy.mode);
    if (plan.mode < 0) throw Error(field + ".mode: unknown mode \"" + policy.mode + "\"");
    int flags = 0;
    for (size_t i = 0; i < policy.flags.size(); ++i) {
        const int flag = lookup(mempolicy_flags, policy.flags[i]);
        if (flag < 0) {
            throw Error(field + ".flags[" + std::to_string(i) + "]: unknown flag \"" + policy.flags[i] +
                        "\" (MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES, MPOL_F_NUMA_BALANCING)");
        }
        flags |= flag;
    }
    const int static_relative = (1 << 15) | (1 << 14);
    if ((flags & static_relative) == static_relative) {
        throw Error(field + ".flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
    }
    if ((flags & (1 << 13)) != 0 && policy.mode != "MPOL_BIND" && policy.mode != "MPOL_PREFERRED_MANY") {
        throw Error(field + ".flags: MPOL_F_NUMA_BALANCING goes with MPOL_BIND or MPOL_PREFERRED_MANY, not " + policy.mode);
    }
    const bool has_nodes = policy.nodes && !policy.nodes->empty();
    if ((policy.mode == "MPOL_DEFAULT" || policy.mode == "MPOL_LOCAL")) {
        if (has_nodes) throw Error(field + ".nodes: " + policy.mode + " takes no nodes");
        if (flags != 0) throw Error(field + ".flags: " + policy.mode + " takes no flags");
    } else if (!has_nodes && policy.mode != "MPOL_PREFERRED") {
        throw Error(field + ".nodes: " + policy.mode + " needs nodes");
    }
    plan.mode |= flags;
    if (!has_nodes) return plan;
    std::string online = online_nodes;
    online.erase(std::remove_if(online.begin(), online.end(), [](char c) { return c == '\n' || c == ' '; }), online.end());
    const auto online_ids = parse_id_list(online.empty() ? "0" : online, "/sys/devices/system/node/online", 1U << 20);
    const auto wanted = parse_id_list(*policy.nodes, field + ".nodes", 1U << 20);
    const bool relative = (flags & (1 << 14)) != 0;  // node numbers relative to the allowed set
    for (const unsigned node : wanted) {
        if (!relative && !std::binary_search(online_ids.begin(), online_ids.end(), node)) {
            throw Error(field + ".nodes \"" + *policy.nodes + "\": node " + std::to_string(node) +
                        " is not an online NUMA node of this host (online: " + (online.empty() ? "0" : online) + ")");
        }
    }
    const unsigned bits = CHAR_BIT * sizeof(unsigned long);
    plan.nodemask.assign(wanted.back() / bits + 1, 0);
    for (const unsigned node : wanted) plan.nodemask[node / bits] |= 1UL << (node % bits);
    // set_mempolicy reads maxnode - 1 bits.
    plan.maxnode = plan.nodemask.size() * bits + 1;
    return plan;
}

std::string online_numa_nodes() {
    if (::access("/sys/devices/system/node/online", R_OK) != 0) return "0";
    return sys::read_file("/sys/devices/system/node/online");
}

void apply_memory_policy(const MemoryPolicyPlan& plan) {
    if (::syscall(SYS_set_mempolicy, plan.mode, plan.nodemask.empty() ? nullptr : plan.nodemask.data(), plan.maxnode) != 0) {
        throw_errno("linux.memoryPolicy: set_mempolicy");
    }
}

}  // namespace hull::process
