// hull-net's CNI runtime: conf lists, netconf building, plugin errors, port mappings, and the
// ADD/DEL chains against fake plugins (shell scripts that log how they were called).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cni.hpp"
#include "hull/error.hpp"

namespace {

using hull::net::Json;
using hull::net::NetworkList;

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "";
}

TEST(NetConf, ParsesAListAndASingleConf) {
    const NetworkList list = hull::net::parse_network_list(
        R"({"cniVersion":"1.0.0","name":"n1","plugins":[{"type":"bridge","bridge":"b0"},{"type":"portmap"}]})", "f.conflist");
    EXPECT_EQ(list.name, "n1");
    EXPECT_EQ(list.cni_version, "1.0.0");
    ASSERT_EQ(list.plugins.size(), 2u);
    EXPECT_EQ(list.plugins[0]["bridge"], "b0");
    const NetworkList single = hull::net::parse_network_list(R"({"cniVersion":"0.4.0","name":"n2","type":"bridge"})", "f.conf");
    ASSERT_EQ(single.plugins.size(), 1u);
    EXPECT_EQ(single.plugins[0]["type"], "bridge");
}

TEST(NetConf, RejectsBadListsNamingTheFileAndField) {
    auto parse = [](const std::string& text) { return error_of([&] { hull::net::parse_network_list(text, "x.conflist"); }); };
    EXPECT_NE(parse("{").find("x.conflist: invalid JSON"), std::string::npos);
    EXPECT_NE(parse("[]").find("must be a JSON object"), std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","plugins":[{"type":"a"}]})").find("\"name\" is required"), std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","name":"a b","plugins":[{"type":"a"}]})").find("may only hold"), std::string::npos);
    EXPECT_NE(parse(R"({"name":"n","plugins":[{"type":"a"}]})").find("\"cniVersion\" is required"), std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[]})").find("plugins: must be a non-empty array"), std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"b"}]})").find("plugins[0]: \"type\" is required"),
              std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../../bin/sh"}]})").find("not a path"),
              std::string::npos);
    EXPECT_NE(parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a","capabilities":[]}]})").find("capabilities"),
              std::string::npos);
}

TEST(NetConf, PluginNetconfCarriesNameVersionPrevResultAndDeclaredCapabilities) {
    const NetworkList list = hull::net::parse_network_list(
        R"({"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge","name":"ignored"},
            {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}]})", "l");
    const Json runtime{{"portMappings", Json::array({{{"hostPort", 80}, {"containerPort", 8080}, {"protocol", "tcp"}}})},
                       {"bandwidth", {{"ingressRate", 1}}}};
    const Json first = hull::net::plugin_netconf(list, list.plugins[0], std::nullopt, runtime);
    EXPECT_EQ(first["name"], "net");
    EXPECT_EQ(first["cniVersion"], "1.0.0");
    EXPECT_FALSE(first.contains("prevResult"));
    EXPECT_FALSE(first.contains("runtimeConfig"));
    const Json prev{{"cniVersion", "1.0.0"}, {"ips", Json::array({{{"address", "10.0.0.2/24"}}})}};
    const Json second = hull::net::plugin_netconf(list, list.plugins[1], prev, runtime);
    EXPECT_EQ(second["prevResult"], prev);
    ASSERT_TRUE(second.contains("runtimeConfig"));
    EXPECT_EQ(second["runtimeConfig"]["portMappings"][0]["hostPort"], 80);
    EXPECT_FALSE(second["runtimeConfig"].contains("bandwidth"));
}

TEST(NetConf, DescribesPluginFailures) {
    int code = 0;
    const std::string cni = hull::net::describe_failure(
        "bridge", "ADD", R"({"cniVersion":"1.0.0","code":11,"msg":"failed to allocate","details":"range full"})", "",
        1 << 8, &code);
    EXPECT_EQ(cni, "plugin \"bridge\" ADD failed: failed to allocate (range full) [CNI error 11]");
    EXPECT_EQ(code, 11);
    EXPECT_EQ(hull::net::describe_failure("x", "DEL", "", "boom\n", 2 << 8), "plugin \"x\" DEL failed: exit status 2: boom");
    EXPECT_EQ(hull::net::describe_failure("x", "ADD", "", "", SIGKILL), "plugin \"x\" ADD failed: killed by signal 9");
}

TEST(NetConf, ParsesPortMappings) {
    const Json mappings = hull::net::parse_port_mappings("8080:80, 5353:53/udp,127.0.0.1:2222:22/tcp,[::1]:443:8443");
    ASSERT_EQ(mappings.size(), 4u);
    EXPECT_EQ(mappings[0], (Json{{"hostPort", 8080}, {"containerPort", 80}, {"protocol", "tcp"}}));
    EXPECT_EQ(mappings[1]["protocol"], "udp");
    EXPECT_EQ(mappings[2]["hostIP"], "127.0.0.1");
    EXPECT_EQ(mappings[2]["hostPort"], 2222);
    EXPECT_EQ(mappings[3]["hostIP"], "::1");
    EXPECT_EQ(mappings[3]["containerPort"], 8443);
    EXPECT_TRUE(hull::net::parse_port_mappings("").empty());
    for (const char* bad : {"80", "0:80", "70000:80", "a:80", "80:80/icmp", ":80"}) {
        EXPECT_NE(error_of([&] { hull::net::parse_port_mappings(bad); }).find("port mapping"), std::string::npos) << bad;
    }
}

