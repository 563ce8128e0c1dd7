// Containers without a cgroup: what an unprivileged user gets where it may not create one
// (cgroup v1 and hybrid hosts, cgroup v2 without a delegated subtree), as with runc and crun.
#include <unistd.h>

#include <utility>

#include "cgroups/drivers.hpp"
#include "cgroups/resources.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

// The driver: create's steps do nothing; the verbs that work through a cgroup say why they can't,
// never acting on hull's own cgroup, where the container runs.
class NoCgroup : public Manager {
public:
    NoCgroup(Layout layout, std::string why) : Manager(std::move(layout)), why_(std::move(why)) {}

    Driver driver() const noexcept override { return Driver::None; }
    const std::string& path() const noexcept override { return empty_; }

    void prepare(const oci::LinuxResources&) override {}
    int clone_target() const noexcept override { return -1; }
    void place(pid_t) override {}
    void placement_done() override {}
    std::string created_top() const override { return ""; }
    void release() noexcept override {}

    std::vector<pid_t> pids() const override { refuse(); }
    bool frozen() const override { return false; }
    void set_frozen(bool) override { refuse(); }
    void signal_all(int) override { refuse(); }
    void update(const oci::LinuxResources&) override { refuse(); }
    oci::Json stats() const override { refuse(); }
    uint64_t oom_kills() const override { refuse(); }
    void destroy() override {}
    std::unique_ptr<Manager> for_exec(const std::string& sub) const override {
        if (!sub.empty()) throw Error("sub-cgroup \"" + sub + "\": the container has no cgroup (" + why_ + ")");
        return std::make_unique<NoCgroup>(layout(), why_);
    }

private:
    [[noreturn]] void refuse() const { throw Error("the container has no cgroup (" + why_ + ")"); }
    std::string why_;
    std::string empty_;
};

// The deepest existing directory on the way to `dir`.
std::string nearest_existing(std::string dir) {
    while (::access(dir.c_str(), F_OK) != 0 && dir.find('/') != std::string::npos) dir = dir.substr(0, dir.rfind('/'));
    return dir;
}

}  // namespace

std::unique_ptr<Manager> none_manager(Layout layout, std::string why) {
    return std::make_unique<NoCgroup>(std::move(layout), std::move(why));
}

std::string why_no_cgroup(const Layout& layout, const std::string& path) {
    if (!sys::unprivileged()) return "";
    if (layout.mode != Mode::Unified) {
        return std::string("rootless on a cgroup ") + (layout.mode == Mode::Hybrid ? "hybrid" : "v1") +
               " host, where cgroups are not delegated to users";
    }
    // A delegated subtree (a systemd user slice, or one chowned to us): the cgroup is made there,
    // and clone3 can place the container in it when we may write its nearest existing ancestor.
    const std::string parent = nearest_existing(layout.unified_mount + path);
    if (::access(parent.c_str(), W_OK) == 0 && ::access((parent + "/cgroup.procs").c_str(), W_OK) == 0) return "";
    return "rootless, and " + parent + " is not a cgroup v2 subtree delegated to this user";
}

void check_without_cgroup(const oci::LinuxResources& resources, const std::string& why) {
    const oci::Json json = oci::to_json(resources);
    for (const auto& [key, value] : json.items()) {
        if (value.empty()) continue;
        if (key == "devices") {
            log::warn("linux.resources.devices: not applied: the container has no cgroup (" + why +
                      "); it reaches only the device nodes bind-mounted into it, with this user's permissions");
            continue;
        }
        throw Error("linux.resources." + key + ": needs the container's cgroup, and there is none (" + why +
                    "): remove the limit, or run on cgroup v2 with a delegated subtree");
    }
}

}  // namespace hull::cgroups
