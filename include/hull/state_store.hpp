// Where containers live: <root>/<id>/ holds hull's record (state.json: the few fields `state` and
// `list` need, so their cost does not depend on the size of the config), the config as validated
// at create (config.json) and the exec fifo.
// IDs are reserved atomically (mkdir), records are written atomically (temp + rename), and a
// verb holds an exclusive flock on the container directory while it works on it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull {

// Throws unless id is 1..255 characters of [A-Za-z0-9_+.-] and not "." or "..".
void validate_container_id(const std::string& id);

// /run/hull for root; $XDG_RUNTIME_DIR/hull (else /run/user/<euid>/hull) otherwise.
std::string default_state_root();

// What hull persists about a container.
struct ContainerRecord {
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // detects pid reuse
    std::string bundle;           // absolute
    std::string rootfs;           // absolute
    std::string created;          // RFC3339
    std::string cgroup_path;
    std::string cgroup_created_top;  // the shallowest parent of cgroup_path hull created ("" none)
    std::string cgroup_driver = "none";  // cgroups::driver_name: who manages the cgroup
    uid_t owner = 0;
    oci::StringMap annotations;  // the config's, for the state document
    // Written while `create` runs (it holds the lock throughout): a record still marked creating
    // that another verb can lock belongs to a create that died; delete cleans it up.
    bool creating = false;
};

class ContainerDir {
public:
    ContainerDir(ContainerDir&&) noexcept = default;
    ContainerDir& operator=(ContainerDir&&) noexcept = default;
    ~ContainerDir();

    const std::string& id() const noexcept { return id_; }
    const std::string& path() const noexcept { return path_; }
    int fd() const noexcept { return dir_.get(); }

    ContainerRecord load() const;
    void save(const ContainerRecord& record) const;
    // The config as validated at create. A record written before the config had a file of its
    // own carries it inside state.json: read from there until save_config moves it out.
    oci::Json load_config() const;
    // Written before the first save(): a record that exists has its config.
    void save_config(const oci::Json& config) const;

    static constexpr const char* exec_fifo_name = "exec.fifo";
    // Creates the fifo the container init blocks on until `start`.
    void make_exec_fifo() const;
    bool has_exec_fifo() const;
    void remove_exec_fifo() const;

    // Deletes the directory and everything in it.
    void remove();
    // A reserved directory is removed on destruction unless committed.
    void commit() noexcept { remove_on_destroy_ = false; }

private:
    friend class StateStore;
    ContainerDir(std::string id, std::string path, UniqueFd dir, bool remove_on_destroy);
    oci::Json parse_at(const char* name) const;
    void write_at(const char* name, const std::string& text) const;
    std::string id_;
    std::string path_;
    UniqueFd dir_;
    bool remove_on_destroy_ = false;
};

class StateStore {
public:
    // Creates the root directory (0700) when missing.
    explicit StateStore(std::string root);

    // Atomically claims the id; error "container \"x\" already exists". Locked.
    ContainerDir reserve(const std::string& id) const;
    // Opens and locks an existing container; error "container \"x\" does not exist".
    ContainerDir open(const std::string& id) const;
    // Removes the directory of a create that died before saving its state (no state.json; runc
    // does the same on delete). Returns false when there is no such directory or it has a state.
    bool remove_abandoned(const std::string& id) const;
    // IDs of every container under the root.
    std::vector<std::string> list() const;

    const std::string& root() const noexcept { return root_; }

private:
    std::string root_;
    UniqueFd root_fd_;
};

}  // namespace hull
