#include <gtest/gtest.h>

#include <csignal>

#include "cli/flags.hpp"
#include "hull/container.hpp"
#include "hull/error.hpp"
#include "oci/error.hpp"
#include "oci/features.hpp"
#include "oci/state.hpp"

TEST(StateTest, RoundTripsAndOmitsPidWhenAbsent) {
    oci::State state;
    state.id = "c1";
    state.status = "running";
    state.pid = 42;
    state.bundle = "/b";
    state.annotations = {{"k", "v"}};
    const auto json = oci::to_json(state);
    EXPECT_EQ(json["pid"], 42);
    const auto back = oci::parse_state(json);
    EXPECT_EQ(back.id, "c1");
    EXPECT_EQ(back.pid, 42);
    EXPECT_EQ(back.annotations.at("k"), "v");
    state.pid.reset();
    EXPECT_FALSE(oci::to_json(state).contains("pid"));
}

TEST(StateTest, MissingIdIsAnError) {
    EXPECT_THROW(oci::parse_state(oci::Json{{"ociVersion", "1.3.0"}, {"status", "created"}, {"bundle", "/b"}}),
                 oci::SpecError);
}

TEST(FeaturesTest, RuntimeFeaturesRoundTripAndAreTrue) {
    const auto features = hull::runtime_features();
    const auto json = oci::to_json(features);
    EXPECT_EQ(json["ociVersionMax"], "1.3.0");
    EXPECT_TRUE(json["linux"]["seccomp"]["enabled"].get<bool>());
    EXPECT_TRUE(json["linux"]["apparmor"]["enabled"].get<bool>());
    EXPECT_TRUE(json["linux"]["selinux"]["enabled"].get<bool>());
    EXPECT_EQ(json["linux"]["mountExtensions"]["idmap"]["enabled"], true);
    for (const char* flag : {"v1", "v2", "systemd", "rdma"}) EXPECT_TRUE(json["linux"]["cgroup"][flag].get<bool>()) << flag;
    const auto back = oci::parse_features(json);
    EXPECT_EQ(oci::to_json(back), json);
    EXPECT_NE(std::find(back.linux.capabilities.begin(), back.linux.capabilities.end(), "CAP_SYS_ADMIN"),
              back.linux.capabilities.end());
}

TEST(SignalTest, ParsesNamesWithAndWithoutSigAndNumbers) {
    EXPECT_EQ(hull::cli::parse_signal("KILL"), 9);
    EXPECT_EQ(hull::cli::parse_signal("SIGKILL"), 9);
    EXPECT_EQ(hull::cli::parse_signal("sigterm"), 15);
    EXPECT_EQ(hull::cli::parse_signal("9"), 9);
    EXPECT_EQ(hull::cli::parse_signal("RTMIN+1"), SIGRTMIN + 1);
    EXPECT_THROW(hull::cli::parse_signal("NOPE"), hull::Error);
    EXPECT_EQ(hull::cli::parse_signal("0"), 0);
    EXPECT_THROW(hull::cli::parse_signal("-1"), hull::Error);
    EXPECT_THROW(hull::cli::parse_signal("99"), hull::Error);
}

TEST(ExecFlagsTest, UserIsNumericUidAndOptionalGid) {
    EXPECT_EQ(hull::cli::parse_user("1000").uid, 1000u);
    EXPECT_EQ(hull::cli::parse_user("1000").gid, 0u);
    EXPECT_EQ(hull::cli::parse_user("1:2").gid, 2u);
    for (const char* bad : {"", "root", "1:", ":2", "-1", "1:x", "4294967296"}) {
        EXPECT_THROW(hull::cli::parse_user(bad), hull::Error) << bad;
    }
    EXPECT_NO_THROW(hull::cli::check_env_entry("A=b=c"));
    EXPECT_NO_THROW(hull::cli::check_env_entry("EMPTY="));
    EXPECT_THROW(hull::cli::check_env_entry("=x"), hull::Error);
    EXPECT_THROW(hull::cli::check_env_entry("NOEQUALS"), hull::Error);
}

TEST(ExecFlagsTest, SubCgroupStaysBelowTheContainers) {
    for (const char* ok : {"", "sub", "a/b", "a..b", "..x"}) EXPECT_NO_THROW(hull::cli::check_sub_cgroup(ok)) << ok;
    for (const char* bad : {"..", "../x", "a/../../b", "a/..", "/abs"}) EXPECT_THROW(hull::cli::check_sub_cgroup(bad), hull::Error) << bad;
}
