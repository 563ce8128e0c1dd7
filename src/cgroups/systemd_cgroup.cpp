// The systemd cgroup driver: slice:prefix:name paths and transient scopes over D-Bus.
#include "cgroups/systemd_cgroup.hpp"

#include <unistd.h>

#include <cstdlib>

#include "cgroups/resources.hpp"
#include "hull/error.hpp"

namespace hull::cgroups::systemd {

namespace {

constexpr auto bus_timeout = std::chrono::seconds(30);
const char* const manager_path = "/org/freedesktop/systemd1";
const char* const manager_interface = "org.freedesktop.systemd1.Manager";
const char* const systemd_service = "org.freedesktop.systemd1";

bool unit_name_chars(const std::string& text) {
    for (const char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                        c == '-' || c == '\\' || c == '@';
        if (!ok) return false;
    }
    return true;
}

std::string system_bus_socket() {
    const char* address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if (address != nullptr) {
        const std::string text = address;
        const std::string prefix = "unix:path=";
        if (text.rfind(prefix, 0) == 0) return text.substr(prefix.size(), text.find(',') - prefix.size());
    }
    return "/run/dbus/system_bus_socket";
}

dbus::Call manager_call(const std::string& member, const std::string& signature, std::string body) {
    return {systemd_service, manager_path, manager_interface, member, signature, std::move(body)};
}

}  // namespace

std::string ScopePath::unit() const { return prefix + "-" + name + ".scope"; }

std::string ScopePath::cgroup_path() const { return expand_slice(slice) + "/" + unit(); }

std::string expand_slice(const std::string& slice) {
    const std::string what = "systemd slice \"" + slice + "\"";
    const std::string suffix = ".slice";
    if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0) {
        throw Error(what + ": a slice name ends in \".slice\"");
    }
    if (slice == "-.slice") return "";
    const std::string base = slice.substr(0, slice.size() - suffix.size());
    if (!unit_name_chars(base) || base.find('@') != std::string::npos) throw Error(what + ": has characters a unit name cannot have");
    if (base.front() == '-' || base.back() == '-' || base.find("--") != std::string::npos) {
        throw Error(what + ": dashes separate parent slices, so it may not start or end with one or have two in a row");
    }
    std::string path;
    for (size_t dash = base.find('-'); dash != std::string::npos; dash = base.find('-', dash + 1)) {
        path.append("/").append(base, 0, dash).append(suffix);
    }
    return path + "/" + slice;
}

ScopePath parse_path(const std::optional<std::string>& cgroups_path, const std::string& container_id) {
    if (!cgroups_path || cgroups_path->empty()) return {"system.slice", "hull", container_id};
    const std::string& text = *cgroups_path;
    const std::string field = "linux.cgroupsPath \"" + text + "\"";
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon = text.find(':'); ; colon = text.find(':', start)) {
        parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() != 3) {
        throw Error(field + ": with --systemd-cgroup it must be \"slice:prefix:name\" (three fields separated by ':', e.g. "
                    "\"machine.slice:hull:" + container_id + "\")");
    }
    ScopePath scope{parts[0].empty() ? "system.slice" : parts[0], parts[1], parts[2]};
    try {
        expand_slice(scope.slice);
    } catch (const Error& e) {
        throw Error(field + ": " + e.what());
    }
    if (scope.prefix.empty() || scope.name.empty()) throw Error(field + ": the prefix and the name must not be empty");
    if (!unit_name_chars(scope.prefix) || !unit_name_chars(scope.name)) {
        throw Error(field + ": the prefix and the name may only have letters, digits and _ . - \\ @");
    }
    if (scope.name.size() > 6 && scope.name.compare(scope.name.size() - 6, 6, ".slice") == 0) {
        throw Error(field + ": the name must name the container's scope, not a slice");
    }
    if (scope.unit().size() > 255) throw Error(field + ": the unit name " + scope.unit() + " is longer than 255 characters");
    return scope;
}

