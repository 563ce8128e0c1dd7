// OCI runtime-spec v1.3 config.json, as C++ types.
// Field names are the JSON keys. Optional JSON members are std::optional (or an empty
// container where absence and emptiness mean the same). No Linux calls in this library.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/version.hpp"

namespace oci {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

// ---------------------------------------------------------------- process
struct Box {
    uint32_t height = 0;
    uint32_t width = 0;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additionalGids;
    std::optional<std::string> username;  // windows only, kept for round-trip
};

struct LinuxCapabilities {
    std::optional<std::vector<std::string>> bounding;
    std::optional<std::vector<std::string>> effective;
    std::optional<std::vector<std::string>> inheritable;
    std::optional<std::vector<std::string>> permitted;
    std::optional<std::vector<std::string>> ambient;
};

struct POSIXRlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct LinuxSchedulerAttr {
    std::string policy;  // SCHED_OTHER ...
    std::optional<int32_t> nice;
    std::optional<int32_t> priority;
    std::vector<std::string> flags;
    std::optional<uint64_t> runtime;
    std::optional<uint64_t> deadline;
    std::optional<uint64_t> period;
};

struct LinuxIOPriority {
    std::string ioClass;  // IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE
    int32_t priority = 0;
};

struct LinuxPersonality {
    std::string domain;  // LINUX | LINUX32
    std::vector<std::string> flags;
};

struct CPUAffinity {
    std::optional<std::string> initial;
    std::optional<std::string> final;
};

struct Process {
    bool terminal = false;
    std::optional<Box> consoleSize;
    User user;
    std::vector<std::string> args;
    std::optional<std::string> commandLine;  // windows
    std::vector<std::string> env;
    std::string cwd;  // required, absolute
    std::optional<LinuxCapabilities> capabilities;
    std::vector<POSIXRlimit> rlimits;
    bool noNewPrivileges = false;
    std::optional<std::string> apparmorProfile;
    std::optional<int32_t> oomScoreAdj;
    std::optional<LinuxSchedulerAttr> scheduler;
    std::optional<std::string> selinuxLabel;
    std::optional<LinuxIOPriority> ioPriority;
    std::optional<CPUAffinity> execCPUAffinity;
};

// ---------------------------------------------------------------- root, mounts
struct Root {
    std::string path;
    bool readonly = false;
};

struct LinuxIDMapping {
    uint32_t containerID = 0;
    uint32_t hostID = 0;
    uint32_t size = 0;
};

struct Mount {
    std::string destination;
    std::optional<std::string> type;
    std::optional<std::string> source;
    std::vector<std::string> options;
    std::vector<LinuxIDMapping> uidMappings;
    std::vector<LinuxIDMapping> gidMappings;
};

// ---------------------------------------------------------------- hooks
struct Hook {
    std::string path;  // absolute
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int32_t> timeout;  // seconds, > 0
};

struct Hooks {
    std::vector<Hook> prestart;  // deprecated, still honoured
    std::vector<Hook> createRuntime;
    std::vector<Hook> createContainer;
    std::vector<Hook> startContainer;
    std::vector<Hook> poststart;
    std::vector<Hook> poststop;
};

// ---------------------------------------------------------------- linux
struct LinuxNamespace {
    std::string type;  // pid network mount ipc uts user cgroup time
    std::optional<std::string> path;
};

struct LinuxDevice {
    std::string path;
    std::string type;  // c b u p
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint32_t> fileMode;
    std::optional<uint32_t> uid;
    std::optional<uint32_t> gid;
};

struct LinuxDeviceCgroup {
    bool allow = false;
    std::optional<std::string> type;  // a c b
    std::optional<int64_t> major;
    std::optional<int64_t> minor;
    std::optional<std::string> access;  // rwm
};

struct LinuxMemory {
    std::optional<int64_t> limit;
    std::optional<int64_t> reservation;
    std::optional<int64_t> swap;
    std::optional<int64_t> kernel;
    std::optional<int64_t> kernelTCP;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disableOOMKiller;
    std::optional<bool> useHierarchy;
    std::optional<bool> checkBeforeUpdate;
};

struct LinuxCPU {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtimeRuntime;
    std::optional<uint64_t> realtimePeriod;
    std::optional<std::string> cpus;
    std::optional<std::string> mems;
    std::optional<int64_t> idle;
};

struct LinuxPids {
    std::optional<int64_t> limit;  // required in the spec when pids is present; <= 0 means max
};

struct LinuxWeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
};

struct LinuxThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

struct LinuxBlockIO {
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leafWeight;
    std::vector<LinuxWeightDevice> weightDevice;
    std::vector<LinuxThrottleDevice> throttleReadBpsDevice;
    std::vector<LinuxThrottleDevice> throttleWriteBpsDevice;
    std::vector<LinuxThrottleDevice> throttleReadIOPSDevice;
    std::vector<LinuxThrottleDevice> throttleWriteIOPSDevice;
};

struct LinuxHugepageLimit {
    std::string pageSize;  // "2MB"
    uint64_t limit = 0;
};

