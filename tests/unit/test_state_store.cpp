#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "hull/error.hpp"
#include "hull/state_store.hpp"
#include "hull/syscall.hpp"

namespace {

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/hull-state-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        root_ = dir_ + "/nested/root";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
    std::string root_;
};

hull::ContainerRecord sample_record(const std::string& id) {
    hull::ContainerRecord record;
    record.id = id;
    record.pid = 1234;
    record.pid_start_time = 987654;
    record.bundle = "/b";
    record.rootfs = "/b/rootfs";
    record.created = "2026-11-24T00:00:00.000000000Z";
    record.cgroup_path = "/hull/" + id;
    record.cgroup_driver = "systemd";
    record.owner = 0;
    record.annotations = {{"org.example/key", "value"}};
    return record;
}

TEST(ContainerIdTest, AcceptsRuncStyleIds) {
    EXPECT_NO_THROW(hull::validate_container_id("abc"));
    EXPECT_NO_THROW(hull::validate_container_id("a-b_c.d+e"));
    EXPECT_NO_THROW(hull::validate_container_id(std::string(255, 'x')));
}

TEST(ContainerIdTest, RejectsPathTricksAndLongIds) {
    for (const std::string& bad : std::vector<std::string>{"", ".", "..", "../x", "a/b", "a b", "x\n", std::string(256, 'x')}) {
        EXPECT_THROW(hull::validate_container_id(bad), hull::Error) << "id: " << bad;
    }
    try {
        hull::validate_container_id("a/b");
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("invalid container id \"a/b\""), std::string::npos) << e.what();
    }
}

