#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hull/error.hpp"
#include "resctrl/resctrl.hpp"

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

oci::LinuxIntelRdt rdt(std::optional<std::string> clos, std::optional<std::string> l3, std::optional<std::string> mb,
                       std::vector<std::string> schemata = {}, bool monitoring = false) {
    oci::LinuxIntelRdt r;
    r.closID = std::move(clos);
    r.l3CacheSchema = std::move(l3);
    r.memBwSchema = std::move(mb);
    r.schemata = std::move(schemata);
    if (monitoring) r.enableMonitoring = true;
    return r;
}

TEST(ResctrlTest, RefusedWithoutAMountedResctrl) {
    try {
        hull::resctrl::plan(rdt(std::nullopt, "L3:0=f", std::nullopt), "c1", "");
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("linux.intelRdt: no resctrl filesystem is mounted"), std::string::npos);
    }
}

TEST(ResctrlTest, PlanNamesTheGroupAndCollectsSchemataLines) {
    auto p = hull::resctrl::plan(rdt(std::nullopt, "L3:0=ffff0;1=fff00", "MB:0=20;1=70", {"L2:0=ff"}, true), "c1", "/r");
    EXPECT_EQ(p.group_dir, "/r/c1");
    EXPECT_TRUE(p.group_is_containers);
    EXPECT_EQ(p.schemata, (std::vector<std::string>{"L3:0=ffff0;1=fff00", "MB:0=20;1=70", "L2:0=ff"}));
    EXPECT_EQ(p.monitor_dir, std::optional<std::string>("/r/c1/mon_groups/c1"));
    p = hull::resctrl::plan(rdt("shared", std::nullopt, std::nullopt), "c1", "/r");
    EXPECT_EQ(p.group_dir, "/r/shared");
    EXPECT_FALSE(p.group_is_containers);
    EXPECT_FALSE(p.monitor_dir);
    EXPECT_THROW(hull::resctrl::plan(rdt("../escape", std::nullopt, std::nullopt), "c1", "/r"), hull::Error);
    EXPECT_THROW(hull::resctrl::plan(rdt(std::nullopt, "garbage", std::nullopt), "c1", "/r"), hull::Error);
}

// A stand-in for the resctrl tree: the group exists with its files (the kernel makes them).
class ResctrlTreeTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("hull-resctrl-" + std::to_string(::getpid()));
        fs::create_directories(root_ / "shared" / "mon_groups");
        std::ofstream(root_ / "shared" / "schemata") << "    L3:0=fffff;1=fffff\n    MB:0=100;1=100\n";
        std::ofstream(root_ / "shared" / "tasks") << "";
    }
    void TearDown() override { fs::remove_all(root_); }
    fs::path root_;
};

TEST_F(ResctrlTreeTest, SharedGroupGetsThePidAndKeepsMatchingSchemata) {
    const auto p = hull::resctrl::plan(rdt("shared", "L3:0=fffff;1=fffff", std::nullopt), "c1", root_.string());
    hull::resctrl::apply(p, 4242);
    EXPECT_EQ(read(root_ / "shared" / "tasks"), "4242");
    hull::resctrl::remove(p);
    EXPECT_TRUE(fs::exists(root_ / "shared"));  // not the container's: kept
}

TEST_F(ResctrlTreeTest, SharedGroupWithOtherSchemataIsAnError) {
    const auto p = hull::resctrl::plan(rdt("shared", "L3:0=f;1=f", std::nullopt), "c1", root_.string());
    EXPECT_THROW(hull::resctrl::apply(p, 4242), hull::Error);
    EXPECT_EQ(read(root_ / "shared" / "tasks"), "");
}

TEST_F(ResctrlTreeTest, MonitoringGroupIsMadeAndRemoved) {
    auto p = hull::resctrl::plan(rdt("shared", std::nullopt, std::nullopt, {}, true), "c1", root_.string());
    // The kernel creates a new group's tasks file; the stand-in needs one.
    fs::create_directories(root_ / "shared" / "mon_groups");
    std::error_code ignored;
    EXPECT_THROW(hull::resctrl::apply(p, 7), hull::Error);  // no tasks file in the plain directory
    EXPECT_FALSE(fs::exists(root_ / "shared" / "mon_groups" / "c1"));  // undone
    fs::create_directories(root_ / "shared" / "mon_groups" / "c1");
    std::ofstream(root_ / "shared" / "mon_groups" / "c1" / "tasks") << "";
    hull::resctrl::apply(p, 7);
    EXPECT_EQ(read(root_ / "shared" / "mon_groups" / "c1" / "tasks"), "7");
    fs::remove(root_ / "shared" / "mon_groups" / "c1" / "tasks");
    hull::resctrl::remove(p);
    EXPECT_FALSE(fs::exists(root_ / "shared" / "mon_groups" / "c1"));
}

}  // namespace
