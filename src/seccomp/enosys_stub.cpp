#include "seccomp/enosys_stub.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>

#include "hull/error.hpp"

namespace hull::seccomp {

namespace {

// x32 shares AUDIT_ARCH_X86_64 with x86_64; its syscall numbers carry this bit.
constexpr uint32_t x32_syscall_bit = 0x40000000;

// A straight-line BPF program whose jumps name labels, resolved once every label is placed.
class Program {
public:
    using Label = size_t;
    static constexpr Label next = std::numeric_limits<Label>::max();  // the following instruction

    Label new_label() {
        labels_.push_back(unplaced);
        return labels_.size() - 1;
    }
    void place(Label label) { labels_.at(label) = code_.size(); }
    void load(uint32_t offset) { code_.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
    void ret(uint32_t value) { code_.push_back(BPF_STMT(BPF_RET | BPF_K, value)); }
    void jump(Label to) {
        jumps_.push_back({code_.size(), to, next});
        code_.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));
    }
    // if (A <op> k) goto if_true else goto if_false
    void branch(uint16_t op, uint32_t k, Label if_true, Label if_false) {
        jumps_.push_back({code_.size(), if_true, if_false});
        code_.push_back(BPF_JUMP(static_cast<uint16_t>(BPF_JMP | op | BPF_K), k, 0, 0));
    }

    std::vector<sock_filter> finish() {
        for (const auto& [at, if_true, if_false] : jumps_) {
            sock_filter& insn = code_[at];
            if (BPF_OP(insn.code) == BPF_JA) {
                insn.k = static_cast<uint32_t>(offset(at, if_true));
                continue;
            }
            insn.jt = short_offset(at, if_true);
            insn.jf = short_offset(at, if_false);
        }
        return std::move(code_);
    }

private:
    static constexpr size_t unplaced = std::numeric_limits<size_t>::max();
    struct Jump {
        size_t at;
        Label if_true;
        Label if_false;
    };

    size_t offset(size_t at, Label to) const {
        if (to == next) return 0;
        const size_t target = labels_.at(to);
        if (target == unplaced || target <= at) throw Error("seccomp ENOSYS stub: bad jump (internal error)");
        return target - at - 1;
    }
    uint8_t short_offset(size_t at, Label to) const {
        const size_t jump = offset(at, to);
        if (jump > std::numeric_limits<uint8_t>::max()) throw Error("seccomp ENOSYS stub: jump too long (internal error)");
        return static_cast<uint8_t>(jump);
    }

    std::vector<sock_filter> code_;
    std::vector<Jump> jumps_;
    std::vector<size_t> labels_;
};

// What one AUDIT_ARCH_* value of the kernel covers: x86_64 has a second syscall table, x32.
struct KernelArch {
    std::optional<uint32_t> last_syscall;
    std::optional<uint32_t> last_x32_syscall;
    bool s390 = false;
};

}  // namespace

std::vector<sock_filter> enosys_stub(const std::vector<ArchLimit>& limits) {
    std::map<uint32_t, KernelArch> kernel_arches;
    for (const auto& [arch, last] : limits) {
        // libseccomp's SCMP_ARCH_* are the kernel's AUDIT_ARCH_* values, but for x32.
        if (arch == SCMP_ARCH_X32) {
            auto& x86_64 = kernel_arches[AUDIT_ARCH_X86_64];
            x86_64.last_x32_syscall = std::max(x86_64.last_x32_syscall.value_or(0), last | x32_syscall_bit);
            continue;
        }
        auto& kernel_arch = kernel_arches[arch];
        kernel_arch.last_syscall = std::max(kernel_arch.last_syscall.value_or(0), last);
        kernel_arch.s390 = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X;
    }

    Program program;
    const Program::Label enosys = program.new_label();
    const Program::Label filter = program.new_label();
    const auto check_limit = [&](const std::optional<uint32_t>& last) {
        if (last) {
            program.branch(BPF_JGT, *last, enosys, filter);
        } else {
            program.jump(filter);
        }
    };
    std::map<uint32_t, Program::Label> sections;
    program.load(offsetof(seccomp_data, arch));
    for (const auto& entry : kernel_arches) {
        sections[entry.first] = program.new_label();
        program.branch(BPF_JEQ, entry.first, sections[entry.first], Program::next);
    }
    program.jump(filter);
    for (const auto& [audit_arch, kernel_arch] : kernel_arches) {
        program.place(sections[audit_arch]);
        program.load(offsetof(seccomp_data, nr));
        if (audit_arch == AUDIT_ARCH_X86_64) {
            const Program::Label x32 = program.new_label();
            program.branch(BPF_JSET, x32_syscall_bit, x32, Program::next);
            check_limit(kernel_arch.last_syscall);
            program.place(x32);
            check_limit(kernel_arch.last_x32_syscall);
            continue;
        }
        // On s390 a number the kernel does not know reaches us as 0, the multiplexer (setup(2),
        // long gone).
        if (kernel_arch.s390) program.branch(BPF_JEQ, 0, enosys, Program::next);
        check_limit(kernel_arch.last_syscall);
    }
    program.place(enosys);
    program.ret(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    program.place(filter);
    return program.finish();
}

}  // namespace hull::seccomp
