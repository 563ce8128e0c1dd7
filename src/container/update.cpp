// `update`: new resource limits for a container, written to its cgroup and recorded.
#include "container/container.hpp"
#include "hull/error.hpp"

namespace hull {

oci::LinuxResources container_resources(const RuntimeOptions& runtime, const std::string& id) {
    const auto c = container::Container::open(runtime, id);
    const oci::Spec& spec = c.spec();
    return spec.linux && spec.linux->resources ? *spec.linux->resources : oci::LinuxResources{};
}

void update_container(const RuntimeOptions& runtime, const std::string& id, const oci::LinuxResources& resources) {
    auto c = container::Container::open(runtime, id);
    if (c.status() == container::Status::Stopped) throw Error("cannot update container \"" + id + "\": it is stopped");
    c.cgroup_for("update").update(resources);
    oci::Json config = c.dir().load_config();
    // Merged, as runc merges: a -r file with only some limits leaves the others recorded.
    config["linux"]["resources"].merge_patch(oci::to_json(resources));
    c.dir().save_config(config);
    c.save();  // a record from before the config had its own file drops its copy
}

}  // namespace hull
