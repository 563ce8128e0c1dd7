#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "cgroups/device_filter.hpp"
#include "cgroups/resources.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

std::string device(int64_t major, int64_t minor) { return std::to_string(major) + ":" + std::to_string(minor); }

std::string limit_or_max(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

// runtime-spec 1.3: -1 is "max", 0 is a limit of 0 tasks (no new process may start).
std::string pids_max(int64_t limit) { return limit_or_max(limit); }

std::string hugepage_size(const std::string& page_size) {
    // The spec's "2MB" is the kernel's file infix.
    return page_size;
}

void add(std::vector<FileWrite>& writes, const std::string& controller, const std::string& file, const std::string& value) {
    writes.push_back({controller, file, value});
}

std::string controller_of(const std::string& file) { return file.substr(0, file.find('.')); }

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((std::clamp<uint64_t>(shares, 2, 262144) - 2) * 9999) / 262142;
}

uint64_t blkio_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    return 1 + ((std::clamp<uint64_t>(weight, 10, 1000) - 10) * 9999) / 990;
}

void validate(const oci::LinuxResources& r) {
    const std::string base = "linux.resources.";
    const auto at_least_minus_one = [&](const std::optional<int64_t>& value, const std::string& field) {
        if (value && *value < -1) throw Error(base + field + ": " + std::to_string(*value) + " is negative (-1 means unlimited)");
    };
    const auto in_range = [&](const std::optional<uint64_t>& value, uint64_t low, uint64_t high, const std::string& field) {
        if (value && *value != 0 && (*value < low || *value > high)) {
            throw Error(base + field + ": " + std::to_string(*value) + " is out of range (" + std::to_string(low) + ".." +
                        std::to_string(high) + ", or 0 for the default)");
        }
    };
    const auto plain_name = [&](const std::string& name, const std::string& field) {
        if (name.empty() || name.size() > 255 || name.find_first_of("/ \t\n\r") != std::string::npos || name == "." || name == "..") {
            throw Error(base + field + ": \"" + name + "\" is not a plain name");
        }
    };
    if (const auto& m = r.memory) {
        at_least_minus_one(m->limit, "memory.limit");
        at_least_minus_one(m->reservation, "memory.reservation");
        at_least_minus_one(m->swap, "memory.swap");
        at_least_minus_one(m->kernel, "memory.kernel");
        at_least_minus_one(m->kernelTCP, "memory.kernelTCP");
        if (m->swappiness && *m->swappiness > 100) {
            throw Error(base + "memory.swappiness: " + std::to_string(*m->swappiness) + " is out of range (0..100)");
        }
    }
    if (const auto& c = r.cpu) {
        in_range(c->shares, 2, 262144, "cpu.shares");
        in_range(c->period, 1000, 1000000, "cpu.period");
        if (c->quota && (*c->quota < -1 || (*c->quota > 0 && *c->quota < 1000))) {
            throw Error(base + "cpu.quota: " + std::to_string(*c->quota) + " is out of range (at least 1000 microseconds, or -1)");
        }
        if (c->idle && *c->idle != 0 && *c->idle != 1) throw Error(base + "cpu.idle: " + std::to_string(*c->idle) + " is not 0 or 1");
        at_least_minus_one(c->realtimeRuntime, "cpu.realtimeRuntime");
    }
    if (r.pids) at_least_minus_one(r.pids->limit, "pids.limit");
    if (const auto& b = r.blockIO) {
        const auto weight = [&](const std::optional<uint16_t>& w, const std::string& field) {
            in_range(w ? std::optional<uint64_t>(*w) : std::nullopt, 10, 1000, field);
        };
        weight(b->weight, "blockIO.weight");
        weight(b->leafWeight, "blockIO.leafWeight");
        for (size_t i = 0; i < b->weightDevice.size(); ++i) {
            const auto& d = b->weightDevice[i];
            const std::string field = "blockIO.weightDevice[" + std::to_string(i) + "]";
            if (d.major < 0 || d.minor < 0) throw Error(base + field + ": major and minor must not be negative");
            weight(d.weight, field + ".weight");
            weight(d.leafWeight, field + ".leafWeight");
        }
        for (const auto* list : {&b->throttleReadBpsDevice, &b->throttleWriteBpsDevice, &b->throttleReadIOPSDevice,
                                 &b->throttleWriteIOPSDevice}) {
            for (const auto& d : *list) {
                if (d.major < 0 || d.minor < 0) throw Error(base + "blockIO throttle device: major and minor must not be negative");
            }
        }
    }
    for (size_t i = 0; i < r.hugepageLimits.size(); ++i) {
        const std::string& size = r.hugepageLimits[i].pageSize;
        size_t digits = 0;
        while (digits < size.size() && size[digits] >= '0' && size[digits] <= '9') ++digits;
        const std::string unit = size.substr(digits);
        if (digits == 0 || digits > 6 || (unit != "KB" && unit != "MB" && unit != "GB")) {
            throw Error(base + "hugepageLimits[" + std::to_string(i) + "].pageSize: \"" + size +
                        "\" is not a page size like \"2MB\" or \"1GB\"");
        }
    }
    for (const auto& [device, limits] : r.rdma) plain_name(device, "rdma[\"" + device + "\"]");
    if (r.network) {
        for (const auto& p : r.network->priorities) plain_name(p.name, "network.priorities.name");
    }
    for (const auto& [key, value] : r.unified) {
        if (value.find('\0') != std::string::npos) throw Error(base + "unified[\"" + key + "\"]: the value contains a NUL byte");
    }
    for (size_t i = 0; i < r.devices.size(); ++i) {
        const auto& access = r.devices[i].access;
        if (access && access->find_first_not_of("rwm") != std::string::npos) {
            log::warn(base + "devices[" + std::to_string(i) + "].access \"" + *access +
                      "\": only the letters r, w, m are device access; the others are ignored, as runc ignores them");
        }
    }
    static_cast<void>(devices::effective_rules(r.devices));
}

