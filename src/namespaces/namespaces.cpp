#include "hull/namespaces.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>

#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::ns {

namespace {

void write_proc_file(pid_t pid, const char* name, const std::string& data) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    try {
        sys::write_file(path, data);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (writing \"" + data.substr(0, data.find('\n')) + "\")", e.code());
    }
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

std::string format_id_mappings(const std::vector<oci::LinuxIDMapping>& mappings) {
    std::string text;
    for (const auto& m : mappings) {
        text += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " + std::to_string(m.size) + "\n";
    }
    return text;
}

void write_id_mappings(pid_t pid, const oci::Linux& linux) {
    if (!linux.uidMappings.empty()) write_proc_file(pid, "uid_map", format_id_mappings(linux.uidMappings));
    if (!linux.gidMappings.empty()) write_proc_file(pid, "gid_map", format_id_mappings(linux.gidMappings));
}

void enter_new_time_namespace(const std::map<std::string, oci::LinuxTimeOffset>& offsets) {
    if (::unshare(CLONE_NEWTIME) != 0) throw_errno("unshare time namespace");
    std::string text;
    for (const auto& [clock, offset] : offsets) {
        text += clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
    }
    if (!text.empty()) {
        UniqueFd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
        if (!fd) throw_errno("open /proc/self/timens_offsets");
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

void set_domainname(const std::string& domainname) {
    if (::setdomainname(domainname.data(), domainname.size()) != 0) {
        throw_errno("domainname: setdomainname \"" + domainname + "\"");
    }
}

void validate_sysctl(const oci::Spec& spec) {
    if (!spec.linux) return;
    const auto has = [&](const char* type) {
        return std::any_of(spec.linux->namespaces.begin(), spec.linux->namespaces.end(),
                           [&](const oci::LinuxNamespace& ns) { return ns.type == type; });
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
        if (!has(needed)) throw Error(field + ": needs the container's own " + std::string(needed) + " namespace");
    }
}

void apply_sysctl(const oci::StringMap& sysctl) {
    if (sysctl.empty()) return;
    UniqueFd proc_sys(::open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!proc_sys) throw_errno("linux.sysctl: open /proc/sys");
    struct statfs fs {};
    if (::fstatfs(proc_sys.get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
        throw Error("linux.sysctl: /proc/sys in the container is not a procfs");
    }
    for (const auto& [key, value] : sysctl) {
        std::string relative = key;
        if (relative.find("..") != std::string::npos || relative.find('/') != std::string::npos ||
            relative.empty() || relative.front() == '.') {
            throw Error("linux.sysctl[\"" + key + "\"]: invalid key");
        }
        std::replace(relative.begin(), relative.end(), '.', '/');
        struct open_how how {};
        how.flags = O_WRONLY | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
        UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, proc_sys.get(), relative.c_str(), &how, sizeof how)));
        if (!fd) throw_errno("linux.sysctl[\"" + key + "\"]: open /proc/sys/" + relative);
        if (::write(fd.get(), value.data(), value.size()) < 0) {
            throw_errno("linux.sysctl[\"" + key + "\"]: write \"" + value + "\"");
        }
    }
}

}  // namespace hull::ns
