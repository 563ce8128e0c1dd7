#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cgroups/resources.hpp"
#include "hull/error.hpp"

namespace fs = std::filesystem;
using hull::cgroups::FileWrite;

namespace {

oci::LinuxResources resources(const char* json) { return oci::parse_resources(oci::Json::parse(json), "test"); }

std::string value_of(const std::vector<FileWrite>& writes, const std::string& file) {
    std::string found = "(absent)";
    for (const auto& w : writes) {
        if (w.file == file) found = w.value;
    }
    return found;
}

TEST(ResourcesV2Test, MapsEveryField) {
    const auto w = hull::cgroups::v2_writes(resources(R"({
        "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 1000, "cpus": "0-1", "mems": "0", "idle": 1},
        "pids": {"limit": 42},
        "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "unified": {"memory.high": "50000000"}})"));
    EXPECT_EQ(value_of(w, "memory.max"), "67108864");
    EXPECT_EQ(value_of(w, "memory.low"), "33554432");
    EXPECT_EQ(value_of(w, "memory.swap.max"), "67108864");  // memory+swap minus memory
    EXPECT_EQ(value_of(w, "cpu.weight"), "39");              // runc's conversion of 1024 shares
    EXPECT_EQ(value_of(w, "cpu.max"), "50000 100000");
    EXPECT_EQ(value_of(w, "cpu.max.burst"), "1000");
    EXPECT_EQ(value_of(w, "cpu.idle"), "1");
    EXPECT_EQ(value_of(w, "cpuset.cpus"), "0-1");
    EXPECT_EQ(value_of(w, "pids.max"), "42");
    EXPECT_EQ(value_of(w, "io.weight"), "default 4950");
    EXPECT_EQ(value_of(w, "io.max"), "8:0 rbps=1048576");
    EXPECT_EQ(value_of(w, "hugetlb.2MB.max"), "4194304");
    EXPECT_EQ(value_of(w, "memory.high"), "50000000");
}

TEST(ResourcesV2Test, UnlimitedValuesBecomeMax) {
    const auto w = hull::cgroups::v2_writes(resources(R"({"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1},
        "cpu": {"quota": -1, "period": 100000}})"));
    EXPECT_EQ(value_of(w, "memory.max"), "max");
    EXPECT_EQ(value_of(w, "memory.swap.max"), "max");
    EXPECT_EQ(value_of(w, "pids.max"), "max");
    EXPECT_EQ(value_of(w, "cpu.max"), "max 100000");
}

TEST(ResourcesTest, PidsLimitZeroIsALimitOfZero) {
    // runtime-spec 1.3: 0 is a real limit; -1 is max.
    EXPECT_EQ(value_of(hull::cgroups::v2_writes(resources(R"({"pids": {"limit": 0}})")), "pids.max"), "0");
    EXPECT_EQ(value_of(hull::cgroups::v1_writes(resources(R"({"pids": {"limit": 0}})")), "pids.max"), "0");
}

TEST(ResourcesV2Test, WritesV2CannotMakeAreRefused) {
    for (const char* json : {R"({"memory": {"swappiness": 10}})", R"({"memory": {"kernelTCP": 1048576}})",
                             R"({"network": {"classID": 1}})", R"({"network": {"priorities": [{"name": "eth0", "priority": 1}]}})",
                             R"({"memory": {"useHierarchy": false}})", R"({"blockIO": {"leafWeight": 100}})",
                             R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "leafWeight": 100}]}})"}) {
        EXPECT_THROW(hull::cgroups::v2_writes(resources(json)), hull::Error) << json;
    }
    EXPECT_NO_THROW(hull::cgroups::v2_writes(resources(R"({"memory": {"useHierarchy": true}, "network": {}})")));
}

TEST(ResourcesV1Test, IdleUseHierarchyAndLeafWeightsAreWritten) {
    const auto w = hull::cgroups::v1_writes(resources(R"({"cpu": {"idle": 1}, "memory": {"useHierarchy": true},
        "blockIO": {"weightDevice": [{"major": 8, "minor": 0, "leafWeight": 300}]}})"));
    EXPECT_EQ(value_of(w, "cpu.idle"), "1");
    EXPECT_EQ(value_of(w, "memory.use_hierarchy"), "1");
    EXPECT_EQ(value_of(w, "blkio.leaf_weight_device"), "8:0 300");
}

TEST(ResourcesV2Test, ZeroSharesAndWeightsAreNotWritten) {
    // cgroup v2 weights are 1..10000: a 0 from a client means "not set", as in runc and crun.
    const auto w = hull::cgroups::v2_writes(resources(R"({"cpu": {"shares": 0},
        "blockIO": {"weight": 0, "weightDevice": [{"major": 8, "minor": 0, "weight": 0}]}})"));
    EXPECT_EQ(value_of(w, "cpu.weight"), "(absent)");
    EXPECT_EQ(value_of(w, "io.weight"), "(absent)");
}

TEST(ResourcesV2Test, ConversionsMatchRuncAtTheEnds) {
    EXPECT_EQ(hull::cgroups::shares_to_weight(2), 1u);
    EXPECT_EQ(hull::cgroups::shares_to_weight(262144), 10000u);
    EXPECT_EQ(hull::cgroups::blkio_to_io_weight(10), 1u);
    EXPECT_EQ(hull::cgroups::blkio_to_io_weight(1000), 10000u);
}

TEST(ResourcesV2Test, BadInputIsRefused) {
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"unified": {"../../etc/passwd": "x"}})")), hull::Error);
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"unified": {"memorymax": "1"}})")), hull::Error);
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"memory": {"limit": 100, "swap": 50}})")), hull::Error);
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"memory": {"disableOOMKiller": true}})")), hull::Error);
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"cpu": {"realtimeRuntime": 1000}})")), hull::Error);
}

