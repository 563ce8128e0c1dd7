#include "attachments.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

#include "hull/fd.hpp"
#include "hull/syscall.hpp"

namespace hull::net {

namespace {

void make_dirs(const std::string& path) {
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        const std::string prefix = path.substr(0, slash);
        if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + prefix);
        if (slash == std::string::npos) return;
    }
}

bool is_nsfs(const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

}  // namespace

void check_container_id(const std::string& id) {
    if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos || id.find('\0') != std::string::npos) {
        throw Error("container id \"" + id + "\" cannot name a directory");
    }
}

AttachmentStore::AttachmentStore(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_.empty() || root_.front() != '/') throw Error("--state-dir \"" + root_ + "\": must be an absolute path");
}

std::string AttachmentStore::dir(const std::string& id) const {
    check_container_id(id);
    return root_ + "/" + id;
}

bool AttachmentStore::exists(const std::string& id) const {
    struct stat st {};
    return ::lstat(dir(id).c_str(), &st) == 0;
}

bool AttachmentStore::netns_pinned(const std::string& id) const { return is_nsfs(netns_path(id)); }

AttachmentStore::Reservation::Reservation(const AttachmentStore& store, std::string id, pid_t pid)
    : store_(store), id_(std::move(id)) {
    make_dirs(store_.root_);
    const std::string path = store_.dir(id_);
    if (::mkdir(path.c_str(), 0700) != 0) {
        if (errno == EEXIST) {
            throw Error("container \"" + id_ + "\" is already attached (" + path + "); run hull-net del for it first");
        }
        throw_errno("mkdir " + path);
    }
    try {
        const std::string target = store_.netns_path(id_);
        UniqueFd placeholder(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400));
        if (!placeholder) throw_errno("create " + target);
        const std::string source = "/proc/" + std::to_string(pid) + "/ns/net";
        if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
            throw_errno("bind " + source + " on " + target);
        }
        netns_ = target;
    } catch (...) {
        try {
            store_.remove(id_);
        } catch (const Error&) {
        }
        throw;
    }
}

AttachmentStore::Reservation::~Reservation() {
    if (committed_) return;
    try {
        store_.remove(id_);
    } catch (const Error&) {
    }
}

void AttachmentStore::save(const Attachment& attachment) const {
    const Json doc{{"id", attachment.id},
                   {"network", to_json(attachment.list)},
                   {"source", attachment.list.source},
                   {"netns", attachment.invocation.netns},
                   {"ifname", attachment.invocation.ifname},
                   {"cniPath", attachment.invocation.cni_path},
                   {"cniArgs", attachment.invocation.cni_args},
                   {"runtimeConfig", attachment.runtime_config},
                   {"result", attachment.result}};
    sys::write_file_atomic(dir(attachment.id) + "/network.json", doc.dump(2) + "\n", 0600, dir(attachment.id) + "/network.json");
}

Attachment AttachmentStore::load(const std::string& id) const {
    const std::string path = dir(id) + "/network.json";
    Json doc;
    try {
        doc = Json::parse(sys::read_file(path));
        Attachment attachment;
        attachment.id = doc.at("id").get<std::string>();
        attachment.list = parse_network_list(doc.at("network").dump(), path);
        attachment.list.source = doc.value("source", path);
        attachment.invocation.container_id = id;
        attachment.invocation.netns = doc.at("netns").get<std::string>();
        attachment.invocation.ifname = doc.at("ifname").get<std::string>();
        attachment.invocation.cni_path = doc.at("cniPath").get<std::string>();
        attachment.invocation.cni_args = doc.value("cniArgs", "");
        attachment.runtime_config = doc.value("runtimeConfig", Json::object());
        attachment.result = doc.at("result");
        return attachment;
    } catch (const Json::exception& e) {
        throw Error(path + ": " + e.what());
    }
}

void AttachmentStore::remove(const std::string& id) const {
    const std::string path = dir(id);
    const std::string netns = netns_path(id);
    if (is_nsfs(netns) && ::umount2(netns.c_str(), MNT_DETACH) != 0) throw_errno("unmount " + netns);
    for (const char* name : {"netns", "network.json", ".network.json.hull-tmp"}) {
        const std::string file = path + "/" + name;
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + file);
    }
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + path);
}

}  // namespace hull::net
