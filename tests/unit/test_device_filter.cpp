// The cgroup v2 device program, run here by a small eBPF interpreter (the subset the generator
// emits) over sample devices, and compared with the rule semantics written out directly.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "cgroups/device_filter.hpp"
#include "hull/error.hpp"

namespace dev = hull::cgroups::devices;
using dev::Rule;

namespace {

constexpr uint8_t r = dev::acc_read, w = dev::acc_write, m = dev::acc_mknod;
constexpr uint32_t block = BPF_DEVCG_DEV_BLOCK, chr = BPF_DEVCG_DEV_CHAR;

// Runs `program` on one bpf_cgroup_dev_ctx; fails the test on an instruction it does not know,
// a backward or out-of-range jump, or running off the end (what the verifier refuses too).
int run(const std::vector<bpf_insn>& program, uint32_t type, uint8_t access, uint32_t major, uint32_t minor) {
    bpf_cgroup_dev_ctx ctx{static_cast<uint32_t>(access) << 16 | type, major, minor};
    uint64_t reg[11] = {};
    reg[1] = reinterpret_cast<uintptr_t>(&ctx);
    size_t pc = 0;
    for (size_t steps = 0; steps < 100000; ++steps) {
        if (pc >= program.size()) {
            ADD_FAILURE() << "ran off the end of the program";
            return -1;
        }
        const bpf_insn& i = program[pc++];
        const auto jump_if = [&](bool taken) {
            if (i.off < 0) ADD_FAILURE() << "backward jump at " << pc - 1;
            if (taken) pc += static_cast<size_t>(i.off);
        };
        const uint32_t dst32 = static_cast<uint32_t>(reg[i.dst_reg]);
        switch (i.code) {
            case BPF_LDX | BPF_MEM | BPF_W: {
                uint32_t value;
                std::memcpy(&value, reinterpret_cast<const char*>(reg[i.src_reg]) + i.off, sizeof value);
                EXPECT_EQ(i.src_reg, BPF_REG_1);
                EXPECT_LE(i.off + sizeof value, sizeof ctx);
                reg[i.dst_reg] = value;
                break;
            }
            case BPF_ALU | BPF_MOV | BPF_X: reg[i.dst_reg] = static_cast<uint32_t>(reg[i.src_reg]); break;
            case BPF_ALU | BPF_AND | BPF_K: reg[i.dst_reg] = dst32 & static_cast<uint32_t>(i.imm); break;
            case BPF_ALU | BPF_RSH | BPF_K: reg[i.dst_reg] = dst32 >> i.imm; break;
            case BPF_ALU64 | BPF_MOV | BPF_K: reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
            case BPF_JMP32 | BPF_JNE | BPF_K: jump_if(dst32 != static_cast<uint32_t>(i.imm)); break;
            case BPF_JMP32 | BPF_JEQ | BPF_K: jump_if(dst32 == static_cast<uint32_t>(i.imm)); break;
            case BPF_JMP | BPF_JA: jump_if(true); break;
            case BPF_JMP | BPF_EXIT: return static_cast<int>(reg[0]);
            default:
                ADD_FAILURE() << "unexpected opcode 0x" << std::hex << int(i.code) << " at " << std::dec << pc - 1;
                return -1;
        }
    }
    ADD_FAILURE() << "no exit";
    return -1;
}

// The semantics written out: per requested bit, the last rule naming the device and the bit decides;
// none means deny.
bool expected(const std::vector<Rule>& rules, uint32_t type, uint8_t access, int64_t major, int64_t minor) {
    for (const uint8_t bit : {m, r, w}) {
        if ((access & bit) == 0) continue;
        bool allowed = false;
        for (const Rule& rule : rules) {
            const bool type_ok = rule.type == 'a' || (rule.type == 'b' ? type == block : type == chr);
            if (type_ok && (rule.major == dev::any || rule.major == major) && (rule.minor == dev::any || rule.minor == minor) &&
                (rule.access & bit)) {
                allowed = rule.allow;
            }
        }
        if (!allowed) return false;
    }
    return true;
}

bool allowed(const std::vector<Rule>& rules, uint32_t type, uint8_t access, uint32_t major, uint32_t minor) {
    return run(dev::build_program(rules), type, access, major, minor) == 1;
}

oci::LinuxDeviceCgroup config_rule(bool allow, std::optional<std::string> type, std::optional<int64_t> major,
                                   std::optional<int64_t> minor, std::optional<std::string> access) {
    oci::LinuxDeviceCgroup rule;
    rule.allow = allow;
    rule.type = std::move(type);
    rule.major = major;
    rule.minor = minor;
    rule.access = std::move(access);
    return rule;
}

TEST(DeviceFilterTest, PodmansDenyAllStillAllowsTheDefaultDevices) {
    const auto rules = dev::effective_rules({config_rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm")});
    const auto program = dev::build_program(rules);
    for (const auto& [major, minor] : std::vector<std::pair<uint32_t, uint32_t>>{{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9},
                                                                                {5, 0}, {5, 2}, {136, 4}, {10, 200}}) {
        EXPECT_EQ(run(program, chr, r | w, major, minor), 1) << major << ":" << minor;
    }
    EXPECT_EQ(run(program, chr, r | w, 5, 1), 0);   // the host's console, as runc denies it
    EXPECT_EQ(run(program, chr, r, 1, 11), 0);      // kmsg
    EXPECT_EQ(run(program, chr, w, 1, 1), 0);       // mem
    EXPECT_EQ(run(program, block, r, 8, 0), 0);     // sda
    EXPECT_EQ(run(program, block, r, 1, 3), 0);     // a block device with null's numbers
    EXPECT_EQ(run(program, block, m, 8, 0), 1);     // mknod of anything
    EXPECT_EQ(run(program, chr, m | r, 1, 11), 0);  // but not mknod and read together
}

TEST(DeviceFilterTest, NoRulesAtAllMeansOnlyTheDefaults) {
    const auto program = dev::build_program(dev::effective_rules({}));
    EXPECT_EQ(run(program, chr, r, 1, 3), 1);
    EXPECT_EQ(run(program, chr, r, 4, 0), 0);
}

TEST(DeviceFilterTest, LastMatchingRuleWins) {
    const std::vector<Rule> rules = {{true, 'a', dev::any, dev::any, r | w | m}, {false, 'c', 1, 11, w}, {true, 'c', 1, dev::any, w}};
    EXPECT_TRUE(allowed(rules, chr, w, 1, 11));  // the later allow wins over the deny
    const std::vector<Rule> reversed = {{true, 'a', dev::any, dev::any, r | w | m}, {true, 'c', 1, dev::any, w}, {false, 'c', 1, 11, w}};
    EXPECT_FALSE(allowed(reversed, chr, w, 1, 11));
    EXPECT_TRUE(allowed(reversed, chr, r, 1, 11));  // the deny names only w
    EXPECT_FALSE(allowed(reversed, chr, r | w, 1, 11));
    EXPECT_TRUE(allowed(reversed, chr, w, 1, 12));
}

TEST(DeviceFilterTest, EveryRequestedBitMustBeAllowed) {
    const std::vector<Rule> rules = {{true, 'c', 1, 11, r}, {true, 'c', 1, 11, w}};
    EXPECT_TRUE(allowed(rules, chr, r, 1, 11));
    EXPECT_TRUE(allowed(rules, chr, w, 1, 11));
    EXPECT_TRUE(allowed(rules, chr, r | w, 1, 11));  // each bit by its own rule
    EXPECT_FALSE(allowed(rules, chr, m, 1, 11));
    EXPECT_FALSE(allowed(rules, chr, r | m, 1, 11));
}

TEST(DeviceFilterTest, TypeMajorAndMinorAreEachMatched) {
    const std::vector<Rule> rules = {{true, 'b', 7, dev::any, r}, {true, 'c', dev::any, 3, w}};
    EXPECT_TRUE(allowed(rules, block, r, 7, 0));
    EXPECT_TRUE(allowed(rules, block, r, 7, 255));
    EXPECT_FALSE(allowed(rules, chr, r, 7, 0));
    EXPECT_FALSE(allowed(rules, block, r, 8, 0));
    EXPECT_TRUE(allowed(rules, chr, w, 99, 3));
    EXPECT_FALSE(allowed(rules, chr, w, 99, 4));
    EXPECT_FALSE(allowed(rules, block, w, 99, 3));
    EXPECT_FALSE(allowed(rules, chr, r, 1048575, 1048575));  // large numbers do not wrap into matches
}

TEST(DeviceFilterTest, ProgramShape) {
    // 6 loads/shifts, per bit 3 instructions to skip it; the rule c 1:3 w is 3 checks + a jump;
    // no rule for m and r means deny (2 each); the closing allow is 2.
    const auto program = dev::build_program({{true, 'c', 1, 3, w}});
    EXPECT_EQ(program.size(), 6u + 3 * 3 + 4 + 2 + 2 + 2 + 2);
    EXPECT_EQ(program.back().code, BPF_JMP | BPF_EXIT);
    EXPECT_EQ(program[program.size() - 2].imm, 1);
    // Rules before an unconditional one are never reached, so they are not emitted (the verifier
    // rejects unreachable instructions).
    const auto shadowed = dev::build_program({{true, 'c', 1, 3, r | w | m}, {false, 'a', dev::any, dev::any, r | w | m}});
    EXPECT_EQ(shadowed.size(), 6u + 3 * (3 + 2) + 2);
}

TEST(DeviceFilterTest, MatchesTheRuleSemanticsOnRandomRuleSets) {
    std::mt19937 random(20261130);
    const char types[] = {'a', 'b', 'c'};
    for (int round = 0; round < 300; ++round) {
        std::vector<Rule> rules(random() % 8);
        for (auto& rule : rules) {
            rule.allow = random() % 2;
            rule.type = types[random() % 3];
            rule.major = random() % 3 == 0 ? dev::any : random() % 3;
            rule.minor = random() % 3 == 0 ? dev::any : random() % 3;
            rule.access = static_cast<uint8_t>(1 + random() % 7);
        }
        const auto program = dev::build_program(rules);
        for (const uint32_t type : {block, chr}) {
            for (uint8_t access = 1; access <= 7; ++access) {
                for (uint32_t major = 0; major < 3; ++major) {
                    for (uint32_t minor = 0; minor < 3; ++minor) {
                        ASSERT_EQ(run(program, type, access, major, minor) == 1, expected(rules, type, access, major, minor))
                            << "round " << round << " type " << type << " access " << int(access) << " " << major << ":" << minor;
                    }
                }
            }
        }
    }
}

TEST(DeviceFilterTest, ConfigRulesAreValidatedAndNormalised) {
    const auto rules = dev::effective_rules({config_rule(true, "b", 8, -1, std::nullopt), config_rule(false, "c", 1, 3, "")});
    EXPECT_EQ(rules[0], (Rule{true, 'b', 8, dev::any, r | w | m}));
    EXPECT_EQ(rules[1].access, r | w | m);  // empty access means all, as absent
    EXPECT_EQ(rules[0].v1_line(), "b 8:* rwm");
    EXPECT_EQ(rules.size(), 2 + dev::default_rules().size());
    EXPECT_EQ(rules.back().v1_line(), "c 10:200 rwm");
    EXPECT_THROW(dev::effective_rules({config_rule(true, "c", -2, 0, "r")}), hull::Error);
    EXPECT_THROW(dev::effective_rules({config_rule(true, "c", 4096, 0, "r")}), hull::Error);
    EXPECT_THROW(dev::effective_rules({config_rule(true, "c", 1, 1 << 20, "r")}), hull::Error);
    EXPECT_THROW(dev::effective_rules({config_rule(true, "x", 1, 1, "r")}), hull::Error);
    // Letters other than r, w, m are ignored, as runc ignores them ("rwa" is "rw"); none of them is an error.
    EXPECT_EQ(dev::effective_rules({config_rule(true, "c", 1, 1, "rwa")})[0].access, r | w);
    EXPECT_THROW(dev::effective_rules({config_rule(true, "c", 1, 1, "xa")}), hull::Error);
}

// devices.list as the kernel shows it for the rules: from an empty list (deny-all, no exceptions)
// the transition adds each exception once, whole.
std::string list_of(const std::vector<Rule>& rules) {
    std::string list;
    for (const Rule& rule : dev::v1_transition("", rules, "devices.list")) list += rule.v1_line() + "\n";
    return list;
}

std::vector<std::string> lines_of(const std::vector<Rule>& writes) {
    std::vector<std::string> lines;
    for (const Rule& rule : writes) lines.push_back((rule.allow ? "allow " : "deny ") + rule.v1_line());
    return lines;
}

TEST(DeviceFilterV1Test, ANewCgroupUnderAnAllowAllParentStartsFromDenyAll) {
    const auto rules = dev::effective_rules({config_rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm")});
    const auto writes = lines_of(dev::v1_transition("a *:* rwm\n", rules, "devices.list"));
    ASSERT_FALSE(writes.empty());
    EXPECT_EQ(writes.front(), "deny a *:* rwm");
    EXPECT_EQ(writes.size(), 1 + dev::default_rules().size());
}

TEST(DeviceFilterV1Test, AnUpdateWritesOnlyTheDifferenceAndNeverDeniesAll) {
    const auto deny_all = config_rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm");
    const auto before = dev::effective_rules({deny_all, config_rule(true, "c", 1, 11, "w"), config_rule(true, "c", 1, 1, "rw")});
    const auto after = dev::effective_rules({deny_all, config_rule(true, "c", 1, 11, "rw"), config_rule(true, "c", 4, dev::any, "r")});
    const std::string current = list_of(before);
    EXPECT_NE(current.find("c 1:11 w\n"), std::string::npos) << current;
    const auto writes = lines_of(dev::v1_transition(current, after, "devices.list"));
    EXPECT_EQ(writes, (std::vector<std::string>{"deny c 1:1 rw", "allow c 1:11 r", "allow c 4:* r"}));
    // Already there: nothing to write.
    EXPECT_TRUE(dev::v1_transition(list_of(after), after, "devices.list").empty());
}

TEST(DeviceFilterV1Test, PartialAccessIsTakenAwayBitByBit) {
    const auto deny_all = config_rule(false, std::nullopt, std::nullopt, std::nullopt, "rwm");
    const auto target = dev::effective_rules({deny_all, config_rule(false, "c", 1, 3, "w")});
    // The defaults allow c 1:3 rwm after the config's deny, so the target keeps it whole.
    EXPECT_TRUE(lines_of(dev::v1_transition(list_of(target), target, "devices.list")).empty());
    const auto writes = lines_of(dev::v1_transition("c 1:3 rwm\nc 7:7 rwm\n", {Rule{true, 'c', 7, 7, r}}, "devices.list"));
    EXPECT_EQ(writes, (std::vector<std::string>{"deny c 1:3 rwm", "deny c 7:7 wm"}));
}

TEST(DeviceFilterV1Test, AllowAllTargetsAndWildcardHolesAndBadLists) {
    const auto allow_all = config_rule(true, std::nullopt, std::nullopt, std::nullopt, "rwm");
    // An allow-all cgroup's deny exceptions are not listed: reset to the target's default first.
    EXPECT_EQ(lines_of(dev::v1_transition("c 1:3 rwm\n", dev::effective_rules({allow_all}), "devices.list")),
              (std::vector<std::string>{"allow a *:* rwm"}));
    // v1 cannot deny one device out of a wildcard allowed before it: refused, naming both rules.
    try {
        dev::v1_transition("", {Rule{true, 'c', dev::any, dev::any, r | w}, Rule{false, 'c', 1, 3, w}}, "devices.list");
        ADD_FAILURE() << "no error";
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"c 1:3 w\" cannot take access from the rule \"c *:* rw\""), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(dev::v1_transition("c 1:x rwm\n", {}, "devices.list"), hull::Error);
    EXPECT_THROW(dev::v1_transition("c 1:3 rwq\n", {}, "devices.list"), hull::Error);
}

}  // namespace
