// Process attributes outside credentials: oom score, scheduling, io priority, personality, fds.
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "common/procfs.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "process/process.hpp"

namespace hull::process {

void apply_oom_score_adj(int value) {
    procfs::Handle::open("process.oomScoreAdj").write("self/oom_score_adj", std::to_string(value), "process.oomScoreAdj");
}

namespace {

// struct sched_attr of sched_setattr(2); glibc 2.36 does not declare it.
struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int policy_number(const std::string& policy) {
    if (policy == "SCHED_OTHER") return SCHED_OTHER;
    if (policy == "SCHED_FIFO") return SCHED_FIFO;
    if (policy == "SCHED_RR") return SCHED_RR;
    if (policy == "SCHED_BATCH") return SCHED_BATCH;
    if (policy == "SCHED_IDLE") return SCHED_IDLE;
    if (policy == "SCHED_DEADLINE") return SCHED_DEADLINE;
    throw Error("process.scheduler.policy: \"" + policy + "\" is not supported by this kernel");
}

uint64_t scheduler_flag(const std::string& flag) {
    if (flag == "SCHED_FLAG_RESET_ON_FORK") return 0x01;
    if (flag == "SCHED_FLAG_RECLAIM") return 0x02;
    if (flag == "SCHED_FLAG_DL_OVERRUN") return 0x04;
    if (flag == "SCHED_FLAG_KEEP_POLICY") return 0x08;
    if (flag == "SCHED_FLAG_KEEP_PARAMS") return 0x10;
    if (flag == "SCHED_FLAG_UTIL_CLAMP_MIN") return 0x20;
    if (flag == "SCHED_FLAG_UTIL_CLAMP_MAX") return 0x40;
    throw Error("process.scheduler.flags: unknown flag \"" + flag + "\"");
}

}  // namespace

void apply_scheduler(const oci::LinuxSchedulerAttr& scheduler) {
    sched_attr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = static_cast<uint32_t>(policy_number(scheduler.policy));
    for (const auto& flag : scheduler.flags) attr.sched_flags |= scheduler_flag(flag);
    attr.sched_nice = scheduler.nice.value_or(0);
    attr.sched_priority = static_cast<uint32_t>(scheduler.priority.value_or(0));
    attr.sched_runtime = scheduler.runtime.value_or(0);
    attr.sched_deadline = scheduler.deadline.value_or(0);
    attr.sched_period = scheduler.period.value_or(0);
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) throw_errno("process.scheduler: sched_setattr " + scheduler.policy);
}

void apply_io_priority(const oci::LinuxIOPriority& priority) {
    constexpr int ioprio_who_process = 1;
    constexpr int ioprio_class_shift = 13;
    int io_class = 0;
    if (priority.ioClass == "IOPRIO_CLASS_RT") io_class = 1;
    else if (priority.ioClass == "IOPRIO_CLASS_BE") io_class = 2;
    else if (priority.ioClass == "IOPRIO_CLASS_IDLE") io_class = 3;
    else throw Error("process.ioPriority.class: unknown class \"" + priority.ioClass + "\"");
    const int value = (io_class << ioprio_class_shift) | priority.priority;
    if (::syscall(SYS_ioprio_set, ioprio_who_process, 0, value) != 0) throw_errno("process.ioPriority: ioprio_set");
}

void check_personality(const oci::LinuxPersonality& personality) {
    // runtime-spec lists no flag values yet; whatever is given cannot be applied.
    if (!personality.flags.empty()) {
        throw Error("linux.personality.flags: \"" + personality.flags.front() + "\" is not supported (no flags are)");
    }
}

void apply_personality(const oci::LinuxPersonality& personality) {
    check_personality(personality);
    const unsigned long persona = personality.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
    if (::personality(persona) < 0) throw_errno("linux.personality: personality " + personality.domain);
}

void close_fds_from(int first) {
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) throw_errno("open /proc/self/fd");
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        const int fd = std::atoi(entry->d_name);
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9' || fd < first || fd == own) continue;
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::closedir(dir);
}

}  // namespace hull::process
