// The systemd cgroup driver: slice:prefix:name paths and transient scopes over D-Bus.
#include "cgroups/systemd_cgroup.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cgroups/resources.hpp"
#include "hull/error.hpp"
#include "process/placement.hpp"
#include "hull/syscall.hpp"

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

namespace {

constexpr uint64_t infinity = UINT64_MAX;  // systemd's "infinity" for limits

uint64_t number(const std::string& text, const std::string& what) {
    try {
        size_t used = 0;
        const uint64_t value = std::stoull(text, &used);
        if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    throw Error("--systemd-cgroup: " + what + ": \"" + text + "\" is not a number systemd takes");
}
uint64_t limit(const std::string& text, const std::string& what) { return text == "max" ? infinity : number(text, what); }

// systemd names a block device by its node: "254:0" → "/dev/vda" (from sysfs: udev's /dev/block
// links may be missing).
std::string block_device(const std::string& major_minor) {
    const std::string uevent = "/sys/dev/block/" + major_minor + "/uevent";
    std::string text;
    try {
        text = sys::read_file(uevent);
    } catch (const Error& e) {
        throw Error("--systemd-cgroup: systemd names a block device by its node, and there is no block device " +
                    major_minor + " here (" + e.what() + ")");
    }
    const std::string key = "DEVNAME=";
    const size_t at = text.find(key);
    if (at == std::string::npos || (at != 0 && text[at - 1] != '\n')) {
        throw Error("--systemd-cgroup: " + uevent + " has no DEVNAME, so block device " + major_minor + " has no node name");
    }
    return "/dev/" + text.substr(at + key.size(), text.find('\n', at) - at - key.size());
}

// Writes one (sv) property; `value` writes the variant's value.
template <typename Value>
void property(dbus::Writer& w, const std::string& name, const std::string& signature, Value value) {
    w.begin_struct();
    w.string(name);
    w.signature(signature);
    value();
}
void property_u64(dbus::Writer& w, const std::string& name, uint64_t value) {
    property(w, name, "t", [&] { w.u64(value); });
}
// "0-2,5" → systemd's CPU/node bitmask (byte i, bit j: number 8i+j).
void property_mask(dbus::Writer& w, const std::string& name, const std::string& list, const std::string& field) {
    std::string mask;
    for (const unsigned n : process::parse_id_list(list, field, 1u << 16)) {
        if (mask.size() <= n / 8) mask.resize(n / 8 + 1, '\0');
        mask[n / 8] = static_cast<char>(mask[n / 8] | (1 << (n % 8)));
    }
    property(w, name, "ay", [&] {
        const size_t bytes = w.begin_array(1);
        for (const char c : mask) w.byte(static_cast<uint8_t>(c));
        w.end_array(bytes);
    });
}
void property_device(dbus::Writer& w, const std::string& name, const std::string& major_minor, uint64_t value) {
    property(w, name, "a(st)", [&] {
        const size_t entries = w.begin_array(8);
        w.begin_struct();
        w.string(block_device(major_minor));
        w.u64(value);
        w.end_array(entries);
    });
}

// The cgroup v2 files hull writes, as the systemd properties that set them: systemd rewrites a
// unit's files from its properties (daemon-reload, set-property), so every limit it has a
// property for must be one. The files come from v2_writes, so the conversions (swap, weights,
// "max") are the cgroupfs driver's.
void v2_properties(dbus::Writer& w, const std::vector<FileWrite>& writes) {
    static const std::pair<const char*, const char*> simple[] = {
        {"memory.max", "MemoryMax"},   {"memory.high", "MemoryHigh"}, {"memory.low", "MemoryLow"},
        {"memory.min", "MemoryMin"},   {"memory.swap.max", "MemorySwapMax"}, {"pids.max", "TasksMax"},
        {"cpu.weight", "CPUWeight"},
    };
    for (const auto& write : writes) {
        const std::string& file = write.file;
        const std::string what = file + " " + write.value;
        bool done = false;
        for (const auto& [known, name] : simple) {
            if (file == known) {
                // pids.max 0 comes after the process is placed (split_after_placement).
                if (file != "pids.max" || write.value != "0") property_u64(w, name, limit(write.value, what));
                done = true;
            }
        }
        if (done) continue;
        const size_t space = write.value.find(' ');
        const std::string first = write.value.substr(0, space);
        const std::string rest = space == std::string::npos ? "" : write.value.substr(space + 1);
        if (file == "cpu.max") {
            const uint64_t period = number(rest, what);
            uint64_t per_second = infinity;
            if (first != "max") {
                // systemd keeps the quota as a whole percentage in the unit (CPUQuota=N%): round up
                // to 10ms per second so that a reload never makes the limit tighter.
                per_second = number(first, what) * 1000000 / period;
                per_second = (per_second + 9999) / 10000 * 10000;
            }
            property_u64(w, "CPUQuotaPerSecUSec", per_second);
            property_u64(w, "CPUQuotaPeriodUSec", period);
        } else if (file == "cpuset.cpus") {
            property_mask(w, "AllowedCPUs", write.value, "linux.resources.cpu.cpus");
        } else if (file == "cpuset.mems") {
            property_mask(w, "AllowedMemoryNodes", write.value, "linux.resources.cpu.mems");
        } else if (file == "io.weight") {
            if (first == "default") property_u64(w, "IOWeight", number(rest, what));
            else property_device(w, "IODeviceWeight", first, number(rest, what));
        } else if (file == "io.max") {
            static const std::pair<const char*, const char*> keys[] = {
                {"rbps=", "IOReadBandwidthMax"}, {"wbps=", "IOWriteBandwidthMax"},
                {"riops=", "IOReadIOPSMax"}, {"wiops=", "IOWriteIOPSMax"}};
            for (const auto& [key, name] : keys) {
                if (rest.rfind(key, 0) == 0) property_device(w, name, first, limit(rest.substr(std::strlen(key)), what));
            }
        }
    }
}

// A cgroup v1 host: the properties of the v1 controllers (systemd's legacy names).
void v1_properties(dbus::Writer& w, const oci::LinuxResources& r) {
    if (r.memory && r.memory->limit && *r.memory->limit > 0) property_u64(w, "MemoryLimit", static_cast<uint64_t>(*r.memory->limit));
    if (r.pids && r.pids->limit && *r.pids->limit > 0) property_u64(w, "TasksMax", static_cast<uint64_t>(*r.pids->limit));
    if (const auto& cpu = r.cpu) {
        if (cpu->shares && *cpu->shares) property_u64(w, "CPUShares", *cpu->shares);
        if (cpu->quota && *cpu->quota > 0) {
            const uint64_t period = cpu->period && *cpu->period ? *cpu->period : 100000;
            const uint64_t per_second = static_cast<uint64_t>(*cpu->quota) * 1000000 / period;
            property_u64(w, "CPUQuotaPerSecUSec", (per_second + 9999) / 10000 * 10000);
        }
    }
}

void resource_properties(dbus::Writer& w, const oci::LinuxResources& resources, bool unified) {
    if (unified) v2_properties(w, v2_writes(resources));
    else v1_properties(w, resources);
}

}  // namespace

dbus::Call start_transient_unit(const ScopePath& scope, pid_t pid, const oci::LinuxResources* resources, bool unified) {
    dbus::Writer w;
    w.string(scope.unit());
    w.string("replace");
    const size_t properties = w.begin_array(8);
    property(w, "Description", "s", [&] { w.string("hull container " + scope.name); });
    property(w, "Slice", "s", [&] { w.string(scope.slice); });
    property(w, "DefaultDependencies", "b", [&] { w.boolean(false); });
    property(w, "Delegate", "b", [&] { w.boolean(true); });
    property(w, "PIDs", "au", [&] {
        const size_t pids = w.begin_array(4);
        w.u32(static_cast<uint32_t>(pid));
        w.end_array(pids);
    });
    if (resources != nullptr) resource_properties(w, *resources, unified);
    w.end_array(properties);
    const size_t aux = w.begin_array(8);  // no auxiliary units
    w.end_array(aux);
    return manager_call("StartTransientUnit", "ssa(sv)a(sa(sv))", w.data());
}

std::optional<dbus::Call> set_unit_properties(const std::string& unit, const oci::LinuxResources& resources, bool unified) {
    dbus::Writer w;
    w.string(unit);
    w.boolean(true);  // runtime: the unit is transient anyway
    const size_t properties = w.begin_array(8);
    const size_t empty = w.data().size();
    resource_properties(w, resources, unified);
    if (w.data().size() == empty) return std::nullopt;
    w.end_array(properties);
    return manager_call("SetUnitProperties", "sba(sv)", w.data());
}

void update_unit(const std::string& unit, const oci::LinuxResources& resources, bool unified) {
    const auto call = set_unit_properties(unit, resources, unified);
    if (!call) return;
    dbus::Connection bus(system_bus_socket(), true, bus_timeout);
    bus.call(*call, "--systemd-cgroup: set the properties of " + unit);
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
