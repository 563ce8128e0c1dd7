#include "resctrl/resctrl.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace hull::resctrl {

namespace {

constexpr long rdtgroup_super_magic = 0x7655821;

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\n");
    if (begin == std::string::npos) return "";
    return text.substr(begin, text.find_last_not_of(" \t\n") - begin + 1);
}

bool plain_name(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\n') == std::string::npos;
}

// A schemata line is "RESOURCE:id=value;id=value"; several resources may come in one string.
void add_lines(std::vector<std::string>& lines, const std::string& text, const std::string& field) {
    std::stringstream stream(text);
    std::string line;
    while (std::getline(stream, line)) {
        line = trim(line);
        if (line.empty()) continue;
        if (line.find(':') == std::string::npos || line.find('=') == std::string::npos) {
            throw Error(field + ": \"" + line + "\" is not a schemata line (RESOURCE:ID=VALUE;...)");
        }
        lines.push_back(line);
    }
}

// The group's schemata as the kernel prints them, one line per resource, without padding.
std::vector<std::string> normalised(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (auto line : lines) {
        line.erase(std::remove(line.begin(), line.end(), ' '), line.end());
        out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void write_pid(const std::string& dir, pid_t pid) {
    try {
        sys::write_file(dir + "/tasks", std::to_string(pid));
    } catch (const Error& e) {
        throw Error(std::string("linux.intelRdt: ") + e.what(), e.code());
    }
}

}  // namespace

std::string find_mount() {
    std::stringstream lines(sys::read_file("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(lines, line)) {
        const auto dash = line.find(" - resctrl ");
        if (dash == std::string::npos) continue;
        std::stringstream fields(line.substr(0, dash));
        std::string field, mount_point;
        for (int i = 0; i < 5 && fields >> field; ++i) mount_point = field;
        struct statfs fs {};
        if (::statfs(mount_point.c_str(), &fs) == 0 && fs.f_type == rdtgroup_super_magic) return mount_point;
    }
    return "";
}

Plan plan(const oci::LinuxIntelRdt& rdt, const std::string& container_id, const std::string& mount) {
    const std::string field = "linux.intelRdt";
    if (mount.empty()) {
        throw Error(field + ": no resctrl filesystem is mounted on this host (mount -t resctrl resctrl /sys/fs/resctrl; "
                            "it needs Intel RDT or AMD PQoS hardware)");
    }
    Plan p;
    if (rdt.closID && !plain_name(*rdt.closID)) throw Error(field + ".closID: \"" + *rdt.closID + "\" is not a plain name");
    p.group_is_containers = !rdt.closID || *rdt.closID == container_id;
    p.group_dir = mount + "/" + (rdt.closID ? *rdt.closID : container_id);
    if (rdt.l3CacheSchema) add_lines(p.schemata, *rdt.l3CacheSchema, field + ".l3CacheSchema");
    if (rdt.memBwSchema) add_lines(p.schemata, *rdt.memBwSchema, field + ".memBwSchema");
    for (size_t i = 0; i < rdt.schemata.size(); ++i) {
        add_lines(p.schemata, rdt.schemata[i], field + ".schemata[" + std::to_string(i) + "]");
    }
    if (rdt.enableMonitoring.value_or(false) || rdt.enableCMT.value_or(false) || rdt.enableMBM.value_or(false)) {
        p.monitor_dir = p.group_dir + "/mon_groups/" + container_id;
    }
    return p;
}

void apply(const Plan& plan, pid_t pid) {
    const bool existed = ::access(plan.group_dir.c_str(), F_OK) == 0;
    if (!existed && ::mkdir(plan.group_dir.c_str(), 0755) != 0) throw_errno("linux.intelRdt: mkdir " + plan.group_dir);
    try {
        if (!plan.schemata.empty()) {
            if (existed && !plan.group_is_containers) {
                // A shared group keeps its schemata; asking for others is an error, not an override.
                std::vector<std::string> lines;
                std::stringstream text(sys::read_file(plan.group_dir + "/schemata"));
                std::string line;
                while (std::getline(text, line)) lines.push_back(trim(line));
                const auto current = normalised(lines);
                for (const auto& wanted : normalised(plan.schemata)) {
                    if (std::find(current.begin(), current.end(), wanted) == current.end()) {
                        throw Error("linux.intelRdt: the existing group " + plan.group_dir + " has other schemata than \"" +
                                    wanted + "\"");
                    }
                }
            } else {
                for (const auto& line : plan.schemata) {
                    try {
                        sys::write_file(plan.group_dir + "/schemata", line + "\n");
                    } catch (const Error& e) {
                        std::string why;
                        if (::access((plan.group_dir + "/../info/last_cmd_status").c_str(), R_OK) == 0) {
                            why = " (" + trim(sys::read_file(plan.group_dir + "/../info/last_cmd_status")) + ")";
                        }
                        throw Error("linux.intelRdt: write \"" + line + "\" to " + plan.group_dir + "/schemata: " +
                                        std::strerror(e.code()) + why,
                                    e.code());
                    }
                }
            }
        }
        if (plan.monitor_dir && ::mkdir(plan.monitor_dir->c_str(), 0755) != 0 && errno != EEXIST) {
            throw_errno("linux.intelRdt.enableMonitoring: mkdir " + *plan.monitor_dir);
        }
        add_process(plan, pid);
    } catch (...) {
        if (plan.monitor_dir) ::rmdir(plan.monitor_dir->c_str());
        if (!existed) ::rmdir(plan.group_dir.c_str());
        throw;
    }
}

void add_process(const Plan& plan, pid_t pid) {
    // A monitoring group takes only tasks of its parent group.
    write_pid(plan.group_dir, pid);
    if (plan.monitor_dir) write_pid(*plan.monitor_dir, pid);
}

void remove(const Plan& plan) noexcept {
    if (plan.monitor_dir && ::rmdir(plan.monitor_dir->c_str()) != 0 && errno != ENOENT) {
        log::warn("delete: rmdir " + *plan.monitor_dir + ": " + std::strerror(errno));
    }
    if (plan.group_is_containers && ::rmdir(plan.group_dir.c_str()) != 0 && errno != ENOENT) {
        log::warn("delete: rmdir " + plan.group_dir + ": " + std::strerror(errno));
    }
}

}  // namespace hull::resctrl
