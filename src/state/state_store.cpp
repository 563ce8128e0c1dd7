#include "hull/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull {

namespace {

constexpr size_t max_id_length = 255;
constexpr const char* record_name = "state.json";
constexpr const char* config_name = "config.json";

void make_dirs(const std::string& path, mode_t mode) {
    std::string partial;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        partial = path.substr(0, pos);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + partial);
    }
}

void lock_exclusive(int fd, const std::string& path) {
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) throw_errno("lock " + path);
    }
}

void remove_tree_at(int parent_fd, const std::string& name) {
    UniqueFd dir(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir) {
        DIR* stream = ::fdopendir(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (stream != nullptr) {
            std::vector<std::pair<std::string, bool>> entries;
            while (const dirent* entry = ::readdir(stream)) {
                const std::string child = entry->d_name;
                if (child == "." || child == "..") continue;
                entries.emplace_back(child, entry->d_type == DT_DIR);
            }
            ::closedir(stream);
            for (const auto& [child, is_dir] : entries) {
                if (is_dir) {
                    remove_tree_at(dir.get(), child);
                } else {
                    ::unlinkat(dir.get(), child.c_str(), 0);
                }
            }
        }
    }
    if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        throw_errno("remove " + name);
    }
}

}  // namespace

void validate_container_id(const std::string& id) {
    if (id.empty()) throw Error("invalid container id: must not be empty");
    if (id.size() > max_id_length) {
        throw Error("invalid container id \"" + id.substr(0, 32) + "...\": longer than " +
                    std::to_string(max_id_length) + " characters");
    }
    if (id == "." || id == "..") throw Error("invalid container id \"" + id + "\"");
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '+' || c == '-' || c == '.';
        if (!ok) {
            throw Error("invalid container id \"" + id +
                        "\": only letters, digits and _ + - . are allowed");
        }
    }
}

std::string default_state_root() {
    const uid_t euid = ::geteuid();
    if (!sys::unprivileged()) return "/run/hull";
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
        return std::string(xdg) + "/hull";
    }
    return "/run/user/" + std::to_string(euid) + "/hull";
}

// ------------------------------------------------------------------ ContainerDir

ContainerDir::ContainerDir(std::string id, std::string path, UniqueFd dir, bool remove_on_destroy)
    : id_(std::move(id)), path_(std::move(path)), dir_(std::move(dir)), remove_on_destroy_(remove_on_destroy) {}

ContainerDir::~ContainerDir() {
    if (remove_on_destroy_ && dir_) {
        try {
            remove();
        } catch (const Error&) {
            // Best effort: the verb's own error is what the caller reports.
        }
    }
}

ContainerRecord ContainerDir::load() const {
    const auto doc = parse_at(record_name);
    ContainerRecord record;
    try {
        record.id = doc.at("id").get<std::string>();
        record.pid = doc.at("pid").get<pid_t>();
        record.pid_start_time = doc.at("pid_start_time").get<uint64_t>();
        record.bundle = doc.at("bundle").get<std::string>();
        record.rootfs = doc.at("rootfs").get<std::string>();
        record.created = doc.at("created").get<std::string>();
        record.cgroup_path = doc.at("cgroup_path").get<std::string>();
        record.cgroup_created_top = doc.value("cgroup_created_top", std::string());
        record.cgroup_driver = doc.value("cgroup_driver", std::string(record.cgroup_path.empty() ? "none" : "cgroupfs"));
        record.owner = doc.at("owner").get<uid_t>();
        // A record from before the split has no annotations of its own: its config has them.
        const auto& annotations = doc.contains("annotations") ? doc.at("annotations") : doc.at("config").value("annotations", oci::Json::object());
        record.annotations = annotations.get<oci::StringMap>();
        record.creating = doc.value("creating", false);
    } catch (const oci::Json::exception& e) {
        throw Error(path_ + "/" + record_name + ": corrupt state: " + e.what());
    }
    return record;
}

void ContainerDir::save(const ContainerRecord& record) const {
    oci::Json doc = {
        {"id", record.id},           {"pid", record.pid},
        {"pid_start_time", record.pid_start_time},
        {"bundle", record.bundle},   {"rootfs", record.rootfs},
        {"created", record.created}, {"cgroup_path", record.cgroup_path},
        {"cgroup_created_top", record.cgroup_created_top}, {"cgroup_driver", record.cgroup_driver},
        {"owner", record.owner},     {"annotations", record.annotations},
    };
    if (record.creating) doc["creating"] = true;
    write_at(record_name, doc.dump());
}