std::vector<FileWrite> v2_writes(const oci::LinuxResources& r) {
    std::vector<FileWrite> w;
    if (const auto& m = r.memory) {
        if (m->limit) add(w, "memory", "memory.max", limit_or_max(*m->limit));
        if (m->reservation) add(w, "memory", "memory.low", limit_or_max(*m->reservation));
        if (m->swap) {
            // v1 swap counts memory + swap; v2 swap.max is swap alone.
            std::string swap = "max";
            if (*m->swap >= 0) {
                if (!m->limit || *m->limit < 0) throw Error("linux.resources.memory.swap: a swap limit needs a memory limit");
                if (*m->swap < *m->limit) throw Error("linux.resources.memory.swap: must be at least memory.limit (it counts memory + swap)");
                swap = std::to_string(*m->swap - *m->limit);
            }
            add(w, "memory", "memory.swap.max", swap);
        }
        if (m->disableOOMKiller && *m->disableOOMKiller) {
            throw Error("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer");
        }
        if (m->swappiness) {
            throw Error("linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness (only the host's vm.swappiness)");
        }
        if (m->kernelTCP) {
            throw Error("linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP memory limit (memory.max counts it)");
        }
        if (m->useHierarchy && !*m->useHierarchy) {
            throw Error("linux.resources.memory.useHierarchy: cgroup v2 is always hierarchical; false cannot be applied");
        }
    }
    if (const auto& c = r.cpu) {
        // 0 shares / weight means "not set" (runc, crun): cgroup v2 rejects a weight of 0.
        if (c->shares && *c->shares != 0) add(w, "cpu", "cpu.weight", std::to_string(shares_to_weight(*c->shares)));
        if (c->quota || c->period) {
            const std::string quota = c->quota && *c->quota > 0 ? std::to_string(*c->quota) : "max";
            add(w, "cpu", "cpu.max", quota + " " + std::to_string(c->period && *c->period ? *c->period : 100000));
        }
        if (c->burst) add(w, "cpu", "cpu.max.burst", std::to_string(*c->burst));
        if (c->idle) add(w, "cpu", "cpu.idle", std::to_string(*c->idle));
        if (c->realtimeRuntime || c->realtimePeriod) {
            throw Error("linux.resources.cpu.realtimeRuntime: realtime scheduling limits are not available on cgroup v2");
        }
        if (c->cpus && !c->cpus->empty()) add(w, "cpuset", "cpuset.cpus", *c->cpus);
        if (c->mems && !c->mems->empty()) add(w, "cpuset", "cpuset.mems", *c->mems);
    }
    if (r.pids && r.pids->limit) add(w, "pids", "pids.max", pids_max(*r.pids->limit));
    if (const auto& b = r.blockIO) {
        if (b->leafWeight) throw Error("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight (io.weight only)");
        for (size_t i = 0; i < b->weightDevice.size(); ++i) {
            if (b->weightDevice[i].leafWeight) {
                throw Error("linux.resources.blockIO.weightDevice[" + std::to_string(i) +
                            "].leafWeight: cgroup v2 has no leaf weight (io.weight only)");
            }
        }
        if (b->weight && *b->weight != 0) add(w, "io", "io.weight", "default " + std::to_string(blkio_to_io_weight(*b->weight)));
        for (const auto& d : b->weightDevice) {
            if (d.weight && *d.weight != 0) add(w, "io", "io.weight", device(d.major, d.minor) + " " + std::to_string(blkio_to_io_weight(*d.weight)));
        }
        const auto throttle = [&](const std::vector<oci::LinuxThrottleDevice>& list, const char* key) {
            for (const auto& d : list) add(w, "io", "io.max", device(d.major, d.minor) + " " + key + "=" + std::to_string(d.rate));
        };
        throttle(b->throttleReadBpsDevice, "rbps");
        throttle(b->throttleWriteBpsDevice, "wbps");
        throttle(b->throttleReadIOPSDevice, "riops");
        throttle(b->throttleWriteIOPSDevice, "wiops");
    }
    for (const auto& h : r.hugepageLimits) add(w, "hugetlb", "hugetlb." + hugepage_size(h.pageSize) + ".max", std::to_string(h.limit));
    if (const auto& n = r.network; n && (n->classID || !n->priorities.empty())) {
        throw Error(std::string("linux.resources.network.") + (n->classID ? "classID" : "priorities") +
                    ": cgroup v2 has no net_cls / net_prio controllers (use eBPF or tc in a hook)");
    }
    for (const auto& [dev, limits] : r.rdma) {
        std::string value = dev;
        if (limits.hcaHandles) value += " hca_handle=" + std::to_string(*limits.hcaHandles);
        if (limits.hcaObjects) value += " hca_object=" + std::to_string(*limits.hcaObjects);
        add(w, "rdma", "rdma.max", value);
    }
    for (const auto& [key, value] : r.unified) {
        const auto dot = key.find('.');
        if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
            dot == std::string::npos || dot == 0 || key.front() == '.') {
            throw Error("linux.resources.unified[\"" + key + "\"]: not a cgroup file name");
        }
        static const std::set<std::string> refused = {"cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze",
                                                      "cgroup.subtree_control"};
        if (refused.count(key) != 0) {
            throw Error("linux.resources.unified[\"" + key + "\"]: moves, kills or freezes processes; not a resource limit");
        }
        const std::string controller = controller_of(key);
        add(w, controller == "cgroup" ? "" : controller, key, value);
    }
    return w;
}