// Fake plugins in a temp dir; each call appends "COMMAND TYPE CONTAINERID NETNS IFNAME STDIN" to log.
class FakePlugins : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/hull-net-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        log_ = dir_ + "/log";
        invocation_.container_id = "c1";
        invocation_.netns = "/proc/self/ns/net";
        invocation_.ifname = "eth9";
        invocation_.cni_path = dir_ + "/none:" + dir_;
        // ADD prints a result naming the plugin; "fail" fails ADD with a CNI error.
        for (const char* name : {"one", "two", "three"}) plugin(name, "");
        plugin("fail", R"(if [ "$CNI_COMMAND" = ADD ]; then echo '{"code":7,"msg":"no way"}'; exit 1; fi)");
        plugin("faildel", R"(if [ "$CNI_COMMAND" = DEL ]; then echo 'cannot undo' >&2; exit 3; fi)");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void plugin(const std::string& name, const std::string& extra) {
        const std::string path = dir_ + "/" + name;
        std::ofstream(path) << "#!/bin/sh\ninput=$(cat)\n"
                            << "echo \"$CNI_COMMAND " << name << " $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME $input\" >> " << log_ << "\n"
                            << extra << "\n"
                            << "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}],\"by\":\""
                            << name << "\"}'\nexit 0\n";
        ::chmod(path.c_str(), 0755);
    }

    NetworkList list(std::initializer_list<const char*> types) const {
        Json plugins = Json::array();
        for (const char* type : types) plugins.push_back({{"type", type}});
        return hull::net::parse_network_list(Json{{"cniVersion", "1.0.0"}, {"name", "fake"}, {"plugins", plugins}}.dump(), "fake");
    }

    // The log's lines as "COMMAND TYPE" pairs.
    std::vector<std::string> calls() const {
        std::ifstream in(log_);
        std::vector<std::string> result;
        std::string command, type;
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream words(line);
            words >> command >> type;
            result.push_back(command + " " + type);
        }
        return result;
    }
    std::string log_text() const {
        std::ifstream in(log_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    std::string dir_;
    std::string log_;
    hull::net::Invocation invocation_;
};

TEST_F(FakePlugins, AddChainsResultsAndPassesTheCniEnvironment) {
    const Json result = hull::net::add_network_list(list({"one", "two"}), invocation_, Json::object());
    EXPECT_EQ(result["by"], "two");
    EXPECT_EQ(calls(), (std::vector<std::string>{"ADD one", "ADD two"}));
    const std::string text = log_text();
    EXPECT_NE(text.find("ADD one c1 /proc/self/ns/net eth9 {"), std::string::npos) << text;
    // two got one's result as prevResult; one got none.
    const auto second_line = text.substr(text.find("ADD two"));
    EXPECT_NE(second_line.find(R"("prevResult":{"by":"one")"), std::string::npos) << second_line;
    EXPECT_EQ(text.substr(0, text.find("ADD two")).find("prevResult"), std::string::npos);
}

TEST_F(FakePlugins, AFailingAddUndoesThePluginsRunSoFarInReverse) {
    const std::string message = error_of([&] { hull::net::add_network_list(list({"one", "two", "fail", "three"}), invocation_, Json::object()); });
    EXPECT_EQ(message, "plugin \"fail\" ADD failed: no way [CNI error 7]");
    EXPECT_EQ(calls(), (std::vector<std::string>{"ADD one", "ADD two", "ADD fail", "DEL fail", "DEL two", "DEL one"}));
}

TEST_F(FakePlugins, AMissingPluginFailsBeforeAnyRuns) {
    const std::string message = error_of([&] { hull::net::add_network_list(list({"one", "missing"}), invocation_, Json::object()); });
    EXPECT_EQ(message, "CNI plugin \"missing\" not found in CNI_PATH " + invocation_.cni_path);
    EXPECT_TRUE(calls().empty());
}

TEST_F(FakePlugins, DelRunsEveryPluginInReverseAndReportsTheFailures) {
    const Json prev{{"cniVersion", "1.0.0"}, {"by", "saved"}};
    const std::string message = error_of([&] { hull::net::del_network_list(list({"one", "faildel", "two"}), invocation_, Json::object(), prev); });
    EXPECT_EQ(message, "plugin \"faildel\" DEL failed: exit status 3: cannot undo");
    EXPECT_EQ(calls(), (std::vector<std::string>{"DEL two", "DEL faildel", "DEL one"}));
    EXPECT_NE(log_text().find(R"("prevResult":{"by":"saved")"), std::string::npos);
}

TEST_F(FakePlugins, ConfDirPicksTheFirstConfigurationByName) {
    std::filesystem::create_directory(dir_ + "/conf");
    std::ofstream(dir_ + "/conf/20-b.conflist") << R"({"cniVersion":"1.0.0","name":"b","plugins":[{"type":"one"}]})";
    std::ofstream(dir_ + "/conf/10-a.conf") << R"({"cniVersion":"1.0.0","name":"a","type":"one"})";
    std::ofstream(dir_ + "/conf/00-ignored.txt") << "not a conf";
    EXPECT_EQ(hull::net::load_network_dir(dir_ + "/conf").name, "a");
    std::filesystem::create_directory(dir_ + "/empty");
    EXPECT_NE(error_of([&] { hull::net::load_network_dir(dir_ + "/empty"); }).find("no *.conflist"), std::string::npos);
}

}  // namespace
