// Container cgroups: host layout detection (pure v2 / hybrid / v1), creation, placement, removal.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::cgroups {

enum class Mode { Unified, Hybrid, Legacy };

struct Hierarchy {
    std::string mount_point;               // "/sys/fs/cgroup/memory"
    std::vector<std::string> controllers;  // {"memory"}, {"cpu","cpuacct"}, {"name=systemd"}
};

struct Layout {
    Mode mode = Mode::Legacy;
    std::string unified_mount;     // cgroup2 mount point, "" when there is none
    std::vector<Hierarchy> v1;     // every mounted v1 hierarchy (controllers and named ones)
};

// Reads /proc/self/mountinfo (first mount of each hierarchy wins).
Layout detect();
// The same from the text of a mountinfo file (unit-testable).
// `is_cgroup(path, version)` confirms a mount point really is a cgroup filesystem of that
// version (detect() asks statfs): a mountinfo line can be covered by a later mount.
Layout detect_from_mountinfo(std::string_view mountinfo,
                             const std::function<bool(const std::string&, int)>& is_cgroup = nullptr);

// The cgroup path a container gets when linux.cgroupsPath is absent or relative.
// Validates: no "..", no empty components beyond the leading "/", bounded length.
std::string resolve_path(const std::optional<std::string>& cgroups_path, const std::string& container_id);

// Why the container cannot have a cgroup at `path`, or "" when it can: root always can; an
// unprivileged user only under a writable (delegated) cgroup v2 subtree. Without one, the
// container runs without a cgroup (its record's cgroup path is empty), as with runc and crun.
std::string why_no_cgroup(const Layout& layout, const std::string& path);

// A container's cgroup in every hierarchy of the layout. Move-only RAII: the destructor removes
// the directories this object created unless release() was called.
class Cgroup {
public:
    // Creates (mkdir -p) `path` (absolute, from resolve_path) in the unified tree and in every v1
    // hierarchy, remembering which directories it created. Throws hull::Error naming the path.
    // `populated_ok`: the leaf may already hold processes (systemd put the container's init in
    // its scope); otherwise a leaf with processes is an error.
    static Cgroup create(const Layout& layout, const std::string& path, bool populated_ok = false);
    // Refers to an existing container cgroup (delete, kill --all, pause...); creates nothing. An
    // empty path (a container without a cgroup) is an error: it would name the root cgroup.
    static Cgroup attach(const Layout& layout, const std::string& path);

    Cgroup(Cgroup&&) noexcept;
    Cgroup& operator=(Cgroup&&) noexcept;
    ~Cgroup();

    // O_DIRECTORY fd of the unified (cgroup2) directory, for clone3(CLONE_INTO_CGROUP); -1 when
    // the host has no cgroup2 tree.
    int unified_fd() const noexcept;
    // Writes pid into cgroup.procs of each v1 hierarchy (and of the unified tree when
    // `include_unified`, i.e. when the process was not cloned into it).
    void add_process(pid_t pid, bool include_unified) const;
    // Pids currently in the cgroup (unified tree if any, else the first v1 hierarchy).
    std::vector<pid_t> pids() const;
    // Whether the container is frozen (cgroup.freeze / freezer.state).
    bool frozen() const;
    // Whether the kernel holds its processes frozen, by its own freezer or an ancestor's
    // (freezer.state shows both on v1; cgroup.events "frozen" on v2).
    bool frozen_in_effect() const;
    // Freezes (pause) or thaws (resume) every process, waiting until the kernel reports it done:
    // freezer.state on v1, cgroup.freeze / cgroup.events on v2.
    void set_frozen(bool frozen) const;
    // Resource usage in runc's `events --stats` shape (cpu, memory, pids, blkio, hugetlb).
    oci::Json stats() const;
    // How many times the OOM killer has killed in this cgroup (memory.events / memory.oom_control).
    uint64_t oom_kills() const;
    // Sends `signal` to every process (cgroup.kill on cgroup v2 for SIGKILL).
    void signal_all(int signal) const;
    // The shallowest directory (a path like `path()`) this object created in every hierarchy, or
    // "" when the leaf already existed somewhere: the parents from there down are hull's to remove.
    std::string created_top() const;
    // Kills every remaining process and removes the directories, retrying EBUSY for a bounded
    // time, then removes the parent directories up to `created_top` (as created_top() returned at
    // create time) and hull's own /hull parent, each only when empty.
    void destroy(const std::string& created_top = "");
    // Keep the directories (the container now owns them).
    void release() noexcept;

    const std::string& path() const noexcept { return path_; }

private:
    Cgroup() = default;
    Layout layout_;
    std::string path_;
    UniqueFd unified_fd_;
    std::vector<std::string> created_dirs_;  // absolute directories this object made, deepest last
    bool released_ = false;
};

}  // namespace hull::cgroups
