#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "oci/config.hpp"
#include "oci/error.hpp"

namespace {

oci::Json load_fixture(const std::string& name) {
    std::ifstream file(std::string(HULL_FIXTURES_DIR) + "/" + name);
    std::stringstream text;
    text << file.rdbuf();
    return oci::Json::parse(text.str());
}

oci::Json minimal() {
    return oci::Json::parse(R"({
      "ociVersion": "1.3.0",
      "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"},
      "root": {"path": "rootfs"},
      "hostname": "h",
      "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
    })");
}

// Applies `edit` to a minimal config and returns the parse error message.
std::string error_for(const std::function<void(oci::Json&)>& edit) {
    oci::Json doc = minimal();
    edit(doc);
    try {
        oci::parse_config(doc);
    } catch (const oci::SpecError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ConfigTest, PodmanFixtureParsesWithItsValues) {
    const auto spec = oci::parse_config(load_fixture("podman-config.json"));
    ASSERT_TRUE(spec.process);
    EXPECT_EQ(spec.process->args, (std::vector<std::string>{"sleep", "1000"}));
    EXPECT_EQ(spec.process->user.umask, 18u);
    EXPECT_EQ(spec.process->rlimits.at(0).type, "RLIMIT_NOFILE");
    EXPECT_EQ(spec.process->rlimits.at(0).hard, 20000u);
    EXPECT_EQ(spec.hostname, "faee6e9df9c7");
    EXPECT_EQ(spec.mounts.at(0).destination, "/proc");
    ASSERT_TRUE(spec.linux && spec.linux->seccomp);
    EXPECT_EQ(spec.linux->seccomp->defaultAction, "SCMP_ACT_ERRNO");
    EXPECT_FALSE(spec.linux->seccomp->syscalls.empty());
    ASSERT_TRUE(spec.linux->resources && spec.linux->resources->pids);
    EXPECT_GT(*spec.linux->resources->pids->limit, 0);
}

TEST(ConfigTest, ContainerdFixtureParsesWithItsValues) {
    const auto spec = oci::parse_config(load_fixture("containerd-config.json"));
    EXPECT_EQ(spec.root->path, "rootfs");
    ASSERT_TRUE(spec.linux);
    EXPECT_EQ(spec.linux->namespaces.size(), 5u);
    EXPECT_TRUE(spec.linux->resources->memory->limit.has_value());
    EXPECT_FALSE(spec.linux->maskedPaths.empty());
}

TEST(ConfigTest, FixturesRoundTripExactly) {
    for (const char* name : {"podman-config.json", "containerd-config.json"}) {
        const oci::Json original = load_fixture(name);
        const oci::Json serialised = oci::to_json(oci::parse_config(original));
        EXPECT_EQ(serialised, original) << name << "\n" << oci::Json::diff(original, serialised).dump(1);
        EXPECT_EQ(oci::to_json(oci::parse_config(serialised)), serialised) << name;
    }
}

TEST(ConfigTest, ProcessAndResourcesFixturesRoundTrip) {
    for (const char* name : {"podman-exec-process.json", "containerd-exec-process.json"}) {
        const oci::Json original = load_fixture(name);
        EXPECT_EQ(oci::to_json(oci::parse_process(original, name)), original) << name;
    }
    const oci::Json update = load_fixture("podman-update-resources.json");
    EXPECT_EQ(oci::to_json(oci::parse_resources(update, "update")), update);
}

TEST(ConfigTest, DefaultSpecsParseBack) {
    for (const bool rootless : {false, true}) {
        const oci::Json doc = oci::to_json(oci::default_spec(rootless, 1000, 1000));
        const auto spec = oci::parse_config(doc);
        EXPECT_EQ(spec.ociVersion, "1.3.0");
        const bool has_user = std::any_of(spec.linux->namespaces.begin(), spec.linux->namespaces.end(),
                                          [](const auto& ns) { return ns.type == "user"; });
        EXPECT_EQ(has_user, rootless);
        if (rootless) {
            EXPECT_EQ(spec.linux->uidMappings.at(0).hostID, 1000u);
        }
    }
}

TEST(ConfigTest, UnknownFieldsAreTolerated) {
    oci::Json doc = minimal();
    doc["futureField"] = {{"x", 1}};
    doc["process"]["somethingNew"] = true;
    EXPECT_NO_THROW(oci::parse_config(doc));
}

struct Rule {
    const char* name;
    std::function<void(oci::Json&)> edit;
    const char* expected;
};

class ValidationTest : public ::testing::TestWithParam<Rule> {};

TEST_P(ValidationTest, NamesThePathAndTheReason) {
    const std::string message = error_for(GetParam().edit);
    EXPECT_NE(message.find(GetParam().expected), std::string::npos) << "got: " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationTest,
    ::testing::Values(
        Rule{"wrong_type", [](oci::Json& d) { d["process"]["user"]["uid"] = "0"; },
             "config.json: process.user.uid: expected unsigned integer, got string"},
        Rule{"negative_uid", [](oci::Json& d) { d["process"]["user"]["uid"] = -1; },
             "process.user.uid: expected unsigned integer, got negative number -1"},
        Rule{"uid_too_big", [](oci::Json& d) { d["process"]["user"]["uid"] = 4294967296ull; },
             "process.user.uid: value 4294967296 out of range"},
        Rule{"missing_version", [](oci::Json& d) { d.erase("ociVersion"); }, "ociVersion: required field is missing"},
        Rule{"missing_root_path", [](oci::Json& d) { d["root"].erase("path"); }, "root.path: required field is missing"},
        Rule{"relative_cwd", [](oci::Json& d) { d["process"]["cwd"] = "tmp"; }, "process.cwd: must be an absolute path"},
        Rule{"empty_args", [](oci::Json& d) { d["process"]["args"] = oci::Json::array(); },
             "process.args: at least one argument is required"},
        Rule{"missing_user", [](oci::Json& d) { d["process"].erase("user"); }, "process.user: required field is missing"},
        Rule{"unknown_rlimit", [](oci::Json& d) { d["process"]["rlimits"] = {{{"type", "RLIMIT_FOO"}, {"hard", 1}, {"soft", 1}}}; },
             "process.rlimits[0].type: invalid value \"RLIMIT_FOO\""},
        Rule{"soft_over_hard", [](oci::Json& d) { d["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 2}}}; },
             "process.rlimits[0]: soft limit 2 is greater than hard limit 1"},
        Rule{"duplicate_rlimit",
             [](oci::Json& d) {
                 d["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}},
                                            {{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}}};
             },
             "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
        Rule{"bad_capability", [](oci::Json& d) { d["process"]["capabilities"]["bounding"] = {"cap_lower"}; },
             "process.capabilities.bounding[0]: invalid capability name \"cap_lower\""},
        Rule{"relative_mount", [](oci::Json& d) { d["mounts"] = {{{"destination", "proc"}, {"type", "proc"}}}; },
             "mounts[0].destination: must be an absolute path"},
        Rule{"mount_without_destination", [](oci::Json& d) { d["mounts"] = {{{"type", "proc"}}}; },
             "mounts[0].destination: required field is missing"},
        Rule{"relative_hook", [](oci::Json& d) { d["hooks"]["poststop"] = {{{"path", "x"}}}; },
             "hooks.poststop[0].path: must be an absolute path"},
        Rule{"zero_timeout", [](oci::Json& d) { d["hooks"]["prestart"] = {{{"path", "/x"}, {"timeout", 0}}}; },
             "hooks.prestart[0].timeout: must be greater than 0"},
        Rule{"unknown_namespace", [](oci::Json& d) { d["linux"]["namespaces"].push_back({{"type", "foo"}}); },
             "linux.namespaces[3].type: invalid value \"foo\""},
        Rule{"duplicate_namespace", [](oci::Json& d) { d["linux"]["namespaces"].push_back({{"type", "pid"}}); },
             "linux.namespaces[3].type: duplicate namespace \"pid\""},
        Rule{"relative_namespace_path", [](oci::Json& d) { d["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "x"}}); },
             "linux.namespaces[3].path: must be an absolute path"},
        Rule{"hostname_without_uts", [](oci::Json& d) { d["linux"]["namespaces"].erase(2); },
             "hostname: setting the hostname requires a uts namespace (new or joined by path)"},
        Rule{"mappings_without_userns",
             [](oci::Json& d) { d["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}; },
             "linux.uidMappings: id mappings require a user namespace"},
        Rule{"zero_size_mapping",
             [](oci::Json& d) {
                 d["linux"]["namespaces"].push_back({{"type", "user"}});
                 d["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1}, {"size", 0}}};
             },
             "linux.uidMappings[0].size: must be greater than 0"},
        Rule{"time_offsets_without_timens", [](oci::Json& d) { d["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}}; },
             "linux.timeOffsets: time offsets require a new time namespace"},
        Rule{"bad_clock",
             [](oci::Json& d) {
                 d["linux"]["namespaces"].push_back({{"type", "time"}});
                 d["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}};
             },
             "linux.timeOffsets.realtime: invalid value \"realtime\""},
        Rule{"bad_device_type", [](oci::Json& d) { d["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "q"}}}; },
             "linux.devices[0].type: invalid value \"q\""},
        Rule{"device_without_major", [](oci::Json& d) { d["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "c"}}}; },
             "linux.devices[0].major: required field is missing"},
        Rule{"bad_device_access",
             [](oci::Json& d) { d["linux"]["resources"]["devices"] = {{{"allow", true}, {"access", "xa"}}}; },
             "linux.resources.devices[0].access: invalid access \"xa\""},
        Rule{"bad_propagation", [](oci::Json& d) { d["linux"]["rootfsPropagation"] = "sideways"; },
             "linux.rootfsPropagation: invalid value \"sideways\""},
        Rule{"relative_masked_path", [](oci::Json& d) { d["linux"]["maskedPaths"] = {"proc/kcore"}; },
             "linux.maskedPaths[0]: must be an absolute path"},
        Rule{"relative_readonly_path", [](oci::Json& d) { d["linux"]["readonlyPaths"] = {"sys"}; },
             "linux.readonlyPaths[0]: must be an absolute path"},
        Rule{"dotdot_cgroup", [](oci::Json& d) { d["linux"]["cgroupsPath"] = "/a/../b"; },
             "linux.cgroupsPath: must not contain \"..\""},
        Rule{"annotation_not_string", [](oci::Json& d) { d["annotations"] = {{"a", 1}}; },
             "annotations[\"a\"]: expected string, got number"},
        Rule{"seccomp_without_default", [](oci::Json& d) { d["linux"]["seccomp"] = oci::Json::object(); },
             "linux.seccomp.defaultAction: required field is missing"},
        Rule{"seccomp_empty_names",
             [](oci::Json& d) {
                 d["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                          {"syscalls", {{{"names", oci::Json::array()}, {"action", "SCMP_ACT_ERRNO"}}}}};
             },
             "linux.seccomp.syscalls[0].names: at least one syscall name is required"},
        Rule{"bad_personality", [](oci::Json& d) { d["linux"]["personality"] = {{"domain", "BSD"}}; },
             "linux.personality.domain: invalid value \"BSD\""},
        Rule{"bad_memory_policy", [](oci::Json& d) { d["linux"]["memoryPolicy"] = {{"mode", "MPOL_X"}}; },
             "linux.memoryPolicy.mode: invalid value \"MPOL_X\""},
        Rule{"bad_io_class", [](oci::Json& d) { d["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_X"}}; },
             "process.ioPriority.class: invalid value \"IOPRIO_CLASS_X\""},
        Rule{"bad_scheduler", [](oci::Json& d) { d["process"]["scheduler"] = {{"policy", "SCHED_X"}}; },
             "process.scheduler.policy: invalid value \"SCHED_X\""},
        Rule{"oom_out_of_range", [](oci::Json& d) { d["process"]["oomScoreAdj"] = 5000; },
             "process.oomScoreAdj: must be between -1000 and 1000"},
        Rule{"swappiness_out_of_range", [](oci::Json& d) { d["linux"]["resources"]["memory"] = {{"swappiness", 200}}; },
             "linux.resources.memory.swappiness: must be between 0 and 100"},
        Rule{"float_for_integer", [](oci::Json& d) { d["process"]["user"]["gid"] = 1.5; },
             "process.user.gid: expected unsigned integer, got floating-point number"},
        Rule{"array_for_object", [](oci::Json& d) { d["process"] = oci::Json::array(); },
             "process: expected object, got array"},
        Rule{"version_garbage", [](oci::Json& d) { d["ociVersion"] = "banana"; },
             "ociVersion: \"banana\" is not a version"},
        Rule{"version_two_parts", [](oci::Json& d) { d["ociVersion"] = "1.0"; }, "ociVersion: \"1.0\" is not a version"},
        Rule{"version_unknown_major", [](oci::Json& d) { d["ociVersion"] = "2.0.0"; },
             "ociVersion: version 2.0.0 is not supported"},
        Rule{"gid_mappings_alone", [](oci::Json& d) {
                 d["mounts"] = {{{"destination", "/m"}, {"type", "bind"}, {"source", "/tmp"},
                                 {"gidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}}}};
             },
             "mounts[0].uidMappings: uidMappings and gidMappings go together"}),
    [](const ::testing::TestParamInfo<Rule>& info) { return info.param.name; });

TEST(ConfigTest, VersionsOfTheOneSeriesAreAccepted) {
    for (const char* version : {"1.0.0", "1.0.2-dev", "1.3.0", "1.2.1+build.5", "1.10.0-rc.1"}) {
        oci::Json doc = minimal();
        doc["ociVersion"] = version;
        EXPECT_NO_THROW(oci::parse_config(doc)) << version;
    }
}

TEST(ConfigTest, DocumentLimitsFailFast) {
    const auto message = [](const std::string& text) {
        try {
            oci::parse_config_text(text, "config.json");
        } catch (const oci::SpecError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(message(std::string(100, '[') + std::string(100, ']')).find("nested deeper than 64 levels"), std::string::npos);
    std::string wide = "[0";
    for (size_t i = 0; i < oci::max_document_values; ++i) wide += ",0";
    wide += "]";
    EXPECT_NE(message(wide).find("more than"), std::string::npos);
    EXPECT_NE(message(std::string(oci::max_document_bytes + 1, ' ')).find("bytes"), std::string::npos);
}

TEST(ConfigTest, InvalidJsonTextNamesTheOrigin) {
    try {
        oci::parse_config_text("{\"ociVersion\": ", "config.json");
        FAIL();
    } catch (const oci::SpecError& e) {
        EXPECT_NE(std::string(e.what()).find("config.json: (document): invalid JSON"), std::string::npos) << e.what();
    }
}

}  // namespace