void require_running(const std::string& marker) {
    if (::access(marker.c_str(), F_OK) == 0) return;
    throw Error(errno_message("--systemd-cgroup: systemd is not running on this host (" + marker +
                                  ", which systemd creates at boot, is missing), so there is no systemd to create the "
                                  "container's scope; run without --systemd-cgroup to use the cgroupfs driver",
                              errno),
                errno);
}

dbus::Call start_transient_unit(const ScopePath& scope, pid_t pid, const oci::LinuxResources* resources, bool unified) {
    dbus::Writer w;
    w.string(scope.unit());
    w.string("replace");
    const size_t properties = w.begin_array(8);
    const auto property = [&](const std::string& name, const std::string& signature) {
        w.begin_struct();
        w.string(name);
        w.signature(signature);
    };
    property("Description", "s");
    w.string("hull container " + scope.name);
    property("Slice", "s");
    w.string(scope.slice);
    property("DefaultDependencies", "b");
    w.boolean(false);
    property("Delegate", "b");
    w.boolean(true);
    property("PIDs", "au");
    const size_t pids = w.begin_array(4);
    w.u32(static_cast<uint32_t>(pid));
    w.end_array(pids);
    if (resources != nullptr) {
        if (resources->memory && resources->memory->limit && *resources->memory->limit > 0) {
            property(unified ? "MemoryMax" : "MemoryLimit", "t");
            w.u64(static_cast<uint64_t>(*resources->memory->limit));
        }
        if (resources->pids && resources->pids->limit && *resources->pids->limit > 0) {
            property("TasksMax", "t");
            w.u64(static_cast<uint64_t>(*resources->pids->limit));
        }
        if (const auto& cpu = resources->cpu) {
            if (cpu->shares && *cpu->shares) {
                property(unified ? "CPUWeight" : "CPUShares", "t");
                w.u64(unified ? shares_to_weight(*cpu->shares) : *cpu->shares);
            }
            if (cpu->quota && *cpu->quota > 0) {
                const uint64_t period = cpu->period && *cpu->period ? *cpu->period : 100000;
                // systemd keeps this in 10ms steps; round up so the limit is never tighter.
                uint64_t per_second = static_cast<uint64_t>(*cpu->quota) * 1000000 / period;
                per_second = (per_second + 9999) / 10000 * 10000;
                property("CPUQuotaPerSecUSec", "t");
                w.u64(per_second);
            }
        }
    }
    w.end_array(properties);
    const size_t aux = w.begin_array(8);  // no auxiliary units
    w.end_array(aux);
    return manager_call("StartTransientUnit", "ssa(sv)a(sa(sv))", w.data());
}

void start_scope(const ScopePath& scope, pid_t pid, const oci::LinuxResources* resources, bool unified) {
    const std::string what = "--systemd-cgroup: start " + scope.unit();
    dbus::Connection bus(system_bus_socket(), true, bus_timeout);
    dbus::Writer match;
    match.string("type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',"
                 "member='JobRemoved',path='/org/freedesktop/systemd1'");
    bus.call({"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", match.data()}, what);
    bus.call(manager_call("Subscribe", "", ""), what);
    const dbus::Message reply = bus.call(start_transient_unit(scope, pid, resources, unified), what);
    const std::string job = reply.body().string();
    const dbus::Message done = bus.wait_signal(
        [&](const dbus::Message& m) {
            if (m.member != "JobRemoved" || m.signature != "uoss") return false;
            auto body = m.body();
            body.u32();
            return body.string() == job;
        },
        what);
    auto body = done.body();
    body.u32();
    body.string();
    body.string();
    const std::string result = body.string();
    if (result != "done") throw Error(what + ": systemd's job " + job + " ended with \"" + result + "\"");
}

void stop_unit(const std::string& unit) {
    dbus::Connection bus(system_bus_socket(), true, bus_timeout);
    dbus::Writer w;
    w.string(unit);
    w.string("replace");
    bus.call(manager_call("StopUnit", "ss", w.data()), "--systemd-cgroup: stop " + unit);
}

}  // namespace hull::cgroups::systemd
