#include <sys/resource.h>

#include <array>
#include <utility>

#include "hull/error.hpp"
#include "process/process.hpp"

namespace hull::process {

namespace {

constexpr std::array<std::pair<const char*, int>, 16> rlimit_numbers{{
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

}  // namespace

void apply_rlimits(const std::vector<oci::POSIXRlimit>& rlimits) {
    for (size_t i = 0; i < rlimits.size(); ++i) {
        const auto& limit = rlimits[i];
        int resource = -1;
        for (const auto& [name, number] : rlimit_numbers) {
            if (limit.type == name) resource = number;
        }
        const std::string field = "process.rlimits[" + std::to_string(i) + "] " + limit.type;
        if (resource < 0) throw Error(field + ": unknown rlimit");
        const rlimit value{static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard)};
        if (::setrlimit(static_cast<__rlimit_resource>(resource), &value) != 0) {
            throw_errno(field + ": setrlimit soft " + std::to_string(limit.soft) + " hard " + std::to_string(limit.hard));
        }
    }
}

}  // namespace hull::process