std::vector<FileWrite> v1_writes(const oci::LinuxResources& r) {
    std::vector<FileWrite> w;
    if (const auto& m = r.memory) {
        if (m->limit) add(w, "memory", "memory.limit_in_bytes", std::to_string(*m->limit));
        if (m->swap) add(w, "memory", "memory.memsw.limit_in_bytes", std::to_string(*m->swap));
        if (m->reservation) add(w, "memory", "memory.soft_limit_in_bytes", std::to_string(*m->reservation));
        if (m->swappiness) add(w, "memory", "memory.swappiness", std::to_string(*m->swappiness));
        // memory.kernel is deprecated and ignored, as runc does: kernels since 5.16 accept the write
        // to memory.kmem.limit_in_bytes and do nothing with it. The TCP limit still works.
        if (m->kernelTCP) add(w, "memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*m->kernelTCP));
        if (m->disableOOMKiller && *m->disableOOMKiller) add(w, "memory", "memory.oom_control", "1");
        if (m->useHierarchy) add(w, "memory", "memory.use_hierarchy", *m->useHierarchy ? "1" : "0");
    }
    if (const auto& c = r.cpu) {
        if (c->shares) add(w, "cpu", "cpu.shares", std::to_string(*c->shares));
        if (c->period && *c->period) add(w, "cpu", "cpu.cfs_period_us", std::to_string(*c->period));
        if (c->quota) add(w, "cpu", "cpu.cfs_quota_us", std::to_string(*c->quota > 0 ? *c->quota : -1));
        if (c->burst) add(w, "cpu", "cpu.cfs_burst_us", std::to_string(*c->burst));
        if (c->idle) add(w, "cpu", "cpu.idle", std::to_string(*c->idle));
        if (c->realtimePeriod) add(w, "cpu", "cpu.rt_period_us", std::to_string(*c->realtimePeriod));
        if (c->realtimeRuntime) add(w, "cpu", "cpu.rt_runtime_us", std::to_string(*c->realtimeRuntime));
        if (c->cpus && !c->cpus->empty()) add(w, "cpuset", "cpuset.cpus", *c->cpus);
        if (c->mems && !c->mems->empty()) add(w, "cpuset", "cpuset.mems", *c->mems);
    }
    if (r.pids && r.pids->limit) add(w, "pids", "pids.max", pids_max(*r.pids->limit));
    if (const auto& b = r.blockIO) {
        if (b->weight) add(w, "blkio", "blkio.weight", std::to_string(*b->weight));
        if (b->leafWeight) add(w, "blkio", "blkio.leaf_weight", std::to_string(*b->leafWeight));
        for (const auto& d : b->weightDevice) {
            if (d.weight) add(w, "blkio", "blkio.weight_device", device(d.major, d.minor) + " " + std::to_string(*d.weight));
            if (d.leafWeight) add(w, "blkio", "blkio.leaf_weight_device", device(d.major, d.minor) + " " + std::to_string(*d.leafWeight));
        }
        const auto throttle = [&](const std::vector<oci::LinuxThrottleDevice>& list, const char* file) {
            for (const auto& d : list) add(w, "blkio", file, device(d.major, d.minor) + " " + std::to_string(d.rate));
        };
        throttle(b->throttleReadBpsDevice, "blkio.throttle.read_bps_device");
        throttle(b->throttleWriteBpsDevice, "blkio.throttle.write_bps_device");
        throttle(b->throttleReadIOPSDevice, "blkio.throttle.read_iops_device");
        throttle(b->throttleWriteIOPSDevice, "blkio.throttle.write_iops_device");
    }
    for (const auto& h : r.hugepageLimits) add(w, "hugetlb", "hugetlb." + h.pageSize + ".limit_in_bytes", std::to_string(h.limit));
    if (const auto& n = r.network) {
        if (n->classID) add(w, "net_cls", "net_cls.classid", std::to_string(*n->classID));
        for (const auto& p : n->priorities) add(w, "net_prio", "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority));
    }
    if (!r.unified.empty()) {
        throw Error("invalid configuration: cannot use unified on cgroup v1: linux.resources.unified needs a cgroup v2 host "
                    "(this one is v1/hybrid)");
    }
    if (!r.rdma.empty()) throw Error("linux.resources.rdma: the rdma controller is not mounted on this host");
    return w;
}

namespace {

// Pairs v1_writes emits in the order that suits a lowered limit, which a raised one needs the
// other way round.
bool may_need_next_first(const std::string& file, const std::string& next) {
    return (file == "cpu.cfs_period_us" && next == "cpu.cfs_quota_us") ||
           (file == "cpu.rt_period_us" && next == "cpu.rt_runtime_us") ||
           (file == "memory.limit_in_bytes" && next == "memory.memsw.limit_in_bytes");
}

void write_one(const std::string& dir, const FileWrite& write) {
    try {
        sys::write_file(dir + "/" + write.file, write.value);
    } catch (const Error& e) {
        throw Error("linux.resources: write \"" + write.value + "\" to " + dir + "/" + write.file + ": " +
                        std::string(e.what()).substr(std::string(e.what()).rfind(": ") + 2),
                    e.code());
    }
}

std::set<std::string> available_controllers(const std::string& dir) {
    std::set<std::string> controllers;
    std::stringstream list(sys::read_file(dir + "/cgroup.controllers"));
    std::string name;
    while (list >> name) controllers.insert(name);
    return controllers;
}

// Each ancestor below the mount must delegate the controller to its children.
void enable_controllers(const std::string& mount, const std::string& path, const std::set<std::string>& controllers) {
    if (controllers.empty()) return;
    std::string dir = mount;
    std::stringstream parts(path);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty()) continue;
        const auto available = available_controllers(dir);
        std::set<std::string> enabled;
        std::stringstream list(sys::read_file(dir + "/cgroup.subtree_control"));
        for (std::string name; list >> name;) enabled.insert(name);
        std::string enable;
        for (const auto& c : controllers) {
            if (available.count(c) == 0) {
                throw Error("linux.resources: the " + c + " controller is not available in " + dir + "/cgroup.controllers");
            }
            if (enabled.count(c) == 0) enable += (enable.empty() ? "+" : " +") + c;
        }
        // Only what is missing: above a subtree delegated to a rootless user, nothing is ours to write.
        if (!enable.empty()) sys::write_file(dir + "/cgroup.subtree_control", enable);
        dir += "/" + part;
    }
}

void apply_v2(const std::string& mount, const std::string& path, const std::vector<FileWrite>& writes,
              const oci::StringMap& unified = {}) {
    std::set<std::string> needed;
    for (const auto& w : writes) {
        if (!w.controller.empty()) needed.insert(w.controller);
    }
    enable_controllers(mount, path, needed);
    const std::string dir = mount + path;
    for (const auto& [key, value] : unified) {
        if (::access((dir + "/" + key).c_str(), F_OK) != 0) {
            throw Error("linux.resources.unified[\"" + key + "\"]: " + dir + "/" + key +
                        " does not exist (not a file of an enabled controller)");
        }
    }
    for (const auto& w : writes) write_one(dir, w);
}


// memory.checkBeforeUpdate: an update must not set a limit below what the container uses now
// (the kernel would reclaim or OOM-kill to get there), as `usage_file` reports it.
void check_memory_usage(const oci::LinuxMemory& memory, const std::string& usage_file) {
    const uint64_t usage = std::stoull(sys::read_file(usage_file));
    if (usage > static_cast<uint64_t>(*memory.limit)) {
        throw Error("linux.resources.memory.limit: " + std::to_string(*memory.limit) + " is below the current usage " +
                    std::to_string(usage) + " (" + usage_file + "), and checkBeforeUpdate is set");
    }
}

bool checks_memory_usage(const oci::LinuxResources& resources, Apply when) {
    const auto& memory = resources.memory;
    return when == Apply::Update && memory && memory->checkBeforeUpdate && *memory->checkBeforeUpdate && memory->limit &&
           *memory->limit >= 0;
}

}  // namespace

