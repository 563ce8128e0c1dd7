#include "checkpoint/criu.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <fstream>

#include "common/mountinfo.hpp"
#include "hull/error.hpp"
#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"
#include "oci/version.hpp"
#include "rootfs/bind.hpp"
#include "rootfs/mount_options.hpp"

namespace hull::criu {

namespace {

std::optional<std::string> criu_path() {
    const char* search = std::getenv("PATH");
    return sys::find_in_path("criu", search != nullptr ? std::string(search) : std::string(oci::default_path));
}

std::string last_line(const std::string& text) {
    std::string trimmed = text.substr(0, text.find_last_not_of("\n ") + 1);
    return trimmed.substr(trimmed.find_last_of('\n') + 1);
}

void add_common(std::vector<std::string>& args, const std::string& images_dir, const std::string& work_dir,
                const CriuOptions& flags) {
    args.insert(args.end(), {"--images-dir", images_dir, "--work-dir", work_dir.empty() ? images_dir : work_dir});
    if (flags.tcp_established) args.emplace_back("--tcp-established");
    if (flags.ext_unix_sk) args.emplace_back("--ext-unix-sk");
    if (flags.shell_job) args.emplace_back("--shell-job");
    if (flags.file_locks) args.emplace_back("--file-locks");
    if (flags.auto_dedup) args.emplace_back("--auto-dedup");
    if (!flags.manage_cgroups_mode.empty()) args.emplace_back("--manage-cgroups=" + flags.manage_cgroups_mode);
    // runc's name is criu's "net" (check_flags allows no other).
    for (const auto& ns : flags.empty_ns) args.insert(args.end(), {"--empty-ns", ns == "network" ? "net" : ns});
}

}  // namespace

Support probe() {
    Support support;
    const auto path = criu_path();
    if (!path) {
        support.reason = "criu is not installed (not found in PATH)";
        return support;
    }
    sys::Command version;
    version.path = *path;
    version.argv = {*path, "--version"};
    version.stderr_to = sys::Stderr::WithStdout;
    version.timeout = std::chrono::seconds(10);
    const sys::Outcome v = sys::run(version);
    if (const size_t at = v.out.find("Version: "); at != std::string::npos) {
        support.version = v.out.substr(at + 9, v.out.find('\n', at) - at - 9);
    }
    sys::Command check = version;
    check.argv = {*path, "check"};
    check.timeout = std::chrono::seconds(30);
    const sys::Outcome c = sys::run(check);
    if (c.succeeded()) {
        support.available = true;
        return support;
    }
    // criu prints the failed checks ("Error (criu/vdso.c:...): ...") before its verdict.
    std::string failed;
    size_t start = 0;
    while (start < c.out.size()) {
        const size_t end = c.out.find('\n', start);
        const std::string line = c.out.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (failed.empty() && line.rfind("Error", 0) == 0) failed = line;
        start = end == std::string::npos ? c.out.size() : end + 1;
    }
    if (failed.empty()) failed = last_line(c.out);
    support.reason = "criu check failed (" + c.describe(check) + ")" + (failed.empty() ? "" : ": " + failed);
    return support;
}

void require(std::string_view verb) {
    const Support support = probe();
    if (!support.available) throw Error(std::string(verb) + ": checkpoint/restore is not available here: " + support.reason);
}

std::string executable(std::string_view verb) {
    const auto path = criu_path();
    if (!path) throw Error(std::string(verb) + ": criu is not installed (not found in PATH)", ENOENT);
    return *path;
}

void check_flags(std::string_view verb, const CriuOptions& options) {
    const std::string v(verb);
    const std::string& cgroups_mode = options.manage_cgroups_mode;
    if (options.lazy_pages) throw Error(v + " --lazy-pages: not supported by hull (it does not drive criu's lazy-pages daemon)", EINVAL);
    static constexpr std::array<std::string_view, 4> modes{"soft", "full", "strict", "ignore"};
    bool known = cgroups_mode.empty();
    for (const auto mode : modes) known = known || mode == cgroups_mode;
    if (!known) throw Error(v + " --manage-cgroups-mode " + cgroups_mode + ": not one of soft, full, strict, ignore", EINVAL);
    for (const auto& ns : options.empty_ns) {
        if (ns != "network") throw Error(v + " --empty-ns " + ns + ": only network can be left empty", EINVAL);
    }
}

std::string ExternalNamespace::key() const {
    std::string name = kind;
    if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    return "extRoot" + name + "NS";
}

std::vector<std::string> dump_args(const DumpPlan& plan) {
    std::vector<std::string> args{"criu", plan.pre_dump ? "pre-dump" : "dump", "--tree", std::to_string(plan.pid)};
    add_common(args, plan.images_dir, plan.work_dir, plan.flags);
    args.insert(args.end(), {"--log-file", plan.pre_dump ? "pre-dump.log" : "dump.log", "-v4", "--root", plan.root});
    if (!plan.parent_dir.empty()) args.insert(args.end(), {"--prev-images-dir", plan.parent_dir});
    // Memory tracking makes the next dump after this one incremental.
    if (plan.pre_dump || !plan.parent_dir.empty()) args.emplace_back("--track-mem");
    if (plan.leave_running && !plan.pre_dump) args.emplace_back("--leave-running");
    if (!plan.freeze_cgroup.empty()) args.insert(args.end(), {"--freeze-cgroup", plan.freeze_cgroup});
    for (const auto& m : plan.external_mounts) args.insert(args.end(), {"--external", "mnt[" + m + "]:" + m});
    for (const auto& key : plan.external_files) args.insert(args.end(), {"--external", key});
    for (const auto& ns : plan.external_namespaces) {
        args.insert(args.end(), {"--external", ns.kind + "[" + std::to_string(ns.inode) + "]:" + ns.key()});
    }
    return args;
}

std::vector<std::string> restore_args(const RestorePlan& plan) {
    std::vector<std::string> args{"criu", "restore"};
    add_common(args, plan.images_dir, plan.work_dir, plan.flags);
    args.insert(args.end(), {"--log-file", "restore.log", "-v4", "--root", plan.root, "--restore-detached",
                             "--restore-sibling", "--pidfile", plan.pid_file});
    if (!plan.cgroup_root.empty()) args.insert(args.end(), {"--cgroup-root", plan.cgroup_root});
    for (const auto& [key, source] : plan.external_mounts) args.insert(args.end(), {"--external", "mnt[" + key + "]:" + source});
    for (const auto& [fd, key] : plan.inherit_fds) args.insert(args.end(), {"--inherit-fd", "fd[" + std::to_string(fd) + "]:" + key});
    return args;
}

std::vector<int> mount_ids(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/mountinfo");
    if (!in) throw_errno("open /proc/" + std::to_string(pid) + "/mountinfo");
    std::vector<int> ids;
    std::string line;
    while (std::getline(in, line)) ids.push_back(std::atoi(line.c_str()));
    return ids;
}

std::string stdio_key(pid_t pid, int fd, const std::vector<int>& container_mounts) {
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string link = proc + "/fd/" + std::to_string(fd);
    char target[PATH_MAX];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) return {};
    const std::string path(target, static_cast<size_t>(n));
    if (path.rfind("pipe:", 0) == 0) return path;
    if (path.empty() || path[0] != '/') return {};  // sockets, anonymous inodes: criu's business
    struct stat target_stat {};
    if (::stat(link.c_str(), &target_stat) != 0) return {};
    // A pty slave (Unix98: majors 136-143) whose master the console socket's receiver holds.
    if (S_ISCHR(target_stat.st_mode) && major(target_stat.st_rdev) >= 136 && major(target_stat.st_rdev) <= 143) {
        char text[64];
        std::snprintf(text, sizeof text, "tty[%llx:%llx]", static_cast<unsigned long long>(target_stat.st_rdev),
                      static_cast<unsigned long long>(target_stat.st_dev));
        return text;
    }
    std::ifstream fdinfo(proc + "/fdinfo/" + std::to_string(fd));
    std::string key;
    int mnt_id = -1;
    while (fdinfo >> key) {
        if (key == "mnt_id:") fdinfo >> mnt_id;
    }
    for (const int id : container_mounts) {
        if (id == mnt_id) return {};
    }
    struct stat st {};
    if (mnt_id < 0 || ::stat(link.c_str(), &st) != 0) return {};
    char text[64];
    std::snprintf(text, sizeof text, "file[%x:%llx]", static_cast<unsigned>(mnt_id), static_cast<unsigned long long>(st.st_ino));
    return text;
}

