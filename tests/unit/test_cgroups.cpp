#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>

#include "cgroups/cgroup.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "cgroups/resources.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace fs = std::filesystem;
using hull::cgroups::Mode;

namespace {

const char* hybrid_mountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "99 23 0:32 /sub /mnt/again rw - cgroup cgroup rw,memory\n";

TEST(CgroupLayoutTest, DetectsHybrid) {
    const auto layout = hull::cgroups::detect_from_mountinfo(hybrid_mountinfo);
    EXPECT_EQ(layout.mode, Mode::Hybrid);
    EXPECT_EQ(layout.unified_mount, "/sys/fs/cgroup/unified");
    ASSERT_EQ(layout.v1.size(), 3u);  // the second memory mount is a bind of the first
    EXPECT_EQ(layout.v1[0].controllers, std::vector<std::string>{"cpu"});
    EXPECT_EQ(layout.v1[2].controllers, std::vector<std::string>{"name=systemd"});
}

TEST(CgroupLayoutTest, AMountPointThatIsNotACgroupNowIsLeftOut) {
    // hybrid_mountinfo's unified tree, covered by a tmpfs (statfs says so): a v1 host.
    const auto layout = hull::cgroups::detect_from_mountinfo(
        hybrid_mountinfo, [](const std::string& path, int version) { return !(version == 2 && path == "/sys/fs/cgroup/unified"); });
    EXPECT_EQ(layout.mode, Mode::Legacy);
    EXPECT_TRUE(layout.unified_mount.empty());
    EXPECT_EQ(layout.v1.size(), 3u);
}

TEST(CgroupLayoutTest, DetectsPureV2AndPureV1AndEscapes) {
    auto v2 = hull::cgroups::detect_from_mountinfo("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
    EXPECT_EQ(v2.mode, Mode::Unified);
    EXPECT_TRUE(v2.v1.empty());
    auto v1 = hull::cgroups::detect_from_mountinfo(
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:30 / /my\\040cgroups/pids rw - cgroup cgroup rw,pids\n");
    EXPECT_EQ(v1.mode, Mode::Legacy);
    ASSERT_EQ(v1.v1.size(), 2u);
    EXPECT_EQ(v1.v1[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(v1.v1[1].mount_point, "/my cgroups/pids");
}

TEST(CgroupPathTest, ResolvesAndRejects) {
    EXPECT_EQ(hull::cgroups::resolve_path(std::nullopt, "c1"), "/hull/c1");
    EXPECT_EQ(hull::cgroups::resolve_path(std::string("/a//b/"), "c1"), "/a/b");
    EXPECT_EQ(hull::cgroups::resolve_path(std::string("rel/x"), "c1"), "/rel/x");
    for (const std::string bad : {"/a/../b", "/./a", "system.slice:hull:c1", "/"}) {
        EXPECT_THROW(hull::cgroups::resolve_path(bad, "c1"), hull::Error) << bad;
    }
    try {
        hull::cgroups::resolve_path(std::string("machine.slice:hull:x"), "c1");
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs --systemd-cgroup"), std::string::npos);
    }
}

class FakeCgroupFsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/hull-cgfs.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
        fs::create_directories(root_ + "/memory/existing");
        fs::create_directories(root_ + "/cpuset");
        std::ofstream(root_ + "/cpuset/cpuset.cpus") << "0-1\n";
        std::ofstream(root_ + "/cpuset/cpuset.mems") << "0\n";
        layout_.mode = Mode::Legacy;
        layout_.v1 = {{root_ + "/memory", {"memory"}}, {root_ + "/cpuset", {"cpuset"}}};
    }
    void TearDown() override { fs::remove_all(root_); }
    std::string root_;
    hull::cgroups::Layout layout_;
};

TEST_F(FakeCgroupFsTest, CreateRemovesOnlyWhatItMadeWhenNotReleased) {
    {
        fs::create_directories(root_ + "/cpuset/existing");
        auto cgroup = hull::cgroups::Cgroup::create(layout_, "/existing", {});
        EXPECT_TRUE(fs::is_directory(root_ + "/memory/existing"));
    }
    EXPECT_TRUE(fs::is_directory(root_ + "/memory/existing"));  // pre-existing: kept
}

TEST_F(FakeCgroupFsTest, AFailedCreateCleansUp) {
    // cpuset.cpus can't be inherited into a plain directory that lacks the file: create fails
    // and the memory directories it made are gone again.
    EXPECT_THROW(hull::cgroups::Cgroup::create(layout_, "/new/leaf", {}), hull::Error);
    EXPECT_FALSE(fs::exists(root_ + "/memory/new"));
}

TEST_F(FakeCgroupFsTest, PureV2ParentsDelegateEveryMissingController) {
    hull::cgroups::Layout v2;
    v2.mode = Mode::Unified;
    v2.unified_mount = root_ + "/unified";
    fs::create_directories(v2.unified_mount + "/a");
    std::ofstream(v2.unified_mount + "/cgroup.controllers") << "cpuset cpu memory pids\n";
    std::ofstream(v2.unified_mount + "/cgroup.subtree_control") << "cpu\n";
    std::ofstream(v2.unified_mount + "/a/cgroup.controllers") << "memory pids\n";
    std::ofstream(v2.unified_mount + "/a/cgroup.subtree_control") << "memory pids\n";
    const auto read = [](const std::string& file) {
        std::ifstream in(file);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    auto cgroup = hull::cgroups::Cgroup::create(v2, "/a/c1", {.delegate = true});
    EXPECT_EQ(read(v2.unified_mount + "/cgroup.subtree_control"), "+cpuset +memory +pids");
    EXPECT_EQ(read(v2.unified_mount + "/a/cgroup.subtree_control"), "memory pids\n");  // nothing missing: untouched
    EXPECT_TRUE(fs::is_directory(v2.unified_mount + "/a/c1"));
    EXPECT_FALSE(fs::exists(v2.unified_mount + "/a/c1/cgroup.subtree_control"));  // not the leaf
}

TEST(RealCgroupTest, ProcessJoinsEveryHierarchyAndDestroyKillsIt) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const auto layout = hull::cgroups::detect();
    const std::string path = "/hull-unit-" + std::to_string(::getpid());
    auto cgroup = hull::cgroups::Cgroup::create(layout, path, {});
    const pid_t child = ::fork();
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    // On this host the cpuset hierarchy is real: joining it only works because create copied
    // cpuset.cpus/mems into the new directory.
    cgroup.add_process(child, true);
    std::ifstream file("/proc/" + std::to_string(child) + "/cgroup");
    std::string text((std::istreambuf_iterator<char>(file)), {});
    for (const auto& h : layout.v1) {
        EXPECT_NE(text.find(":" + h.controllers.front() + ":" + path + "\n"), std::string::npos) << text;
    }
    EXPECT_EQ(cgroup.pids(), std::vector<pid_t>{child});
    EXPECT_FALSE(hull::cgroups::for_container(hull::cgroups::Driver::Cgroupfs, path, "", layout)->frozen());
    cgroup.destroy();
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status));
    for (const auto& h : layout.v1) EXPECT_FALSE(fs::exists(h.mount_point + path));
    if (!layout.unified_mount.empty()) {
        EXPECT_FALSE(fs::exists(layout.unified_mount + path));
    }
}

}  // namespace

