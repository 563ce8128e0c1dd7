// `delete`: takes down what create made (process, cgroup, net devices, resctrl group, mounts made
// in the host's namespace) and runs the poststop hooks.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "container/container.hpp"
#include "hooks/hooks.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"
#include "namespaces/net_devices.hpp"
#include "resctrl/resctrl.hpp"
#include "rootfs/rootfs.hpp"

namespace hull {

namespace {

constexpr int stop_timeout_ms = 10000;

// linux.netDevices go back to the host before the namespace can end: through the netns create
// kept in the state dir, or the one the config joined, or the running process's.
void give_back_net_devices(const container::Container& c, const oci::Linux& linux) {
    const std::string kept = c.dir().path() + "/netns";
    std::string netns = kept;
    if (::access(kept.c_str(), F_OK) != 0) {
        netns = "/proc/" + std::to_string(c.record().pid) + "/ns/net";
        for (const auto& n : linux.namespaces) {
            if (n.type == "network" && n.path && !n.path->empty()) netns = *n.path;
        }
    }
    if (const UniqueFd fd(::open(netns.c_str(), O_RDONLY | O_CLOEXEC)); fd) ns::move_net_devices_out(linux, fd.get());
    ns::release_netns(kept);
}

void destroy(container::Container& c) {
    const oci::Spec& spec = c.spec();
    const ContainerRecord& record = c.record();
    if (spec.linux && !spec.linux->netDevices.empty()) give_back_net_devices(c, *spec.linux);
    if (UniqueFd pidfd = c.open_process()) {
        sys::pidfd_send_signal(pidfd.get(), SIGKILL);
        if (!container::wait_for_exit(pidfd.get(), stop_timeout_ms)) {
            throw Error("delete " + record.id + ": container process " + std::to_string(record.pid) +
                        " did not exit after SIGKILL");
        }
    }
    c.cgroup().destroy();
    if (!oci::has_namespace(spec, "mount")) rootfs::unmount_below(record.rootfs);
    if (spec.linux && spec.linux->intelRdt) {
        if (const std::string mount = resctrl::find_mount(); !mount.empty()) {
            resctrl::remove(resctrl::plan(*spec.linux->intelRdt, record.id, mount));
        }
    }
    if (spec.hooks) {
        hooks::run_all_warn(spec.hooks->poststop, "poststop", c.state_as(container::Status::Stopped));
    }
    c.dir().remove();
}

}  // namespace

void delete_container(const RuntimeOptions& runtime, const std::string& id, bool force) {
    using container::Status;
    const StateStore store(runtime.root);
    std::optional<ContainerDir> opened;
    try {
        opened.emplace(store.open(id));
    } catch (const Error& e) {
        if (e.code() != ENOENT) throw;
        // Like runc: the leftover of a create that was killed before it saved its state is
        // removed, and `delete --force` of a container that does not exist succeeds (containerd's
        // shim and podman call it after a plain delete or a failed create). Debug level: podman
        // parses the log of a failure as one JSON object.
        if (store.remove_abandoned(id)) log::debug("delete: removed the state dir of an unfinished create of \"", id, "\"");
        if (force) return;
        throw;
    }
    std::optional<container::Container> loaded;
    try {
        ContainerRecord record = opened->load();
        loaded.emplace(std::move(*opened), std::move(record));
        loaded->spec();  // the config has a file of its own: unreadable, it is unreadable state too
    } catch (const Error& e) {
        if (!force) throw;
        log::warn(std::string("delete --force: removing container with unreadable state: ") + e.what());
        (loaded ? loaded->dir() : *opened).remove();
        return;
    }
    container::Container& c = *loaded;
    const Status status = c.status();
    // An interrupted create (status creating) is removed with or without --force: nothing will
    // ever finish it; its process, if it still runs, is killed with the cgroup.
    if ((status == Status::Running || status == Status::Paused) && !force) {
        throw Error("cannot delete container " + id + " that is not stopped: " + std::string(container::status_name(status)) +
                    " (stop it first or use --force)");
    }
    if (status == Status::Paused) {
        // A frozen process cannot die until it is thawed (cgroup v1 freezer).
        c.cgroup().signal_all(SIGKILL);
        c.cgroup().set_frozen(false);
    }
    destroy(c);
}

}  // namespace hull
