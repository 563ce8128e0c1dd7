#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "container/sync.hpp"
#include "hull/fd.hpp"
#include "hull/log.hpp"
#include "hull/syscall.hpp"

namespace {

// A debug part that counts how often it is turned into text.
struct CountedPart {
    int* conversions;
    operator std::string_view() const {
        ++*conversions;
        return "counted";
    }
};

class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/hull-log-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        path_ = dir_ + "/log.json";
    }
    void TearDown() override {
        hull::log::forward_to({});
        hull::log::init({});  // back to stderr, no --debug, for the other tests
        std::filesystem::remove_all(dir_);
    }
    std::string dir_;
    std::string path_;
};

TEST_F(LogTest, DebugPartsAreNotFormattedWithoutDebug) {
    hull::log::init({path_, hull::log::Format::Json, false});
    int conversions = 0;
    hull::log::debug("step ", CountedPart{&conversions}, " ", 42);
    EXPECT_FALSE(hull::log::debug_enabled());
    EXPECT_EQ(conversions, 0);
    EXPECT_EQ(hull::sys::read_file(path_), "");
}

TEST_F(LogTest, DebugWritesJsonRecords) {
    hull::log::init({path_, hull::log::Format::Json, true});
    int conversions = 0;
    hull::log::debug("step ", CountedPart{&conversions}, " ", 42);
    EXPECT_EQ(conversions, 1);
    const std::string text = hull::sys::read_file(path_);
    EXPECT_EQ(text.rfind("{\"level\":\"debug\",\"msg\":\"step counted 42\",\"time\":\"", 0), 0u) << text;
}

// What a cloned process forwards comes back out of the stream it travelled in, logged at the
// runtime's levels, and the rest of the stream (start's "0") is left as it was.
TEST_F(LogTest, ForwardedRecordsAreReplayedAndStripped) {
    hull::log::init({path_, hull::log::Format::Json, true});
    std::string stream;
    hull::log::forward_to([&stream](const std::string& record) { stream += record; });
    hull::log::debug("mounted /proc: with a : colon\nand a newline");
    hull::log::warn("a warning");
    hull::log::forward_to({});
    EXPECT_EQ(hull::sys::read_file(path_), "");  // nothing written while forwarding
    stream += "0";

    EXPECT_EQ(hull::log::replay(stream), "0");
    const std::string text = hull::sys::read_file(path_);
    EXPECT_NE(text.find("{\"level\":\"debug\",\"msg\":\"mounted /proc: with a : colon\\nand a newline\""), std::string::npos)
        << text;
    EXPECT_NE(text.find("{\"level\":\"warning\",\"msg\":\"a warning\""), std::string::npos) << text;

    // Without --debug here, forwarded debug records are dropped; warnings still count.
    hull::log::init({path_ + ".2", hull::log::Format::Json, false});
    EXPECT_EQ(hull::log::replay(stream), "0");
    const std::string second = hull::sys::read_file(path_ + ".2");
    EXPECT_EQ(second.find("debug"), std::string::npos) << second;
    EXPECT_NE(second.find("a warning"), std::string::npos) << second;
}

// The container process's records reach the runtime's log while it waits for a message: the
// receive that expects Ready logs them on the way.
TEST_F(LogTest, SyncChannelCarriesRecordsToTheRuntimeLog) {
    hull::log::init({path_, hull::log::Format::Json, true});
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    const hull::UniqueFd runtime_end(fds[0]), child_end(fds[1]);
    using hull::container::Message;
    hull::container::forward_log(child_end.get());
    hull::log::debug("mounted /proc (type proc, source proc)");
    hull::container::SyncChannel(child_end.get()).send(Message::Ready);
    hull::log::forward_to({});
    EXPECT_EQ(hull::sys::read_file(path_), "");

    EXPECT_EQ(hull::container::SyncChannel(runtime_end.get()).expect(Message::Ready, "ready"), "");
    EXPECT_NE(hull::sys::read_file(path_).find("\"msg\":\"mounted /proc (type proc, source proc)\""), std::string::npos);
}

TEST_F(LogTest, ReplayLeavesTextThatIsNotARecord) {
    hull::log::init({path_, hull::log::Format::Json, true});
    EXPECT_EQ(hull::log::replay("exec: permission denied"), "exec: permission denied");
    EXPECT_EQ(hull::log::replay("0\x1e" "d99:short"), "0\x1e" "d99:short");
    EXPECT_EQ(hull::log::replay("\x1e" "dx:y"), "\x1e" "dx:y");
}

}  // namespace
