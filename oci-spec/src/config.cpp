// config.json: parse, validate, serialise.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "json_reader.hpp"
#include "oci/config.hpp"

namespace oci {

using detail::Node;
using detail::put;
using detail::put_list;

namespace {

bool is_absolute(const std::string& path) { return !path.empty() && path.front() == '/'; }

void require_absolute(const Node& node, const std::string& value) {
    if (!is_absolute(value)) node.fail("must be an absolute path, got \"" + value + "\"");
}

template <typename T>
void require_one_of(const Node& node, const std::string& value, const T& allowed) {
    if (std::find(std::begin(allowed), std::end(allowed), value) != std::end(allowed)) return;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    node.fail("invalid value \"" + value + "\" (expected one of: " + list + ")");
}

const char* const rlimit_types[] = {"RLIMIT_AS",     "RLIMIT_CORE",    "RLIMIT_CPU",      "RLIMIT_DATA",
                                    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",   "RLIMIT_MEMLOCK",  "RLIMIT_MSGQUEUE",
                                    "RLIMIT_NICE",   "RLIMIT_NOFILE",  "RLIMIT_NPROC",    "RLIMIT_RSS",
                                    "RLIMIT_RTPRIO", "RLIMIT_RTTIME",  "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
const char* const namespace_types[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
const char* const propagations[] = {"shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"};
const char* const scheduler_policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                          "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"};
const char* const io_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
const char* const personality_domains[] = {"LINUX", "LINUX32"};
const char* const memory_policy_modes[] = {"MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
                                           "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"};
const char* const time_clocks[] = {"boottime", "monotonic"};
const char* const device_types[] = {"c", "b", "u", "p"};
const char* const device_cgroup_types[] = {"a", "c", "b"};

// ------------------------------------------------------------------ parse

User parse_user(const Node& n) {
    User u;
    u.uid = n.get<uint32_t>("uid");
    u.gid = n.get<uint32_t>("gid");
    u.umask = n.optional<uint32_t>("umask");
    u.additionalGids = n.get_or<std::vector<uint32_t>>("additionalGids", {});
    u.username = n.optional<std::string>("username");
    return u;
}

void check_capability_names(const Node& set) {
    for (const auto& element : set.elements()) {
        const auto name = element.as<std::string>();
        bool ok = name.size() > 4 && name.rfind("CAP_", 0) == 0;
        for (const char c : name) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
        if (!ok) element.fail("invalid capability name \"" + name + "\" (expected CAP_[A-Z0-9_]+)");
    }
}

LinuxCapabilities parse_capabilities(const Node& n) {
    LinuxCapabilities c;
    for (const char* key : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
        if (auto set = n.member(key)) check_capability_names(*set);
    }
    c.bounding = n.optional<std::vector<std::string>>("bounding");
    c.effective = n.optional<std::vector<std::string>>("effective");
    c.inheritable = n.optional<std::vector<std::string>>("inheritable");
    c.permitted = n.optional<std::vector<std::string>>("permitted");
    c.ambient = n.optional<std::vector<std::string>>("ambient");
    return c;
}

POSIXRlimit parse_rlimit(const Node& n) {
    POSIXRlimit r;
    r.type = n.get<std::string>("type");
    require_one_of(n.required("type"), r.type, rlimit_types);
    r.hard = n.get<uint64_t>("hard");
    r.soft = n.get<uint64_t>("soft");
    if (r.soft > r.hard) {
        n.fail("soft limit " + std::to_string(r.soft) + " is greater than hard limit " + std::to_string(r.hard));
    }
    return r;
}

// config.json requires process.user; an exec process file (runc exec -p) may leave it out: 0:0.
Process parse_process_node(const Node& n, bool user_required = true) {
    Process p;
    p.terminal = n.get_or<bool>("terminal", false);
    if (auto box = n.member("consoleSize")) p.consoleSize = Box{box->get<uint32_t>("height"), box->get<uint32_t>("width")};
    if (user_required) {
        p.user = parse_user(n.required("user"));
    } else if (auto user = n.member("user")) {
        p.user = parse_user(*user);
    }
    p.args = n.get_or<std::vector<std::string>>("args", {});
    p.commandLine = n.optional<std::string>("commandLine");
    if (p.args.empty() && !p.commandLine) n.fail_member("args", "at least one argument is required");
    p.env = n.get_or<std::vector<std::string>>("env", {});
    p.cwd = n.get<std::string>("cwd");
    require_absolute(n.required("cwd"), p.cwd);
    if (auto caps = n.member("capabilities")) p.capabilities = parse_capabilities(*caps);
    p.rlimits = n.list("rlimits", parse_rlimit);
    std::set<std::string> seen;
    for (size_t i = 0; i < p.rlimits.size(); ++i) {
        if (!seen.insert(p.rlimits[i].type).second) {
            n.fail_member("rlimits[" + std::to_string(i) + "].type", "duplicate rlimit \"" + p.rlimits[i].type + "\"");
        }
    }
    p.noNewPrivileges = n.get_or<bool>("noNewPrivileges", false);
    p.apparmorProfile = n.optional<std::string>("apparmorProfile");
    p.oomScoreAdj = n.optional<int32_t>("oomScoreAdj");
    if (p.oomScoreAdj && (*p.oomScoreAdj < -1000 || *p.oomScoreAdj > 1000)) {
        n.fail_member("oomScoreAdj", "must be between -1000 and 1000");
    }
    if (auto s = n.member("scheduler")) {
        LinuxSchedulerAttr a;
        a.policy = s->get<std::string>("policy");
        require_one_of(s->required("policy"), a.policy, scheduler_policies);
        a.nice = s->optional<int32_t>("nice");
        a.priority = s->optional<int32_t>("priority");
        a.flags = s->get_or<std::vector<std::string>>("flags", {});
        a.runtime = s->optional<uint64_t>("runtime");
        a.deadline = s->optional<uint64_t>("deadline");
        a.period = s->optional<uint64_t>("period");
        p.scheduler = a;
    }
    p.selinuxLabel = n.optional<std::string>("selinuxLabel");
    if (auto io = n.member("ioPriority")) {
        LinuxIOPriority prio;
        prio.ioClass = io->get<std::string>("class");
        require_one_of(io->required("class"), prio.ioClass, io_classes);
        prio.priority = io->get_or<int32_t>("priority", 0);
        p.ioPriority = prio;
    }
    if (auto aff = n.member("execCPUAffinity")) {
        p.execCPUAffinity = CPUAffinity{aff->optional<std::string>("initial"), aff->optional<std::string>("final")};
    }
    return p;
}

LinuxIDMapping parse_id_mapping(const Node& n) {
    LinuxIDMapping m{n.get<uint32_t>("containerID"), n.get<uint32_t>("hostID"), n.get<uint32_t>("size")};
    if (m.size == 0) n.fail_member("size", "must be greater than 0");
    return m;
}

Mount parse_mount(const Node& n) {
    Mount m;
    m.destination = n.get<std::string>("destination");
    require_absolute(n.required("destination"), m.destination);
    m.type = n.optional<std::string>("type");
    m.source = n.optional<std::string>("source");
    m.options = n.get_or<std::vector<std::string>>("options", {});
    m.uidMappings = n.list("uidMappings", parse_id_mapping);
    m.gidMappings = n.list("gidMappings", parse_id_mapping);
    if (m.uidMappings.empty() != m.gidMappings.empty()) {
        n.fail_member(m.uidMappings.empty() ? "uidMappings" : "gidMappings",
                      "uidMappings and gidMappings go together (both or neither)");
    }
    return m;
}

Hook parse_hook(const Node& n) {
    Hook h;
    h.path = n.get<std::string>("path");
    require_absolute(n.required("path"), h.path);
    h.args = n.get_or<std::vector<std::string>>("args", {});
    h.env = n.get_or<std::vector<std::string>>("env", {});
    h.timeout = n.optional<int32_t>("timeout");
    if (h.timeout && *h.timeout <= 0) n.fail_member("timeout", "must be greater than 0");
    return h;
}

Hooks parse_hooks(const Node& n) {
    Hooks h;
    h.prestart = n.list("prestart", parse_hook);
    h.createRuntime = n.list("createRuntime", parse_hook);
    h.createContainer = n.list("createContainer", parse_hook);
    h.startContainer = n.list("startContainer", parse_hook);
    h.poststart = n.list("poststart", parse_hook);
    h.poststop = n.list("poststop", parse_hook);
    return h;
}

LinuxNamespace parse_namespace(const Node& n) {
    LinuxNamespace ns;
    ns.type = n.get<std::string>("type");
    require_one_of(n.required("type"), ns.type, namespace_types);
    ns.path = n.optional<std::string>("path");
    if (ns.path && !ns.path->empty()) require_absolute(n.required("path"), *ns.path);
    return ns;
}

LinuxDevice parse_device(const Node& n) {
    LinuxDevice d;
    d.path = n.get<std::string>("path");
    require_absolute(n.required("path"), d.path);
    d.type = n.get<std::string>("type");
    require_one_of(n.required("type"), d.type, device_types);
    if (d.type != "p") {
        d.major = n.get<int64_t>("major");
        d.minor = n.get<int64_t>("minor");
    } else {
        d.major = n.get_or<int64_t>("major", 0);
        d.minor = n.get_or<int64_t>("minor", 0);
    }
    d.fileMode = n.optional<uint32_t>("fileMode");
    d.uid = n.optional<uint32_t>("uid");
    d.gid = n.optional<uint32_t>("gid");
    return d;
}

LinuxDeviceCgroup parse_device_cgroup(const Node& n) {
    LinuxDeviceCgroup d;
    d.allow = n.get<bool>("allow");
    d.type = n.optional<std::string>("type");
    if (d.type) require_one_of(n.required("type"), *d.type, device_cgroup_types);
    d.major = n.optional<int64_t>("major");
    d.minor = n.optional<int64_t>("minor");
    d.access = n.optional<std::string>("access");
    // Letters other than r, w, m are ignored (runc ignores them too, "rwa" is seen in the wild);
    // a non-empty access that grants nothing is a mistake.
    if (d.access && !d.access->empty() && d.access->find_first_of("rwm") == std::string::npos) {
        n.fail_member("access", "invalid access \"" + *d.access + "\" (none of the letters r, w, m)");
    }
    return d;
}

LinuxThrottleDevice parse_throttle(const Node& n) {
    return {n.get<int64_t>("major"), n.get<int64_t>("minor"), n.get<uint64_t>("rate")};
}

LinuxResources parse_resources_node(const Node& n) {
    LinuxResources r;
    r.devices = n.list("devices", parse_device_cgroup);
    if (auto m = n.member("memory")) {
        LinuxMemory mem;
        mem.limit = m->optional<int64_t>("limit");
        mem.reservation = m->optional<int64_t>("reservation");
        mem.swap = m->optional<int64_t>("swap");
        mem.kernel = m->optional<int64_t>("kernel");
        mem.kernelTCP = m->optional<int64_t>("kernelTCP");
        mem.swappiness = m->optional<uint64_t>("swappiness");
        if (mem.swappiness && *mem.swappiness > 100) m->fail_member("swappiness", "must be between 0 and 100");
        mem.disableOOMKiller = m->optional<bool>("disableOOMKiller");
        mem.useHierarchy = m->optional<bool>("useHierarchy");
        mem.checkBeforeUpdate = m->optional<bool>("checkBeforeUpdate");
        r.memory = mem;
    }
    if (auto c = n.member("cpu")) {
        LinuxCPU cpu;
        cpu.shares = c->optional<uint64_t>("shares");
        cpu.quota = c->optional<int64_t>("quota");
        cpu.burst = c->optional<uint64_t>("burst");
        cpu.period = c->optional<uint64_t>("period");
        cpu.realtimeRuntime = c->optional<int64_t>("realtimeRuntime");
        cpu.realtimePeriod = c->optional<uint64_t>("realtimePeriod");
        cpu.cpus = c->optional<std::string>("cpus");
        cpu.mems = c->optional<std::string>("mems");
        cpu.idle = c->optional<int64_t>("idle");
        r.cpu = cpu;
    }
    if (auto p = n.member("pids")) r.pids = LinuxPids{p->optional<int64_t>("limit")};
    if (auto b = n.member("blockIO")) {
        LinuxBlockIO io;
        io.weight = b->optional<uint16_t>("weight");
        io.leafWeight = b->optional<uint16_t>("leafWeight");
        io.weightDevice = b->list("weightDevice", [](const Node& d) {
            return LinuxWeightDevice{d.get<int64_t>("major"), d.get<int64_t>("minor"), d.optional<uint16_t>("weight"),
                                     d.optional<uint16_t>("leafWeight")};
        });
        io.throttleReadBpsDevice = b->list("throttleReadBpsDevice", parse_throttle);
        io.throttleWriteBpsDevice = b->list("throttleWriteBpsDevice", parse_throttle);
        io.throttleReadIOPSDevice = b->list("throttleReadIOPSDevice", parse_throttle);
        io.throttleWriteIOPSDevice = b->list("throttleWriteIOPSDevice", parse_throttle);
        r.blockIO = io;
    }
    r.hugepageLimits = n.list("hugepageLimits", [](const Node& h) {
        return LinuxHugepageLimit{h.get<std::string>("pageSize"), h.get<uint64_t>("limit")};
    });
    if (auto net = n.member("network")) {
        LinuxNetwork network;
        network.classID = net->optional<uint32_t>("classID");
        network.priorities = net->list("priorities", [](const Node& p) {
            return LinuxNetwork::Priority{p.get<std::string>("name"), p.get<uint32_t>("priority")};
        });
        r.network = network;
    }
    if (auto rdma = n.member("rdma")) {
        rdma->expect_object();
        for (const auto& item : rdma->value().items()) {
            const std::string& device = item.key();
            const Node node = *rdma->member(device);
            r.rdma[device] = LinuxRdma{node.optional<uint32_t>("hcaHandles"), node.optional<uint32_t>("hcaObjects")};
        }
    }
    r.unified = n.get_or<StringMap>("unified", {});
    return r;
}

LinuxSeccomp parse_seccomp(const Node& n) {
    LinuxSeccomp s;
    s.defaultAction = n.get<std::string>("defaultAction");
    s.defaultErrnoRet = n.optional<uint32_t>("defaultErrnoRet");
    s.architectures = n.get_or<std::vector<std::string>>("architectures", {});
    s.flags = n.get_or<std::vector<std::string>>("flags", {});
    s.listenerPath = n.optional<std::string>("listenerPath");
    s.listenerMetadata = n.optional<std::string>("listenerMetadata");
    s.syscalls = n.list("syscalls", [](const Node& c) {
        LinuxSyscall call;
        call.names = c.get<std::vector<std::string>>("names");
        if (call.names.empty()) c.fail_member("names", "at least one syscall name is required");
        call.action = c.get<std::string>("action");
        call.errnoRet = c.optional<uint32_t>("errnoRet");
        call.args = c.list("args", [](const Node& a) {
            return LinuxSeccompArg{a.get<uint32_t>("index"), a.get<uint64_t>("value"), a.optional<uint64_t>("valueTwo"),
                                   a.get<std::string>("op")};
        });
        return call;
    });
    return s;
}

bool has_new_namespace(const Linux& linux, const std::string& type) {
    return std::any_of(linux.namespaces.begin(), linux.namespaces.end(),
                       [&](const LinuxNamespace& ns) { return ns.type == type && (!ns.path || ns.path->empty()); });
}

void check_absolute_list(const Node& n, const char* key) {
    if (auto list = n.member(key)) {
        for (const auto& element : list->elements()) require_absolute(element, element.as<std::string>());
    }
}

Linux parse_linux(const Node& n) {
    Linux l;
    l.uidMappings = n.list("uidMappings", parse_id_mapping);
    l.gidMappings = n.list("gidMappings", parse_id_mapping);
    if (auto offsets = n.member("timeOffsets")) {
        offsets->expect_object();
        for (const auto& item : offsets->value().items()) {
            const Node offset = *offsets->member(item.key());
            require_one_of(offset, item.key(), time_clocks);
            l.timeOffsets[item.key()] = LinuxTimeOffset{offset.get_or<int64_t>("secs", 0), offset.get_or<uint32_t>("nanosecs", 0)};
        }
    }
    l.sysctl = n.get_or<StringMap>("sysctl", {});
    for (const auto& [key, value] : l.sysctl) {
        if (key.empty()) n.fail_member("sysctl", "empty key");
    }
    if (auto r = n.member("resources")) l.resources = parse_resources_node(*r);
    l.cgroupsPath = n.optional<std::string>("cgroupsPath");
    if (l.cgroupsPath) {
        std::stringstream parts(*l.cgroupsPath);
        std::string part;
        while (std::getline(parts, part, '/')) {
            if (part == "..") n.fail_member("cgroupsPath", "must not contain \"..\" (\"" + *l.cgroupsPath + "\")");
        }
    }
    l.namespaces = n.list("namespaces", parse_namespace);
    std::set<std::string> seen;
    for (size_t i = 0; i < l.namespaces.size(); ++i) {
        if (!seen.insert(l.namespaces[i].type).second) {
            n.fail_member("namespaces[" + std::to_string(i) + "].type", "duplicate namespace \"" + l.namespaces[i].type + "\"");
        }
    }
    l.devices = n.list("devices", parse_device);
    if (auto s = n.member("seccomp")) l.seccomp = parse_seccomp(*s);
    l.rootfsPropagation = n.optional<std::string>("rootfsPropagation");
    if (l.rootfsPropagation && !l.rootfsPropagation->empty()) {
        require_one_of(n.required("rootfsPropagation"), *l.rootfsPropagation, propagations);
    }
    check_absolute_list(n, "maskedPaths");
    check_absolute_list(n, "readonlyPaths");
    l.maskedPaths = n.get_or<std::vector<std::string>>("maskedPaths", {});
    l.readonlyPaths = n.get_or<std::vector<std::string>>("readonlyPaths", {});
    l.mountLabel = n.optional<std::string>("mountLabel");
    if (auto rdt = n.member("intelRdt")) {
        LinuxIntelRdt i;
        i.closID = rdt->optional<std::string>("closID");
        i.l3CacheSchema = rdt->optional<std::string>("l3CacheSchema");
        i.memBwSchema = rdt->optional<std::string>("memBwSchema");
        i.schemata = rdt->get_or<std::vector<std::string>>("schemata", {});
        i.enableMonitoring = rdt->optional<bool>("enableMonitoring");
        i.enableCMT = rdt->optional<bool>("enableCMT");
        i.enableMBM = rdt->optional<bool>("enableMBM");
        l.intelRdt = i;
    }
    if (auto p = n.member("personality")) {
        LinuxPersonality pers;
        pers.domain = p->get<std::string>("domain");
        require_one_of(p->required("domain"), pers.domain, personality_domains);
        pers.flags = p->get_or<std::vector<std::string>>("flags", {});
        l.personality = pers;
    }
    if (auto devs = n.member("netDevices")) {
        devs->expect_object();
        for (const auto& item : devs->value().items()) {
            l.netDevices[item.key()] = LinuxNetDevice{devs->member(item.key())->optional<std::string>("name")};
        }
    }
    if (auto m = n.member("memoryPolicy")) {
        LinuxMemoryPolicy policy;
        policy.mode = m->get<std::string>("mode");
        require_one_of(m->required("mode"), policy.mode, memory_policy_modes);
        policy.nodes = m->optional<std::string>("nodes");
        policy.flags = m->get_or<std::vector<std::string>>("flags", {});
        l.memoryPolicy = policy;
    }
    // Cross-field rules.
    if ((!l.uidMappings.empty() || !l.gidMappings.empty()) && !has_namespace(l, "user")) {
        n.fail_member(l.uidMappings.empty() ? "gidMappings" : "uidMappings", "id mappings require a user namespace");
    }
    if (!l.timeOffsets.empty() && !has_new_namespace(l, "time")) {
        n.fail_member("timeOffsets", "time offsets require a new time namespace");
    }
    return l;
}

// ------------------------------------------------------------------ serialise

Json user_json(const User& u) {
    Json j = {{"uid", u.uid}, {"gid", u.gid}};
    put(j, "umask", u.umask);
    put(j, "additionalGids", u.additionalGids);
    put(j, "username", u.username);
    return j;
}

Json id_mapping_json(const LinuxIDMapping& m) { return {{"containerID", m.containerID}, {"hostID", m.hostID}, {"size", m.size}}; }

Json hook_json(const Hook& h) {
    Json j = {{"path", h.path}};
    put(j, "args", h.args);
    put(j, "env", h.env);
    put(j, "timeout", h.timeout);
    return j;
}

Json mount_json(const Mount& m) {
    Json j = {{"destination", m.destination}};
    put(j, "type", m.type);
    put(j, "source", m.source);
    put(j, "options", m.options);
    put_list(j, "uidMappings", m.uidMappings, id_mapping_json);
    put_list(j, "gidMappings", m.gidMappings, id_mapping_json);
    return j;
}

Json throttle_json(const LinuxThrottleDevice& t) { return {{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}}; }

Json seccomp_json(const LinuxSeccomp& s) {
    Json j = {{"defaultAction", s.defaultAction}};
    put(j, "defaultErrnoRet", s.defaultErrnoRet);
    put(j, "architectures", s.architectures);
    put(j, "flags", s.flags);
    put(j, "listenerPath", s.listenerPath);
    put(j, "listenerMetadata", s.listenerMetadata);
    put_list(j, "syscalls", s.syscalls, [](const LinuxSyscall& c) {
        Json call = {{"names", c.names}, {"action", c.action}};
        put(call, "errnoRet", c.errnoRet);
        put_list(call, "args", c.args, [](const LinuxSeccompArg& a) {
            Json arg = {{"index", a.index}, {"value", a.value}, {"op", a.op}};
            put(arg, "valueTwo", a.valueTwo);
            return arg;
        });
        return call;
    });
    return j;
}

Json linux_json(const Linux& l) {
    Json j = Json::object();
    put_list(j, "uidMappings", l.uidMappings, id_mapping_json);
    put_list(j, "gidMappings", l.gidMappings, id_mapping_json);
    if (!l.timeOffsets.empty()) {
        Json offsets = Json::object();
        for (const auto& [clock, o] : l.timeOffsets) offsets[clock] = {{"secs", o.secs}, {"nanosecs", o.nanosecs}};
        j["timeOffsets"] = offsets;
    }
    put(j, "sysctl", l.sysctl);
    if (l.resources) j["resources"] = to_json(*l.resources);
    put(j, "cgroupsPath", l.cgroupsPath);
    put_list(j, "namespaces", l.namespaces, [](const LinuxNamespace& ns) {
        Json n = {{"type", ns.type}};
        put(n, "path", ns.path);
        return n;
    });
    put_list(j, "devices", l.devices, [](const LinuxDevice& d) {
        Json dev = {{"path", d.path}, {"type", d.type}, {"major", d.major}, {"minor", d.minor}};
        put(dev, "fileMode", d.fileMode);
        put(dev, "uid", d.uid);
        put(dev, "gid", d.gid);
        return dev;
    });
    if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
    put(j, "rootfsPropagation", l.rootfsPropagation);
    put(j, "maskedPaths", l.maskedPaths);
    put(j, "readonlyPaths", l.readonlyPaths);
    put(j, "mountLabel", l.mountLabel);
    if (l.intelRdt) {
        Json rdt = Json::object();
        put(rdt, "closID", l.intelRdt->closID);
        put(rdt, "l3CacheSchema", l.intelRdt->l3CacheSchema);
        put(rdt, "memBwSchema", l.intelRdt->memBwSchema);
        put(rdt, "schemata", l.intelRdt->schemata);
        put(rdt, "enableMonitoring", l.intelRdt->enableMonitoring);
        put(rdt, "enableCMT", l.intelRdt->enableCMT);
        put(rdt, "enableMBM", l.intelRdt->enableMBM);
        j["intelRdt"] = rdt;
    }
    if (l.personality) {
        Json p = {{"domain", l.personality->domain}};
        put(p, "flags", l.personality->flags);
        j["personality"] = p;
    }
    if (!l.netDevices.empty()) {
        Json devs = Json::object();
        for (const auto& [name, dev] : l.netDevices) {
            devs[name] = Json::object();
            put(devs[name], "name", dev.name);
        }
        j["netDevices"] = devs;
    }
    if (l.memoryPolicy) {
        Json m = {{"mode", l.memoryPolicy->mode}};
        put(m, "nodes", l.memoryPolicy->nodes);
        put(m, "flags", l.memoryPolicy->flags);
        j["memoryPolicy"] = m;
    }
    return j;
}

// SemVer 2.0 (MAJOR.MINOR.PATCH[-pre][+build]); hull implements the 1.x series.
void check_oci_version(const Node& n, const std::string& version) {
    size_t pos = 0;
    std::vector<unsigned long> numbers;
    for (int part = 0; part < 3; ++part) {
        if (part > 0) {
            if (pos >= version.size() || version[pos] != '.') break;
            ++pos;
        }
        const size_t start = pos;
        while (pos < version.size() && version[pos] >= '0' && version[pos] <= '9') ++pos;
        if (pos == start || pos - start > 9 || (version[start] == '0' && pos - start > 1)) break;
        numbers.push_back(std::stoul(version.substr(start, pos - start)));
    }
    const bool suffix_ok = pos == version.size() || version[pos] == '-' || version[pos] == '+';
    const bool suffix_chars = std::all_of(version.begin() + static_cast<long>(pos), version.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '+';
    });
    if (numbers.size() != 3 || !suffix_ok || !suffix_chars || (pos < version.size() && pos + 1 == version.size())) {
        n.fail("\"" + version + "\" is not a version (expected MAJOR.MINOR.PATCH, like \"" + std::string(spec_version) + "\")");
    }
    if (numbers[0] != 1) n.fail("version " + version + " is not supported (hull implements runtime-spec 1.x)");
}

Spec parse_spec_node(const Node& n) {
    Spec s;
    s.ociVersion = n.get<std::string>("ociVersion");
    check_oci_version(n.required("ociVersion"), s.ociVersion);
    if (auto p = n.member("process")) s.process = parse_process_node(*p);
    if (auto r = n.member("root")) {
        s.root = Root{r->get<std::string>("path"), r->get_or<bool>("readonly", false)};
        if (s.root->path.empty()) r->fail_member("path", "must not be empty");
    }
    s.hostname = n.optional<std::string>("hostname");
    s.domainname = n.optional<std::string>("domainname");
    s.mounts = n.list("mounts", parse_mount);
    if (auto h = n.member("hooks")) s.hooks = parse_hooks(*h);
    s.annotations = n.get_or<StringMap>("annotations", {});
    if (auto l = n.member("linux")) s.linux = parse_linux(*l);
    const Linux no_linux;
    const Linux& linux = s.linux ? *s.linux : no_linux;
    // As runc: a uts namespace joined by path may be given the hostname too; the host's may not.
    if (s.hostname && !s.hostname->empty() && !has_namespace(linux, "uts")) {
        n.fail_member("hostname", "setting the hostname requires a uts namespace (new or joined by path)");
    }
    if (s.domainname && !s.domainname->empty() && !has_namespace(linux, "uts")) {
        n.fail_member("domainname", "setting the domainname requires a uts namespace (new or joined by path)");
    }
    return s;
}

}  // namespace

Spec parse_config(const Json& doc, const std::string& origin) { return parse_spec_node(Node(doc, origin, "")); }

Spec parse_config_text(const std::string& text, const std::string& origin) {
    return parse_config(detail::parse_text(text, origin), origin);
}

std::string read_document(const std::string& path) {
    // A directory opens but cannot be read: say so rather than "invalid JSON".
    std::error_code ignored;
    if (path != "-" && std::filesystem::is_directory(path, ignored)) throw SpecError(path, "(file)", std::strerror(EISDIR));
    std::ifstream file;
    if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) throw SpecError(path, "(file)", std::strerror(errno));
    }
    std::istream& in = path == "-" ? std::cin : file;
    std::string text;
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, static_cast<size_t>(in.gcount()));
        if (text.size() > max_document_bytes) {
            throw SpecError(path, "(file)", "larger than the " + std::to_string(max_document_bytes) + " bytes a document may have");
        }
    }
    return text;
}

