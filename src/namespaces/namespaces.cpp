#include "namespaces/namespaces.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "common/procfs.hpp"
#include "hull/error.hpp"

namespace hull::ns {

namespace {

// Whether the namespace file at `path` is the namespace hull itself runs in.
bool is_runtime_namespace(const std::string& path, const std::string& type) {
    const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const Kind& k) { return type == k.type; });
    if (kind == kinds.end()) return false;
    const std::string own = std::string("/proc/self/ns/") + kind->proc_name;
    struct stat joined {};
    struct stat ours {};
    return ::stat(path.c_str(), &joined) == 0 && ::stat(own.c_str(), &ours) == 0 && joined.st_dev == ours.st_dev &&
           joined.st_ino == ours.st_ino;
}

}  // namespace

const std::array<Kind, 8> kinds{{
    {"user", "user", CLONE_NEWUSER},
    {"mount", "mnt", CLONE_NEWNS},
    {"pid", "pid", CLONE_NEWPID},
    {"network", "net", CLONE_NEWNET},
    {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"time", "time", CLONE_NEWTIME},
}};

std::vector<std::string> known_types() {
    std::vector<std::string> names;
    for (const auto& kind : kinds) names.emplace_back(kind.type);
    std::sort(names.begin(), names.end());
    return names;
}

std::string type_names(uint64_t flags) {
    std::string names;
    for (const auto& kind : kinds) {
        if ((flags & static_cast<uint64_t>(kind.clone_flag)) == 0) continue;
        if (!names.empty()) names += ", ";
        names += kind.type;
    }
    return names.empty() ? "none" : names;
}

std::string describe(const Plan& plan) {
    std::string text = "created " + type_names(plan.create_flags);
    for (const Join& join : plan.joins) text += "; joined " + join.type + " " + join.path;
    return text;
}

uint64_t clone_flag_for(const std::string& type) {
    for (const auto& kind : kinds) {
        if (type == kind.type) return static_cast<uint64_t>(kind.clone_flag);
    }
    return 0;
}

namespace {

bool same_namespace(pid_t pid, const char* proc_name) {
    struct stat theirs {}, ours {};
    const std::string their_path = "/proc/" + std::to_string(pid) + "/ns/" + proc_name;
    const std::string our_path = std::string("/proc/self/ns/") + proc_name;
    if (::stat(their_path.c_str(), &theirs) != 0 || ::stat(our_path.c_str(), &ours) != 0) return true;
    return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

}  // namespace

int differing_namespaces(pid_t pid) {
    int flags = 0;
    for (const auto& kind : kinds) {
        if (!same_namespace(pid, kind.proc_name)) flags |= kind.clone_flag;
    }
    return flags;
}

const Join* Plan::joined(int clone_flag) const {
    for (const auto& join : joins) {
        if (join.clone_flag == clone_flag) return &join;
    }
    return nullptr;
}

Plan plan(const oci::Spec& spec) {
    Plan result;
    if (!spec.linux) return result;
    uint64_t seen = 0;
    const auto& list = spec.linux->namespaces;
    for (size_t i = 0; i < list.size(); ++i) {
        const auto& entry = list[i];
        const std::string field = "linux.namespaces[" + std::to_string(i) + "]";
        const uint64_t flag = clone_flag_for(entry.type);
        if (flag == 0) throw Error(field + ".type: unknown namespace type \"" + entry.type + "\"");
        if ((seen & flag) != 0) throw Error(field + ".type: duplicate namespace \"" + entry.type + "\"");
        seen |= flag;
        if (!entry.path || entry.path->empty()) {
            result.create_flags |= flag;
            continue;
        }
        Join join;
        join.clone_flag = static_cast<int>(flag);
        join.type = entry.type;
        join.path = *entry.path;
        join.fd.reset(::open(entry.path->c_str(), O_RDONLY | O_CLOEXEC));
        if (!join.fd) throw_errno(field + ".path: open " + *entry.path);
        const int nstype = ::ioctl(join.fd.get(), NS_GET_NSTYPE);
        if (nstype < 0) throw_errno(field + ".path: " + *entry.path + " is not a namespace");
        if (static_cast<uint64_t>(nstype) != flag) {
            throw Error(field + ".path: " + *entry.path + " is not a " + entry.type + " namespace");
        }
        result.joins.push_back(std::move(join));
    }
    std::stable_sort(result.joins.begin(), result.joins.end(), [](const Join& a, const Join& b) {
        return a.clone_flag == CLONE_NEWUSER && b.clone_flag != CLONE_NEWUSER;
    });
    return result;
}

void join_all(const Plan& plan) {
    for (const auto& join : plan.joins) {
        if (::setns(join.fd.get(), join.clone_flag) != 0) {
            throw_errno("join " + join.type + " namespace " + join.path);
        }
    }
}

void enter_new_time_namespace(const std::map<std::string, oci::LinuxTimeOffset>& offsets) {
    if (::unshare(CLONE_NEWTIME) != 0) throw_errno("unshare time namespace");
    std::string text;
    for (const auto& [clock, offset] : offsets) {
        text += clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
    }
    if (!text.empty()) {
        UniqueFd fd = procfs::Handle::open("linux.timeOffsets").open_file("self/timens_offsets", O_WRONLY);
        if (!fd) throw_errno("linux.timeOffsets: open /proc/self/timens_offsets");
        // One write per line: the kernel parses one offset per write on older versions.
        size_t start = 0;
        while (start < text.size()) {
            const size_t end = text.find('\n', start) + 1;
            const std::string line = text.substr(start, end - start);
            if (::write(fd.get(), line.data(), line.size()) < 0) {
                throw_errno("linux.timeOffsets: write \"" + line.substr(0, line.size() - 1) + "\" to timens_offsets");
            }
            start = end;
        }
    }
    UniqueFd child_ns(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
    if (!child_ns) throw_errno("open /proc/self/ns/time_for_children");
    if (::setns(child_ns.get(), CLONE_NEWTIME) != 0) throw_errno("enter new time namespace");
}

void set_hostname(const std::string& hostname) {
    if (::sethostname(hostname.data(), hostname.size()) != 0) throw_errno("hostname: sethostname \"" + hostname + "\"");
}

void bring_up_loopback() {
    const UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("network namespace: socket to bring up lo");
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) throw_errno("network namespace: get the flags of lo");
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) throw_errno("network namespace: bring up lo");
}

