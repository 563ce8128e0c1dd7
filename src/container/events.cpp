// `events`: resource statistics once or at an interval, and OOM kills, as runc prints them.
#include <algorithm>
#include <chrono>
#include <thread>

#include "container/container.hpp"
#include "hull/error.hpp"

namespace hull {

namespace {

using Ordered = nlohmann::ordered_json;

// `key` from hull's stats object `from` into `to`, or 0 / nothing when absent; with `omit_empty`
// a zero or an empty list is left out, as Go's omitempty does for runc's fields.
void put(Ordered& to, const char* key, const oci::Json& from, bool omit_empty, const char* from_key = nullptr) {
    const auto it = from.find(from_key != nullptr ? from_key : key);
    const oci::Json value = it == from.end() ? oci::Json(0) : *it;
    if (omit_empty && (value == 0 || value == "" || (value.is_array() && value.empty()))) return;
    to[key] = Ordered::parse(value.dump());
}

Ordered object_of(const oci::Json& from, const char* key) {
    return from.contains(key) ? Ordered::parse(from[key].dump()) : Ordered::object();
}

// runc 1.1.5's types.Stats, field by field in its Go struct order (callers match raw prefixes),
// with runc's omitempty fields left out when zero.
Ordered runc_stats(const oci::Json& s) {
    static const oci::Json none = oci::Json::object();
    const auto part = [&](const oci::Json& o, const char* key) -> const oci::Json& {
        return o.contains(key) && o[key].is_object() ? o[key] : none;
    };
    Ordered data;
    const oci::Json& cpu = part(s, "cpu");
    const oci::Json& usage = part(cpu, "usage");
    const oci::Json& throttling = part(cpu, "throttling");
    Ordered cpu_usage = Ordered::object(), cpu_throttling = Ordered::object();
    for (const char* key : {"total", "percpu", "percpu_kernel", "percpu_user"}) put(cpu_usage, key, usage, true);
    for (const char* key : {"kernel", "user"}) put(cpu_usage, key, usage, false);
    put(cpu_throttling, "periods", throttling, true);
    put(cpu_throttling, "throttledPeriods", throttling, true, "throttled_periods");
    put(cpu_throttling, "throttledTime", throttling, true, "throttled_time");
    data["cpu"] = {{"usage", cpu_usage}, {"throttling", cpu_throttling}};
    const oci::Json& cpuset = part(s, "cpuset");
    Ordered cpuset_out = Ordered::object();
    put(cpuset_out, "cpus", cpuset, true);
    put(cpuset_out, "cpu_exclusive", cpuset, false);
    put(cpuset_out, "mems", cpuset, true);
    for (const char* key : {"mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page", "memory_spread_slab",
                            "memory_pressure", "sched_load_balance", "sched_relax_domain_level"}) {
        put(cpuset_out, key, cpuset, false);
    }
    data["cpuset"] = cpuset_out;
    const oci::Json& memory = part(s, "memory");
    Ordered memory_out = Ordered::object();
    put(memory_out, "cache", memory, true);
    for (const char* key : {"usage", "swap", "kernel", "kernelTCP"}) {
        const oci::Json& entry = part(memory, key);
        Ordered entry_out = Ordered::object();
        put(entry_out, "limit", entry, false);
        put(entry_out, "usage", entry, true);
        put(entry_out, "max", entry, true);
        put(entry_out, "failcnt", entry, false);
        memory_out[key] = entry_out;
    }
    if (memory.contains("raw") && !memory["raw"].empty()) memory_out["raw"] = object_of(memory, "raw");
    data["memory"] = memory_out;
    Ordered pids = Ordered::object();
    for (const char* key : {"current", "limit"}) put(pids, key, part(s, "pids"), true);
    data["pids"] = pids;
    const oci::Json& blkio = part(s, "blkio");
    Ordered blkio_out = Ordered::object();
    for (const char* key : {"ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive",
                            "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive", "sectorsRecursive"}) {
        if (!blkio.contains(key) || blkio[key].empty()) continue;
        Ordered entries = Ordered::array();
        for (const auto& entry : blkio[key]) {
            Ordered entry_out = Ordered::object();
            for (const char* field : {"major", "minor", "op", "value"}) put(entry_out, field, entry, true);
            entries.push_back(entry_out);
        }
        blkio_out[key] = entries;
    }
    data["blkio"] = blkio_out;
    Ordered hugetlb = Ordered::object();
    for (const auto& [size, entry] : part(s, "hugetlb").items()) {  // sorted, as Go prints a map
        Ordered entry_out = Ordered::object();
        put(entry_out, "usage", entry, true);
        put(entry_out, "max", entry, true);
        put(entry_out, "failcnt", entry, false);
        hugetlb[size] = entry_out;
    }
    data["hugetlb"] = hugetlb;
    data["intel_rdt"] = Ordered::object();
    data["network_interfaces"] = nullptr;
    return data;
}

}  // namespace

void container_events(const RuntimeOptions& runtime, const std::string& id, bool stats_once, int interval_ms,
                      const std::function<void(const nlohmann::ordered_json&)>& emit) {
    std::unique_ptr<cgroups::Manager> cgroup;
    {
        auto c = container::Container::open(runtime, id);
        if (c.status() == container::Status::Stopped) throw Error("events: container \"" + id + "\" is stopped");
        c.cgroup_for("events");
        cgroup = c.take_cgroup();
    }
    // runc's key order (type, id, data): callers match the raw prefix of each line.
    const auto stats_event = [&] {
        return nlohmann::ordered_json{{"type", "stats"}, {"id", id}, {"data", runc_stats(cgroup->stats())}};
    };
    if (stats_once) {
        emit(stats_event());
        return;
    }
    uint64_t oom_seen = cgroup->oom_kills();
    const auto interval = std::chrono::milliseconds(std::max(interval_ms, 10));
    auto next_stats = std::chrono::steady_clock::now();
    for (;;) {
        if (container_state(runtime, id).status == "stopped") return;
        const uint64_t ooms = cgroup->oom_kills();
        if (ooms > oom_seen) emit(nlohmann::ordered_json{{"type", "oom"}, {"id", id}});
        oom_seen = ooms;
        if (std::chrono::steady_clock::now() >= next_stats) {
            emit(stats_event());
            next_stats += interval;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int>(interval_ms, 200)));
    }
}

}  // namespace hull