TEST(ResourcesV1Test, MapsToTheV1Controllers) {
    const auto w = hull::cgroups::v1_writes(resources(R"({
        "memory": {"limit": 67108864, "swap": 134217728, "reservation": 1, "swappiness": 10, "disableOOMKiller": true,
                   "kernel": 50593792, "kernelTCP": 50593792},
        "cpu": {"shares": 512, "quota": 20000, "period": 100000},
        "pids": {"limit": -1},
        "blockIO": {"weight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 200}]},
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]}})"));
    EXPECT_EQ(value_of(w, "memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(value_of(w, "memory.memsw.limit_in_bytes"), "134217728");
    EXPECT_EQ(value_of(w, "memory.oom_control"), "1");
    EXPECT_EQ(value_of(w, "memory.kmem.tcp.limit_in_bytes"), "50593792");
    EXPECT_EQ(value_of(w, "memory.kmem.limit_in_bytes"), "(absent)");  // deprecated, ignored
    EXPECT_EQ(value_of(w, "cpu.shares"), "512");
    EXPECT_EQ(value_of(w, "cpu.cfs_quota_us"), "20000");
    EXPECT_EQ(value_of(w, "pids.max"), "max");
    EXPECT_EQ(value_of(w, "blkio.weight_device"), "8:0 200");
    EXPECT_EQ(value_of(w, "net_cls.classid"), "1048577");
    EXPECT_EQ(value_of(w, "net_prio.ifpriomap"), "eth0 5");
}

class FakeV2Test : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/hull-v2fs.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
        for (const std::string& dir : std::vector<std::string>{root_, root_ + "/a", root_ + "/a/c1"}) {
            fs::create_directories(dir);
            std::ofstream(dir + "/cgroup.controllers") << "cpu memory pids\n";
            std::ofstream(dir + "/cgroup.subtree_control") << "";
        }
        for (const char* file : {"memory.max", "pids.max", "cpu.max"}) std::ofstream(root_ + "/a/c1/" + file) << "max\n";
    }
    void TearDown() override { fs::remove_all(root_); }
    std::string read(const std::string& file) {
        std::ifstream in(root_ + file);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }
    std::string root_;
};

TEST_F(FakeV2Test, WritesFilesAndEnablesControllersInEachParent) {
    hull::cgroups::apply_v2_resources(root_, "/a/c1", resources(R"({"memory": {"limit": 1048576}, "pids": {"limit": 9}})"));
    EXPECT_EQ(read("/a/c1/memory.max"), "1048576");
    EXPECT_EQ(read("/a/c1/pids.max"), "9");
    EXPECT_EQ(read("/cgroup.subtree_control"), "+memory +pids");
    EXPECT_EQ(read("/a/cgroup.subtree_control"), "+memory +pids");
}

TEST_F(FakeV2Test, AMissingControllerIsAClearError) {
    try {
        hull::cgroups::apply_v2_resources(root_, "/a/c1", resources(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})"));
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("the hugetlb controller is not available"), std::string::npos) << e.what();
    }
}

}  // namespace

namespace {

std::string validation_error(const char* json) {
    try {
        hull::cgroups::validate(resources(json));
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(ResourcesValidationTest, NegativeAndAbsurdValuesNameTheField) {
    EXPECT_NE(validation_error(R"({"memory": {"limit": -5}})").find("memory.limit: -5 is negative"), std::string::npos);
    EXPECT_NE(validation_error(R"({"pids": {"limit": -2}})").find("pids.limit"), std::string::npos);
    EXPECT_NE(validation_error(R"({"cpu": {"period": 5000000000}})").find("cpu.period"), std::string::npos);
    EXPECT_NE(validation_error(R"({"cpu": {"quota": 10}})").find("cpu.quota"), std::string::npos);
    EXPECT_NE(validation_error(R"({"cpu": {"shares": 999999999}})").find("cpu.shares"), std::string::npos);
    EXPECT_NE(validation_error(R"({"blockIO": {"weight": 5000}})").find("blockIO.weight"), std::string::npos);
    EXPECT_NE(validation_error(R"({"hugepageLimits": [{"pageSize": "../../x", "limit": 1}]})").find("pageSize"), std::string::npos);
    EXPECT_NE(validation_error(R"({"rdma": {"mlx/../x": {"hcaHandles": 1}}})").find("rdma"), std::string::npos);
    EXPECT_NE(validation_error(R"({"devices": [{"allow": true, "type": "c", "major": 99999, "minor": 1}]})").find("devices[0].major"),
              std::string::npos);
    EXPECT_EQ(validation_error(R"({"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1}, "cpu": {"quota": -1, "period": 0, "shares": 0},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}], "devices": [{"allow": false, "access": "rwm"}]})"),
              "(accepted)");
}

TEST(ResourcesValidationTest, UnifiedMayNotMoveOrKillProcesses) {
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"unified": {"cgroup.procs": "1"}})")), hull::Error);
    EXPECT_THROW(hull::cgroups::v2_writes(resources(R"({"unified": {"cgroup.kill": "1"}})")), hull::Error);
    EXPECT_NO_THROW(hull::cgroups::v2_writes(resources(R"({"unified": {"cgroup.max.depth": "2"}})")));
}

TEST_F(FakeV2Test, AnUnknownUnifiedKeyIsAClearError) {
    try {
        hull::cgroups::apply_v2_resources(root_, "/a/c1", resources(R"({"unified": {"memory.bogus": "1", "pids.max": "3"}})"));
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("unified[\"memory.bogus\"]"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read("/a/c1/pids.max"), "max\n");  // nothing written before the check
}

}  // namespace