oci::Json ContainerDir::load_config() const {
    struct stat st {};
    if (::fstatat(dir_.get(), config_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) throw_errno("stat " + path_ + "/" + config_name);
        const auto doc = parse_at(record_name);
        if (!doc.contains("config")) throw Error(path_ + "/" + config_name + ": missing (and " + record_name + " has no config)");
        return doc.at("config");
    }
    return parse_at(config_name);
}

void ContainerDir::save_config(const oci::Json& config) const { write_at(config_name, config.dump()); }

oci::Json ContainerDir::parse_at(const char* name) const {
    const std::string text = sys::read_file_at(dir_.get(), name);
    try {
        return oci::Json::parse(text);
    } catch (const oci::Json::exception& e) {
        throw Error(path_ + "/" + name + ": corrupt state: " + e.what());
    }
}

void ContainerDir::write_at(const char* name, const std::string& text) const {
    sys::write_file_atomic(dir_.get(), name, text, 0600, path_ + "/" + name);
}

void ContainerDir::make_exec_fifo() const {
    // 0622: the container process may have dropped to any uid before it opens the fifo.
    if (::mkfifoat(dir_.get(), exec_fifo_name, 0622) != 0) throw_errno("mkfifo " + path_ + "/" + exec_fifo_name);
    ::fchmodat(dir_.get(), exec_fifo_name, 0622, 0);
}

bool ContainerDir::has_exec_fifo() const {
    struct stat st {};
    return ::fstatat(dir_.get(), exec_fifo_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode);
}

void ContainerDir::remove_exec_fifo() const {
    if (::unlinkat(dir_.get(), exec_fifo_name, 0) != 0 && errno != ENOENT) {
        throw_errno("remove " + path_ + "/" + exec_fifo_name);
    }
}

void ContainerDir::remove() {
    const auto slash = path_.rfind('/');
    const std::string parent = path_.substr(0, slash == 0 ? 1 : slash);
    UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent_fd) throw_errno("open " + parent);
    remove_tree_at(parent_fd.get(), id_);
    remove_on_destroy_ = false;
}

// ------------------------------------------------------------------ StateStore

StateStore::StateStore(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd_ && errno == ENOENT) {
        make_dirs(root_, 0700);
        root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    if (!root_fd_) throw_errno("open state root " + root_);
}

ContainerDir StateStore::reserve(const std::string& id) const {
    validate_container_id(id);
    if (::mkdirat(root_fd_.get(), id.c_str(), 0711) != 0) {
        if (errno == EEXIST) throw Error("container with given ID already exists: " + id, EEXIST);
        throw_errno("mkdir " + root_ + "/" + id);
    }
    const std::string path = root_ + "/" + id;
    UniqueFd dir(::openat(root_fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) {
        const int err = errno;
        ::unlinkat(root_fd_.get(), id.c_str(), AT_REMOVEDIR);
        throw_errno("open " + path, err);
    }
    ContainerDir container(id, path, std::move(dir), true);
    lock_exclusive(container.fd(), path);
    return container;
}

ContainerDir StateStore::open(const std::string& id) const {
    validate_container_id(id);
    const std::string path = root_ + "/" + id;
    UniqueFd dir(::openat(root_fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) {
        if (errno == ENOENT) throw Error("container \"" + id + "\" does not exist", ENOENT);
        throw_errno("open " + path);
    }
    lock_exclusive(dir.get(), path);
    // A concurrent delete may have removed it while we waited for the lock.
    struct stat st {};
    if (::fstatat(dir.get(), record_name, &st, 0) != 0) {
        throw Error("container \"" + id + "\" does not exist", ENOENT);
    }
    return ContainerDir(id, path, std::move(dir), false);
}

bool StateStore::remove_abandoned(const std::string& id) const {
    validate_container_id(id);
    const std::string path = root_ + "/" + id;
    UniqueFd dir(::openat(root_fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) {
        if (errno == ENOENT) return false;
        throw_errno("open " + path);
    }
    // Under the lock a create in progress has finished (or died): a state.json means it made it.
    lock_exclusive(dir.get(), path);
    struct stat st {};
    if (::fstatat(dir.get(), record_name, &st, AT_SYMLINK_NOFOLLOW) == 0) return false;
    if (errno != ENOENT) throw_errno("stat " + path + "/" + record_name);
    remove_tree_at(root_fd_.get(), id);
    return true;
}

std::vector<std::string> StateStore::list() const {
    std::vector<std::string> ids;
    DIR* stream = ::fdopendir(::openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (stream == nullptr) throw_errno("read " + root_);
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (name == "." || name == ".." || entry->d_type != DT_DIR) continue;
        ids.push_back(name);
    }
    ::closedir(stream);
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace hull
