// `restore`: a checkpoint brought back by criu as a new container from the bundle's config, in a
// cgroup made as create makes it; then a normal container (state, kill, exec, delete).
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "cgroups/manager.hpp"
#include "checkpoint/criu.hpp"
#include "common/unix_socket.hpp"
#include "container/config.hpp"
#include "container/lifecycle_internal.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/state_store.hpp"
#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"
#include "seccomp/seccomp.hpp"
#include "terminal/terminal.hpp"

namespace hull {

namespace {

// The host's id for a container uid (the pty is made here, outside the container's user namespace).
uid_t host_uid(const oci::Spec& spec, uid_t uid) {
    if (!oci::has_namespace(spec, "user") || !spec.linux) return uid;
    for (const auto& m : spec.linux->uidMappings) {
        if (uid >= m.containerID && uid - m.containerID < m.size) return m.hostID + (uid - m.containerID);
    }
    return uid;
}

// What criu cannot give back through its command line, refused by field before anything is made.
void check_restorable(const container::ContainerConfig& config, const RestoreOptions& options) {
    const oci::Spec& spec = config.spec;
    const bool terminal = spec.process && spec.process->terminal;
    if (terminal && options.create.console_socket.empty()) {
        throw Error("restore " + config.id + ": process.terminal is true: --console-socket is required (it receives the "
                    "new terminal's master)", EINVAL);
    }
    if (!terminal && !options.create.console_socket.empty()) {
        throw Error("restore --console-socket: process.terminal is false in " + config.bundle + "/config.json", EINVAL);
    }
    if (spec.hooks && (!spec.hooks->prestart.empty() || !spec.hooks->createRuntime.empty() ||
                       !spec.hooks->createContainer.empty() || !spec.hooks->startContainer.empty())) {
        throw Error("restore " + config.id + ": hooks.prestart/createRuntime/createContainer/startContainer: restore does not "
                    "run them (criu's setup-namespaces notification comes only over its RPC)");
    }
    if (spec.linux && spec.linux->seccomp && seccomp::uses_notify(*spec.linux->seccomp)) {
        throw Error("restore " + config.id + ": linux.seccomp: SCMP_ACT_NOTIFY cannot be restored (the listener's fd is not in the images)");
    }
}

oci::Json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) return nullptr;
    try {
        oci::Json doc;
        in >> doc;
        return doc;
    } catch (const std::exception& e) {
        throw Error("restore: " + path + ": " + e.what());
    }
}

// Our stdio takes the place of the container's where it was a pipe or a host file: hull's keys,
// else (runc's images) the pipes runc's descriptors.json names. One fd per key is enough.
std::vector<std::pair<int, std::string>> inherited_stdio(const std::string& images_dir) {
    std::vector<std::pair<int, std::string>> inherit;
    oci::Json keys = read_json(images_dir + "/" + criu::stdio_keys_file);
    const bool runc_images = !keys.is_array();
    if (runc_images) keys = read_json(images_dir + "/" + criu::descriptors_file);
    if (!keys.is_array()) return inherit;
    for (size_t fd = 0; fd < keys.size() && fd < 3; ++fd) {
        if (!keys[fd].is_string()) continue;
        const std::string key = keys[fd].get<std::string>();
        if (key.empty() || (runc_images && key.rfind("pipe:", 0) != 0)) continue;
        bool known = false;
        for (const auto& [other_fd, other] : inherit) known = known || other == key;
        if (!known) inherit.emplace_back(static_cast<int>(fd), key);
    }
    return inherit;
}

class CriuRoot {
public:
    CriuRoot(const std::string& rootfs, const std::string& state_dir);
    ~CriuRoot() { unmount(); }
    CriuRoot(const CriuRoot&) = delete;
    CriuRoot& operator=(const CriuRoot&) = delete;
    const std::string& path() const noexcept { return path_; }
    // Before the state dir can be removed (it is in there).
    void unmount() noexcept {
        if (path_.empty()) return;
        ::umount2(path_.c_str(), MNT_DETACH);
        ::rmdir(path_.c_str());
        path_.clear();
    }

private:
    std::string path_;
};

