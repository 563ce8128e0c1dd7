// `events`: resource statistics once or at an interval, and OOM kills, as runc prints them.
#include <algorithm>
#include <chrono>
#include <thread>

#include "container/container.hpp"
#include "hull/error.hpp"

namespace hull {

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
        return nlohmann::ordered_json{{"type", "stats"}, {"id", id}, {"data", nlohmann::ordered_json::parse(cgroup->stats().dump())}};
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