Json parse_json(const std::string& text, const std::string& origin) { return detail::parse_text(text, origin); }

Spec load_config_file(const std::string& path) { return parse_config_text(read_document(path), "config.json"); }

Process parse_process(const Json& doc, const std::string& origin) { return parse_process_node(Node(doc, origin, ""), false); }

LinuxResources parse_resources(const Json& doc, const std::string& origin) {
    return parse_resources_node(Node(doc, origin, ""));
}

Json to_json(const Process& p) {
    Json j = Json::object();
    if (p.terminal) j["terminal"] = true;
    if (p.consoleSize) j["consoleSize"] = {{"height", p.consoleSize->height}, {"width", p.consoleSize->width}};
    j["user"] = user_json(p.user);
    put(j, "args", p.args);
    put(j, "commandLine", p.commandLine);
    put(j, "env", p.env);
    j["cwd"] = p.cwd;
    if (p.capabilities) {
        Json caps = Json::object();
        put(caps, "bounding", p.capabilities->bounding);
        put(caps, "effective", p.capabilities->effective);
        put(caps, "inheritable", p.capabilities->inheritable);
        put(caps, "permitted", p.capabilities->permitted);
        put(caps, "ambient", p.capabilities->ambient);
        j["capabilities"] = caps;
    }
    put_list(j, "rlimits", p.rlimits,
             [](const POSIXRlimit& r) { return Json{{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}}; });
    if (p.noNewPrivileges) j["noNewPrivileges"] = true;
    put(j, "apparmorProfile", p.apparmorProfile);
    put(j, "oomScoreAdj", p.oomScoreAdj);
    if (p.scheduler) {
        Json s = {{"policy", p.scheduler->policy}};
        put(s, "nice", p.scheduler->nice);
        put(s, "priority", p.scheduler->priority);
        put(s, "flags", p.scheduler->flags);
        put(s, "runtime", p.scheduler->runtime);
        put(s, "deadline", p.scheduler->deadline);
        put(s, "period", p.scheduler->period);
        j["scheduler"] = s;
    }
    put(j, "selinuxLabel", p.selinuxLabel);
    if (p.ioPriority) j["ioPriority"] = {{"class", p.ioPriority->ioClass}, {"priority", p.ioPriority->priority}};
    if (p.execCPUAffinity) {
        Json a = Json::object();
        put(a, "initial", p.execCPUAffinity->initial);
        put(a, "final", p.execCPUAffinity->final);
        j["execCPUAffinity"] = a;
    }
    return j;
}