CriuRoot::CriuRoot(const std::string& rootfs, const std::string& state_dir) {
    if (::unshare(CLONE_NEWNS) != 0) throw_errno("restore: unshare the mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) throw_errno("restore: make / a slave mount");
    const std::string root = state_dir + "/criu-root";
    if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("restore: mkdir " + root);
    if (::mount(rootfs.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        const int error = errno;
        ::rmdir(root.c_str());
        throw_errno("restore: bind " + rootfs, error);
    }
    path_ = root;
}

pid_t read_pid_file(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) throw Error("restore: criu wrote no pid to " + path);
    return static_cast<pid_t>(pid);
}

pid_t restore(const RuntimeOptions& runtime, const std::string& id, const RestoreOptions& options) {
    criu::check_flags("restore", options.criu);
    criu::require("restore");
    const container::ContainerConfig config = container::load_container_config(id, options.create.bundle);
    check_restorable(config, options);
    const oci::Spec& spec = config.spec;
    const std::string images_dir = criu::absolute(options.criu.image_path.empty() ? "checkpoint" : options.criu.image_path);
    if (struct stat st {}; ::stat(images_dir.c_str(), &st) != 0) throw_errno("restore --image-path " + images_dir);
    const oci::LinuxResources resources = spec.linux->resources.value_or(oci::LinuxResources{});
    const std::unique_ptr<cgroups::Manager> cgroup =
        cgroups::for_new_container({id, spec.linux->cgroupsPath, runtime.systemd_cgroup}, resources);

    // The terminal was dumped as an external tty: the restored process gets a new pty's slave in
    // its place, and the console socket its master.
    UniqueFd console_socket;
    std::optional<terminal::Pty> pty;
    if (spec.process->terminal) {
        console_socket = sys::connect_unix(options.create.console_socket, "--console-socket");
        pty = terminal::open_pty("/dev/ptmx", spec.process->consoleSize, host_uid(spec, spec.process->user.uid));
    }

    const StateStore store(runtime.root);
    ContainerDir dir = store.reserve(id);
    ContainerRecord record = container::begin_record(dir, config, *cgroup);
    cgroup->prepare(resources);

    criu::RestorePlan plan;
    plan.images_dir = images_dir;
    plan.work_dir = options.criu.work_path.empty() ? std::string() : criu::absolute(options.criu.work_path);
    if (!plan.work_dir.empty() && ::mkdir(plan.work_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw_errno("restore --work-path " + plan.work_dir);
    }
    CriuRoot root(config.rootfs, dir.path());
    plan.root = root.path();
    plan.pid_file = dir.path() + "/restore.pid";
    plan.cgroup_root = cgroup->path();
    plan.flags = options.criu;
    plan.external_mounts = criu::external_mount_sources(spec, config.bundle);
    // The cgroup binds of a container without a cgroup namespace: from the checkpoint's images
    // we know only their mount points, so every cgroup mount of the config is offered (criu
    // takes the keys it needs; cgroup v2: the destination; v1: one per hierarchy below it).
    std::vector<std::string> v1_mounts;
    for (const auto& hierarchy : cgroup->layout().v1) v1_mounts.push_back(hierarchy.mount_point);
    for (const auto& m : spec.mounts) {
        if (m.type.value_or("") != "cgroup" || config.namespaces.owns(CLONE_NEWCGROUP) || !cgroup->has_cgroup()) continue;
        std::vector<std::string> points{m.destination};
        if (!v1_mounts.empty()) {
            points.clear();
            for (const auto& v1 : v1_mounts) points.push_back(m.destination + v1.substr(v1.find_last_of('/')));
            if (!cgroup->layout().unified_mount.empty()) points.push_back(m.destination + "/unified");
        }
        for (const auto& point : points) {
            plan.external_mounts.emplace_back(point, criu::cgroup_bind_source(point, cgroup->layout().unified_mount, v1_mounts, cgroup->path()));
        }
    }
    if (pty) {
        unsigned number = 0;
        if (::ioctl(pty->master.get(), TIOCGPTN, &number) != 0) throw_errno("restore: the new terminal's number");
        plan.external_mounts.emplace_back(criu::console_mount, "/dev/pts/" + std::to_string(number));
    }
    plan.inherit_fds = inherited_stdio(images_dir);
    std::vector<int> passed;
    for (auto& [fd, key] : plan.inherit_fds) {
        if (key.rfind("tty[", 0) != 0) continue;
        if (!pty) throw Error("restore " + id + ": the checkpoint had a terminal, but process.terminal is false", EINVAL);
        fd = 3 + static_cast<int>(passed.size());  // criu's fd (see pass_fds below)
        passed.push_back(pty->slave.get());
    }
    // A joined namespace (a pod's) is handed to criu as the fd it was dumped as.
    std::vector<UniqueFd> joined;
    for (const auto& n : spec.linux->namespaces) {
        if (!n.path || n.path->empty() || (n.type != "network" && n.type != "pid")) continue;
        UniqueFd fd(::open(n.path->c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("linux.namespaces: open " + *n.path);
        // criu gets it as fd 3, 4, ...: see pass_fds below.
        const int in_criu = 3 + static_cast<int>(passed.size());
        plan.inherit_fds.emplace_back(in_criu, criu::ExternalNamespace{n.type == "network" ? "net" : "pid", 0}.key());
        passed.push_back(fd.get());
        joined.push_back(std::move(fd));
    }

    sys::Command command;
    command.path = criu::executable("restore");
    command.argv = criu::restore_args(plan);
    command.shares_stdio = true;
    command.pass_fds = passed;
    // criu starts in the container's cgroup, so the tasks it restores are born there.
    command.before_exec = [&cgroup](pid_t pid) { cgroup->place(pid); };
    // (On a failure the root goes with `root`, before the state dir it is in.)
    criu::run(command, plan.images_dir, plan.work_dir, "restore " + id);
    root.unmount();
    const pid_t pid = read_pid_file(plan.pid_file);
    cgroup->placement_done();
    record.pid = pid;
    record.pid_start_time = sys::process_start_time(pid);
    record.created = container::now_rfc3339();
    record.creating = false;
    dir.save(record);
    if (!options.create.pid_file.empty()) {
        sys::write_file_atomic(options.create.pid_file, std::to_string(pid), 0644, "--pid-file " + options.create.pid_file);
    }
    if (pty) sys::send_fd(console_socket.get(), pty->master.get(), "/dev/console", "send the terminal master over --console-socket");
    dir.commit();
    cgroup->release();
    return pid;
}

}  // namespace

int restore_container(const RuntimeOptions& runtime, const std::string& id, const RestoreOptions& options) {
    if (options.detach) {
        restore(runtime, id, options);
        return 0;
    }
    // criu restores the init as our child (--restore-sibling): we wait for it as run does.
    container::ForegroundSignals signals;
    const pid_t pid = restore(runtime, id, options);
    int code = 0;
    try {
        code = signals.wait_for(pid);
    } catch (...) {
        delete_container(runtime, id, true);
        throw;
    }
    delete_container(runtime, id, true);
    return code;
}

}  // namespace hull
