// Device rules: on cgroup v2 rules → eBPF instructions → BPF_PROG_LOAD / BPF_PROG_ATTACH; on v1
// the devices.allow/deny lines from the current devices.list to the rules' result.
#include "cgroups/device_filter.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>

#include "hull/error.hpp"
#include "hull/fd.hpp"

namespace hull::cgroups::devices {

namespace {

constexpr int64_t max_major = 4095;     // 12 bits
constexpr int64_t max_minor = 1048575;  // 20 bits
constexpr size_t max_rules = 4096;

std::string access_letters(uint8_t access) {
    std::string letters;
    if (access & acc_read) letters += 'r';
    if (access & acc_write) letters += 'w';
    if (access & acc_mknod) letters += 'm';
    return letters;
}

// Assembles straight-line code with forward jumps to labels, patched when the label is placed.
class Assembler {
public:
    using Label = size_t;

    Label new_label() {
        positions_.push_back(unplaced);
        return positions_.size() - 1;
    }
    void place(Label label) { positions_[label] = code_.size(); }

    // dst = *(u32 *)(src + off)
    void load_word(uint8_t dst, uint8_t src, int16_t off) { emit(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
    void mov32_reg(uint8_t dst, uint8_t src) { emit(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
    void and32(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
    void rsh32(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
    void mov64(uint8_t dst, int32_t imm) { emit(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
    // if (u32)dst op imm goto label
    void jump32(uint8_t op, uint8_t dst, int64_t imm, Label label) {
        fixups_.push_back({code_.size(), label});
        emit(BPF_JMP32 | op | BPF_K, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(imm)));
    }
    void jump(Label label) {
        fixups_.push_back({code_.size(), label});
        emit(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    }
    void exit() { emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

    std::vector<bpf_insn> finish() {
        for (const auto& [at, label] : fixups_) {
            const size_t target = positions_[label];
            const int64_t offset = static_cast<int64_t>(target) - static_cast<int64_t>(at) - 1;
            if (target == unplaced || offset < 0 || offset > std::numeric_limits<int16_t>::max()) {
                throw Error("linux.resources.devices: too many rules for one device program");
            }
            code_[at].off = static_cast<int16_t>(offset);
        }
        return std::move(code_);
    }

private:
    static constexpr size_t unplaced = std::numeric_limits<size_t>::max();

    void emit(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        bpf_insn insn{};
        insn.code = code;
        insn.dst_reg = dst & 0xf;
        insn.src_reg = src & 0xf;
        insn.off = off;
        insn.imm = imm;
        code_.push_back(insn);
    }

    std::vector<bpf_insn> code_;
    std::vector<size_t> positions_;
    std::vector<std::pair<size_t, Label>> fixups_;
};

// Registers: r1 the context, then scratch; r2 device type; r3 access bits; r4 major; r5 minor.
constexpr uint8_t r0 = BPF_REG_0, r1 = BPF_REG_1, r2 = BPF_REG_2, r3 = BPF_REG_3, r4 = BPF_REG_4, r5 = BPF_REG_5;

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

template <typename T>
uint64_t pointer(T* p) {
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

UniqueFd load(const std::vector<bpf_insn>& program, const std::string& cgroup_dir) {
    static const char license[] = "Apache-2.0";
    const auto attempt = [&](char* log, uint32_t log_size) {
        bpf_attr attr{};
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = pointer(program.data());
        attr.insn_cnt = static_cast<uint32_t>(program.size());
        attr.license = pointer(license);
        std::strncpy(attr.prog_name, "hull_devices", sizeof attr.prog_name - 1);
        if (log != nullptr) {
            attr.log_buf = pointer(log);
            attr.log_size = log_size;
            attr.log_level = 1;
        }
        return static_cast<int>(sys_bpf(BPF_PROG_LOAD, attr));
    };
    int fd = attempt(nullptr, 0);
    if (fd >= 0) return UniqueFd(fd);
    const int err = errno;
    std::string what = "load the device cgroup program (BPF_PROG_LOAD, " + std::to_string(program.size()) +
                       " instructions) for " + cgroup_dir;
    if (err == EINVAL || err == EACCES) {
        // The verifier says why; ask again with its log.
        std::vector<char> log(1 << 16, '\0');
        fd = attempt(log.data(), static_cast<uint32_t>(log.size()));
        if (fd >= 0) return UniqueFd(fd);
        std::string text(log.data());
        while (!text.empty() && text.back() == '\n') text.pop_back();
        const auto last = text.rfind('\n');
        if (!text.empty()) what += " (verifier: " + (last == std::string::npos ? text : text.substr(last + 1)) + ")";
    }
    if (err == EPERM) what += " (needs CAP_BPF or CAP_SYS_ADMIN; kernels before 5.11 also charge it to RLIMIT_MEMLOCK)";
    throw_errno(what, err);
}

}  // namespace

std::string Rule::v1_line() const {
    const auto number = [](int64_t n) { return n == any ? std::string("*") : std::to_string(n); };
    return std::string(1, type) + " " + number(major) + ":" + number(minor) + " " + access_letters(access);
}

const std::vector<Rule>& default_rules() {
    constexpr uint8_t rwm = acc_read | acc_write | acc_mknod;
    static const std::vector<Rule> rules = {
        {true, 'c', any, any, acc_mknod}, {true, 'b', any, any, acc_mknod},
        {true, 'c', 1, 3, rwm},    // null
        {true, 'c', 1, 5, rwm},    // zero
        {true, 'c', 1, 7, rwm},    // full
        {true, 'c', 1, 8, rwm},    // random
        {true, 'c', 1, 9, rwm},    // urandom
        {true, 'c', 5, 0, rwm},    // tty
        {true, 'c', 5, 2, rwm},    // ptmx
        {true, 'c', 136, any, rwm},  // pts
        {true, 'c', 10, 200, rwm},   // tun
    };
    return rules;
}

std::vector<Rule> effective_rules(const std::vector<oci::LinuxDeviceCgroup>& config) {
    if (config.size() > max_rules) {
        throw Error("linux.resources.devices: " + std::to_string(config.size()) + " rules, at most " +
                    std::to_string(max_rules) + " are supported");
    }
    std::vector<Rule> rules;
    for (size_t i = 0; i < config.size(); ++i) {
        const auto& entry = config[i];
        const std::string field = "linux.resources.devices[" + std::to_string(i) + "]";
        Rule rule;
        rule.allow = entry.allow;
        const std::string type = entry.type.value_or("a");
        if (type != "a" && type != "b" && type != "c") throw Error(field + ".type: \"" + type + "\" is not one of a, b, c");
        rule.type = type[0];
        const auto number = [&](const std::optional<int64_t>& n, int64_t max, const char* name) {
            if (!n || *n == any) return any;
            if (*n < 0 || *n > max) {
                throw Error(field + "." + name + ": " + std::to_string(*n) + " is out of range (-1 for any, or 0.." +
                            std::to_string(max) + ")");
            }
            return *n;
        };
        rule.major = number(entry.major, max_major, "major");
        rule.minor = number(entry.minor, max_minor, "minor");
        const std::string access = entry.access && !entry.access->empty() ? *entry.access : "rwm";
        for (const char c : access) {
            if (c == 'r') rule.access |= acc_read;
            else if (c == 'w') rule.access |= acc_write;
            else if (c == 'm') rule.access |= acc_mknod;
        }
        if (rule.access == 0) throw Error(field + ".access: \"" + access + "\" has none of the letters r, w, m");
        rules.push_back(rule);
    }
    rules.insert(rules.end(), default_rules().begin(), default_rules().end());
    return rules;
}

namespace {

// A v1 devices cgroup as the kernel keeps it: a default, and exceptions to it (type, major, minor →
// access bits). An allow-by-default cgroup's exceptions deny, a deny-by-default one's allow.
struct V1Devices {
    using Key = std::tuple<char, int64_t, int64_t>;
    bool default_allow = false;
    std::map<Key, uint8_t> exceptions;

    static Key key(const Rule& rule) { return {rule.type, rule.major, rule.minor}; }
    static Rule rule(const Key& key, uint8_t access, bool allow) {
        return {allow, std::get<0>(key), std::get<1>(key), std::get<2>(key), access};
    }

    // What writing `rule` to devices.allow/deny does: type 'a' resets, whatever else it says; a
    // rule against the default adds to the exception of exactly that type/major/minor, one with
    // the default takes from it.
    void apply(const Rule& rule) {
        if (rule.type == 'a') {
            default_allow = rule.allow;
            exceptions.clear();
            return;
        }
        if (rule.allow != default_allow) {
            exceptions[key(rule)] |= rule.access;
            return;
        }
        const Key k = key(rule);
        for (const Key& wider : {Key{rule.type, any, rule.minor}, Key{rule.type, rule.major, any}, Key{rule.type, any, any}}) {
            const auto it = exceptions.find(wider);
            if (wider == k || it == exceptions.end() || (it->second & rule.access) == 0) continue;
            throw Error("linux.resources.devices: the " + std::string(rule.allow ? "allow" : "deny") + " rule \"" +
                        rule.v1_line() + "\" cannot take access from the rule \"" +
                        V1Devices::rule(wider, it->second, !rule.allow).v1_line() +
                        "\" before it on cgroup v1 (the devices controller keeps no holes in a wildcard rule)");
        }
        const auto it = exceptions.find(k);
        if (it == exceptions.end()) return;
        it->second = static_cast<uint8_t>(it->second & ~rule.access);
        if (it->second == 0) exceptions.erase(it);
    }
};

// devices.list: "a *:* rwm" when allowing by default (its deny exceptions are not shown), else one
// "c 1:3 rwm" line per allow exception.
V1Devices parse_devices_list(const std::string& text, const std::string& file) {
    V1Devices state;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        std::istringstream fields(line);
        std::string type, numbers, letters;
        fields >> type >> numbers >> letters;
        const auto colon = numbers.find(':');
        Rule rule;
        rule.allow = true;
        const auto number = [&](const std::string& n) -> int64_t {
            if (n == "*") return any;
            if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 7) {
                throw Error(file + ": cannot read the line \"" + line + "\"");
            }
            return std::stoll(n);
        };
        if (type.size() != 1 || std::string("abc").find(type[0]) == std::string::npos || colon == std::string::npos) {
            throw Error(file + ": cannot read the line \"" + line + "\"");
        }
        rule.type = type[0];
        rule.major = number(numbers.substr(0, colon));
        rule.minor = number(numbers.substr(colon + 1));
        for (const char c : letters) {
            if (c == 'r') rule.access |= acc_read;
            else if (c == 'w') rule.access |= acc_write;
            else if (c == 'm') rule.access |= acc_mknod;
            else throw Error(file + ": cannot read the line \"" + line + "\"");
        }
        state.apply(rule);
    }
    return state;
}

}  // namespace

std::vector<Rule> v1_transition(const std::string& devices_list, const std::vector<Rule>& rules, const std::string& list_file) {
    V1Devices target;
    for (const Rule& rule : rules) target.apply(rule);
    V1Devices current = parse_devices_list(devices_list, list_file);
    std::vector<Rule> writes;
    if (current.default_allow || current.default_allow != target.default_allow) {
        writes.push_back({target.default_allow, 'a', any, any, static_cast<uint8_t>(acc_read | acc_write | acc_mknod)});
        current = V1Devices{target.default_allow, {}};
    }
    // Removals first: nothing the target keeps is taken away, even for a moment.
    for (const auto& [key, access] : current.exceptions) {
        const auto kept = target.exceptions.find(key);
        const auto dropped = static_cast<uint8_t>(access & ~(kept == target.exceptions.end() ? 0 : kept->second));
        if (dropped != 0) writes.push_back(V1Devices::rule(key, dropped, target.default_allow));
    }
    for (const auto& [key, access] : target.exceptions) {
        const auto had = current.exceptions.find(key);
        const auto gained = static_cast<uint8_t>(access & ~(had == current.exceptions.end() ? 0 : had->second));
        if (gained != 0) writes.push_back(V1Devices::rule(key, gained, !target.default_allow));
    }
    return writes;
}

std::vector<bpf_insn> build_program(const std::vector<Rule>& rules) {
    Assembler a;
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type =
    // access << 16 | type.
    a.load_word(r2, r1, offsetof(bpf_cgroup_dev_ctx, access_type));
    a.mov32_reg(r3, r2);
    a.and32(r2, 0xffff);
    a.rsh32(r3, 16);
    a.load_word(r4, r1, offsetof(bpf_cgroup_dev_ctx, major));
    a.load_word(r5, r1, offsetof(bpf_cgroup_dev_ctx, minor));
    for (const uint8_t bit : {acc_mknod, acc_read, acc_write}) {
        const auto bit_allowed = a.new_label();
        // Bits not asked for need no verdict.
        a.mov32_reg(r1, r3);
        a.and32(r1, bit);
        a.jump32(BPF_JEQ, r1, 0, bit_allowed);
        bool unconditional = false;
        for (auto it = rules.rbegin(); it != rules.rend() && !unconditional; ++it) {
            const Rule& rule = *it;
            if ((rule.access & bit) == 0) continue;
            const auto next_rule = a.new_label();
            bool conditional = false;
            if (rule.type != 'a') {
                a.jump32(BPF_JNE, r2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, next_rule);
                conditional = true;
            }
            if (rule.major != any) {
                a.jump32(BPF_JNE, r4, rule.major, next_rule);
                conditional = true;
            }
            if (rule.minor != any) {
                a.jump32(BPF_JNE, r5, rule.minor, next_rule);
                conditional = true;
            }
            if (rule.allow) {
                a.jump(bit_allowed);
            } else {
                a.mov64(r0, 0);
                a.exit();
            }
            a.place(next_rule);
            // Rules before an unconditional one can never decide (and the verifier refuses
            // unreachable code).
            unconditional = !conditional;
        }
        if (!unconditional) {
            a.mov64(r0, 0);  // no rule for this bit: deny
            a.exit();
        }
        a.place(bit_allowed);
    }
    a.mov64(r0, 1);
    a.exit();
    return a.finish();
}

std::vector<uint32_t> attached_programs(int cgroup_fd, const std::string& cgroup_dir) {
    std::vector<uint32_t> ids(64);
    for (;;) {
        bpf_attr attr{};
        attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = pointer(ids.data());
        attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
        if (sys_bpf(BPF_PROG_QUERY, attr) == 0) {
            ids.resize(attr.query.prog_cnt);
            return ids;
        }
        if (errno != ENOSPC || attr.query.prog_cnt <= ids.size()) {
            throw_errno("query the device programs of " + cgroup_dir + " (BPF_PROG_QUERY)");
        }
        ids.resize(attr.query.prog_cnt);
    }
}

void install(int cgroup_fd, const std::string& cgroup_dir, const std::vector<bpf_insn>& program) {
    const std::vector<uint32_t> old = attached_programs(cgroup_fd, cgroup_dir);
    const UniqueFd prog = load(program, cgroup_dir);
    bpf_attr attach{};
    attach.target_fd = static_cast<uint32_t>(cgroup_fd);
    attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, attach) != 0) throw_errno("attach the device program to " + cgroup_dir + " (BPF_PROG_ATTACH)");
    // The new filter is in force (programs attached together must all allow): drop the old ones.
    for (const uint32_t id : old) {
        bpf_attr by_id{};
        by_id.prog_id = id;
        const UniqueFd old_prog(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, by_id)));
        if (!old_prog) {
            if (errno == ENOENT) continue;
            throw_errno("open device program " + std::to_string(id) + " of " + cgroup_dir + " (BPF_PROG_GET_FD_BY_ID)");
        }
        bpf_attr detach{};
        detach.target_fd = static_cast<uint32_t>(cgroup_fd);
        detach.attach_bpf_fd = static_cast<uint32_t>(old_prog.get());
        detach.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT) {
            throw_errno("detach the old device program " + std::to_string(id) + " from " + cgroup_dir);
        }
    }
}

}  // namespace hull::cgroups::devices