std::vector<std::string> cgroup_bind_points(pid_t pid) {
    std::vector<std::string> points;
    for (const auto& m : sys::parse_mountinfo(sys::read_file("/proc/" + std::to_string(pid) + "/mountinfo"))) {
        if ((m.fstype == "cgroup" || m.fstype == "cgroup2") && m.root != "/") points.push_back(m.mount_point);
    }
    return points;
}

std::string cgroup_bind_source(const std::string& mount_point, const std::string& unified_mount,
                               const std::vector<std::string>& v1_mounts, const std::string& cgroup_path) {
    const std::string name = mount_point.substr(mount_point.find_last_of('/') + 1);
    for (const auto& v1 : v1_mounts) {
        if (v1.substr(v1.find_last_of('/') + 1) == name) return v1 + cgroup_path;
    }
    return unified_mount + cgroup_path;
}

std::vector<std::string> external_mount_points(const oci::Spec& spec) {
    std::vector<std::string> points;
    for (const auto& m : spec.mounts) {
        if (rootfs::is_bind(m, rootfs::parse_mount_options(m.options))) points.push_back(m.destination);
    }
    return points;
}

std::vector<std::pair<std::string, std::string>> external_mount_sources(const oci::Spec& spec, const std::string& bundle) {
    std::vector<std::pair<std::string, std::string>> sources;
    for (const auto& m : spec.mounts) {
        if (rootfs::is_bind(m, rootfs::parse_mount_options(m.options))) sources.emplace_back(m.destination, rootfs::bind_source(m, bundle));
    }
    return sources;
}

void run(const sys::Command& command, const std::string& images_dir, const std::string& work_dir, const std::string& what) {
    const sys::Outcome outcome = sys::run(command);
    if (outcome.succeeded()) return;
    const auto& args = command.argv;
    const auto name = std::find(args.begin(), args.end(), "--log-file");
    const std::string log = (work_dir.empty() ? images_dir : work_dir) + "/" + (name + 1 < args.end() ? *(name + 1) : "");
    const std::string said = log_tail(log);
    throw Error(what + ": criu " + args.at(1) + " failed (" + outcome.describe(command) + ")" + (said.empty() ? "" : ": " + said) +
                " (log: " + log + ")");
}

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) throw_errno("getcwd");
    return std::string(cwd) + "/" + path;
}

std::string log_tail(const std::string& path, size_t lines) {
    std::ifstream in(path);
    std::vector<std::string> kept;
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("Error") == std::string::npos && line.find("error") == std::string::npos) continue;
        kept.push_back(line);
        if (kept.size() > lines) kept.erase(kept.begin());
    }
    std::string text;
    for (const auto& l : kept) text += (text.empty() ? "" : " | ") + l;
    return text;
}

}  // namespace hull::criu