TEST_F(StateStoreTest, CreatesRootAndReservesIdsOnce) {
    const hull::StateStore store(root_);
    struct stat st {};
    ASSERT_EQ(::stat(root_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto first = store.reserve("c1");
    try {
        store.reserve("c1");
        FAIL() << "second reserve succeeded";
    } catch (const hull::Error& e) {
        EXPECT_EQ(std::string(e.what()), "container with given ID already exists: c1");
    }
}

TEST_F(StateStoreTest, UncommittedReservationIsRemoved) {
    const hull::StateStore store(root_);
    { auto dir = store.reserve("c2"); }
    EXPECT_FALSE(std::filesystem::exists(root_ + "/c2"));
    {
        auto dir = store.reserve("c3");
        dir.save(sample_record("c3"));
        dir.commit();
    }
    EXPECT_TRUE(std::filesystem::exists(root_ + "/c3/state.json"));
}

TEST_F(StateStoreTest, RecordRoundTripsAndListShowsIt) {
    const hull::StateStore store(root_);
    {
        auto dir = store.reserve("c4");
        dir.save(sample_record("c4"));
        dir.commit();
    }
    const auto dir = store.open("c4");
    const auto loaded = dir.load();
    EXPECT_EQ(loaded.pid, 1234);
    EXPECT_EQ(loaded.pid_start_time, 987654u);
    EXPECT_EQ(loaded.cgroup_path, "/hull/c4");
    EXPECT_EQ(loaded.cgroup_driver, "systemd");
    EXPECT_EQ(loaded.annotations, (oci::StringMap{{"org.example/key", "value"}}));
    EXPECT_FALSE(std::filesystem::exists(root_ + "/c4/.state.json.tmp"));
    EXPECT_EQ(store.list(), std::vector<std::string>{"c4"});
}

TEST_F(StateStoreTest, OpenUnknownIdSaysItDoesNotExist) {
    const hull::StateStore store(root_);
    try {
        store.open("nope");
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_EQ(std::string(e.what()), "container \"nope\" does not exist");
    }
}

TEST_F(StateStoreTest, ExecFifoLifecycleAndRemove) {
    const hull::StateStore store(root_);
    auto dir = store.reserve("c5");
    dir.save(sample_record("c5"));
    dir.make_exec_fifo();
    EXPECT_TRUE(dir.has_exec_fifo());
    struct stat st {};
    ASSERT_EQ(::stat((root_ + "/c5/exec.fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0622u);
    dir.remove_exec_fifo();
    EXPECT_FALSE(dir.has_exec_fifo());
    dir.commit();
    dir.remove();
    EXPECT_FALSE(std::filesystem::exists(root_ + "/c5"));
}

TEST(ProcessInfoTest, StartTimeIdentifiesALiveProcess) {
    EXPECT_GT(hull::sys::process_start_time(::getpid()), 0u);
    EXPECT_EQ(hull::sys::process_state(::getpid()), 'R');
    EXPECT_EQ(hull::sys::process_start_time(-5), 0u);
}

}  // namespace

namespace {

// A record written before the driver was recorded: a cgroup path means cgroupfs, none means none.
TEST_F(StateStoreTest, RecordWithoutDriverIsCgroupfsOrNoneByItsPath) {
    const hull::StateStore store(root_);
    for (const std::string path : {"/hull/old", ""}) {
        {
            auto dir = store.reserve("old");
            auto record = sample_record("old");
            record.cgroup_path = path;
            dir.save(record);
            auto doc = oci::Json::parse(hull::sys::read_file(dir.path() + "/state.json"));
            doc.erase("cgroup_driver");
            hull::sys::write_file_atomic(dir.path() + "/state.json", doc.dump(), 0600, "state.json");
            dir.commit();
        }
        auto dir = store.open("old");
        EXPECT_EQ(dir.load().cgroup_driver, path.empty() ? "none" : "cgroupfs");
        dir.remove();
    }
}

}  // namespace

namespace {

// The config has a file of its own: the record `state` and `list` parse stays small.
TEST_F(StateStoreTest, ConfigIsKeptBesideTheRecord) {
    const hull::StateStore store(root_);
    auto dir = store.reserve("split");
    const oci::Json config = {{"ociVersion", "1.3.0"}, {"process", {{"args", {"sh"}}}}};
    dir.save_config(config);
    dir.save(sample_record("split"));
    EXPECT_EQ(dir.load_config(), config);
    const auto record = oci::Json::parse(hull::sys::read_file(dir.path() + "/state.json"));
    EXPECT_FALSE(record.contains("config"));
    EXPECT_EQ(record.at("annotations").at("org.example/key"), "value");
    dir.commit();
}

// A record written before the split carries the config inside state.json, with no annotations of
// its own: it still loads, its annotations come from the config, and save_config moves it out.
TEST_F(StateStoreTest, RecordWithConfigInsideStillLoads) {
    const hull::StateStore store(root_);
    const oci::Json config = {{"ociVersion", "1.2.0"}, {"annotations", {{"a", "1"}}}};
    {
        auto dir = store.reserve("old");
        dir.save(sample_record("old"));
        auto doc = oci::Json::parse(hull::sys::read_file(dir.path() + "/state.json"));
        doc.erase("annotations");
        doc["config"] = config;
        hull::sys::write_file_atomic(dir.path() + "/state.json", doc.dump(), 0600, "state.json");
        dir.commit();
    }
    auto dir = store.open("old");
    auto record = dir.load();
    EXPECT_EQ(record.annotations, (oci::StringMap{{"a", "1"}}));
    EXPECT_EQ(record.pid, 1234);
    EXPECT_EQ(dir.load_config(), config);
    oci::Json changed = config;
    changed["ociVersion"] = "1.3.0";
    dir.save_config(changed);
    dir.save(record);
    EXPECT_EQ(dir.load_config(), changed);
    EXPECT_EQ(dir.load().annotations, (oci::StringMap{{"a", "1"}}));
    EXPECT_FALSE(oci::Json::parse(hull::sys::read_file(dir.path() + "/state.json")).contains("config"));
}

TEST_F(StateStoreTest, MissingConfigIsNamed) {
    const hull::StateStore store(root_);
    auto dir = store.reserve("noconf");
    dir.save(sample_record("noconf"));
    try {
        dir.load_config();
        FAIL() << "a record without a config loaded one";
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find(root_ + "/noconf/config.json: missing"), std::string::npos) << e.what();
    }
}

}  // namespace
