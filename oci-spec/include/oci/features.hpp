// The runtime-spec features document (`hull features`), features.md of runtime-spec v1.3.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/config.hpp"

namespace oci {

struct Features {
    std::string ociVersionMin = "1.0.0";
    std::string ociVersionMax = spec_version;
    std::vector<std::string> hooks;
    std::vector<std::string> mountOptions;
    struct LinuxFeatures {
        std::vector<std::string> namespaces;
        std::vector<std::string> capabilities;
        struct Cgroup {
            bool v1 = false, v2 = false, systemd = false, systemdUser = false, rdma = false;
        } cgroup;
        struct Seccomp {
            bool enabled = false;
            std::vector<std::string> actions, operators, archs, knownFlags, supportedFlags;
        } seccomp;
        bool apparmor = false;
        bool selinux = false;
        bool intelRdt = false;
        bool mountIdmap = false;
        bool netDevices = false;
        bool memoryPolicy = false;
    } linux;
    StringMap annotations;
    std::vector<std::string> potentiallyUnsafeConfigAnnotations;
};

Features parse_features(const Json& doc, const std::string& origin = "features");
Json to_json(const Features& features);

}  // namespace oci
