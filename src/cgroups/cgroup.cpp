// A container's cgroup directories across the unified tree and every v1 hierarchy.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "cgroups/cgroup.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull::cgroups {

namespace {

constexpr auto rmdir_retry_budget = std::chrono::milliseconds(2000);

std::vector<std::string> leaf_dirs(const Layout& layout, const std::string& path) {
    std::vector<std::string> dirs;
    if (!layout.unified_mount.empty()) dirs.push_back(layout.unified_mount + path);
    for (const auto& h : layout.v1) dirs.push_back(h.mount_point + path);
    return dirs;
}

bool is_cpuset(const Hierarchy& h) {
    return std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end();
}

// A new v1 cpuset cgroup starts with empty cpus/mems: it takes its parent's, and a parent that
// has none (a pod cgroup made without them) first takes its own parent's, up to the mount, as
// runc does; else joining the cgroup fails with ENOSPC.
std::string ensure_cpuset_file(const std::string& dir, const std::string& root, const char* file) {
    const std::string own = read_trimmed(dir + "/" + file);
    if (!own.empty() || dir.size() <= root.size()) return own;
    const std::string inherited = ensure_cpuset_file(dir.substr(0, dir.rfind('/')), root, file);
    sys::write_file(dir + "/" + file, inherited);
    return inherited;
}

void inherit_cpuset(const std::string& dir, const std::string& root) {
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) ensure_cpuset_file(dir, root, file);
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> list;
    std::stringstream stream(text);
    std::string word;
    while (stream >> word) list.push_back(word);
    return list;
}

// cgroup v2: a cgroup can only use the controllers its parent delegates. Like runc and crun, the
// parents of a container's cgroup delegate every controller they have, so that the container's
// statistics, OOM events, a later `update` and nested runtimes work without limits in the config.
// Best effort: a parent may refuse (it holds processes, a realtime task blocks cpu), and the
// controllers a config needs are checked again, with a clear error, when resources are applied.
// Only the missing ones are written, so an already delegating parent is left alone.
void delegate_controllers(const std::string& parent) {
    std::vector<std::string> available;
    std::vector<std::string> enabled;
    try {
        available = words(sys::read_file(parent + "/cgroup.controllers"));
        enabled = words(sys::read_file(parent + "/cgroup.subtree_control"));
    } catch (const Error&) {
        return;
    }
    std::vector<std::string> missing;
    for (const auto& c : available) {
        if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) missing.push_back("+" + c);
    }
    if (missing.empty()) return;
    std::string all;
    for (const auto& c : missing) all += (all.empty() ? "" : " ") + c;
    try {
        sys::write_file(parent + "/cgroup.subtree_control", all);
        return;
    } catch (const Error&) {
    }
    for (const auto& c : missing) {
        try {
            sys::write_file(parent + "/cgroup.subtree_control", c);
        } catch (const Error&) {
        }
    }
}

std::vector<pid_t> read_pids(const std::string& dir) {
    std::vector<pid_t> pids;
    std::string text;
    try {
        text = sys::read_file(dir + "/cgroup.procs");
    } catch (const Error&) {
        return pids;
    }
    std::stringstream stream(text);
    pid_t pid;
    while (stream >> pid) pids.push_back(pid);
    return pids;
}

std::vector<std::string> sub_cgroups(const std::string& dir) {
    std::vector<std::string> subs;
    DIR* stream = ::opendir(dir.c_str());
    if (stream == nullptr) return subs;
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (entry->d_type == DT_DIR && name != "." && name != "..") subs.push_back(dir + "/" + name);
    }
    ::closedir(stream);
    return subs;
}

