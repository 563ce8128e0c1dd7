// linux.seccomp → libseccomp filter.
#include "seccomp/seccomp.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>

#include "common/unix_socket.hpp"
#include "hull/error.hpp"
#include "oci/version.hpp"
#include "seccomp/enosys_stub.hpp"

namespace hull::seccomp {

namespace {

constexpr std::array<const char*, 9> action_names{"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                                  "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                                  "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
// runtime-spec's architectures; those this libseccomp does not know are refused.
constexpr std::array<const char*, 23> architecture_names{
    "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",      "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",      "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",     "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_RISCV64",  "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
    "SCMP_ARCH_X32",      "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64"};
constexpr std::array<std::pair<const char*, scmp_compare>, 7> operators{{{"SCMP_CMP_NE", SCMP_CMP_NE},
                                                                        {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                                        {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                                        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                                        {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                                        {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                                        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}}};
// The calls the runtime makes after loading the filter and before the agent has the notify fd
// (sendmsg hands it over; write reports a failure): notified, they would wait forever.
constexpr std::array<const char*, 2> calls_before_agent{"write", "sendmsg"};
constexpr std::array<const char*, 4> flag_names{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

template <typename Array>
bool known(const Array& names, const std::string& name) {
    return std::find_if(names.begin(), names.end(), [&](const char* n) { return name == n; }) != names.end();
}

uint32_t arch_token(const std::string& name) {
    if (!known(architecture_names, name)) return 0;
    std::string lower = name.substr(10);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return seccomp_arch_resolve_name(lower.c_str());
}

bool same_byte_order_as_native(uint32_t arch) {
    return ((arch ^ seccomp_arch_native()) & __AUDIT_ARCH_LE) == 0;
}

uint32_t action_value(const std::string& action, std::optional<uint32_t> errno_ret) {
    if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (action == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
    throw Error("unknown seccomp action \"" + action + "\"");
}

scmp_compare operator_value(const std::string& op) {
    for (const auto& [name, value] : operators) {
        if (op == name) return value;
    }
    throw Error("unknown seccomp operator \"" + op + "\"");
}

void check(int rc, const std::string& what) {
    if (rc < 0) throw_errno(what, -rc);
}

void add_rule(scmp_filter_ctx ctx, uint32_t action, int syscall, const std::vector<oci::LinuxSeccompArg>& args,
              const std::string& field) {
    std::vector<scmp_arg_cmp> conditions;
    for (const auto& arg : args) {
        scmp_arg_cmp cmp{};
        cmp.arg = arg.index;
        cmp.op = operator_value(arg.op);
        cmp.datum_a = arg.value;
        cmp.datum_b = arg.valueTwo.value_or(0);
        conditions.push_back(cmp);
    }
    // libseccomp can't AND two conditions on one argument; as runc does, such a rule becomes one
    // rule per condition (OR).
    bool repeated_index = false;
    for (size_t i = 0; i < args.size(); ++i) {
        for (size_t j = i + 1; j < args.size(); ++j) repeated_index |= args[i].index == args[j].index;
    }
    if (repeated_index) {
        for (const auto& cmp : conditions) check(seccomp_rule_add_array(ctx, action, syscall, 1, &cmp), field + ": add rule");
        return;
    }
    check(seccomp_rule_add_array(ctx, action, syscall, static_cast<unsigned>(conditions.size()), conditions.data()),
          field + ": add rule");
}

}  // namespace

void validate(const oci::LinuxSeccomp& profile) {
    const std::string base = "linux.seccomp";
    if (!known(action_names, profile.defaultAction)) {
        throw Error(base + ".defaultAction: unknown action \"" + profile.defaultAction + "\"");
    }
    if (profile.defaultAction == "SCMP_ACT_NOTIFY") throw Error(base + ".defaultAction: SCMP_ACT_NOTIFY is not allowed as the default");
    for (size_t i = 0; i < profile.architectures.size(); ++i) {
        const std::string field = base + ".architectures[" + std::to_string(i) + "]";
        const uint32_t arch = arch_token(profile.architectures[i]);
        if (arch == 0) throw Error(field + ": unknown architecture \"" + profile.architectures[i] + "\"");
        if (!same_byte_order_as_native(arch)) {
            throw Error(field + ": " + profile.architectures[i] +
                        " has the other byte order than this host's; one filter cannot hold both (libseccomp)");
        }
    }
    for (size_t i = 0; i < profile.flags.size(); ++i) {
        if (!known(flag_names, profile.flags[i])) {
            throw Error(base + ".flags[" + std::to_string(i) + "]: unknown flag \"" + profile.flags[i] + "\"");
        }
    }
    bool uses_notify = false;
    for (size_t i = 0; i < profile.syscalls.size(); ++i) {
        const auto& call = profile.syscalls[i];
        const std::string field = base + ".syscalls[" + std::to_string(i) + "]";
        if (!known(action_names, call.action)) throw Error(field + ".action: unknown action \"" + call.action + "\"");
        if (call.action == "SCMP_ACT_NOTIFY") {
            uses_notify = true;
            for (size_t n = 0; n < call.names.size(); ++n) {
                if (known(calls_before_agent, call.names[n])) {
                    throw Error(field + ".names[" + std::to_string(n) + "]: SCMP_ACT_NOTIFY cannot be used for the " +
                                call.names[n] + " syscall (the runtime needs it before the agent has the notify fd)");
                }
            }
        }
        for (size_t a = 0; a < call.args.size(); ++a) {
            const auto& arg = call.args[a];
            const std::string arg_field = field + ".args[" + std::to_string(a) + "]";
            if (arg.index >= 6) throw Error(arg_field + ".index: must be below 6");
            bool op_known = false;
            for (const auto& op : operators) op_known |= arg.op == op.first;
            if (!op_known) throw Error(arg_field + ".op: unknown operator \"" + arg.op + "\"");
        }
    }
    if (uses_notify && (!profile.listenerPath || profile.listenerPath->empty())) {
        throw Error(base + ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
    }
}

bool uses_notify(const oci::LinuxSeccomp& profile) {
    return std::any_of(profile.syscalls.begin(), profile.syscalls.end(),
                       [](const oci::LinuxSyscall& call) { return call.action == "SCMP_ACT_NOTIFY"; });
}

std::vector<std::string> supported_actions() { return {action_names.begin(), action_names.end()}; }

std::vector<std::string> supported_operators() {
    std::vector<std::string> names;
    for (const auto& op : operators) names.emplace_back(op.first);
    return names;
}

// Those this libseccomp knows and can put in one filter with the native one.
std::vector<std::string> supported_architectures() {
    std::vector<std::string> names;
    for (const char* name : architecture_names) {
        const uint32_t arch = arch_token(name);
        if (arch != 0 && same_byte_order_as_native(arch)) names.emplace_back(name);
    }
    return names;
}

std::vector<std::string> supported_flags() { return {flag_names.begin(), flag_names.end()}; }

UniqueFd connect_agent(const oci::LinuxSeccomp& profile) {
    return sys::connect_unix(profile.listenerPath.value_or(""),
                             "failed to connect with seccomp agent specified in the seccomp profile: linux.seccomp.listenerPath");
}

std::string agent_message(const oci::LinuxSeccomp& profile, pid_t pid, const oci::State& state) {
    return oci::Json{{"ociVersion", oci::spec_version},
                     {"fds", {"seccompFd"}},
                     {"pid", pid},
                     {"metadata", profile.listenerMetadata.value_or("")},
                     {"state", oci::to_json(state)}}
        .dump();
}

namespace {

struct ReleaseContext {
    void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ReleaseContext>;

// The kernel takes a filter of at most this many instructions (BPF_MAXINSNS).
constexpr size_t max_instructions = 4096;

// Default actions for which an unknown syscall must not get ENOSYS: they let it run (TRACE: a
// tracer copes with new syscalls itself), or already answer ENOSYS.
bool lets_new_syscalls_through(const oci::LinuxSeccomp& profile) {
    const std::string& action = profile.defaultAction;
    if (action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG" || action == "SCMP_ACT_TRACE") return true;
    return action == "SCMP_ACT_ERRNO" && profile.defaultErrnoRet == ENOSYS;
}

// The highest syscall the profile names, per architecture of the filter (the native one and those
// listed); an architecture for which it names none gets no limit.
std::vector<ArchLimit> last_named_syscalls(const oci::LinuxSeccomp& profile) {
    std::vector<uint32_t> arches{seccomp_arch_native()};
    for (const auto& name : profile.architectures) {
        const uint32_t arch = arch_token(name);
        if (std::find(arches.begin(), arches.end(), arch) == arches.end()) arches.push_back(arch);
    }
    std::vector<ArchLimit> limits;
    for (const uint32_t arch : arches) {
        int last = -1;
        for (const auto& call : profile.syscalls) {
            for (const auto& name : call.names) last = std::max(last, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
        }
        if (last >= 0) limits.push_back({arch, static_cast<uint32_t>(last)});
    }
    return limits;
}

std::vector<sock_filter> export_program(scmp_filter_ctx ctx) {
    UniqueFd memory(::memfd_create("hull-seccomp-bpf", MFD_CLOEXEC));
    if (!memory) throw_errno("linux.seccomp: memfd_create for the filter program");
    check(seccomp_export_bpf(ctx, memory.get()), "linux.seccomp: export the filter program");
    std::vector<sock_filter> program;
    sock_filter insn{};
    ssize_t n;
    for (off_t at = 0; (n = ::pread(memory.get(), &insn, sizeof insn, at)) == sizeof insn; at += n) program.push_back(insn);
    if (n != 0) throw_errno("linux.seccomp: read the filter program", n < 0 ? errno : EIO);
    return program;
}

unsigned kernel_flags(const oci::LinuxSeccomp& profile, bool listener) {
    unsigned flags = listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    for (const auto& flag : profile.flags) {
        if (flag == "SECCOMP_FILTER_FLAG_TSYNC") flags |= SECCOMP_FILTER_FLAG_TSYNC;
        if (flag == "SECCOMP_FILTER_FLAG_LOG") flags |= SECCOMP_FILTER_FLAG_LOG;
        if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        // It changes how a notified call waits for the agent: the kernel takes it with a listener only.
        if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" && listener) flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
    // TSYNC reports a thread that failed to sync by its tid, which is also the listener's return
    // value: the kernel wants TSYNC_ESRCH with both.
    if ((flags & SECCOMP_FILTER_FLAG_TSYNC) != 0 && listener) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    return flags;
}

}  // namespace

Filter Filter::compile(const oci::LinuxSeccomp& profile) {
    validate(profile);
    const uint32_t default_action = action_value(profile.defaultAction, profile.defaultErrnoRet);
    Context ctx(seccomp_init(default_action));
    if (!ctx) throw Error("linux.seccomp: seccomp_init failed");
    for (const auto& arch : profile.architectures) {
        const int rc = seccomp_arch_add(ctx.get(), arch_token(arch));
        if (rc < 0 && rc != -EEXIST) check(rc, "linux.seccomp.architectures: add " + arch);
    }
    Filter filter;
    for (size_t i = 0; i < profile.syscalls.size(); ++i) {
        const auto& call = profile.syscalls[i];
        const uint32_t action = action_value(call.action, call.errnoRet);
        if (action == default_action) continue;  // libseccomp rejects rules equal to the default
        filter.uses_notify_ |= call.action == "SCMP_ACT_NOTIFY";
        for (const auto& name : call.names) {
            const int number = seccomp_syscall_resolve_name(name.c_str());
            if (number == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp/arch: skipped, as runc does
            add_rule(ctx.get(), action, number, call.args, "linux.seccomp.syscalls[" + std::to_string(i) + "] " + name);
        }
    }
    if (!lets_new_syscalls_through(profile)) filter.program_ = enosys_stub(last_named_syscalls(profile));
    const std::vector<sock_filter> rules = export_program(ctx.get());
    filter.program_.insert(filter.program_.end(), rules.begin(), rules.end());
    if (filter.program_.size() > max_instructions) {
        throw Error("linux.seccomp: the filter takes " + std::to_string(filter.program_.size()) +
                    " BPF instructions, more than the kernel's " + std::to_string(max_instructions));
    }
    filter.flags_ = kernel_flags(profile, filter.uses_notify_);
    return filter;
}

UniqueFd Filter::load() const {
    // no_new_privs is the caller's (process.noNewPrivileges decides it, or CAP_SYS_ADMIN allows the load).
    sock_fprog program{static_cast<unsigned short>(program_.size()), const_cast<sock_filter*>(program_.data())};
    const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &program);
    if (rc < 0) throw_errno("linux.seccomp: load filter");
    // The listener fd is the kernel's new close-on-exec fd: nothing runs between the load and the
    // caller's hand-off to the agent.
    return uses_notify_ ? UniqueFd(static_cast<int>(rc)) : UniqueFd();
}

}  // namespace hull::seccomp
