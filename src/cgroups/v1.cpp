// The cgroupfs driver of a cgroup v1 host, and of a hybrid one: a directory in every v1
// hierarchy, written as v1 files; on a hybrid host also one in the cgroup2 tree, which carries
// what v1 left over (hugetlb here), the clone3 target and, without a v1 freezer, freezing.
#include <chrono>
#include <thread>

#include "cgroups/cgroupfs.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

// One write to freezer.state, retried on the transient errors a busy freezer gives.
void write_state(const std::string& file, const char* state) {
    for (int attempt = 0;; ++attempt) {
        try {
            sys::write_file(file, state);
            return;
        } catch (const Error& e) {
            if ((e.code() != EBUSY && e.code() != EAGAIN && e.code() != EINTR) || attempt == 100) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// The v1 freezer passes through FREEZING, where it can stay while a task will not stop (one in
// vfork, or forking as fast as the freezer walks the cgroup). As runc does: keep asking, and
// when FREEZING lasts, thaw and start over; a freeze that never settles is undone, so a failed
// pause leaves the container running, not half frozen. Thawing has no transient state, but is
// re-asked until the file says so.
void set_v1_frozen(const std::string& file, bool frozen) {
    const auto deadline = std::chrono::steady_clock::now() + freeze_timeout;
    if (!frozen) {
        while (true) {
            write_state(file, "THAWED");
            if (read_trimmed(file) == "THAWED") return;
            if (std::chrono::steady_clock::now() > deadline) throw Error(file + ": still not THAWED");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    for (int round = 1;; ++round) {
        write_state(file, "FROZEN");
        for (int wait = 0; wait < 50; ++wait) {  // up to ~50 ms a round
            const std::string state = read_trimmed(file);
            if (state == "FROZEN") return;
            if (state == "THAWED") write_state(file, "FROZEN");  // someone thawed it: ask again
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            write_state(file, "THAWED");
            throw Error(file + ": the cgroup did not freeze within " + std::to_string(freeze_timeout.count()) +
                            " s (still FREEZING after " + std::to_string(round) + " rounds); thawed again",
                        EBUSY);
        }
        write_state(file, "THAWED");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

class V1Manager : public CgroupfsManager {
public:
    using CgroupfsManager::CgroupfsManager;

    // The cgroup2 tree of a hybrid host enables a controller when a config asks for it (hugetlb
    // here), not every controller by default.
    bool pure_v2() const noexcept override { return false; }
    bool frozen() const override {
        if (const Hierarchy* freezer = layout().v1_hierarchy("freezer")) {
            try {
                const std::string state = read_trimmed(cgroup().dir(*freezer) + "/freezer.state");
                return state == "FROZEN" || state == "FREEZING";
            } catch (const Error&) {
                return false;
            }
        }
        return !layout().unified_mount.empty() && frozen_v2(cgroup().unified_dir());
    }
    void set_frozen(bool frozen) override {
        if (const Hierarchy* freezer = layout().v1_hierarchy("freezer")) {
            set_v1_frozen(cgroup().dir(*freezer) + "/freezer.state", frozen);
            return;
        }
        if (layout().unified_mount.empty()) throw Error("pause/resume: no freezer cgroup on this host");
        set_frozen_v2(cgroup().unified_dir(), frozen);
    }
    void signal_all(int signal) override { cgroup().signal_each(signal); }
    oci::Json stats() const override { return stats_v1(cgroup()); }
    uint64_t oom_kills() const override {
        const Hierarchy* memory = layout().v1_hierarchy("memory");
        return memory == nullptr ? 0 : read_keyed(cgroup().dir(*memory) + "/memory.oom_control")["oom_kill"];
    }

protected:
    bool frozen_in_effect() const override {
        return frozen() || (!layout().unified_mount.empty() && frozen_in_effect_v2(cgroup().unified_dir()));
    }
    void write(const oci::LinuxResources& resources, Apply when) const override {
        apply_v1_resources(layout(), path(), resources, when);
    }
    std::unique_ptr<CgroupfsManager> attached(std::string path) const override {
        return std::make_unique<V1Manager>(layout(), std::move(path), "");
    }
};

}  // namespace

std::unique_ptr<CgroupfsManager> v1_manager(Layout layout, std::string path, std::string created_top) {
    return std::make_unique<V1Manager>(std::move(layout), std::move(path), std::move(created_top));
}

}  // namespace hull::cgroups
