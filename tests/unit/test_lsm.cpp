// The LSM decision logic: which labels apply, and the errors when the host lacks the LSM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hull/error.hpp"
#include "process/lsm.hpp"

namespace {

using hull::lsm::HostLsms;
using hull::lsm::resolve;

std::string error_of(const std::optional<std::string>& apparmor, const std::optional<std::string>& selinux,
                     const std::optional<std::string>& mount, const HostLsms& host) {
    try {
        resolve(apparmor, selinux, mount, host);
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "";
}

TEST(Lsm, NothingSetNeedsNoLsm) {
    const auto labels = resolve(std::nullopt, std::nullopt, std::nullopt, HostLsms{});
    EXPECT_FALSE(labels.any());
}

TEST(Lsm, EmptyStringsAreUnset) {
    const auto labels = resolve(std::string(), std::string(), std::string(), HostLsms{});
    EXPECT_FALSE(labels.any());
}

TEST(Lsm, AppArmorProfileWithoutAppArmorIsAnErrorNamingTheField) {
    const std::string message = error_of("docker-default", std::nullopt, std::nullopt, HostLsms{false, true});
    EXPECT_NE(message.find("process.apparmorProfile \"docker-default\""), std::string::npos) << message;
    EXPECT_NE(message.find("AppArmor is not enabled"), std::string::npos) << message;
}

TEST(Lsm, SelinuxLabelWithoutSelinuxIsAnError) {
    const std::string message = error_of(std::nullopt, "system_u:system_r:container_t:s0", std::nullopt, HostLsms{true, false});
    EXPECT_NE(message.find("process.selinuxLabel"), std::string::npos) << message;
    EXPECT_NE(message.find("SELinux is disabled"), std::string::npos) << message;
}

TEST(Lsm, MountLabelWithoutSelinuxIsAnError) {
    const std::string message = error_of(std::nullopt, std::nullopt, "system_u:object_r:container_file_t:s0", HostLsms{true, false});
    EXPECT_NE(message.find("linux.mountLabel"), std::string::npos) << message;
}

TEST(Lsm, LabelsPassWhenTheLsmIsEnabled) {
    const auto labels = resolve("unconfined", "system_u:system_r:container_t:s0:c1,c2",
                                "system_u:object_r:container_file_t:s0:c1,c2", HostLsms{true, true});
    ASSERT_TRUE(labels.apparmor_profile);
    EXPECT_EQ(*labels.apparmor_profile, "unconfined");
    ASSERT_TRUE(labels.selinux_label);
    EXPECT_EQ(*labels.selinux_label, "system_u:system_r:container_t:s0:c1,c2");
    ASSERT_TRUE(labels.mount_label);
}

TEST(Lsm, OnlyTheEnabledLsmIsNeeded) {
    EXPECT_TRUE(resolve("p", std::nullopt, std::nullopt, HostLsms{true, false}).apparmor_profile);
    EXPECT_TRUE(resolve(std::nullopt, "l", std::nullopt, HostLsms{false, true}).selinux_label);
}

TEST(Lsm, MountLabelMustNotBreakOutOfTheOption) {
    EXPECT_NE(error_of(std::nullopt, std::nullopt, "a\",size=1", HostLsms{false, true}).find("must not contain"), std::string::npos);
}

TEST(Lsm, MountDataGetsTheContextOption) {
    EXPECT_EQ(hull::lsm::with_mount_label("mode=755", std::string("s0")), "mode=755,context=\"s0\"");
    EXPECT_EQ(hull::lsm::with_mount_label("", std::string("s0")), "context=\"s0\"");
    EXPECT_EQ(hull::lsm::with_mount_label("mode=755", std::nullopt), "mode=755");
    EXPECT_EQ(hull::lsm::with_mount_label("mode=755", std::string()), "mode=755");
}

TEST(Lsm, WhichFilesystemsAreLabelled) {
    for (const char* type : {"tmpfs", "devpts", "mqueue", "overlay"}) EXPECT_TRUE(hull::lsm::takes_mount_label(type)) << type;
    for (const char* type : {"proc", "sysfs", "cgroup", "cgroup2", "bind", "none", ""}) {
        EXPECT_FALSE(hull::lsm::takes_mount_label(type)) << type;
    }
}

TEST(Lsm, ExecAttrPath) {
    EXPECT_EQ(hull::lsm::exec_attr_path(true, true), "thread-self/attr/apparmor/exec");
    EXPECT_EQ(hull::lsm::exec_attr_path(true, false), "thread-self/attr/exec");
    EXPECT_EQ(hull::lsm::exec_attr_path(false, true), "thread-self/attr/exec");
}

TEST(Lsm, HostProcfsHandleIsVerifiedAndReachesOurAttrFiles) {
    const auto proc = hull::procfs::Handle::open("test");
    ASSERT_TRUE(proc);
    hull::UniqueFd exec_attr = proc.open_file("thread-self/attr/exec", O_RDONLY);
    EXPECT_TRUE(exec_attr) << "thread-self/attr/exec below the handle";
}

TEST(Lsm, AWriteTheKernelRefusesIsReportedWithFieldAndErrno) {
    // Only meaningful without AppArmor: the kernel then refuses "exec <profile>" (EINVAL).
    if (hull::lsm::detect().apparmor) GTEST_SKIP() << "AppArmor is enabled here";
    const auto proc = hull::procfs::Handle::open("test");
    hull::lsm::Labels labels;
    labels.apparmor_profile = "hull-unit-test";
    try {
        hull::lsm::apply_exec_labels(proc, labels);
        FAIL() << "the write was accepted";
    } catch (const hull::Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("process.apparmorProfile \"hull-unit-test\""), std::string::npos) << message;
        EXPECT_NE(message.find("/proc/thread-self/attr/"), std::string::npos) << message;
    }
}

}  // namespace