// The container may have made cgroups below its own (a v1 cgroup has no cgroup.kill): those
// go first, deepest first, as runc's delete --force removes them.
void remove_dir(const std::string& dir) {
    for (const auto& sub : sub_cgroups(dir)) remove_dir(sub);
    const auto deadline = std::chrono::steady_clock::now() + rmdir_retry_budget;
    while (::rmdir(dir.c_str()) != 0) {
        if (errno == ENOENT) return;
        if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) throw_errno("remove cgroup " + dir);
        for (const pid_t pid : read_pids(dir)) ::kill(pid, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

std::string read_trimmed(const std::string& path) {
    std::string text = sys::read_file(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::map<std::string, uint64_t> read_keyed(const std::string& path) {
    std::map<std::string, uint64_t> values;
    std::string text;
    try {
        text = sys::read_file(path);
    } catch (const Error&) {
        return values;
    }
    std::stringstream lines(text);
    std::string key;
    uint64_t value = 0;
    while (lines >> key >> value) values[key] = value;
    return values;
}

Cgroup Cgroup::create(const Layout& layout, const std::string& path, Options options) {
    Cgroup cgroup;
    cgroup.layout_ = layout;
    cgroup.path_ = path;
    const auto make = [&](const std::string& root, bool cpuset, bool delegate) {
        std::string dir = root;
        std::stringstream parts(path);
        std::string part;
        while (std::getline(parts, part, '/')) {
            if (part.empty()) continue;
            if (delegate) delegate_controllers(dir);
            dir += "/" + part;
            if (::mkdir(dir.c_str(), 0755) == 0) {
                cgroup.created_dirs_.push_back(dir);
                if (cpuset) inherit_cpuset(dir, root);
            } else if (errno != EEXIST) {
                throw_errno("create cgroup " + dir);
            }
        }
        if (!options.populated_ok && !read_pids(dir).empty()) throw Error("cgroup " + dir + " is already in use by other processes", EBUSY);
    };
    if (!layout.unified_mount.empty()) make(layout.unified_mount, false, options.delegate);
    for (const auto& h : layout.v1) make(h.mount_point, is_cpuset(h), false);
    if (!layout.unified_mount.empty()) {
        const std::string dir = layout.unified_mount + path;
        cgroup.unified_fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!cgroup.unified_fd_) throw_errno("open cgroup " + dir);
    }
    return cgroup;
}

Cgroup Cgroup::attach(const Layout& layout, const std::string& path) {
    if (path.empty()) throw Error("the container has no cgroup (it was created rootless without one)");
    Cgroup cgroup;
    cgroup.layout_ = layout;
    cgroup.path_ = path;
    cgroup.released_ = true;
    if (!layout.unified_mount.empty()) {
        cgroup.unified_fd_.reset(::open((layout.unified_mount + path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    return cgroup;
}

Cgroup::Cgroup(Cgroup&&) noexcept = default;
Cgroup& Cgroup::operator=(Cgroup&&) noexcept = default;

Cgroup::~Cgroup() {
    if (released_) return;
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
        try {
            remove_dir(*it);
        } catch (const Error&) {
            // Best effort while unwinding a failed create.
        }
    }
}

int Cgroup::unified_fd() const noexcept { return unified_fd_.get(); }

std::string Cgroup::unified_dir() const { return layout_.unified_mount.empty() ? "" : layout_.unified_mount + path_; }

void Cgroup::add_process(pid_t pid, bool include_unified) const {
    const std::string text = std::to_string(pid);
    if (include_unified && !layout_.unified_mount.empty()) sys::write_file(layout_.unified_mount + path_ + "/cgroup.procs", text);
    for (const auto& h : layout_.v1) sys::write_file(h.mount_point + path_ + "/cgroup.procs", text);
}

std::vector<pid_t> Cgroup::pids() const {
    if (!layout_.unified_mount.empty()) {
        auto found = read_pids(layout_.unified_mount + path_);
        if (!found.empty() || layout_.v1.empty()) return found;
    }
    for (const auto& h : layout_.v1) {
        auto found = read_pids(h.mount_point + path_);
        if (!found.empty()) return found;
    }
    return {};
}

void Cgroup::signal_each(int signal) const {
    for (const pid_t pid : pids()) {
        if (::kill(pid, signal) != 0 && errno != ESRCH) throw_errno("kill " + std::to_string(pid));
    }
}

std::string Cgroup::created_top() const {
    // Per hierarchy, the shallowest created directory; the deepest of those is safe for all.
    std::string top;
    std::vector<std::string> roots;
    if (!layout_.unified_mount.empty()) roots.push_back(layout_.unified_mount);
    for (const auto& h : layout_.v1) roots.push_back(h.mount_point);
    for (const auto& root : roots) {
        std::string shallowest;
        for (const auto& dir : created_dirs_) {
            if (dir.rfind(root + "/", 0) != 0) continue;
            const std::string relative = dir.substr(root.size());
            if (path_ != relative && path_.rfind(relative + "/", 0) != 0) continue;
            if (shallowest.empty() || relative.size() < shallowest.size()) shallowest = relative;
        }
        if (shallowest.empty()) return "";
        if (shallowest.size() > top.size()) top = shallowest;
    }
    return top;
}

void Cgroup::destroy(const std::string& created_top) {
    if (!layout_.unified_mount.empty()) {
        const std::string kill_file = layout_.unified_mount + path_ + "/cgroup.kill";
        if (::access(kill_file.c_str(), W_OK) == 0 && !read_pids(layout_.unified_mount + path_).empty()) {
            sys::write_file(kill_file, "1");
        }
    }
    for (const auto& dir : leaf_dirs(layout_, path_)) {
        for (const pid_t pid : read_pids(dir)) ::kill(pid, SIGKILL);
    }
    for (const auto& dir : leaf_dirs(layout_, path_)) remove_dir(dir);
    // Parents hull created for this container's cgroupsPath, deepest first, while empty.
    if (!created_top.empty() && created_top != path_ && path_.rfind(created_top + "/", 0) == 0) {
        std::string parent = path_.substr(0, path_.rfind('/'));
        while (parent.size() >= created_top.size()) {
            bool removed_all = true;
            for (const auto& dir : leaf_dirs(layout_, parent)) {
                if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) removed_all = false;
            }
            if (!removed_all) break;  // another cgroup lives there now
            parent = parent.substr(0, parent.rfind('/'));
        }
    }
    // hull's own parent of default paths goes when the last container leaves it; parents of a
    // configured cgroupsPath belong to whoever chose it.
    if (path_.rfind("/hull/", 0) == 0 && path_.find('/', 6) == std::string::npos) {
        for (const auto& root : leaf_dirs(layout_, "/hull")) ::rmdir(root.c_str());
    }
    released_ = true;
}

void Cgroup::release() noexcept { released_ = true; }

}  // namespace hull::cgroups
