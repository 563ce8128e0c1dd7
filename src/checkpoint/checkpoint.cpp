// `checkpoint`: the container's process tree dumped by criu into an images directory; the
// container deleted afterwards unless it is left running (or this was a pre-dump).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <optional>

#include "checkpoint/criu.hpp"
#include "container/container.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"

namespace hull {

namespace {

void make_dir(const std::string& path, const std::string& flag) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(flag + " " + path);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_errno(flag + " " + path);
    if (!S_ISDIR(st.st_mode)) throw Error(flag + " " + path + ": not a directory", ENOTDIR);
}

// The cgroup directory criu freezes the tree with: the v1 freezer's, or the cgroup v2 one.
std::string freezer_dir(const cgroups::Manager& cgroup) {
    if (!cgroup.has_cgroup()) return {};
    const cgroups::Layout& layout = cgroup.layout();
    for (const auto& hierarchy : layout.v1) {
        for (const auto& controller : hierarchy.controllers) {
            if (controller == "freezer") return hierarchy.mount_point + cgroup.path();
        }
    }
    return layout.unified_mount.empty() ? std::string() : layout.unified_mount + cgroup.path();
}

std::vector<criu::ExternalNamespace> joined_namespaces(const oci::Spec& spec) {
    std::vector<criu::ExternalNamespace> joined;
    if (!spec.linux) return joined;
    for (const auto& n : spec.linux->namespaces) {
        if (!n.path || n.path->empty() || (n.type != "network" && n.type != "pid")) continue;
        struct stat st {};
        if (::stat(n.path->c_str(), &st) != 0) throw_errno("linux.namespaces: stat " + *n.path);
        joined.push_back({n.type == "network" ? "net" : "pid", st.st_ino});
    }
    return joined;
}

// Writes runc's descriptors.json and hull's stdio keys; returns the host files to dump as external.
std::vector<std::string> record_stdio(pid_t pid, const std::string& images_dir) {
    oci::Json links = oci::Json::array();
    oci::Json keys = oci::Json::array();
    std::vector<std::string> external;
    const std::vector<int> mounts = criu::mount_ids(pid);
    for (int fd = 0; fd < 3; ++fd) {
        const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
        char target[PATH_MAX];
        const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        links.push_back(n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string("/dev/null"));
        const std::string key = criu::stdio_key(pid, fd, mounts);
        keys.push_back(key);
        if ((key.rfind("file[", 0) == 0 || key.rfind("tty[", 0) == 0) && std::find(external.begin(), external.end(), key) == external.end()) external.push_back(key);
    }
    sys::write_file_atomic(images_dir + "/" + criu::descriptors_file, links.dump(), 0600, "--image-path " + images_dir);
    sys::write_file_atomic(images_dir + "/" + criu::stdio_keys_file, keys.dump(), 0600, "--image-path " + images_dir);
    return external;
}

// --parent-path, checked as runc checks it (and in its words, which callers match): relative to
// the image path, where criu links it from, and an existing directory.
void check_parent_path(const std::string& images_dir, const std::string& parent_path) {
    if (parent_path[0] == '/') {
        throw Error("--parent-path must be relative: \"" + parent_path + "\" (criu finds the parent images from --image-path)",
                    EINVAL);
    }
    const std::string parent = images_dir + "/" + parent_path;
    struct stat st {};
    if (::stat(parent.c_str(), &st) != 0) throw_errno("invalid --parent-path: stat " + parent);
    if (!S_ISDIR(st.st_mode)) throw Error("invalid --parent-path: " + parent + ": not a directory", ENOTDIR);
}

}  // namespace

CheckpointSupport checkpoint_support() {
    const criu::Support support = criu::probe();
    return {support.available, support.version, support.reason};
}

void checkpoint_container(const RuntimeOptions& runtime, const std::string& id, const CheckpointOptions& options) {
    criu::check_flags("checkpoint", options.criu);
    bool stopped = false;
    {
        container::Container c = container::Container::open(runtime, id);
        c.require({container::Status::Running, container::Status::Paused}, "checkpoint");
        criu::DumpPlan plan;
        plan.images_dir = criu::absolute(options.criu.image_path.empty() ? "checkpoint" : options.criu.image_path);
        // runc's order: the container, then the paths, then criu.
        if (!options.parent_path.empty()) check_parent_path(plan.images_dir, options.parent_path);
        plan.parent_dir = options.parent_path;
        criu::require("checkpoint");
        const oci::Spec& spec = c.spec();
        plan.pid = c.record().pid;
        plan.pre_dump = options.pre_dump;
        make_dir(plan.images_dir, "--image-path");
        if (!options.criu.work_path.empty()) {
            plan.work_dir = criu::absolute(options.criu.work_path);
            make_dir(plan.work_dir, "--work-path");
        }
        plan.root = c.record().rootfs;
        plan.freeze_cgroup = freezer_dir(c.cgroup());
        plan.leave_running = options.leave_running;
        plan.flags = options.criu;
        plan.external_mounts = criu::external_mount_points(spec);
        // (With a cgroup namespace the cgroup mount is the container's own, whatever root our
        // namespace shows for it.)
        if (!oci::has_namespace(spec, "cgroup")) {
            for (const auto& point : criu::cgroup_bind_points(plan.pid)) plan.external_mounts.push_back(point);
        }
        // A bind of the pty slave, whose master is outside: restore binds the new pty's slave.
        if (spec.process && spec.process->terminal) plan.external_mounts.push_back(criu::console_mount);
        plan.external_namespaces = joined_namespaces(spec);
        if (!plan.pre_dump) plan.external_files = record_stdio(plan.pid, plan.images_dir);

        sys::Command command;
        command.path = criu::executable("checkpoint");
        command.argv = criu::dump_args(plan);
        command.stderr_to = sys::Stderr::WithStdout;
        criu::run(command, plan.images_dir, plan.work_dir, "checkpoint " + id);
        stopped = !options.leave_running && !options.pre_dump;
    }
    // runc too: the dumped container is gone, its state with it, so it can be restored by its id.
    if (stopped) delete_container(runtime, id, true);
}

}  // namespace hull
