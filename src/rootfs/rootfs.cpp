// prepare: propagation, the rootfs bind, the config mounts, devices. enter: pivot_root and the
// masked, read-only and root-readonly settings.
#include "rootfs/rootfs.hpp"

#include <fcntl.h>
#include <sched.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/mountinfo.hpp"
#include "container/config.hpp"
#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"
#include "process/lsm.hpp"
#include "rootfs/bind.hpp"
#include "rootfs/copyup.hpp"
#include "rootfs/devices.hpp"
#include "rootfs/fd_path.hpp"
#include "rootfs/mount_options.hpp"
#include "rootfs/mount_plan.hpp"

namespace hull::rootfs {

const oci::Spec& Context::spec() const { return config->spec; }
bool Context::host_mount_namespace() const { return config->host_mount_namespace; }
bool Context::cgroup_namespace() const { return config->namespaces.owns(CLONE_NEWCGROUP); }
const std::optional<std::string>& Context::mount_label() const { return config->labels.mount_label; }


namespace {

unsigned long propagation_flags(const std::string& name) {
    if (name == "shared") return MS_SHARED;
    if (name == "rshared") return MS_SHARED | MS_REC;
    if (name == "slave") return MS_SLAVE;
    if (name == "rslave") return MS_SLAVE | MS_REC;
    if (name == "private") return MS_PRIVATE;
    if (name == "rprivate") return MS_PRIVATE | MS_REC;
    if (name == "unbindable") return MS_UNBINDABLE;
    if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
    throw Error("linux.rootfsPropagation: unknown value \"" + name + "\"");
}

void set_propagation(int target_fd, unsigned long propagation, const std::string& what) {
    if (propagation == 0) return;
    if (::mount(nullptr, fd_path(target_fd).c_str(), nullptr, propagation, nullptr) != 0) {
        throw_errno(what + ": set propagation");
    }
}

// `host_tree`: the tree the runtime cloned for this mount (open_host_trees), or -1: clone here.
void bind_mount(const oci::Mount& m, const MountOptions& options, const Context& ctx, int root_fd, const std::string& what,
                int host_tree = -1) {
    const std::string source = bind_source(m, ctx.config->bundle);
    struct stat st {};
    // A tree the runtime cloned is stat'ed as it is: its source may be out of the container's reach.
    if ((host_tree >= 0 ? ::fstat(host_tree, &st) : ::stat(source.c_str(), &st)) != 0) throw_errno(what + ": source " + source);
    UniqueFd tree = host_tree >= 0 ? UniqueFd(host_tree) : clone_source(source, options, what);
    set_recursive_attributes(tree.get(), options, what);
    set_attributes(tree.get(), 0, options.attr_set, options.attr_clear, options.atime, what);
    UniqueFd target = make_target(root_fd, m.destination, !S_ISDIR(st.st_mode), what);
    if (move_mount(tree.get(), target.get()) != 0) throw_errno(what);
    UniqueFd mounted = open_in_root(root_fd, m.destination, O_PATH);
    if (!mounted) throw_errno(what + ": reopen");
    if (host_tree >= 0) {
        // The runtime's tree got its mount id before the mounts made here, and mountinfo lists a
        // namespace's mounts by id: a clone of it made now (a peer, with its idmap and flags)
        // takes its place, so that mountinfo shows the config's order.
        UniqueFd again(open_tree(mounted.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH | (options.recursive_bind ? AT_RECURSIVE : 0)));
        if (!again) throw_errno(what + ": clone in place");
        if (::umount2(fd_path(mounted.get()).c_str(), MNT_DETACH) != 0) throw_errno(what + ": detach the runtime's tree");
        if (move_mount(again.get(), target.get()) != 0) throw_errno(what + ": attach the clone");
        mounted = open_in_root(root_fd, m.destination, O_PATH);
        if (!mounted) throw_errno(what + ": reopen");
    }
    set_propagation(mounted.get(), options.propagation, what);
}

// A tmpfs without mode= on a directory of the rootfs takes that directory's mode, as runc's
// does (the image's /tmp stays 1777, a private directory stays private).
std::string tmpfs_data(const std::string& data, const std::string& destination, int root_fd) {
    if (data.rfind("mode=", 0) == 0 || data.find(",mode=") != std::string::npos) return data;
    UniqueFd existing = open_in_root(root_fd, destination, O_PATH);
    struct stat st {};
    if (!existing || ::fstat(existing.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return data;
    char mode[16];
    std::snprintf(mode, sizeof mode, "mode=%04o", st.st_mode & 07777);
    return data.empty() ? mode : mode + ("," + data);
}

// A filesystem mount with the legacy mount(2), onto the fd we resolved inside the root.
void filesystem_mount(const std::string& type, const std::string& source, const std::string& destination,
                      const MountOptions& given, int root_fd, const std::string& what) {
    MountOptions options = given;
    if (type == "tmpfs") options.data = tmpfs_data(given.data, destination, root_fd);
    const bool pseudo = type == "proc" || type == "sysfs";
    UniqueFd target;
    if (pseudo) {
        // CVE-2019-19921 / CVE-2023-27561: /proc and /sys must be real directories.
        target = open_in_root(root_fd, destination, O_PATH | O_DIRECTORY, true);
        if (!target && errno == ENOENT) target = make_target(root_fd, destination, false, what);
        if (!target) {
            throw_errno(what + ": filesystem \"" + type + "\" must be mounted on ordinary directory: " + destination +
                        " is a symlink or not a directory");
        }
    } else {
        target = make_target(root_fd, destination, false, what);
    }
    const unsigned long flags = options.flags;
    if (::mount(source.c_str(), fd_path(target.get()).c_str(), type.c_str(), flags,
                options.data.empty() ? nullptr : options.data.c_str()) != 0) {
        const int err = errno;
        if (err == EINVAL && !options.data.empty()) {
            throw_errno(what + ": " + type + " refused the options \"" + options.data + "\"", err);
        }
        throw_errno(what, err);
    }
    UniqueFd mounted = open_in_root(root_fd, destination, O_PATH);
    if (!mounted) throw_errno(what + ": reopen");
    set_recursive_attributes(mounted.get(), options, what);
    set_propagation(mounted.get(), options.propagation, what);
}

std::string hierarchy_name(const cgroups::Hierarchy& h) {
    std::string name;
    for (const auto& c : h.controllers) {
        const std::string part = c.rfind("name=", 0) == 0 ? c.substr(5) : c;
        name += (name.empty() ? "" : ",") + part;
    }
    return name;
}

void cgroup_mount(const oci::Mount& m, const MountOptions& options, const Context& ctx, int root_fd, const std::string& what) {
    const auto& layout = *ctx.cgroup_layout;
    MountOptions leaf = options;
    leaf.data.clear();
    if (layout.mode == cgroups::Mode::Unified) {
        if (ctx.cgroup_namespace()) {
            filesystem_mount("cgroup2", "cgroup2", m.destination, leaf, root_fd, what);
        } else {
            oci::Mount bind = m;
            bind.source = layout.unified_mount + ctx.cgroup_path;
            bind_mount(bind, leaf, ctx, root_fd, what);
        }
        return;
    }
    MountOptions tmpfs = options;
    tmpfs.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    tmpfs.data = lsm::with_mount_label("mode=755", ctx.mount_label());
    filesystem_mount("tmpfs", "tmpfs", m.destination, tmpfs, root_fd, what);
    for (const auto& h : layout.v1) {
        const std::string name = hierarchy_name(h);
        const std::string destination = m.destination + "/" + name;
        if (ctx.cgroup_namespace()) {
            MountOptions v1 = leaf;
            for (const auto& c : h.controllers) v1.data += (v1.data.empty() ? "" : ",") + c;
            filesystem_mount("cgroup", "cgroup", destination, v1, root_fd, what + " [" + name + "]");
        } else {
            oci::Mount bind = m;
            bind.destination = destination;
            bind.source = h.mount_point + ctx.cgroup_path;
            bind_mount(bind, leaf, ctx, root_fd, what + " [" + name + "]");
        }
        if (h.controllers.size() > 1) {
            UniqueFd dir = open_in_root(root_fd, m.destination, O_PATH | O_DIRECTORY);
            for (const auto& c : h.controllers) ::symlinkat(name.c_str(), dir.get(), c.c_str());
        }
    }
    if (layout.mode == cgroups::Mode::Hybrid) {
        const std::string destination = m.destination + "/unified";
        if (ctx.cgroup_namespace()) {
            filesystem_mount("cgroup2", "cgroup2", destination, leaf, root_fd, what + " [unified]");
        } else {
            oci::Mount bind = m;
            bind.destination = destination;
            bind.source = layout.unified_mount + ctx.cgroup_path;
            bind_mount(bind, leaf, ctx, root_fd, what + " [unified]");
        }
    }
    if ((options.flags & MS_RDONLY) != 0) {
        UniqueFd top = open_in_root(root_fd, m.destination, O_PATH);
        if (!top || mount_setattr(top.get(), 0, MOUNT_ATTR_RDONLY, 0) != 0) throw_errno(what + ": make read-only");
    }
}

// tmpcopyup: the tmpfs gets a copy of the directory it covers. The directory is opened before
// the mount, so the fd still reads the rootfs's files underneath it afterwards.
void copy_up_mount(const oci::Mount& m, const MountOptions& options, int root_fd, const std::string& what) {
    const std::string type = m.type.value_or("");
    if (type != "tmpfs") throw Error(what + ": tmpcopyup is only for tmpfs mounts, not " + type);
    UniqueFd original = open_in_root(root_fd, m.destination, O_RDONLY | O_DIRECTORY);
    if (!original && errno != ENOENT) throw_errno(what + ": open " + m.destination);
    MountOptions writable = options;
    writable.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    filesystem_mount(type, m.source.value_or(type), m.destination, writable, root_fd, what);
    UniqueFd mounted = open_in_root(root_fd, m.destination, O_RDONLY | O_DIRECTORY);
    if (!mounted) throw_errno(what + ": reopen");
    if (original) copy_tree(original.get(), mounted.get(), what + ": tmpcopyup");
    if ((options.flags & MS_RDONLY) != 0 && mount_setattr(mounted.get(), 0, MOUNT_ATTR_RDONLY, 0) != 0) {
        throw_errno(what + ": make read-only");
    }
}

const char* mount_type_for_log(const MountStep& step) {
    switch (step.kind) {
        case MountStep::Kind::Bind: return "bind";
        case MountStep::Kind::Cgroup: return "cgroup";
        case MountStep::Kind::TmpfsCopyUp: return "tmpfs, tmpcopyup";
        case MountStep::Kind::Filesystem: break;
    }
    return step.type.c_str();
}

void apply(const MountStep& step, const oci::Mount& m, const Context& ctx, int root_fd) {
    switch (step.kind) {
        case MountStep::Kind::Bind:
            bind_mount(m, step.options, ctx, root_fd, step.what, step.host_tree);
            return;
        case MountStep::Kind::Cgroup:
            cgroup_mount(m, step.options, ctx, root_fd, step.what);
            return;
        case MountStep::Kind::TmpfsCopyUp:
            copy_up_mount(m, step.options, root_fd, step.what);
            return;
        case MountStep::Kind::Filesystem:
            break;
    }
    try {
        filesystem_mount(step.type, m.source.value_or(step.type), m.destination, step.options, root_fd, step.what);
    } catch (const Error& e) {
        if (!step.bind_host_sysfs_on_eperm || e.code() != EPERM) throw;
        oci::Mount bind = m;
        bind.source = "/sys";
        MountOptions rbind = step.options;
        rbind.bind = rbind.recursive_bind = true;
        rbind.attr_set |= MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        bind_mount(bind, rbind, ctx, root_fd, step.what);
    }
}

bool has_mount_at(const oci::Spec& spec, const std::string& destination) {
    return std::any_of(spec.mounts.begin(), spec.mounts.end(),
                       [&](const oci::Mount& m) { return m.destination == destination; });
}

UniqueFd open_root(const Context& ctx) {
    UniqueFd root(::open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs " + ctx.rootfs);
    return root;
}

// A masked file gets the container's /dev/null, verified to be the real device (CVE-2025-31133).
UniqueFd open_verified_dev_null(int root_fd) {
    UniqueFd null = open_in_root(root_fd, "/dev/null", O_PATH, true);
    if (!null) throw_errno("maskedPaths: open /dev/null (it must be the null device, not a symlink)");
    struct stat st {};
    if (::fstat(null.get(), &st) != 0) throw_errno("maskedPaths: stat /dev/null");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        throw Error("maskedPaths: /dev/null in the container is not the null device (1:3)");
    }
    return null;
}

void mask_paths(const std::vector<std::string>& paths, int root_fd, const std::optional<std::string>& mount_label) {
    if (paths.empty()) return;
    UniqueFd dev_null;
    for (const auto& path : paths) {
        UniqueFd target = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
        if (!target) {
            if (errno == ENOENT) continue;
            throw_errno("maskedPaths: open " + path);
        }
        struct stat st {};
        if (::fstat(target.get(), &st) != 0) throw_errno("maskedPaths: stat " + path);
        if (S_ISDIR(st.st_mode)) {
            UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
            if (!fs) throw_errno("maskedPaths: fsopen tmpfs for " + path);
            if (mount_label && ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "context", mount_label->c_str(), 0) != 0) {
                throw_errno("maskedPaths: linux.mountLabel on the tmpfs for " + path);
            }
            if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
                throw_errno("maskedPaths: create tmpfs for " + path);
            }
            UniqueFd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)));
            if (!mnt) throw_errno("maskedPaths: fsmount for " + path);
            if (move_mount(mnt.get(), target.get()) != 0) throw_errno("maskedPaths: mount tmpfs on " + path);
            continue;
        }
        if (!dev_null) dev_null = open_verified_dev_null(root_fd);
        UniqueFd tree(open_tree(dev_null.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH));
        if (!tree) throw_errno("maskedPaths: clone /dev/null");
        if (move_mount(tree.get(), target.get()) != 0) throw_errno("maskedPaths: mount /dev/null on " + path);
    }
}

