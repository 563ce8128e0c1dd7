// The drivers behind cgroups::Manager, as the factory (manager.cpp) makes them. The cgroupfs ones
// are in cgroupfs.hpp.
#pragma once

#include <memory>
#include <string>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "cgroups/systemd_cgroup.hpp"

namespace hull::cgroups {

// systemd (systemd_driver.cpp): for a new container, the scope to start; for an existing one, its
// recorded cgroup.
std::unique_ptr<Manager> systemd_manager(Layout layout, systemd::ScopePath scope);
std::unique_ptr<Manager> systemd_manager(Layout layout, std::string path, std::string created_top);

// none (none.cpp): the container has no cgroup, `why`.
std::unique_ptr<Manager> none_manager(Layout layout, std::string why);

}  // namespace hull::cgroups
