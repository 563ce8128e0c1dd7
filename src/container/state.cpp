// `state`, `list` and `ps`: what the state store and the container's processes say.
#include "container/container.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"

namespace hull {

oci::State container_state(const RuntimeOptions& runtime, const std::string& id) {
    return container::Container::open(runtime, id).state();
}

namespace {

ContainerSummary summarize(const container::Container& c) {
    ContainerSummary summary;
    summary.state = c.state();
    summary.rootfs = c.record().rootfs;
    summary.created = c.record().created;
    summary.owner = c.record().owner;
    return summary;
}

}  // namespace

ContainerSummary container_summary(const RuntimeOptions& runtime, const std::string& id) {
    return summarize(container::Container::open(runtime, id));
}

std::vector<ContainerSummary> list_containers(const RuntimeOptions& runtime) {
    std::vector<ContainerSummary> result;
    const StateStore store(runtime.root);
    const auto ids = store.list();
    if (ids.empty()) return result;
    const cgroups::Layout layout = cgroups::detect();
    for (const auto& id : ids) {
        try {
            auto c = container::Container::open(store, id);
            c.share_layout(layout);
            result.push_back(summarize(c));
        } catch (const Error& e) {
            log::debug("list: skipping ", id, ": ", e.what());
        }
    }
    return result;
}

std::vector<pid_t> container_pids(const RuntimeOptions& runtime, const std::string& id) {
    return container::Container::open(runtime, id).processes();
}

}  // namespace hull
