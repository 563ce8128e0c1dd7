// pause, resume, ps, update, events: the verbs that manage a container's cgroup.
#include <chrono>
#include <thread>

#include "hull/cgroup_manager.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/state_store.hpp"
#include "lifecycle_internal.hpp"

namespace hull {

namespace {

struct Opened {
    ContainerDir dir;
    ContainerRecord record;
    std::string status;
};

Opened open_container(const RuntimeOptions& runtime, const std::string& id) {
    const StateStore store(runtime.root);
    ContainerDir dir = store.open(id);
    ContainerRecord record = dir.load();
    std::string status = container::current_status(dir, record);
    return {std::move(dir), std::move(record), std::move(status)};
}

// `verb` names what needs the cgroup when the container has none.
std::unique_ptr<cgroups::Manager> cgroup_of(const ContainerRecord& record, const std::string& verb) {
    auto cgroup = container::cgroup_manager(record);
    if (!cgroup->has_cgroup()) {
        throw Error(verb + " \"" + record.id + "\": the container has no cgroup (created rootless where no cgroup v2 "
                    "subtree is delegated to the user), and " + verb + " works through its cgroup");
    }
    return cgroup;
}

}  // namespace

void pause_container(const RuntimeOptions& runtime, const std::string& id) {
    const auto c = open_container(runtime, id);
    if (c.status != "running") throw Error("cannot pause container \"" + id + "\": it is " + c.status + ", not running");
    cgroup_of(c.record, "pause")->set_frozen(true);
}

void resume_container(const RuntimeOptions& runtime, const std::string& id) {
    const auto c = open_container(runtime, id);
    if (c.status != "paused") throw Error("cannot resume container \"" + id + "\": it is " + c.status + ", not paused");
    cgroup_of(c.record, "resume")->set_frozen(false);
}

std::vector<pid_t> container_pids(const RuntimeOptions& runtime, const std::string& id) {
    const auto c = open_container(runtime, id);
    return container::container_processes(c.record);
}

oci::LinuxResources container_resources(const RuntimeOptions& runtime, const std::string& id) {
    const auto c = open_container(runtime, id);
    const auto spec = oci::parse_config(c.record.config, "state.json config");
    return spec.linux && spec.linux->resources ? *spec.linux->resources : oci::LinuxResources{};
}

void update_container(const RuntimeOptions& runtime, const std::string& id, const oci::LinuxResources& resources) {
    auto c = open_container(runtime, id);
    if (c.status == "stopped") throw Error("cannot update container \"" + id + "\": it is stopped");
    cgroup_of(c.record, "update")->update(resources);
    c.record.config["linux"]["resources"] = oci::to_json(resources);
    c.dir.save(c.record);
}

void container_events(const RuntimeOptions& runtime, const std::string& id, bool stats_once, int interval_ms,
                      const std::function<void(const nlohmann::ordered_json&)>& emit) {
    ContainerRecord record;
    {
        const auto c = open_container(runtime, id);
        if (c.status == "stopped") throw Error("events: container \"" + id + "\" is stopped");
        record = c.record;
    }
    const auto cgroup = cgroup_of(record, "events");
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
