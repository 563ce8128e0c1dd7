// A container's cgroup directory in every hierarchy of the host's layout (the cgroup2 tree and
// each v1 hierarchy), with no knowledge of what the files in it mean: that is the drivers'
// (v1.cpp, v2.cpp). Move-only RAII: the destructor removes the directories this object created
// unless release() was called.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "hull/fd.hpp"

namespace hull::cgroups {

// A cgroup file's text without the trailing newline; "key value" lines (memory.stat, cpu.stat,
// cgroup.events) as a map, empty when the file can't be read.
std::string read_trimmed(const std::string& path);
std::map<std::string, uint64_t> read_keyed(const std::string& path);

class Cgroup {
public:
    struct Options {
        // The leaf may already hold processes (systemd put the container's init in its scope);
        // otherwise a leaf with processes is an error.
        bool populated_ok = false;
        // Each cgroup2 parent delegates every controller it has to its children (pure cgroup v2).
        bool delegate = false;
    };
    // Creates (mkdir -p) `path` (absolute, from resolve_path) in the unified tree and in every v1
    // hierarchy, remembering which directories it created. Throws hull::Error naming the path.
    static Cgroup create(const Layout& layout, const std::string& path, Options options);
    // Refers to an existing container cgroup (delete, kill --all, pause...); creates nothing. An
    // empty path (a container without a cgroup) is an error: it would name the root cgroup.
    static Cgroup attach(const Layout& layout, const std::string& path);

    Cgroup(Cgroup&&) noexcept;
    Cgroup& operator=(Cgroup&&) noexcept;
    ~Cgroup();

    // O_DIRECTORY fd of the unified (cgroup2) directory, for clone3(CLONE_INTO_CGROUP); -1 when
    // the host has no cgroup2 tree.
    int unified_fd() const noexcept;
    // The directory in the cgroup2 tree ("" without one) and in a v1 hierarchy.
    std::string unified_dir() const;
    std::string dir(const Hierarchy& hierarchy) const { return hierarchy.mount_point + path_; }
    // Writes pid into cgroup.procs of each v1 hierarchy (and of the unified tree when
    // `include_unified`, i.e. when the process was not cloned into it).
    void add_process(pid_t pid, bool include_unified) const;
    // Pids currently in the cgroup (unified tree if any, else the first v1 hierarchy).
    std::vector<pid_t> pids() const;
    // Sends `signal` to each of pids().
    void signal_each(int signal) const;
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
    const Layout& layout() const noexcept { return layout_; }

private:
    Cgroup() = default;
    Layout layout_;
    std::string path_;
    UniqueFd unified_fd_;
    std::vector<std::string> created_dirs_;  // absolute directories this object made, deepest last
    bool released_ = false;
};

}  // namespace hull::cgroups
