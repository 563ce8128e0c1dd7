#include "namespaces/net_devices.hpp"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "hull/log.hpp"

namespace hull::ns {

namespace {

std::string field_of(const std::string& device) { return "linux.netDevices[\"" + device + "\"]"; }

const std::string& target_name(const std::string& device, const oci::LinuxNetDevice& d) {
    return d.name && !d.name->empty() ? *d.name : device;
}

bool valid_ifname(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
    for (const char c : name) {
        if (c == '/' || c == ':' || c == '%' || c <= ' ' || c == 0x7f) return false;
    }
    return true;
}

// RTM_NEWLINK on `ifindex`: into the namespace at `netns_fd`, named `name` there.
void move_link(int ifindex, int netns_fd, const std::string& name, const std::string& what) {
    UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock) throw_errno(what + ": netlink socket");
    struct Request {
        nlmsghdr header;
        ifinfomsg info;
        char attributes[64];
    } request{};
    request.header.nlmsg_type = RTM_NEWLINK;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.header.nlmsg_seq = 1;
    request.info.ifi_family = AF_UNSPEC;
    request.info.ifi_index = ifindex;
    size_t length = NLMSG_LENGTH(sizeof(ifinfomsg));
    const auto add = [&](unsigned short type, const void* data, size_t size) {
        auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&request) + NLMSG_ALIGN(length));
        attribute->rta_type = type;
        attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
        std::memcpy(RTA_DATA(attribute), data, size);
        length = NLMSG_ALIGN(length) + RTA_ALIGN(attribute->rta_len);
    };
    const uint32_t fd = static_cast<uint32_t>(netns_fd);
    add(IFLA_NET_NS_FD, &fd, sizeof fd);
    add(IFLA_IFNAME, name.c_str(), name.size() + 1);
    request.header.nlmsg_len = static_cast<uint32_t>(length);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(sock.get(), &request, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
        throw_errno(what + ": netlink send");
    }
    char reply[4096];
    const ssize_t n = ::recv(sock.get(), reply, sizeof reply, 0);
    if (n < 0) throw_errno(what + ": netlink receive");
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
    if (!NLMSG_OK(header, static_cast<unsigned>(n)) || header->nlmsg_type != NLMSG_ERROR) {
        throw Error(what + ": unexpected netlink reply");
    }
    const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
    if (error->error != 0) throw_errno(what, -error->error);
}

}  // namespace

void validate_net_devices(const oci::Spec& spec) {
    if (!spec.linux || spec.linux->netDevices.empty()) return;
    const auto& devices = spec.linux->netDevices;
    if (!oci::has_namespace(*spec.linux, "network")) {
        throw Error(field_of(devices.begin()->first) +
                    ": the container has no network namespace of its own to move it into (add one to linux.namespaces)");
    }
    std::set<std::string> names;
    for (const auto& [device, d] : devices) {
        const std::string& name = target_name(device, d);
        if (!valid_ifname(device)) throw Error(field_of(device) + ": not an interface name");
        if (!valid_ifname(name)) throw Error(field_of(device) + ".name: \"" + name + "\" is not an interface name (1-15 characters, no / : % or spaces)");
        if (!names.insert(name).second) throw Error(field_of(device) + ".name: \"" + name + "\" is given to two devices");
        if (::if_nametoindex(device.c_str()) == 0) {
            throw Error(field_of(device) + ": no such network interface in the runtime's namespace", ENODEV);
        }
    }
}

void move_net_devices_in(const oci::Linux& linux, pid_t pid) {
    const std::string netns = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd target(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) throw_errno("linux.netDevices: open " + netns);
    for (const auto& [device, d] : linux.netDevices) {
        const int index = static_cast<int>(::if_nametoindex(device.c_str()));
        if (index == 0) throw_errno(field_of(device) + ": " + device);
        move_link(index, target.get(), target_name(device, d),
                  field_of(device) + ": move into the container as " + target_name(device, d));
    }
}

void move_net_devices_out(const oci::Linux& linux, int netns_fd) noexcept {
    UniqueFd ours(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ours) return;
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        log::warn(std::string("linux.netDevices: enter the container's network namespace: ") + std::strerror(errno));
        return;
    }
    for (const auto& [device, d] : linux.netDevices) {
        const int index = static_cast<int>(::if_nametoindex(target_name(device, d).c_str()));
        if (index == 0) continue;  // gone with the container, or moved already
        try {
            move_link(index, ours.get(), device, field_of(device) + ": give back to the host");
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
    if (::setns(ours.get(), CLONE_NEWNET) != 0) {
        log::warn(std::string("linux.netDevices: return to the runtime's network namespace: ") + std::strerror(errno));
    }
}

void keep_netns(pid_t pid, const std::string& path) {
    UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!file) throw_errno("linux.netDevices: create " + path);
    const std::string netns = "/proc/" + std::to_string(pid) + "/ns/net";
    if (::mount(netns.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        const int err = errno;
        ::unlink(path.c_str());
        throw_errno("linux.netDevices: keep the network namespace on " + path, err);
    }
}

void release_netns(const std::string& path) noexcept {
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        log::warn("linux.netDevices: unmount " + path + ": " + std::strerror(errno));
    }
    ::unlink(path.c_str());
}

}  // namespace hull::ns
