// The -ENOSYS stub that goes before a profile's filter (runc's idea, our code): a syscall numbered
// above every syscall the profile names is newer than the profile, so it gets ENOSYS instead of the
// default action, and libc falls back to the older call (clone3 -> clone, faccessat2 -> faccessat).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace hull::seccomp {

// The highest syscall number a profile names for one libseccomp architecture (SCMP_ARCH_*).
struct ArchLimit {
    uint32_t arch;
    uint32_t last_syscall;
};

// Classic BPF returning ENOSYS for a syscall above its architecture's limit; anything else
// (other architectures, older syscalls) falls through to the instruction after the stub.
std::vector<sock_filter> enosys_stub(const std::vector<ArchLimit>& limits);

}  // namespace hull::seccomp
