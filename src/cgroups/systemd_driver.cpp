// The systemd driver: a transient scope made over D-Bus for the container's process
// (systemd_cgroup.cpp); systemd creates the cgroup, and the cgroupfs driver of the host's layout
// then writes the limits systemd has no property for and serves the later verbs.
#include <utility>

#include "cgroups/cgroupfs.hpp"
#include "cgroups/drivers.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"

namespace hull::cgroups {

namespace {

class SystemdManager : public Manager {
public:
    SystemdManager(std::unique_ptr<CgroupfsManager> files, std::optional<systemd::ScopePath> scope)
        : Manager(files->layout()), files_(std::move(files)), scope_(std::move(scope)) {}
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
    const std::string& path() const noexcept override { return files_->path(); }

    void prepare(const oci::LinuxResources& resources) override { resources_ = resources; }
    // systemd moves the process into the scope it starts for it: see place().
    int clone_target() const noexcept override { return -1; }
    void place(pid_t pid) override {
        if (started_unit_.empty() && scope_) {
            systemd::start_scope(*scope_, pid, &resources_, files_->pure_v2());
            started_unit_ = scope_->unit();
            files_->make(resources_, true);
        }
        files_->place(pid);
    }
    void placement_done() override { files_->placement_done(); }
    std::string created_top() const override { return files_->created_top(); }
    void release() noexcept override {
        files_->release();
        started_unit_.clear();
    }

    std::vector<pid_t> pids() const override { return files_->pids(); }
    bool frozen() const override { return files_->frozen(); }
    void set_frozen(bool frozen) override { files_->set_frozen(frozen); }
    void signal_all(int signal) override { files_->signal_all(signal); }
    // systemd first: it writes the files from its properties, then hull writes every file.
    void update(const oci::LinuxResources& resources) override {
        systemd::update_unit(path().substr(path().rfind('/') + 1), resources, files_->pure_v2());
        files_->update(resources);
    }
    oci::Json stats() const override { return files_->stats(); }
    uint64_t oom_kills() const override { return files_->oom_kills(); }
    void destroy() override { files_->destroy(); }
    std::unique_ptr<Manager> for_exec(const std::string& sub) const override { return files_->for_exec(sub); }

private:
    std::unique_ptr<CgroupfsManager> files_;
    std::optional<systemd::ScopePath> scope_;  // only for a new container
    oci::LinuxResources resources_;
    std::string started_unit_;  // stopped again unless the create succeeds
};

}  // namespace

std::unique_ptr<Manager> systemd_manager(Layout layout, systemd::ScopePath scope) {
    std::string path = scope.cgroup_path();
    return std::make_unique<SystemdManager>(cgroupfs_manager(std::move(layout), std::move(path)), std::move(scope));
}

std::unique_ptr<Manager> systemd_manager(Layout layout, std::string path, std::string created_top) {
    return std::make_unique<SystemdManager>(cgroupfs_manager(std::move(layout), std::move(path), std::move(created_top)),
                                            std::nullopt);
}

}  // namespace hull::cgroups
