// CRIU, driven through its command line (criu dump / pre-dump / restore / check). The command
// line rather than `criu swrk`'s protobuf RPC: it needs no protobuf library or generated code in
// hull, and the one thing only the RPC gives (notify callbacks: the console's orphan pts master,
// network hooks mid-restore) hull refuses by field instead. The argument lists are plain data,
// built from plans and unit-tested without criu.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hull/container.hpp"
#include "hull/subprocess.hpp"
#include "oci/config.hpp"

namespace hull::criu {

struct Support {
    bool available = false;
    std::string version;  // "3.17.1"
    std::string reason;   // why not, when not available
};
// Whether criu is installed and `criu check` passes on this host (kernel, modules, privileges).
Support probe();
// Throws "VERB: checkpoint/restore is not available here: REASON" unless probe() says it is.
void require(std::string_view verb);

// criu's path in hull's PATH (else the default PATH); throws naming `verb` when it is not installed.
std::string executable(std::string_view verb);

// Throws for flags hull does not drive (--lazy-pages), an unknown --manage-cgroups-mode, and an
// --empty-ns other than network.
void check_flags(std::string_view verb, const CriuOptions& options);

// A namespace the container joined (a pod's): dumped as external, handed back at restore.
struct ExternalNamespace {
    std::string kind;  // "net", "pid"
    uint64_t inode = 0;
    std::string key() const;  // runc's key: "extRootNetNS"
};

struct DumpPlan {
    pid_t pid = 0;
    bool pre_dump = false;
    std::string images_dir;
    std::string work_dir;      // "" = images_dir
    std::string parent_dir;    // --parent-path, relative to images_dir
    std::string root;          // the container's rootfs, as the host sees it
    std::string freeze_cgroup; // the cgroup criu freezes the tasks with ("" none)
    bool leave_running = false;
    CriuOptions flags;         // the shared flags (its paths are the caller's: see images_dir, work_dir)
    std::vector<std::string> external_mounts;  // mount points in the container (key = mount point)
    std::vector<ExternalNamespace> external_namespaces;
    std::vector<std::string> external_files;  // "file[MNT:INODE]", "tty[RDEV:DEV]" keys: stdio outside the container
};
std::vector<std::string> dump_args(const DumpPlan& plan);

struct RestorePlan {
    std::string images_dir;
    std::string work_dir;
    std::string root;       // where the rootfs is mounted for criu
    std::string pid_file;   // criu writes the restored init's pid (host pid namespace) here
    std::string cgroup_root;  // the container's cgroup: every controller's root
    CriuOptions flags;
    std::vector<std::pair<std::string, std::string>> external_mounts;  // key (mount point) -> host source
    std::vector<std::pair<int, std::string>> inherit_fds;              // our fd -> the key it stands for
};
// criu restores detached, its root task a sibling (our child) so that the runtime can wait for it.
std::vector<std::string> restore_args(const RestorePlan& plan);

// The config's bind mounts: their mount points are dumped as external mounts (criu cannot dump a
// host directory), and at restore each is given its host source again.
std::vector<std::string> external_mount_points(const oci::Spec& spec);
std::vector<std::pair<std::string, std::string>> external_mount_sources(const oci::Spec& spec, const std::string& bundle);

// The cgroup mounts of a container without a cgroup namespace: binds of the host's cgroup
// directories (root not "/"), which criu cannot dump as its own. Their mount points in the
// container (from its mountinfo), dumped as external (runc does the same).
std::vector<std::string> cgroup_bind_points(pid_t pid);
// At restore: the host directory of the new container's cgroup for one of those mount points
// ("/sys/fs/cgroup" on cgroup v2, "/sys/fs/cgroup/memory" on v1), given the host's hierarchies.
std::string cgroup_bind_source(const std::string& mount_point, const std::string& unified_mount,
                               const std::vector<std::string>& v1_mounts, const std::string& cgroup_path);

// The container's /dev/console with a terminal: a bind of the pty slave, dumped as external.
constexpr const char* console_mount = "/dev/console";

// The file in the images directory that records what the container's stdin, stdout and stderr
// were ("pipe:[123]", "/dev/null"): runc's name and format (a JSON array of three strings), so
// that runc's images restore here and the other way round; runc hands back the pipes.
constexpr const char* descriptors_file = "descriptors.json";
// hull's own record beside it: for each of fds 0-2, the criu key restore hands its own fd in for
// ("pipe:[123]"; "file[MNT:INODE]" for a host file such as /dev/null, dumped as external;
// "tty[RDEV:DEV]" for the terminal, whose master is outside: restore gives a new pty's slave),
// "" for one criu restores itself (a file inside the container).
constexpr const char* stdio_keys_file = "hull-stdio.json";
// The key of fd `fd` of `pid`, given the mount ids of the container's mount namespace.
std::string stdio_key(pid_t pid, int fd, const std::vector<int>& container_mounts);
// The mount ids in /proc/PID/mountinfo.
std::vector<int> mount_ids(pid_t pid);

// `path` made absolute against the current directory (image and work paths are the caller's).
std::string absolute(const std::string& path);

// Runs `command` (criu with the arguments of dump_args or restore_args); when it fails, throws
// "WHAT: criu VERB failed (exit status N): its last errors (log: PATH)", its log being the
// --log-file in work_dir (images_dir when that is "").
void run(const sys::Command& command, const std::string& images_dir, const std::string& work_dir, const std::string& what);

// What the last lines of criu's log (DIR/NAME) say, for an error message.
std::string log_tail(const std::string& path, size_t lines = 3);

}  // namespace hull::criu