void set_domainname(const std::string& domainname) {
    if (::setdomainname(domainname.data(), domainname.size()) != 0) {
        throw_errno("domainname: setdomainname \"" + domainname + "\"");
    }
}

void validate_sysctl(const oci::Spec& spec) {
    if (!spec.linux) return;
    const auto find = [&](const char* type) -> const oci::LinuxNamespace* {
        for (const auto& ns : spec.linux->namespaces) {
            if (ns.type == type) return &ns;
        }
        return nullptr;
    };
    static const std::set<std::string> ipc_keys = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                                   "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                                   "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : spec.linux->sysctl) {
        const std::string field = "linux.sysctl[\"" + key + "\"]";
        const char* needed = nullptr;
        if (ipc_keys.count(key) != 0 || key.rfind("fs.mqueue.", 0) == 0) {
            needed = "ipc";
        } else if (key.rfind("net.", 0) == 0) {
            needed = "network";
        } else if (key == "kernel.hostname" || key == "kernel.domainname") {
            needed = "uts";
        } else {
            throw Error(field + ": not a namespaced sysctl; it would change the host");
        }
        const oci::LinuxNamespace* ns = find(needed);
        if (ns == nullptr) throw Error(field + ": needs the container's own " + std::string(needed) + " namespace");
        if (ns->path && is_runtime_namespace(*ns->path, needed)) {
            throw Error(field + ": the " + std::string(needed) + " namespace joined at " + *ns->path +
                        " is the runtime's own; setting it would change the host");
        }
    }
}

void apply_sysctl(const oci::StringMap& sysctl) {
    if (sysctl.empty()) return;
    // Not the container's /proc/sys: a config mount over one of its files would take the write.
    const auto proc = procfs::Handle::open("linux.sysctl");
    for (const auto& [key, value] : sysctl) {
        std::string relative = key;
        if (relative.find("..") != std::string::npos || relative.find('/') != std::string::npos ||
            relative.empty() || relative.front() == '.') {
            throw Error("linux.sysctl[\"" + key + "\"]: invalid key");
        }
        std::replace(relative.begin(), relative.end(), '.', '/');
        proc.write("sys/" + relative, value, "linux.sysctl[\"" + key + "\"] = \"" + value + "\"");
    }
}

}  // namespace hull::ns