Json to_json(const LinuxResources& r) {
    Json j = Json::object();
    put_list(j, "devices", r.devices, [](const LinuxDeviceCgroup& d) {
        Json dev = {{"allow", d.allow}};
        put(dev, "type", d.type);
        put(dev, "major", d.major);
        put(dev, "minor", d.minor);
        put(dev, "access", d.access);
        return dev;
    });
    if (r.memory) {
        Json m = Json::object();
        put(m, "limit", r.memory->limit);
        put(m, "reservation", r.memory->reservation);
        put(m, "swap", r.memory->swap);
        put(m, "kernel", r.memory->kernel);
        put(m, "kernelTCP", r.memory->kernelTCP);
        put(m, "swappiness", r.memory->swappiness);
        put(m, "disableOOMKiller", r.memory->disableOOMKiller);
        put(m, "useHierarchy", r.memory->useHierarchy);
        put(m, "checkBeforeUpdate", r.memory->checkBeforeUpdate);
        j["memory"] = m;
    }
    if (r.cpu) {
        Json c = Json::object();
        put(c, "shares", r.cpu->shares);
        put(c, "quota", r.cpu->quota);
        put(c, "burst", r.cpu->burst);
        put(c, "period", r.cpu->period);
        put(c, "realtimeRuntime", r.cpu->realtimeRuntime);
        put(c, "realtimePeriod", r.cpu->realtimePeriod);
        put(c, "cpus", r.cpu->cpus);
        put(c, "mems", r.cpu->mems);
        put(c, "idle", r.cpu->idle);
        j["cpu"] = c;
    }
    if (r.pids) {
        Json p = Json::object();
        put(p, "limit", r.pids->limit);
        j["pids"] = p;
    }
    if (r.blockIO) {
        Json b = Json::object();
        put(b, "weight", r.blockIO->weight);
        put(b, "leafWeight", r.blockIO->leafWeight);
        put_list(b, "weightDevice", r.blockIO->weightDevice, [](const LinuxWeightDevice& d) {
            Json dev = {{"major", d.major}, {"minor", d.minor}};
            put(dev, "weight", d.weight);
            put(dev, "leafWeight", d.leafWeight);
            return dev;
        });
        put_list(b, "throttleReadBpsDevice", r.blockIO->throttleReadBpsDevice, throttle_json);
        put_list(b, "throttleWriteBpsDevice", r.blockIO->throttleWriteBpsDevice, throttle_json);
        put_list(b, "throttleReadIOPSDevice", r.blockIO->throttleReadIOPSDevice, throttle_json);
        put_list(b, "throttleWriteIOPSDevice", r.blockIO->throttleWriteIOPSDevice, throttle_json);
        j["blockIO"] = b;
    }
    put_list(j, "hugepageLimits", r.hugepageLimits,
             [](const LinuxHugepageLimit& h) { return Json{{"pageSize", h.pageSize}, {"limit", h.limit}}; });
    if (r.network) {
        Json n = Json::object();
        put(n, "classID", r.network->classID);
        put_list(n, "priorities", r.network->priorities,
                 [](const LinuxNetwork::Priority& p) { return Json{{"name", p.name}, {"priority", p.priority}}; });
        j["network"] = n;
    }
    if (!r.rdma.empty()) {
        Json rdma = Json::object();
        for (const auto& [dev, limits] : r.rdma) {
            rdma[dev] = Json::object();
            put(rdma[dev], "hcaHandles", limits.hcaHandles);
            put(rdma[dev], "hcaObjects", limits.hcaObjects);
        }
        j["rdma"] = rdma;
    }
    put(j, "unified", r.unified);
    return j;
}