namespace {

std::string refusal_without_cgroup(const oci::LinuxResources& resources) {
    try {
        hull::cgroups::check_without_cgroup(resources, "rootless on a cgroup hybrid host");
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(NoCgroupTest, LimitsAreRefusedDeviceRulesAreNot) {
    oci::LinuxResources resources;
    EXPECT_EQ(refusal_without_cgroup(resources), "");
    resources.devices.push_back(oci::LinuxDeviceCgroup{});  // what podman and `spec` always send
    EXPECT_EQ(refusal_without_cgroup(resources), "");
    resources.memory.emplace();  // present but empty: nothing to apply
    EXPECT_EQ(refusal_without_cgroup(resources), "");
    resources.pids = oci::LinuxPids{100};
    const std::string refused = refusal_without_cgroup(resources);
    EXPECT_EQ(refused.rfind("linux.resources.pids: needs the container's cgroup", 0), 0u) << refused;
    EXPECT_NE(refused.find("rootless on a cgroup hybrid host"), std::string::npos);
    resources.pids.reset();
    resources.unified["memory.max"] = "1M";
    EXPECT_EQ(refusal_without_cgroup(resources).rfind("linux.resources.unified:", 0), 0u);
}

TEST(NoCgroupTest, RootAlwaysGetsACgroup) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    hull::cgroups::Layout legacy;
    legacy.mode = Mode::Legacy;
    EXPECT_EQ(hull::cgroups::why_no_cgroup(legacy, "/hull/x"), "");
}

TEST(NoCgroupTest, AnUnprivilegedUserHasNoneOnV1OrHybrid) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    const pid_t child = ::fork();
    if (child == 0) {
        if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(2);
        hull::cgroups::Layout hybrid;
        hybrid.mode = Mode::Hybrid;
        hull::cgroups::Layout unified;
        unified.mode = Mode::Unified;
        unified.unified_mount = "/proc/1";  // exists, not writable by nobody: no delegated subtree
        const bool ok = hull::cgroups::why_no_cgroup(hybrid, "/hull/x").find("hybrid") != std::string::npos &&
                        hull::cgroups::why_no_cgroup(unified, "/hull/x").find("not a cgroup v2 subtree delegated") !=
                            std::string::npos;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(NoCgroupTest, UnprivilegedMeansNotTheHostsRoot) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    EXPECT_FALSE(hull::sys::unprivileged());  // root of the initial user namespace
    const pid_t child = ::fork();
    if (child == 0) {
        // Root of a new user namespace (as rootless podman runs its runtime) is not the host's root.
        if (::unshare(CLONE_NEWUSER) != 0) ::_exit(2);
        ::_exit(hull::sys::unprivileged() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

namespace {

TEST(CgroupManagerTest, DriverNamesRoundTrip) {
    using hull::cgroups::Driver;
    for (const Driver driver : {Driver::None, Driver::Cgroupfs, Driver::Systemd}) {
        EXPECT_EQ(hull::cgroups::driver_from_name(hull::cgroups::driver_name(driver)), driver);
    }
    EXPECT_EQ(hull::cgroups::driver_name(Driver::Cgroupfs), "cgroupfs");
    EXPECT_THROW(hull::cgroups::driver_from_name("cgroupv3"), hull::Error);
}

// A container without a cgroup: create's steps do nothing, `state` reads it as not frozen, and the
// verbs that need a cgroup are refused saying why, never applied to hull's own cgroup.
TEST(CgroupManagerTest, NoCgroupRefusesWhatNeedsOne) {
    const auto none = hull::cgroups::for_container(hull::cgroups::Driver::None, "", "", hull::cgroups::detect());
    EXPECT_FALSE(none->has_cgroup());
    EXPECT_EQ(none->path(), "");
    EXPECT_EQ(none->clone_target(), -1);
    none->prepare({});
    none->place(::getpid());
    none->placement_done();
    EXPECT_FALSE(none->frozen());
    for (const auto& refused : std::vector<std::function<void()>>{
             [&] { none->pids(); }, [&] { none->set_frozen(true); }, [&] { none->signal_all(0); },
             [&] { none->update({}); }, [&] { none->stats(); }, [&] { none->oom_kills(); }}) {
        try {
            refused();
            ADD_FAILURE() << "a verb needing a cgroup was accepted";
        } catch (const hull::Error& e) {
            EXPECT_NE(std::string(e.what()).find("has no cgroup"), std::string::npos) << e.what();
        }
    }
    EXPECT_FALSE(none->for_exec("")->has_cgroup());
    EXPECT_THROW(none->for_exec("sub"), hull::Error);
    none->destroy();
}

// cgroupfs: the manager of an existing container opens nothing until asked.
TEST(CgroupManagerTest, CgroupfsManagerKeepsTheRecordedPathAndTop) {
    const auto manager = hull::cgroups::for_container(hull::cgroups::Driver::Cgroupfs, "/hull/not-there", "/hull", hull::cgroups::detect());
    EXPECT_EQ(manager->driver(), hull::cgroups::Driver::Cgroupfs);
    EXPECT_EQ(manager->path(), "/hull/not-there");
    EXPECT_EQ(manager->created_top(), "/hull");
    EXPECT_EQ(manager->clone_target(), -1);
}

// The factory picks the cgroupfs driver by the host's layout, once: the v2 driver reads the
// cgroup2 freezer and stats files, the v1 driver freezer.state and the v1 files, each in its own
// (fake) tree, whichever else exists.
TEST_F(FakeCgroupFsTest, TheLayoutPicksTheCgroupfsDriver) {
    using hull::cgroups::Driver;
    const auto write = [&](const std::string& file, const std::string& text) {
        fs::create_directories(fs::path(root_ + file).parent_path());
        std::ofstream(root_ + file) << text;
    };
    hull::cgroups::Layout v2;
    v2.mode = Mode::Unified;
    v2.unified_mount = root_ + "/unified";
    write("/unified/c1/cgroup.freeze", "1\n");
    write("/unified/c1/memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 3\n");
    write("/unified/c1/pids.current", "7\n");
    write("/unified/c1/pids.max", "max\n");
    const auto on_v2 = hull::cgroups::for_container(Driver::Cgroupfs, "/c1", "", v2);
    EXPECT_TRUE(on_v2->frozen());
    EXPECT_EQ(on_v2->oom_kills(), 3u);
    EXPECT_EQ(on_v2->stats()["pids"]["current"], 7u);
    EXPECT_EQ(on_v2->stats()["pids"]["limit"], UINT64_MAX);  // v2 reports "max" as is

    hull::cgroups::Layout v1 = layout_;
    v1.v1.push_back({root_ + "/freezer", {"freezer"}});
    v1.v1.push_back({root_ + "/pids", {"pids"}});
    write("/freezer/c1/freezer.state", "FROZEN\n");
    write("/memory/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    write("/pids/c1/pids.current", "5\n");
    write("/pids/c1/pids.max", "max\n");
    const auto on_v1 = hull::cgroups::for_container(Driver::Cgroupfs, "/c1", "", v1);
    EXPECT_TRUE(on_v1->frozen());
    EXPECT_EQ(on_v1->oom_kills(), 2u);
    EXPECT_EQ(on_v1->stats()["pids"]["current"], 5u);
    EXPECT_EQ(on_v1->stats()["pids"]["limit"], 0u);  // runc reports an unlimited v1 pids.max as 0
    write("/freezer/c1/freezer.state", "THAWED\n");
    EXPECT_FALSE(on_v1->frozen());
}

}  // namespace