struct LinuxNetwork {
    std::optional<uint32_t> classID;
    struct Priority {
        std::string name;
        uint32_t priority = 0;
    };
    std::vector<Priority> priorities;
};

struct LinuxRdma {
    std::optional<uint32_t> hcaHandles;
    std::optional<uint32_t> hcaObjects;
};

struct LinuxResources {
    std::vector<LinuxDeviceCgroup> devices;
    std::optional<LinuxMemory> memory;
    std::optional<LinuxCPU> cpu;
    std::optional<LinuxPids> pids;
    std::optional<LinuxBlockIO> blockIO;
    std::vector<LinuxHugepageLimit> hugepageLimits;
    std::optional<LinuxNetwork> network;
    std::map<std::string, LinuxRdma> rdma;
    StringMap unified;
};

struct LinuxSeccompArg {
    uint32_t index = 0;
    uint64_t value = 0;
    std::optional<uint64_t> valueTwo;
    std::string op;  // SCMP_CMP_EQ ...
};

struct LinuxSyscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_*
    std::optional<uint32_t> errnoRet;
    std::vector<LinuxSeccompArg> args;
};

struct LinuxSeccomp {
    std::string defaultAction;
    std::optional<uint32_t> defaultErrnoRet;
    std::vector<std::string> architectures;  // SCMP_ARCH_*
    std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
    std::optional<std::string> listenerPath;
    std::optional<std::string> listenerMetadata;
    std::vector<LinuxSyscall> syscalls;
};

struct LinuxIntelRdt {
    std::optional<std::string> closID;
    std::optional<std::string> l3CacheSchema;
    std::optional<std::string> memBwSchema;
    std::vector<std::string> schemata;
    std::optional<bool> enableMonitoring;
    std::optional<bool> enableCMT;  // older name, kept for round-trip
    std::optional<bool> enableMBM;
};

struct LinuxTimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

struct LinuxNetDevice {
    std::optional<std::string> name;
};

struct LinuxMemoryPolicy {
    std::string mode;  // MPOL_DEFAULT ...
    std::optional<std::string> nodes;
    std::vector<std::string> flags;
};

struct Linux {
    std::vector<LinuxIDMapping> uidMappings;
    std::vector<LinuxIDMapping> gidMappings;
    std::map<std::string, LinuxTimeOffset> timeOffsets;  // "boottime", "monotonic"
    StringMap sysctl;
    std::optional<LinuxResources> resources;
    std::optional<std::string> cgroupsPath;
    std::vector<LinuxNamespace> namespaces;
    std::vector<LinuxDevice> devices;
    std::optional<LinuxSeccomp> seccomp;
    std::optional<std::string> rootfsPropagation;  // shared slave private unbindable
    std::vector<std::string> maskedPaths;
    std::vector<std::string> readonlyPaths;
    std::optional<std::string> mountLabel;
    std::optional<LinuxIntelRdt> intelRdt;
    std::optional<LinuxPersonality> personality;
    std::map<std::string, LinuxNetDevice> netDevices;
    std::optional<LinuxMemoryPolicy> memoryPolicy;
};

// ---------------------------------------------------------------- top level
struct Spec {
    std::string ociVersion;
    std::optional<Process> process;
    std::optional<Root> root;
    std::optional<std::string> hostname;
    std::optional<std::string> domainname;
    std::vector<Mount> mounts;
    std::optional<Hooks> hooks;
    StringMap annotations;
    std::optional<Linux> linux;
};

// Limits on every document hull reads (config.json, process.json, resources): real ones are
// tens of KiB and under 10 levels deep; these keep a hostile one to bounded time and memory.
inline constexpr size_t max_document_bytes = 4 << 20;
inline constexpr size_t max_document_depth = 64;
inline constexpr size_t max_document_values = 256 * 1024;
// Reads a document file of at most max_document_bytes (stdin for "-"); errors name the path.
std::string read_document(const std::string& path);
// Parses JSON text within the limits above; errors name `origin`.
Json parse_json(const std::string& text, const std::string& origin);

// Parses and validates a config.json document. Throws oci::SpecError naming the JSON path.
// `origin` prefixes messages ("config.json").
Spec parse_config(const Json& doc, const std::string& origin = "config.json");
// Whether linux.namespaces has an entry of `type` (new or joined by path).
bool has_namespace(const Linux& linux, const std::string& type);
bool has_namespace(const Spec& spec, const std::string& type);
Spec parse_config_text(const std::string& text, const std::string& origin = "config.json");
// Reads and parses a file; errors name the file.
Spec load_config_file(const std::string& path);
Json to_json(const Spec& spec);

// process.json of `exec --process`: the same Process object, standalone; `user` may be left out
// (uid and gid 0), as runc's exec -p allows.
Process parse_process(const Json& doc, const std::string& origin = "process.json");
Json to_json(const Process& process);

// LinuxResources document of `update --resources`.
LinuxResources parse_resources(const Json& doc, const std::string& origin = "resources");
Json to_json(const LinuxResources& resources);

// The config `hull spec` writes (runc's default; rootless variant with a user namespace).
Spec default_spec(bool rootless, uint32_t host_uid = 0, uint32_t host_gid = 0);

}  // namespace oci
