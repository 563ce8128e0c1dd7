#include "rootfs/mount_plan.hpp"

#include "hull/error.hpp"
#include "process/lsm.hpp"
#include "rootfs/bind.hpp"

namespace hull::rootfs {

std::vector<MountStep> plan_mounts(const Context& ctx) {
    const oci::Spec& spec = ctx.spec();
    std::vector<MountStep> steps;
    steps.reserve(spec.mounts.size());
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const oci::Mount& m = spec.mounts[i];
        MountStep step;
        step.index = i;
        step.what = describe_mount(m, i);
        step.options = parse_mount_options(m.options);
        step.type = m.type.value_or("");
        if (is_bind(m, step.options)) {
            step.kind = MountStep::Kind::Bind;
            step.host_tree = i < ctx.host_trees.size() ? ctx.host_trees[i] : -1;
            if (step.host_tree < 0 && wants_idmap(m, step.options)) throw Error(step.what + ": the runtime made no idmapped tree for it");
        } else if (step.type.empty() || step.type == "none") {
            throw Error(step.what + ": a mount needs a type (or the bind option)");
        } else if (step.type == "cgroup") {
            step.kind = MountStep::Kind::Cgroup;
        } else {
            if (lsm::takes_mount_label(step.type)) step.options.data = lsm::with_mount_label(step.options.data, ctx.mount_label());
            step.kind = step.options.copy_up ? MountStep::Kind::TmpfsCopyUp : MountStep::Kind::Filesystem;
            step.bind_host_sysfs_on_eperm = step.type == "sysfs" && ctx.user_namespace;
        }
        steps.push_back(std::move(step));
    }
    return steps;
}

}  // namespace hull::rootfs
