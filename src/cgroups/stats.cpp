// Resource statistics of a container cgroup, in runc's `events --stats` shape, from cgroup2 and
// from v1 files.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "cgroups/cgroupfs.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"
#include "process/placement.hpp"

namespace hull::cgroups {

namespace {

uint64_t read_number(const std::string& path) {
    try {
        const std::string text = read_trimmed(path);
        if (text == "max") return UINT64_MAX;
        return std::stoull(text);
    } catch (const std::exception&) {
        return 0;
    }
}

// The page sizes of /sys/kernel/mm/hugepages in the names cgroup files use ("2MB", "1GB").
std::vector<std::string> hugepage_sizes() {
    std::vector<std::string> sizes;
    DIR* stream = ::opendir("/sys/kernel/mm/hugepages");
    if (stream == nullptr) return sizes;
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;  // hugepages-2048kB
        const auto dash = name.find('-');
        if (dash == std::string::npos || name.size() < dash + 3 || name.compare(name.size() - 2, 2, "kB") != 0) continue;
        uint64_t kb = 0;
        try {
            kb = std::stoull(name.substr(dash + 1, name.size() - dash - 3));
        } catch (const std::exception&) {
            continue;
        }
        if (kb >= (1u << 20)) sizes.push_back(std::to_string(kb >> 20) + "GB");
        else if (kb >= (1u << 10)) sizes.push_back(std::to_string(kb >> 10) + "MB");
        else sizes.push_back(std::to_string(kb) + "KB");
    }
    ::closedir(stream);
    std::sort(sizes.begin(), sizes.end());
    return sizes;
}

// runc's MemoryEntry from a v1 memory controller's files with this prefix ("memory", "memory.memsw"...).
oci::Json memory_entry_v1(const std::string& dir, const std::string& prefix) {
    return {{"usage", read_number(dir + "/" + prefix + ".usage_in_bytes")},
            {"limit", read_number(dir + "/" + prefix + ".limit_in_bytes")},
            {"max", read_number(dir + "/" + prefix + ".max_usage_in_bytes")},
            {"failcnt", read_number(dir + "/" + prefix + ".failcnt")}};
}

// blkio.throttle.* "MAJ:MIN Op value" lines as runc's BlkioStatEntry list.
oci::Json blkio_entries_v1(const std::string& path) {
    oci::Json entries = oci::Json::array();
    std::string text;
    try {
        text = sys::read_file(path);
    } catch (const Error&) {
        return entries;
    }
    std::stringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::stringstream fields(line);
        std::string device, op;
        uint64_t value = 0;
        if (!(fields >> device >> op >> value)) continue;  // the "Total N" line
        const auto colon = device.find(':');
        if (colon == std::string::npos) continue;
        try {
            entries.push_back({{"major", std::stoull(device.substr(0, colon))},
                               {"minor", std::stoull(device.substr(colon + 1))},
                               {"op", op},
                               {"value", value}});
        } catch (const std::exception&) {
        }
    }
    return entries;
}

// io.stat ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..") as runc's v2 blkio stats.
oci::Json blkio_v2(const std::string& path) {
    oci::Json bytes = oci::Json::array(), ios = oci::Json::array();
    std::string text;
    try {
        text = sys::read_file(path);
    } catch (const Error&) {
        return oci::Json::object();
    }
    std::stringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::stringstream fields(line);
        std::string device, field;
        if (!(fields >> device)) continue;
        const auto colon = device.find(':');
        if (colon == std::string::npos) continue;
        uint64_t major = 0, minor = 0;
        try {
            major = std::stoull(device.substr(0, colon));
            minor = std::stoull(device.substr(colon + 1));
        } catch (const std::exception&) {
            continue;
        }
        while (fields >> field) {
            const auto eq = field.find('=');
            if (eq == std::string::npos) continue;
            const std::string key = field.substr(0, eq);
            uint64_t value = 0;
            try {
                value = std::stoull(field.substr(eq + 1));
            } catch (const std::exception&) {
                continue;
            }
            const oci::Json entry = {{"major", major}, {"minor", minor}, {"op", key[0] == 'r' ? "Read" : "Write"}, {"value", value}};
            if (key == "rbytes" || key == "wbytes") bytes.push_back(entry);
            if (key == "rios" || key == "wios") ios.push_back(entry);
        }
    }
    oci::Json blkio = oci::Json::object();  // runc leaves empty lists out
    if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = bytes;
    if (!ios.empty()) blkio["ioServicedRecursive"] = ios;
    return blkio;
}

