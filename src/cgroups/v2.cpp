// The cgroupfs driver of a pure cgroup v2 host: one directory in the cgroup2 tree, whose parents
// delegate their controllers; the cgroup2 freezer, cgroup.kill, v2 files and the eBPF device filter.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cgroups/cgroupfs.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

class V2Manager : public CgroupfsManager {
public:
    using CgroupfsManager::CgroupfsManager;

    bool pure_v2() const noexcept override { return true; }
    bool frozen() const override { return frozen_v2(dir()); }
    void set_frozen(bool frozen) override { set_frozen_v2(dir(), frozen); }
    void signal_all(int signal) override {
        if (signal == SIGKILL) {
            const std::string kill_file = dir() + "/cgroup.kill";
            if (::access(kill_file.c_str(), W_OK) == 0) {
                sys::write_file(kill_file, "1");
                return;
            }
        }
        cgroup().signal_each(signal);
    }
    oci::Json stats() const override { return stats_v2(dir()); }
    uint64_t oom_kills() const override { return read_keyed(dir() + "/memory.events")["oom_kill"]; }

protected:
    bool frozen_in_effect() const override { return frozen() || frozen_in_effect_v2(dir()); }
    void write(const oci::LinuxResources& resources, Apply when) const override {
        apply_v2_resources(layout().unified_mount, path(), resources, when);
    }
    std::unique_ptr<CgroupfsManager> attached(std::string path) const override {
        return std::make_unique<V2Manager>(layout(), std::move(path), "");
    }

private:
    std::string dir() const { return layout().unified_mount + path(); }
};

}  // namespace

std::unique_ptr<CgroupfsManager> v2_manager(Layout layout, std::string path, std::string created_top) {
    return std::make_unique<V2Manager>(std::move(layout), std::move(path), std::move(created_top));
}

bool frozen_v2(const std::string& dir) {
    try {
        return read_trimmed(dir + "/cgroup.freeze") == "1";
    } catch (const Error&) {
        return false;
    }
}

bool frozen_in_effect_v2(const std::string& dir) { return read_keyed(dir + "/cgroup.events")["frozen"] == 1; }

void set_frozen_v2(const std::string& dir, bool frozen) {
    const auto deadline = std::chrono::steady_clock::now() + freeze_timeout;
    sys::write_file(dir + "/cgroup.freeze", frozen ? "1" : "0");
    while (read_keyed(dir + "/cgroup.events")["frozen"] != (frozen ? 1u : 0u)) {
        if (std::chrono::steady_clock::now() > deadline) throw Error(dir + "/cgroup.events: the freezer did not settle");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace hull::cgroups
