// features.json (runtime-spec features.md, features-linux.md).
#include "json_reader.hpp"
#include "oci/features.hpp"

namespace oci {

namespace {

Json enabled(bool value) { return {{"enabled", value}}; }

bool read_enabled(const detail::Node& parent, const char* key) {
    auto node = parent.member(key);
    return node ? node->get_or<bool>("enabled", false) : false;
}

}  // namespace

Features parse_features(const Json& doc, const std::string& origin) {
    const detail::Node n(doc, origin, "");
    Features f;
    f.ociVersionMin = n.get<std::string>("ociVersionMin");
    f.ociVersionMax = n.get<std::string>("ociVersionMax");
    f.hooks = n.get_or<std::vector<std::string>>("hooks", {});
    f.mountOptions = n.get_or<std::vector<std::string>>("mountOptions", {});
    if (auto l = n.member("linux")) {
        f.linux.namespaces = l->get_or<std::vector<std::string>>("namespaces", {});
        f.linux.capabilities = l->get_or<std::vector<std::string>>("capabilities", {});
        if (auto c = l->member("cgroup")) {
            f.linux.cgroup.v1 = c->get_or<bool>("v1", false);
            f.linux.cgroup.v2 = c->get_or<bool>("v2", false);
            f.linux.cgroup.systemd = c->get_or<bool>("systemd", false);
            f.linux.cgroup.systemdUser = c->get_or<bool>("systemdUser", false);
            f.linux.cgroup.rdma = c->get_or<bool>("rdma", false);
        }
        if (auto s = l->member("seccomp")) {
            f.linux.seccomp.enabled = s->get_or<bool>("enabled", false);
            f.linux.seccomp.actions = s->get_or<std::vector<std::string>>("actions", {});
            f.linux.seccomp.operators = s->get_or<std::vector<std::string>>("operators", {});
            f.linux.seccomp.archs = s->get_or<std::vector<std::string>>("archs", {});
            f.linux.seccomp.knownFlags = s->get_or<std::vector<std::string>>("knownFlags", {});
            f.linux.seccomp.supportedFlags = s->get_or<std::vector<std::string>>("supportedFlags", {});
        }
        f.linux.apparmor = read_enabled(*l, "apparmor");
        f.linux.selinux = read_enabled(*l, "selinux");
        f.linux.intelRdt = read_enabled(*l, "intelRdt");
        f.linux.netDevices = read_enabled(*l, "netDevices");
        f.linux.memoryPolicy = read_enabled(*l, "memoryPolicy");
        if (auto m = l->member("mountExtensions")) f.linux.mountIdmap = read_enabled(*m, "idmap");
    }
    f.annotations = n.get_or<StringMap>("annotations", {});
    f.potentiallyUnsafeConfigAnnotations = n.get_or<std::vector<std::string>>("potentiallyUnsafeConfigAnnotations", {});
    return f;
}

Json to_json(const Features& f) {
    const auto& l = f.linux;
    Json seccomp = {{"enabled", l.seccomp.enabled},     {"actions", l.seccomp.actions},
                    {"operators", l.seccomp.operators}, {"archs", l.seccomp.archs},
                    {"knownFlags", l.seccomp.knownFlags}, {"supportedFlags", l.seccomp.supportedFlags}};
    Json linux = {{"namespaces", l.namespaces},
                  {"capabilities", l.capabilities},
                  {"cgroup",
                   {{"v1", l.cgroup.v1}, {"v2", l.cgroup.v2}, {"systemd", l.cgroup.systemd},
                    {"systemdUser", l.cgroup.systemdUser}, {"rdma", l.cgroup.rdma}}},
                  {"seccomp", seccomp},
                  {"apparmor", enabled(l.apparmor)},
                  {"selinux", enabled(l.selinux)},
                  {"intelRdt", enabled(l.intelRdt)},
                  {"mountExtensions", {{"idmap", enabled(l.mountIdmap)}}},
                  {"netDevices", enabled(l.netDevices)},
                  {"memoryPolicy", enabled(l.memoryPolicy)}};
    Json j = {{"ociVersionMin", f.ociVersionMin}, {"ociVersionMax", f.ociVersionMax}, {"hooks", f.hooks},
              {"mountOptions", f.mountOptions},   {"linux", linux}};
    detail::put(j, "annotations", f.annotations);
    detail::put(j, "potentiallyUnsafeConfigAnnotations", f.potentiallyUnsafeConfigAnnotations);
    return j;
}

}  // namespace oci
