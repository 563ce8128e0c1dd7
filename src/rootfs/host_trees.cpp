// Bind trees the runtime clones before the container process exists (see open_host_trees):
// idmapped binds (idmap/ridmap, mounts[].uidMappings/gidMappings), shared binds and, for a
// container with its own user namespace, every bind. The
// container process inherits the fds and attaches the trees in its own mount namespace.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "hull/error.hpp"
#include "hull/syscall.hpp"
#include "namespaces/namespaces.hpp"
#include "rootfs/bind.hpp"
#include "rootfs/mount_options.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::rootfs {

void check_idmap(const oci::Spec& spec, const oci::Mount& m, size_t index) {
    const MountOptions options = parse_mount_options(m.options);
    if (!wants_idmap(m, options)) return;
    const std::string field = "mounts[" + std::to_string(index) + "]";
    if (!options.bind && m.type.value_or("") != "bind") {
        throw Error(field + ": idmapped mounts (idmap, ridmap, uidMappings) are bind mounts; this one is of type \"" +
                    m.type.value_or("") + "\" (add \"bind\" or \"rbind\")");
    }
    if (!m.uidMappings.empty()) return;
    // Without mappings of its own, the mount takes the container's (config.md, idmap option).
    const bool joins_user = spec.linux && std::any_of(spec.linux->namespaces.begin(), spec.linux->namespaces.end(),
                                                      [](const oci::LinuxNamespace& ns) {
                                                          return ns.type == "user" && ns.path && !ns.path->empty();
                                                      });
    const bool own_maps = oci::has_namespace(spec, "user") && spec.linux && !spec.linux->uidMappings.empty();
    if (!joins_user && !own_maps) {
        throw Error(field + ".options: \"" + std::string(options.recursive_idmap ? "ridmap" : "idmap") +
                    "\" without " + field + ".uidMappings/gidMappings maps ids as the container's user namespace does, "
                    "and the container has no user namespace with mappings");
    }
}

std::vector<UniqueFd> open_host_trees(const oci::Spec& spec, const std::string& bundle, const ns::Plan& namespaces) {
    std::vector<UniqueFd> trees(spec.mounts.size());
    const bool user_namespace = namespaces.owns(CLONE_NEWUSER);
    std::map<std::string, UniqueFd> userns_by_mapping;  // one namespace per distinct mapping
    const auto userns_for = [&](const std::vector<oci::LinuxIDMapping>& uids, const std::vector<oci::LinuxIDMapping>& gids) {
        const std::string key = ns::format_id_mappings(uids) + "/" + ns::format_id_mappings(gids);
        auto found = userns_by_mapping.find(key);
        if (found == userns_by_mapping.end()) found = userns_by_mapping.emplace(key, ns::make_user_namespace(uids, gids)).first;
        return found->second.get();
    };
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const oci::Mount& m = spec.mounts[i];
        const MountOptions options = parse_mount_options(m.options);
        if (!is_bind(m, options)) continue;
        const std::string what = describe_mount(m, i);
        if (wants_idmap(m, options)) {
            // open_tree(OPEN_TREE_CLONE) and MOUNT_ATTR_IDMAP both need CAP_SYS_ADMIN over the
            // host's mount and user namespaces.
            if (sys::unprivileged()) {
                throw Error(what + ": an idmapped mount needs root: the kernel lets only CAP_SYS_ADMIN in the user "
                                   "namespace that mounted the source's filesystem (the host's) idmap it, never rootless");
            }
            int userns = -1;
            if (!m.uidMappings.empty()) {
                userns = userns_for(m.uidMappings, m.gidMappings);
            } else if (const ns::Join* joined = namespaces.joined(CLONE_NEWUSER)) {
                userns = joined->fd.get();
            } else {
                userns = userns_for(spec.linux->uidMappings, spec.linux->gidMappings);
            }
            trees[i] = clone_source(bind_source(m, bundle), options, what, userns);
        } else if ((options.propagation & MS_SHARED) != 0 && !user_namespace) {
            trees[i] = clone_source(bind_source(m, bundle), options, what);
        } else if (user_namespace && (options.propagation & MS_SHARED) == 0 && !sys::unprivileged()) {
            // The container's root may not reach the source (a private directory on the path):
            // the runtime opens it with its own credentials, as runc does before entering the
            // user namespace.
            trees[i] = clone_source(bind_source(m, bundle), options, what);
        }
    }
    return trees;
}

}  // namespace hull::rootfs
