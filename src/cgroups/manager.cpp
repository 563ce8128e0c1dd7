// The factory: picks a container's cgroup driver once, at create (then recorded in the state) or
// from the record, and the host's layout picks the cgroupfs driver's files (cgroupfs_manager).
#include "cgroups/manager.hpp"

#include <array>
#include <utility>

#include "cgroups/cgroupfs.hpp"
#include "cgroups/drivers.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/systemd_cgroup.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"

namespace hull::cgroups {

namespace {

constexpr std::array<std::pair<Driver, std::string_view>, 3> driver_names{{
    {Driver::None, "none"},
    {Driver::Cgroupfs, "cgroupfs"},
    {Driver::Systemd, "systemd"},
}};

}  // namespace

std::string_view driver_name(Driver driver) {
    for (const auto& [known, name] : driver_names) {
        if (known == driver) return name;
    }
    return "none";
}

Driver driver_from_name(std::string_view name) {
    for (const auto& [driver, known] : driver_names) {
        if (known == name) return driver;
    }
    throw Error("unknown cgroup driver \"" + std::string(name) + "\"");
}

std::unique_ptr<Manager> for_new_container(const ManagerRequest& request, const oci::LinuxResources& resources) {
    if (request.systemd) {
        // The path is checked and systemd asked for before anything is created.
        systemd::ScopePath scope = systemd::parse_path(request.cgroups_path, request.container_id);
        systemd::require_running();
        return systemd_manager(detect(), std::move(scope));
    }
    Layout layout = detect();
    std::string path = resolve_path(request.cgroups_path, request.container_id);
    const std::string why = why_no_cgroup(layout, path);
    if (why.empty()) return cgroupfs_manager(std::move(layout), std::move(path));
    check_without_cgroup(resources, why);
    log::debug("no cgroup for the container: ", why);
    return none_manager(std::move(layout), why);
}

std::unique_ptr<Manager> for_container(Driver driver, const std::string& path, const std::string& created_top,
                                       Layout layout) {
    switch (driver) {
        case Driver::Cgroupfs:
            return cgroupfs_manager(std::move(layout), path, created_top);
        case Driver::Systemd:
            return systemd_manager(std::move(layout), path, created_top);
        case Driver::None:
            break;
    }
    return none_manager(std::move(layout), "created rootless where no cgroup v2 subtree is delegated to the user");
}

}  // namespace hull::cgroups