void make_paths_readonly(const std::vector<std::string>& paths, int root_fd) {
    for (const auto& path : paths) {
        UniqueFd target = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
        if (!target) {
            if (errno == ENOENT) continue;
            throw_errno("readonlyPaths: open " + path);
        }
        UniqueFd tree(open_tree(target.get(), "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH));
        if (!tree) throw_errno("readonlyPaths: clone " + path);
        if (mount_setattr(tree.get(), AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) != 0) throw_errno("readonlyPaths: " + path);
        if (move_mount(tree.get(), target.get()) != 0) throw_errno("readonlyPaths: mount " + path);
    }
}

// Without pivot_root the host's mounts stay in the container's mount namespace, under the moved
// rootfs. A whole procfs or sysfs among them lets a process with a user namespace of its own mount
// a fresh, unmasked one (the kernel's mount_too_revealing test passes when a fully visible one
// exists): detach them first, or cover them where they cannot be detached (locked in a user
// namespace). The namespace is rslave or rprivate by now, so nothing reaches the host.
void hide_host_proc_and_sys(const std::string& rootfs) {
    for (const auto& m : sys::parse_mountinfo(sys::read_file("/proc/self/mountinfo"))) {
        if (m.root != "/" || (m.fstype != "proc" && m.fstype != "sysfs")) continue;
        if (m.mount_point == rootfs || m.mount_point.rfind(rootfs + "/", 0) == 0) continue;
        if (::umount2(m.mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
        // EINVAL: no longer a mount point (went with a parent detached before it).
        if (errno == EINVAL || errno == ENOENT) continue;
        if (::mount("tmpfs", m.mount_point.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0) {
            throw_errno("--no-pivot: hide the host's " + m.fstype + " at " + m.mount_point);
        }
    }
}

void pivot_into(const Context& ctx) {
    if (::chdir(ctx.rootfs.c_str()) != 0) throw_errno("chdir " + ctx.rootfs);
    if (ctx.host_mount_namespace()) {
        if (::chroot(".") != 0) throw_errno("chroot " + ctx.rootfs);
    } else if (ctx.no_pivot) {
        hide_host_proc_and_sys(ctx.rootfs);
        if (::mount(ctx.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) throw_errno("move rootfs to /");
        if (::chroot(".") != 0) throw_errno("chroot " + ctx.rootfs);
    } else {
        log::debug("pivot_root into ", ctx.rootfs);
        if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root " + ctx.rootfs);
        // The old root is stacked on "."; detaching it cannot reach the host: prepare made the
        // whole namespace rslave (or rprivate) before anything was mounted. (An MS_SLAVE|MS_REC
        // on "." here would hit the new root's tree, "." being the new root's mount, and turn
        // rshared binds into the host's slaves.)
        if (::umount2(".", MNT_DETACH) != 0) throw_errno("detach old root");
    }
    if (::chdir("/") != 0) throw_errno("chdir /");
}

}  // namespace

void validate_without_mount_namespace(const oci::Spec& spec) {
    const std::string why = ": needs a mount namespace of the container's own (linux.namespaces has none)";
    if (spec.root && spec.root->readonly) throw Error("root.readonly" + why);
    if (spec.linux && spec.linux->rootfsPropagation && !spec.linux->rootfsPropagation->empty()) {
        throw Error("linux.rootfsPropagation" + why);
    }
    if (spec.annotations.count(overlay_annotation) != 0) throw Error(std::string("annotations[\"") + overlay_annotation + "\"]" + why);
}

void unmount_below(const std::string& rootfs) noexcept {
    try {
        std::vector<std::string> below;
        for (const auto& m : sys::parse_mountinfo(sys::read_file("/proc/self/mountinfo"))) {
            if (m.mount_point.rfind(rootfs + "/", 0) == 0) below.push_back(m.mount_point);
        }
        std::sort(below.begin(), below.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
        for (const auto& mount_point : below) ::umount2(mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
    } catch (const std::exception&) {
    }
}

void validate_mounts(const oci::Spec& spec) {
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        check_mount_options(spec.mounts[i], i);
        check_idmap(spec, spec.mounts[i], i);
    }
}

void prepare(const Context& ctx) {
    const oci::Spec& spec = ctx.spec();
    const std::vector<MountStep> steps = plan_mounts(ctx);
    ::umask(0);
    const auto& propagation = spec.linux ? spec.linux->rootfsPropagation : std::nullopt;
    const unsigned long root_propagation =
        propagation && !propagation->empty() ? propagation_flags(*propagation) | MS_REC : MS_SLAVE | MS_REC;
    // Nothing we mount may propagate back to the host. Shared and unbindable are applied by
    // finalize: the rootfs bind below would propagate, or fail (EINVAL) on an unbindable tree.
    const unsigned long setup_propagation =
        (root_propagation & (MS_SHARED | MS_UNBINDABLE)) ? MS_SLAVE | MS_REC : root_propagation;
    // In the runtime's own mount namespace neither / nor the rootfs mount is ours to change.
    if (!ctx.host_mount_namespace()) {
        if (::mount(nullptr, "/", nullptr, setup_propagation, nullptr) != 0) throw_errno("set propagation of /");
        if (::mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
            throw_errno("bind rootfs " + ctx.rootfs + " on itself");
        }
    }
    const UniqueFd root = open_root(ctx);
    bool dev_read_only = false;
    for (const MountStep& step : steps) {
        const oci::Mount& m = spec.mounts[step.index];
        if (m.destination == "/dev" && ((step.options.flags & MS_RDONLY) != 0 || (step.options.attr_set & MOUNT_ATTR_RDONLY) != 0)) {
            // A read-only /dev still gets its devices, symlinks and submounts: it is made
            // read-only once they are there, as runc does.
            MountStep writable = step;
            writable.options.flags &= ~static_cast<unsigned long>(MS_RDONLY);
            writable.options.attr_set &= ~static_cast<uint64_t>(MOUNT_ATTR_RDONLY);
            apply(writable, m, ctx, root.get());
            dev_read_only = true;
        } else {
            apply(step, m, ctx, root.get());
        }
        log::debug("mounted ", m.destination, " (type ", mount_type_for_log(step), ", source ", m.source ? m.source->c_str() : "none", ")");
    }
    const bool dev_from_config = has_mount_at(spec, "/dev");
    create_devices(spec, root.get(), dev_from_config, ctx.user_namespace, has_mount_at(spec, "/dev/pts"));
    if (dev_read_only) {
        UniqueFd dev = open_in_root(root.get(), "/dev", O_PATH | O_DIRECTORY, true);
        if (!dev || mount_setattr(dev.get(), 0, MOUNT_ATTR_RDONLY, 0) != 0) throw_errno("mounts (/dev): make read-only");
    }
    // A missing working directory is created (0755), as runc does: containerd, Kubernetes'
    // workingDir and `docker run -w` rely on it. Before root.readonly applies.
    if (spec.process && !spec.process->cwd.empty()) {
        UniqueFd cwd = open_in_root(root.get(), spec.process->cwd, O_PATH | O_DIRECTORY);
        if (!cwd && errno == ENOENT) make_dirs_in_root(root.get(), spec.process->cwd, "process.cwd");
    }
}

void enter(const Context& ctx) { pivot_into(ctx); }

void finalize(const Context& ctx) {
    const oci::Spec& spec = ctx.spec();
    const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open new root");
    if (spec.linux) {
        mask_paths(spec.linux->maskedPaths, root.get(), ctx.mount_label());
        make_paths_readonly(spec.linux->readonlyPaths, root.get());
        log::debug("masked ", spec.linux->maskedPaths.size(), " paths, made ", spec.linux->readonlyPaths.size(),
                   " paths read-only");
    }
    if (spec.root && spec.root->readonly && mount_setattr(root.get(), 0, MOUNT_ATTR_RDONLY, 0) != 0) {
        throw_errno("root.readonly: make / read-only");
    }
    if (spec.linux && spec.linux->rootfsPropagation && !spec.linux->rootfsPropagation->empty()) {
        if (::mount(nullptr, "/", nullptr, propagation_flags(*spec.linux->rootfsPropagation), nullptr) != 0) {
            throw_errno("linux.rootfsPropagation: " + *spec.linux->rootfsPropagation);
        }
    }
}

}  // namespace hull::rootfs
