// hull-net's record of the networks it attached, one directory per container id:
//   <root>/<id>/netns         the container's network namespace, bind-mounted so that DEL can
//                             still enter it after the container died (veth, iptables teardown)
//   <root>/<id>/network.json  the conf list, CNI_* values, runtimeConfig and the ADD result
#pragma once

#include <sys/types.h>

#include <string>

#include "cni.hpp"

namespace hull::net {

struct Attachment {
    std::string id;
    NetworkList list;
    Invocation invocation;
    Json runtime_config = Json::object();
    Json result;
};

class AttachmentStore {
public:
    explicit AttachmentStore(std::string root);

    // <root>/<id>, created with the container's netns pinned in it; removed again (netns
    // unmounted) when destroyed before commit(). Throws when the id is already attached.
    class Reservation {
    public:
        Reservation(const AttachmentStore& store, std::string id, pid_t pid);
        ~Reservation();
        Reservation(const Reservation&) = delete;
        Reservation& operator=(const Reservation&) = delete;
        const std::string& netns() const { return netns_; }
        void commit() noexcept { committed_ = true; }

    private:
        const AttachmentStore& store_;
        std::string id_;
        std::string netns_;
        bool committed_ = false;
    };

    bool exists(const std::string& id) const;
    void save(const Attachment& attachment) const;
    Attachment load(const std::string& id) const;
    // Unmounts the pinned netns and removes the directory; throws naming what failed.
    void remove(const std::string& id) const;

    std::string dir(const std::string& id) const;
    std::string netns_path(const std::string& id) const { return dir(id) + "/netns"; }
    // True when the pinned path is still a network namespace (nsfs).
    bool netns_pinned(const std::string& id) const;

private:
    std::string root_;
};

// Throws unless `id` can name a directory: not empty, no '/', not "." or "..".
void check_container_id(const std::string& id);

}  // namespace hull::net