Json to_json(const Spec& s) {
    Json j = {{"ociVersion", s.ociVersion}};
    if (s.process) j["process"] = to_json(*s.process);
    if (s.root) {
        j["root"] = {{"path", s.root->path}};
        if (s.root->readonly) j["root"]["readonly"] = true;
    }
    put(j, "hostname", s.hostname);
    put(j, "domainname", s.domainname);
    put_list(j, "mounts", s.mounts, mount_json);
    if (s.hooks) {
        Json h = Json::object();
        put_list(h, "prestart", s.hooks->prestart, hook_json);
        put_list(h, "createRuntime", s.hooks->createRuntime, hook_json);
        put_list(h, "createContainer", s.hooks->createContainer, hook_json);
        put_list(h, "startContainer", s.hooks->startContainer, hook_json);
        put_list(h, "poststart", s.hooks->poststart, hook_json);
        put_list(h, "poststop", s.hooks->poststop, hook_json);
        j["hooks"] = h;
    }
    put(j, "annotations", s.annotations);
    if (s.linux) j["linux"] = linux_json(*s.linux);
    return j;
}

bool has_namespace(const Spec& spec, const std::string& type) {
    return spec.linux && has_namespace(*spec.linux, type);
}

bool has_namespace(const Linux& linux, const std::string& type) {
    return std::any_of(linux.namespaces.begin(), linux.namespaces.end(),
                       [&](const LinuxNamespace& ns) { return ns.type == type; });
}

}  // namespace oci