// The shape of runc's `events --stats` (its types.Stats): what runc-reading tools expect.
oci::Json empty_stats() {
    return {{"cpu", oci::Json::object()}, {"memory", oci::Json::object()}, {"pids", oci::Json::object()},
            {"blkio", oci::Json::object()}, {"hugetlb", oci::Json::object()}};
}

// cgroup2 hugetlb: a pure v2 host, and a hybrid one without a v1 hugetlb hierarchy.
void hugetlb_v2(oci::Json& data, const std::string& dir) {
    for (const auto& size : hugepage_sizes()) {
        const std::string file = dir + "/hugetlb." + size;
        if (::access((file + ".current").c_str(), F_OK) != 0) continue;
        data["hugetlb"][size] = {{"usage", read_number(file + ".current")}, {"failcnt", read_keyed(file + ".events")["max"]}};
    }
}

}  // namespace

oci::Json stats_v2(const std::string& dir) {
    oci::Json data = empty_stats();
    auto cpu = read_keyed(dir + "/cpu.stat");
    data["cpu"] = {{"usage", {{"total", cpu["usage_usec"] * 1000}, {"kernel", cpu["system_usec"] * 1000},
                              {"user", cpu["user_usec"] * 1000}}},
                   {"throttling", {{"periods", cpu["nr_periods"]}, {"throttled_periods", cpu["nr_throttled"]},
                                   {"throttled_time", cpu["throttled_usec"] * 1000}}}};
    const auto raw = read_keyed(dir + "/memory.stat");
    const uint64_t usage = read_number(dir + "/memory.current");
    const uint64_t limit = read_number(dir + "/memory.max");
    const uint64_t swap_limit = read_number(dir + "/memory.swap.max");
    // Like runc: swap is reported as memory+swap, the way cgroup v1's memsw counts it.
    data["memory"] = {{"cache", raw.count("file") ? raw.at("file") : 0},
                      {"usage", {{"usage", usage}, {"limit", limit}, {"max", read_number(dir + "/memory.peak")},
                                 {"failcnt", read_keyed(dir + "/memory.events")["max"]}}},
                      {"swap", {{"usage", usage + read_number(dir + "/memory.swap.current")},
                                {"limit", swap_limit == UINT64_MAX || limit == UINT64_MAX ? UINT64_MAX : swap_limit + limit},
                                {"failcnt", read_keyed(dir + "/memory.swap.events")["max"]}}},
                      {"raw", raw}};
    data["pids"] = {{"current", read_number(dir + "/pids.current")}, {"limit", read_number(dir + "/pids.max")}};
    data["blkio"] = blkio_v2(dir + "/io.stat");
    hugetlb_v2(data, dir);
    return data;
}

