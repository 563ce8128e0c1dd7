// Linux namespaces: which to create, which to join by path, id mappings, time offsets,
// hostname/domainname and sysctl.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::ns {

// A runtime-spec namespace type and what Linux calls it.
struct Kind {
    const char* type;       // linux.namespaces[].type: "network"
    const char* proc_name;  // /proc/PID/ns/<proc_name>: "net"
    int clone_flag;         // CLONE_NEWNET
};

// Every namespace type hull knows, user first (it owns the others, so it is joined first).
extern const std::array<Kind, 8> kinds;

struct Join {
    int clone_flag = 0;  // CLONE_NEWNET ...
    std::string type;    // "network"
    std::string path;
    UniqueFd fd;
};

// What linux.namespaces asks for. Opened in the runtime before the container process exists,
// so joined paths resolve in the runtime's namespaces.
struct Plan {
    uint64_t create_flags = 0;  // CLONE_NEW* of namespaces to create (time included)
    std::vector<Join> joins;    // user first
    bool has(uint64_t clone_flag) const { return (create_flags & clone_flag) != 0; }
    bool joins_any() const { return !joins.empty(); }
    // Whether the container has a namespace of its own of this kind, created or joined.
    bool owns(int clone_flag) const { return has(static_cast<uint64_t>(clone_flag)) || joined(clone_flag) != nullptr; }
    const Join* joined(int clone_flag) const;
};

// Validates types (a duplicate or unknown type is an error naming linux.namespaces[i]) and opens
// each path, checking it is a namespace of that type.
Plan plan(const oci::Spec& spec);

// The namespace types hull creates and joins, sorted: what `features` reports.
std::vector<std::string> known_types();
// The runtime-spec type names of the CLONE_NEW* flags in `flags` ("user, pid"), "none" for none.
std::string type_names(uint64_t flags);
// What a plan does, for debug lines: "created pid, ipc; joined network /var/run/netns/x".
std::string describe(const Plan& plan);

// clone flag for a runtime-spec namespace type name; 0 when unknown.
uint64_t clone_flag_for(const std::string& type);

// The CLONE_NEW* flags of the namespaces process `pid` does not share with the calling process.
int differing_namespaces(pid_t pid);

// setns into every joined namespace, user namespace first.
void join_all(const Plan& plan);

// Writes /proc/PID/{uid_map,setgroups,gid_map}. Root writes any mapping itself; an unprivileged
// user writes a mapping of its own id directly (gid: after setgroups "deny") and goes through
// newuidmap/newgidmap (/etc/subuid, /etc/subgid ranges) for anything else.
void write_id_mappings(pid_t pid, const std::vector<oci::LinuxIDMapping>& uids,
                       const std::vector<oci::LinuxIDMapping>& gids);
// The container's: linux.uidMappings/gidMappings.
void write_id_mappings(pid_t pid, const oci::Linux& linux);

// A user namespace carrying these mappings and nothing else (its placeholder process is gone
// when this returns): what MOUNT_ATTR_IDMAP takes.
UniqueFd make_user_namespace(const std::vector<oci::LinuxIDMapping>& uids, const std::vector<oci::LinuxIDMapping>& gids);

// Formats mappings as the kernel's map file expects ("0 100000 65536\n").
std::string format_id_mappings(const std::vector<oci::LinuxIDMapping>& mappings);

// In the container process: unshare(CLONE_NEWTIME), write the offsets, and enter the new time
// namespace (setns on time_for_children) so the process itself, not only its children, uses it.
void enter_new_time_namespace(const std::map<std::string, oci::LinuxTimeOffset>& offsets);

void set_hostname(const std::string& hostname);
// In a new network namespace: lo up, as runc does (127.0.0.1 works; criu dumps its connections).
void bring_up_loopback();
void set_domainname(const std::string& domainname);

// Each linux.sysctl key must belong to a namespace the container has of its own (ipc: kernel.msg*,
// kernel.sem, kernel.shm*, fs.mqueue.*; network: net.*; uts: kernel.hostname/domainname), so a
// container can never change the host's settings.
void validate_sysctl(const oci::Spec& spec);

// Writes each linux.sysctl entry under the container's /proc/sys (a verified procfs).
void apply_sysctl(const oci::StringMap& sysctl);

}  // namespace hull::ns
