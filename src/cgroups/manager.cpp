// The three cgroup drivers behind cgroups::Manager, and the factory that picks one.
#include "hull/cgroup_manager.hpp"

#include <array>
#include <utility>

#include "hull/cgroup_resources.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/systemd_cgroup.hpp"

namespace hull::cgroups {

namespace {

constexpr std::array<std::pair<Driver, std::string_view>, 3> driver_names{{
    {Driver::None, "none"},
    {Driver::Cgroupfs, "cgroupfs"},
    {Driver::Systemd, "systemd"},
}};

// pids.limit 0 would stop the container's own process from being placed: it waits for
// placement_done().
std::optional<oci::LinuxResources> split_after_placement(oci::LinuxResources& resources) {
    if (!resources.pids || resources.pids->limit != 0) return std::nullopt;
    oci::LinuxResources later;
    later.pids = resources.pids;
    resources.pids.reset();
    return later;
}

// cgroupfs: the cgroup directories are hull's, made and written as files (v2, hybrid or v1).
class CgroupfsManager : public Manager {
public:
    CgroupfsManager(Layout layout, std::string path, std::string created_top = "")
        : Manager(std::move(layout)), path_(std::move(path)), created_top_(std::move(created_top)) {}

    Driver driver() const noexcept override { return Driver::Cgroupfs; }
    const std::string& path() const noexcept override { return path_; }

    void prepare(const oci::LinuxResources& resources) override {
        oci::LinuxResources now = resources;
        deferred_ = split_after_placement(now);
        cgroup_.emplace(Cgroup::create(layout(), path_));
        refuse_frozen();
        apply_resources(layout(), path_, now, Apply::Create);
    }
    int clone_target() const noexcept override { return cgroup_ ? cgroup_->unified_fd() : -1; }
    void place(pid_t pid) override { cgroup().add_process(pid, false); }
    void placement_done() override {
        if (deferred_) apply_resources(layout(), path_, *deferred_, Apply::Update);
        deferred_.reset();
    }
    std::string created_top() const override { return cgroup_ ? cgroup_->created_top() : created_top_; }
    void release() noexcept override {
        if (cgroup_) cgroup_->release();
    }

    std::vector<pid_t> pids() const override { return cgroup().pids(); }
    bool frozen() const override { return cgroup().frozen(); }
    void set_frozen(bool frozen) override { cgroup().set_frozen(frozen); }
    void signal_all(int signal) override { cgroup().signal_all(signal); }
    void update(const oci::LinuxResources& resources) override { apply_resources(layout(), path_, resources, Apply::Update); }
    oci::Json stats() const override { return cgroup().stats(); }
    uint64_t oom_kills() const override { return cgroup().oom_kills(); }
    void destroy() override { cgroup().destroy(created_top_); }
    std::unique_ptr<Manager> for_exec(const std::string& sub) const override {
        if (sub.find("..") != std::string::npos || (!sub.empty() && sub.front() == '/')) {
            throw Error("sub-cgroup \"" + sub + "\": must be a path below the container's cgroup");
        }
        auto joined = std::make_unique<CgroupfsManager>(layout(), sub.empty() ? path_ : path_ + "/" + sub);
        joined->cgroup_.emplace(Cgroup::attach(joined->layout(), joined->path_));
        return joined;
    }

protected:
    // A process cloned into a frozen cgroup (its own freezer or an ancestor's) would sit there,
    // and create would wait for it forever.
    void refuse_frozen() const {
        if (cgroup_->frozen_in_effect()) throw Error("cannot create container in a frozen cgroup: " + path_ + " (thaw it first)");
    }

    // The cgroup of an existing container is opened on first use: `state` of a container that
    // is not paused-checked never opens it.
    Cgroup& cgroup() const {
        if (!cgroup_) cgroup_.emplace(Cgroup::attach(layout(), path_));
        return *cgroup_;
    }
    void adopt(Cgroup cgroup) { cgroup_.emplace(std::move(cgroup)); }
    std::optional<oci::LinuxResources>& deferred() { return deferred_; }

private:
    std::string path_;
    std::string created_top_;
    mutable std::optional<Cgroup> cgroup_;
    std::optional<oci::LinuxResources> deferred_;
};

// systemd: a transient scope made over D-Bus for the container's process; systemd creates the
// cgroup, hull then writes the limits systemd has no property for, as files.
class SystemdManager : public CgroupfsManager {
public:
    SystemdManager(Layout layout, systemd::ScopePath scope)
        : CgroupfsManager(std::move(layout), scope.cgroup_path()), scope_(std::move(scope)) {}
    SystemdManager(Layout layout, std::string path, std::string created_top)
        : CgroupfsManager(std::move(layout), std::move(path), std::move(created_top)) {}
    ~SystemdManager() override {
        if (!started_unit_.empty()) {
            try {
                systemd::stop_unit(started_unit_);
            } catch (const Error& e) {
                log::warn(std::string("cleaning up a failed create: ") + e.what());
            }
        }
    }

    Driver driver() const noexcept override { return Driver::Systemd; }

    void prepare(const oci::LinuxResources& resources) override { resources_ = resources; }
    int clone_target() const noexcept override { return -1; }
    void place(pid_t pid) override {
        if (started_unit_.empty() && scope_) {
            systemd::start_scope(*scope_, pid, &resources_, layout().mode == Mode::Unified);
            started_unit_ = scope_->unit();
            oci::LinuxResources now = resources_;
            deferred() = split_after_placement(now);
            adopt(Cgroup::create(layout(), path(), true));
            apply_resources(layout(), path(), now, Apply::Create);
        }
        CgroupfsManager::place(pid);
    }
    void release() noexcept override {
        CgroupfsManager::release();
        started_unit_.clear();
    }
    // systemd first: it writes the files from its properties, then hull writes every file.
    void update(const oci::LinuxResources& resources) override {
        systemd::update_unit(path().substr(path().rfind('/') + 1), resources, layout().mode == Mode::Unified);
        CgroupfsManager::update(resources);
    }

private:
    std::optional<systemd::ScopePath> scope_;  // only for a new container
    oci::LinuxResources resources_;
    std::string started_unit_;  // stopped again unless the create succeeds
};

// none: rootless where the user may not make a cgroup. The container runs in hull's own, as with
// runc and crun; the verbs that work through a cgroup say why they can't.
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
        return std::make_unique<SystemdManager>(detect(), std::move(scope));
    }
    Layout layout = detect();
    std::string path = resolve_path(request.cgroups_path, request.container_id);
    const std::string why = why_no_cgroup(layout, path);
    if (why.empty()) return std::make_unique<CgroupfsManager>(std::move(layout), std::move(path));
    check_without_cgroup(resources, why);
    log::debug("no cgroup for the container: ", why);
    return std::make_unique<NoCgroup>(std::move(layout), why);
}

std::unique_ptr<Manager> for_container(Driver driver, const std::string& path, const std::string& created_top,
                                       Layout layout) {
    switch (driver) {
        case Driver::Cgroupfs:
            return std::make_unique<CgroupfsManager>(std::move(layout), path, created_top);
        case Driver::Systemd:
            return std::make_unique<SystemdManager>(std::move(layout), path, created_top);
        case Driver::None:
            break;
    }
    return std::make_unique<NoCgroup>(std::move(layout), "created rootless where no cgroup v2 subtree is delegated to the user");
}

}  // namespace hull::cgroups
