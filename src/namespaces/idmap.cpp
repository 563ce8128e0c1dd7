// User namespace id mappings: a process's uid_map/gid_map written as root, or as an unprivileged
// user (its own id directly, anything else through the setuid newuidmap/newgidmap, which check
// /etc/subuid and /etc/subgid); and user namespaces that exist only to carry a mapping, for
// idmapped mounts.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/procfs.hpp"
#include "hull/error.hpp"
#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"
#include "namespaces/namespaces.hpp"

namespace hull::ns {

namespace {

void write_proc_file(pid_t pid, const char* name, const std::string& data) {
    const std::string path = std::to_string(pid) + "/" + name;
    const int err = procfs::Handle::open("id mappings").try_write(path, data);
    if (err != 0) throw_errno("write /proc/" + path + " (\"" + data.substr(0, data.find('\n')) + "\")", err);
}

// The one mapping the kernel lets an unprivileged process write itself: its own id, size 1.
bool only_own_id(const std::vector<oci::LinuxIDMapping>& mappings, uint32_t own) {
    return mappings.size() == 1 && mappings.front().hostID == own && mappings.front().size == 1;
}

void run_map_helper(const char* helper, pid_t pid, const std::vector<oci::LinuxIDMapping>& mappings,
                    const char* field, const char* ranges_file) {
    std::vector<std::string> argv{helper, std::to_string(pid)};
    for (const auto& m : mappings) {
        argv.push_back(std::to_string(m.containerID));
        argv.push_back(std::to_string(m.hostID));
        argv.push_back(std::to_string(m.size));
    }
    try {
        sys::run_and_capture(argv, true);
    } catch (const Error& e) {
        throw Error(std::string(field) + ": " + e.what() + " (without root, ids other than your own are mapped by " +
                        helper + " (package uidmap) within your ranges in " + ranges_file + ")",
                    e.code());
    }
}

// Reaps the placeholder process of make_user_namespace however we leave.
struct Placeholder {
    pid_t pid = -1;
    UniqueFd hold;  // closing it lets the process exit
    Placeholder() = default;
    Placeholder(const Placeholder&) = delete;
    Placeholder& operator=(const Placeholder&) = delete;
    ~Placeholder() {
        if (pid <= 0) return;
        hold.reset();
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
};

}  // namespace

std::string format_id_mappings(const std::vector<oci::LinuxIDMapping>& mappings) {
    std::string text;
    for (const auto& m : mappings) {
        text += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " + std::to_string(m.size) + "\n";
    }
    return text;
}

void write_id_mappings(pid_t pid, const std::vector<oci::LinuxIDMapping>& uids,
                       const std::vector<oci::LinuxIDMapping>& gids) {
    const bool root = ::geteuid() == 0;
    if (!uids.empty()) {
        if (root || only_own_id(uids, ::geteuid())) {
            write_proc_file(pid, "uid_map", format_id_mappings(uids));
        } else {
            run_map_helper("newuidmap", pid, uids, "linux.uidMappings", "/etc/subuid");
        }
    }
    if (!gids.empty()) {
        if (root) {
            write_proc_file(pid, "gid_map", format_id_mappings(gids));
        } else if (only_own_id(gids, ::getegid())) {
            // The kernel takes an unprivileged gid_map only once setgroups is denied: otherwise
            // the process could drop a supplementary group that denies it access.
            write_proc_file(pid, "setgroups", "deny");
            write_proc_file(pid, "gid_map", format_id_mappings(gids));
        } else {
            run_map_helper("newgidmap", pid, gids, "linux.gidMappings", "/etc/subgid");
        }
    }
}

void write_id_mappings(pid_t pid, const oci::Linux& linux) { write_id_mappings(pid, linux.uidMappings, linux.gidMappings); }

UniqueFd make_user_namespace(const std::vector<oci::LinuxIDMapping>& uids, const std::vector<oci::LinuxIDMapping>& gids) {
    sys::Pipe hold = sys::make_pipe();
    Placeholder placeholder;
    placeholder.pid = sys::clone3(CLONE_NEWUSER, -1);
    if (placeholder.pid == 0) {
        // Lives until the runtime has opened its namespace (or dies): then reads EOF.
        hold.write.reset();
        char byte = 0;
        while (::read(hold.read.get(), &byte, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    placeholder.hold = std::move(hold.write);
    hold.read.reset();
    write_id_mappings(placeholder.pid, uids, gids);
    const std::string path = "/proc/" + std::to_string(placeholder.pid) + "/ns/user";
    UniqueFd userns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns) throw_errno("open " + path);
    return userns;
}

}  // namespace hull::ns
