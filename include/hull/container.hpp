// The container lifecycle (runtime-spec runtime.md): create, start, state, kill, delete, and the
// composite verbs run and list. The CLI parses flags and calls these.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "oci/state.hpp"

namespace hull {

struct RuntimeOptions {
    std::string root;  // state root; see default_state_root()
    bool systemd_cgroup = false;
};

struct CreateOptions {
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    unsigned preserve_fds = 0;
};

// Checks that the fds create/run will pass on (LISTEN_FDS + --preserve-fds, from fd 3) are open
// in this process, before hull opens any fd of its own that could take their numbers.
void check_preserved_fds(unsigned preserve_fds);
// How many fds from 3 systemd passed us for socket activation: LISTEN_FDS when LISTEN_PID is our
// pid, else 0; the LISTEN_* variables are removed from our environment either way.
unsigned socket_activation_fds();

// Sets up the container and leaves its process waiting before the user program.
void create_container(const RuntimeOptions& runtime, const std::string& id, const CreateOptions& options);

// Lets a created container run its program; runs poststart hooks.
void start_container(const RuntimeOptions& runtime, const std::string& id);

oci::State container_state(const RuntimeOptions& runtime, const std::string& id);

// Sends `signal` to the container process, or with `all` to every process in its cgroup.
void kill_container(const RuntimeOptions& runtime, const std::string& id, int signal, bool all);

// Removes a stopped (or created) container; `force` kills a running one first.
void delete_container(const RuntimeOptions& runtime, const std::string& id, bool force);

struct RunOptions {
    CreateOptions create;
    bool detach = false;
    bool keep = false;
};

// create + start; in the foreground it forwards signals, waits, deletes the container (unless
// keep) and returns the exit status (128+N for a signal).
int run_container(const RuntimeOptions& runtime, const std::string& id, const RunOptions& options);

struct ContainerSummary {
    oci::State state;
    std::string rootfs;
    std::string created;
    uid_t owner = 0;
};

std::vector<ContainerSummary> list_containers(const RuntimeOptions& runtime);
// One container's summary: what `state` prints.
ContainerSummary container_summary(const RuntimeOptions& runtime, const std::string& id);

}  // namespace hull

#include "oci/features.hpp"

namespace hull {

// The features document, true to what this build implements on this kernel.
oci::Features runtime_features();

}  // namespace hull

namespace hull {

struct ExecUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
};

struct ExecOptions {
    std::string process_file;  // --process: a runtime-spec process.json; otherwise built from the flags
    std::vector<std::string> args;
    bool tty = false;
    std::string console_socket;
    bool detach = false;
    std::string pid_file;
    std::string cwd;
    std::vector<std::string> env;  // KEY=VALUE, added to (or replacing in) the container's env
    std::optional<ExecUser> user;  // the container's process.user otherwise
    std::vector<uint32_t> additional_gids;
    std::vector<std::string> capabilities;  // added to bounding, effective and permitted
    bool no_new_privs = false;
    std::string apparmor_profile;
    std::string process_label;
    unsigned preserve_fds = 0;
    std::string cgroup;  // sub-cgroup of the container's (cgroup v2), "" for the container's own
    bool ignore_paused = false;
};

// Runs a new process in a running container: it joins every namespace of the container (user
// first), its cgroup, and gets the process's user, capabilities, rlimits, no_new_privs and the
// container's seccomp profile. Returns the process's exit status in the foreground, 0 detached.
int exec_in_container(const RuntimeOptions& runtime, const std::string& id, const ExecOptions& options);

}  // namespace hull

namespace hull {

// Freezes / thaws every process of a running / paused container.
void pause_container(const RuntimeOptions& runtime, const std::string& id);
void resume_container(const RuntimeOptions& runtime, const std::string& id);

// The pids in the container's cgroup (host pid namespace).
std::vector<pid_t> container_pids(const RuntimeOptions& runtime, const std::string& id);

// Applies new resource limits to a running (or paused/created) container and records them.
void update_container(const RuntimeOptions& runtime, const std::string& id, const oci::LinuxResources& resources);
// The container's recorded linux.resources (the base `update` flags are merged into).
oci::LinuxResources container_resources(const RuntimeOptions& runtime, const std::string& id);

// runc's `events`: {"type":"stats","id":..,"data":{..}} once, or every `interval_ms` until the
// container stops, with {"type":"oom","id":..} whenever the OOM killer struck; keys in runc's order.
void container_events(const RuntimeOptions& runtime, const std::string& id, bool stats_once, int interval_ms,
                      const std::function<void(const nlohmann::ordered_json&)>& emit);

}  // namespace hull

namespace hull {

// The criu options checkpoint and restore share (runc's flags, criu's options of the same names).
struct CriuOptions {
    std::string image_path;  // default ./checkpoint
    std::string work_path;   // default: the image path
    bool tcp_established = false;
    bool ext_unix_sk = false;
    bool shell_job = false;
    bool file_locks = false;
    bool auto_dedup = false;
    bool lazy_pages = false;          // refused: hull does not drive criu's lazy-pages daemon
    std::string manage_cgroups_mode;  // soft, full, strict, ignore; "" criu's default
    std::vector<std::string> empty_ns;  // "network"
};

struct CheckpointOptions {
    CriuOptions criu;
    std::string parent_path;  // a pre-dump's images, relative to image_path or absolute
    bool leave_running = false;
    bool pre_dump = false;
};

// Dumps a running or paused container with CRIU. Unless leave_running or pre_dump, the container
// is stopped by the dump and then deleted, as with runc.
void checkpoint_container(const RuntimeOptions& runtime, const std::string& id, const CheckpointOptions& options);

struct RestoreOptions {
    CreateOptions create;  // bundle, pid file, console socket, no_pivot
    CriuOptions criu;
    bool detach = false;
    bool no_subreaper = false;
};

// Restores a checkpoint as container `id` from the bundle's config: a normal hull container
// (state, kill, exec, delete). In the foreground, waits like run and returns the exit status.
int restore_container(const RuntimeOptions& runtime, const std::string& id, const RestoreOptions& options);

// Whether checkpoint/restore works on this host (criu installed and `criu check` passing): for
// features and --help.
struct CheckpointSupport {
    bool available = false;
    std::string criu_version;
    std::string reason;  // when not available
};
CheckpointSupport checkpoint_support();

}  // namespace hull