oci::Json stats_v1(const Cgroup& cgroup) {
    oci::Json data = empty_stats();
    const Layout& layout = cgroup.layout();
    if (const Hierarchy* h = layout.v1_hierarchy("cpuacct")) {
        const std::string dir = cgroup.dir(*h);
        auto stat = read_keyed(dir + "/cpuacct.stat");
        const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        const auto per_cpu = [&](const std::string& file) {
            std::vector<uint64_t> values;
            std::stringstream list;
            try {
                list.str(sys::read_file(dir + "/" + file));
            } catch (const Error&) {
            }
            uint64_t value = 0;
            while (list >> value) values.push_back(value);
            return values;
        };
        data["cpu"]["usage"] = {{"total", read_number(dir + "/cpuacct.usage")}, {"percpu", per_cpu("cpuacct.usage_percpu")},
                                {"kernel", stat["system"] * tick_ns}, {"user", stat["user"] * tick_ns}};
        if (auto sys_ns = per_cpu("cpuacct.usage_percpu_sys"); !sys_ns.empty()) data["cpu"]["usage"]["percpu_kernel"] = sys_ns;
        if (auto user_ns = per_cpu("cpuacct.usage_percpu_user"); !user_ns.empty()) data["cpu"]["usage"]["percpu_user"] = user_ns;
    }
    if (const Hierarchy* h = layout.v1_hierarchy("cpu")) {
        auto stat = read_keyed(cgroup.dir(*h) + "/cpu.stat");
        data["cpu"]["throttling"] = {{"periods", stat["nr_periods"]}, {"throttled_periods", stat["nr_throttled"]},
                                     {"throttled_time", stat["throttled_time"]}};
    }
    const Hierarchy* cpuset_h = layout.v1_hierarchy("cpuset");
    if (cpuset_h != nullptr && ::access((cgroup.dir(*cpuset_h) + "/cpuset.cpus").c_str(), F_OK) == 0) {
        const std::string dir = cgroup.dir(*cpuset_h) + "/cpuset.";
        const auto ids = [&](const char* file) {
            const std::string list = read_trimmed(dir + file);
            return list.empty() ? std::vector<unsigned>{} : process::parse_id_list(list, dir + file, 1u << 20);
        };
        oci::Json cpuset = {{"cpus", ids("cpus")}, {"mems", ids("mems")}};
        for (const char* file : {"cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                                 "memory_spread_slab", "memory_pressure", "sched_load_balance"}) {
            cpuset[file] = read_number(dir + file);
        }
        cpuset["sched_relax_domain_level"] = std::stoll(read_trimmed(dir + "sched_relax_domain_level"));
        data["cpuset"] = cpuset;
    }
    if (const Hierarchy* h = layout.v1_hierarchy("memory")) {
        const std::string dir = cgroup.dir(*h);
        const auto raw = read_keyed(dir + "/memory.stat");
        data["memory"] = {{"cache", raw.count("cache") ? raw.at("cache") : 0},
                          {"usage", memory_entry_v1(dir, "memory")},
                          {"swap", memory_entry_v1(dir, "memory.memsw")},
                          {"kernel", memory_entry_v1(dir, "memory.kmem")},
                          {"kernelTCP", memory_entry_v1(dir, "memory.kmem.tcp")},
                          {"raw", raw}};
    }
    if (const Hierarchy* h = layout.v1_hierarchy("pids")) {
        const std::string dir = cgroup.dir(*h);
        // runc reports an unlimited v1 pids.max as 0.
        const uint64_t limit = read_number(dir + "/pids.max");
        data["pids"] = {{"current", read_number(dir + "/pids.current")}, {"limit", limit == UINT64_MAX ? 0 : limit}};
    }
    if (const Hierarchy* h = layout.v1_hierarchy("blkio")) {
        const std::string dir = cgroup.dir(*h) + "/blkio.throttle.";
        for (const auto& [key, file] : {std::pair{"ioServiceBytesRecursive", "io_service_bytes_recursive"},
                                        std::pair{"ioServicedRecursive", "io_serviced_recursive"}}) {
            if (auto entries = blkio_entries_v1(dir + file); !entries.empty()) data["blkio"][key] = entries;
        }
    }
    if (const Hierarchy* h = layout.v1_hierarchy("hugetlb")) {
        const std::string dir = cgroup.dir(*h);
        for (const auto& size : hugepage_sizes()) {
            const std::string file = dir + "/hugetlb." + size;
            data["hugetlb"][size] = {{"usage", read_number(file + ".usage_in_bytes")},
                                     {"max", read_number(file + ".max_usage_in_bytes")},
                                     {"failcnt", read_number(file + ".failcnt")}};
        }
    } else if (!layout.unified_mount.empty()) {
        hugetlb_v2(data, cgroup.unified_dir());  // hybrid: hugetlb lives on cgroup2
    }
    return data;
}

}  // namespace hull::cgroups
