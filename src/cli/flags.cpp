#include "flags.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <utility>

#include "hull/error.hpp"

namespace hull::cli {

namespace {

constexpr std::array<std::pair<const char*, int>, 31> signal_names{{
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},       {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},       {"KILL", SIGKILL},
    {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},   {"IO", SIGIO},
    {"SYS", SIGSYS},
}};


}  // namespace

int parse_signal(const std::string& text) {
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
        char* end = nullptr;
        const long value = std::strtol(text.c_str(), &end, 10);
        // 0 checks that the container's process is alive, as `kill -0` does.
        // runc passes any number to kill(2) and reports its EINVAL; hull checks first, in runc's words.
        if (*end != '\0' || value < 0 || value >= NSIG) {
            throw Error("unable to signal init: invalid argument (signal \"" + text + "\": signals are 0 to " +
                        std::to_string(NSIG - 1) + ")");
        }
        return static_cast<int>(value);
    }
    std::string name = text;
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    for (const auto& [candidate, number] : signal_names) {
        if (name == candidate) return number;
    }
    if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
        const bool from_min = name.rfind("RTMIN", 0) == 0;
        const std::string rest = name.substr(5);
        int offset = 0;
        if (!rest.empty()) {
            if ((rest[0] != '+' && rest[0] != '-') || rest.size() < 2) throw Error("unknown signal \"" + text + "\"");
            offset = std::stoi(rest);
        }
        const int number = (from_min ? SIGRTMIN : SIGRTMAX) + offset;
        if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
    }
    throw Error("unknown signal \"" + text + "\"");
}


namespace {

uint32_t parse_id(const std::string& text, const char* what) {
    char* end = nullptr;
    const unsigned long value = std::strtoul(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value > 0xFFFFFFFFul || text[0] == '-') {
        throw Error(std::string("--user: invalid ") + what + " \"" + text + "\" (numeric UID[:GID] expected)");
    }
    return static_cast<uint32_t>(value);
}

}  // namespace

ExecUser parse_user(const std::string& text) {
    const auto colon = text.find(':');
    ExecUser user;
    user.uid = parse_id(text.substr(0, colon), "uid");
    user.gid = colon == std::string::npos ? 0 : parse_id(text.substr(colon + 1), "gid");
    return user;
}

void check_env_entry(const std::string& entry) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--env \"" + entry + "\": expected KEY=VALUE");
}

void check_sub_cgroup(const std::string& path) {
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        if (path.compare(start, end - start, "..") == 0) throw Error("--cgroup \"" + path + "\": invalid path (\"..\")");
        start = end + 1;
    }
    if (!path.empty() && path.front() == '/') throw Error("--cgroup \"" + path + "\": must be relative to the container's cgroup");
}

}  // namespace hull::cli
