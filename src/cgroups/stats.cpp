// Freezing and resource statistics of a container cgroup.
#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "hull/cgroups.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

constexpr auto freeze_timeout = std::chrono::seconds(10);

std::string read_trimmed(const std::string& path) {
    std::string text = sys::read_file(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// "key value" lines (memory.stat, cpu.stat, memory.events) as a map.
std::map<std::string, uint64_t> read_keyed(const std::string& path) {
    std::map<std::string, uint64_t> values;
    std::string text;
    try {
        text = sys::read_file(path);
    } catch (const Error&) {
        return values;
    }
    std::stringstream lines(text);
    std::string key;
    uint64_t value = 0;
    while (lines >> key >> value) values[key] = value;
    return values;
}

uint64_t read_number(const std::string& path) {
    try {
        const std::string text = read_trimmed(path);
        if (text == "max") return UINT64_MAX;
        return std::stoull(text);
    } catch (const std::exception&) {
        return 0;
    }
}

const Hierarchy* find_v1(const Layout& layout, const std::string& controller) {
    for (const auto& h : layout.v1) {
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
    }
    return nullptr;
}

}  // namespace

void Cgroup::set_frozen(bool frozen) const {
    const auto deadline = std::chrono::steady_clock::now() + freeze_timeout;
    if (const Hierarchy* freezer = find_v1(layout_, "freezer"); freezer != nullptr && layout_.mode != Mode::Unified) {
        const std::string file = freezer->mount_point + path_ + "/freezer.state";
        const std::string wanted = frozen ? "FROZEN" : "THAWED";
        while (true) {
            sys::write_file(file, wanted);
            if (read_trimmed(file) == wanted) return;
            if (std::chrono::steady_clock::now() > deadline) throw Error(file + ": still not " + wanted);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    if (layout_.unified_mount.empty()) throw Error("pause/resume: no freezer cgroup on this host");
    const std::string dir = layout_.unified_mount + path_;
    sys::write_file(dir + "/cgroup.freeze", frozen ? "1" : "0");
    while (read_keyed(dir + "/cgroup.events")["frozen"] != (frozen ? 1u : 0u)) {
        if (std::chrono::steady_clock::now() > deadline) throw Error(dir + "/cgroup.events: the freezer did not settle");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

oci::Json Cgroup::stats() const {
    oci::Json data = {{"cpu", oci::Json::object()}, {"memory", oci::Json::object()}, {"pids", oci::Json::object()},
                      {"blkio", oci::Json::object()}, {"hugetlb", oci::Json::object()}};
    if (layout_.mode == Mode::Unified) {
        const std::string dir = layout_.unified_mount + path_;
        auto cpu = read_keyed(dir + "/cpu.stat");
        data["cpu"] = {{"usage", {{"total", cpu["usage_usec"] * 1000}, {"kernel", cpu["system_usec"] * 1000},
                                  {"user", cpu["user_usec"] * 1000}}},
                       {"throttling", {{"periods", cpu["nr_periods"]}, {"throttled_periods", cpu["nr_throttled"]},
                                       {"throttled_time", cpu["throttled_usec"] * 1000}}}};
        data["memory"] = {{"usage", {{"usage", read_number(dir + "/memory.current")}, {"limit", read_number(dir + "/memory.max")},
                                     {"max", read_number(dir + "/memory.peak")}}},
                          {"swap_usage", {{"usage", read_number(dir + "/memory.swap.current")}}},
                          {"raw", read_keyed(dir + "/memory.stat")}};
        data["pids"] = {{"current", read_number(dir + "/pids.current")}, {"limit", read_number(dir + "/pids.max")}};
        return data;
    }
    if (const Hierarchy* h = find_v1(layout_, "cpuacct")) {
        const std::string dir = h->mount_point + path_;
        auto stat = read_keyed(dir + "/cpuacct.stat");
        const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        std::vector<uint64_t> percpu;
        std::stringstream list;
        try {
            list.str(sys::read_file(dir + "/cpuacct.usage_percpu"));
        } catch (const Error&) {
        }
        uint64_t value = 0;
        while (list >> value) percpu.push_back(value);
        data["cpu"]["usage"] = {{"total", read_number(dir + "/cpuacct.usage")}, {"percpu_usage", percpu},
                                {"kernel", stat["system"] * tick_ns}, {"user", stat["user"] * tick_ns}};
    }
    if (const Hierarchy* h = find_v1(layout_, "cpu")) {
        auto stat = read_keyed(h->mount_point + path_ + "/cpu.stat");
        data["cpu"]["throttling"] = {{"periods", stat["nr_periods"]}, {"throttled_periods", stat["nr_throttled"]},
                                     {"throttled_time", stat["throttled_time"]}};
    }
    if (const Hierarchy* h = find_v1(layout_, "memory")) {
        const std::string dir = h->mount_point + path_;
        data["memory"] = {{"usage", {{"usage", read_number(dir + "/memory.usage_in_bytes")},
                                     {"limit", read_number(dir + "/memory.limit_in_bytes")},
                                     {"max", read_number(dir + "/memory.max_usage_in_bytes")},
                                     {"failcnt", read_number(dir + "/memory.failcnt")}}},
                          {"raw", read_keyed(dir + "/memory.stat")}};
    }
    if (const Hierarchy* h = find_v1(layout_, "pids")) {
        const std::string dir = h->mount_point + path_;
        data["pids"] = {{"current", read_number(dir + "/pids.current")}, {"limit", read_number(dir + "/pids.max")}};
    }
    return data;
}

uint64_t Cgroup::oom_kills() const {
    if (layout_.mode == Mode::Unified) return read_keyed(layout_.unified_mount + path_ + "/memory.events")["oom_kill"];
    if (const Hierarchy* h = find_v1(layout_, "memory")) return read_keyed(h->mount_point + path_ + "/memory.oom_control")["oom_kill"];
    return 0;
}

}  // namespace hull::cgroups