void apply_v2_resources(const std::string& mount, const std::string& path, const oci::LinuxResources& resources,
                        Apply when) {
    validate(resources);
    if (checks_memory_usage(resources, when)) check_memory_usage(*resources.memory, mount + path + "/memory.current");
    apply_v2(mount, path, v2_writes(resources), resources.unified);
    // A new container always gets the filter (default deny plus the default devices); an
    // update without device rules keeps the one it has.
    if (sys::unprivileged()) {
        // Rootless in a delegated subtree: loading the eBPF program takes CAP_BPF/CAP_SYS_ADMIN
        // of the host; the container reaches only the device nodes bound into it anyway.
        if (!resources.devices.empty()) {
            log::warn("linux.resources.devices: not applied rootless (no eBPF device filter without the host's "
                      "CAP_BPF); the container reaches only the device nodes bind-mounted into it");
        }
    } else if (when == Apply::Create || !resources.devices.empty()) {
        const std::string dir = mount + path;
        const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) throw_errno("linux.resources.devices: open cgroup " + dir);
        devices::install(fd.get(), dir, devices::build_program(devices::effective_rules(resources.devices)));
    }
}

void apply_v1_resources(const Layout& layout, const std::string& path, const oci::LinuxResources& resources, Apply when) {
    validate(resources);
    if (checks_memory_usage(resources, when)) {
        const Hierarchy* memory = layout.v1_hierarchy("memory");
        if (memory == nullptr) {
            throw Error("linux.resources.memory.checkBeforeUpdate: the memory controller is not mounted on this host");
        }
        check_memory_usage(*resources.memory, memory->mount_point + path + "/memory.usage_in_bytes");
    }
    // Device rules go from the cgroup's devices.list to the target without a moment of deny-all
    // (a new cgroup starts from its parent's list; an update without rules keeps the list).
    if (when == Apply::Create || !resources.devices.empty()) {
        if (const Hierarchy* h = layout.v1_hierarchy("devices")) {
            const std::string dir = h->mount_point + path;
            const std::string list = dir + "/devices.list";
            for (const auto& rule : devices::v1_transition(sys::read_file(list), devices::effective_rules(resources.devices), list)) {
                write_one(dir, {"devices", rule.allow ? "devices.allow" : "devices.deny", rule.v1_line()});
            }
        } else if (!resources.devices.empty()) {
            throw Error("linux.resources.devices: the devices cgroup controller is not mounted on this host");
        }
    }
    oci::LinuxResources v1_part = resources;
    v1_part.devices.clear();
    std::vector<FileWrite> unified_writes;
    if (!layout.v1_hierarchy("hugetlb") && !resources.hugepageLimits.empty() && !layout.unified_mount.empty()) {
        oci::LinuxResources hugetlb_only;
        hugetlb_only.hugepageLimits = resources.hugepageLimits;
        unified_writes = v2_writes(hugetlb_only);
        v1_part.hugepageLimits.clear();
    }
    const std::vector<FileWrite> writes = v1_writes(v1_part);
    for (size_t i = 0; i < writes.size(); ++i) {
        const FileWrite& w = writes[i];
        const Hierarchy* h = layout.v1_hierarchy(w.controller);
        if (h == nullptr) {
            throw Error("linux.resources: the " + w.controller + " cgroup controller is not mounted on this host (needed for " +
                        w.file + ")");
        }
        const std::string dir = h->mount_point + path;
        try {
            write_one(dir, w);
        } catch (const Error& e) {
            // A new period with the old quota (or rt runtime) can break the parent's ratio or
            // exceed the period, and a memory limit above the old memory+swap limit is refused,
            // where the new pair is fine: write the second first, as runc does.
            if (e.code() != EINVAL || i + 1 == writes.size() || !may_need_next_first(w.file, writes[i + 1].file)) throw;
            write_one(dir, writes[i + 1]);
            write_one(dir, w);
            ++i;
        }
    }
    if (!unified_writes.empty()) apply_v2(layout.unified_mount, path, unified_writes);
}

}  // namespace hull::cgroups
