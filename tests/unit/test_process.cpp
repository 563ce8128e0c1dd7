#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "hull/error.hpp"
#include "process/placement.hpp"
#include "process/process.hpp"

namespace {

int in_child(const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        int code = 98;
        try {
            code = body();
        } catch (...) {
            code = 99;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string status_field(const std::string& name) {
    std::ifstream file("/proc/self/status");
    std::string line;
    while (std::getline(file, line)) {
        if (line.rfind(name + ":", 0) == 0) return line.substr(line.find_first_not_of(" \t", name.size() + 1));
    }
    return {};
}

TEST(CapabilityTest, NamesMapToNumbersAndUnknownNamesFail) {
    EXPECT_EQ(hull::process::capability_from_name("CAP_CHOWN", "f"), 0);
    EXPECT_EQ(hull::process::capability_from_name("CAP_SYS_ADMIN", "f"), 21);
    try {
        hull::process::capability_from_name("CAP_FOO", "process.capabilities.bounding[2]");
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_EQ(std::string(e.what()), "process.capabilities.bounding[2]: unknown capability \"CAP_FOO\"");
    }
    EXPECT_THROW(hull::process::capability_from_name("sys_admin", "f"), hull::Error);
    const auto known = hull::process::known_capabilities();
    EXPECT_EQ(known.front(), "CAP_CHOWN");
    EXPECT_GE(known.size(), 41u);
}

TEST(CapabilityTest, SetsMatchTheConfigInheritableIsTheConfigsAmbientWithinIt) {
    if (::geteuid() != 0) GTEST_SKIP();
    EXPECT_EQ(in_child([] {
                  oci::Process p;
                  p.user = {1000, 1000, std::nullopt, {10, 20}, std::nullopt};
                  p.capabilities = oci::LinuxCapabilities{
                      std::vector<std::string>{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"},
                      std::vector<std::string>{"CAP_KILL"},
                      std::vector<std::string>{"CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
                      std::vector<std::string>{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
                      std::vector<std::string>{"CAP_NET_BIND_SERVICE"}};
                  hull::process::switch_user_and_capabilities(p);
                  if (::getuid() != 1000 || ::getgid() != 1000) return 1;
                  gid_t groups[4];
                  if (::getgroups(4, groups) != 2 || groups[0] != 10 || groups[1] != 20) return 2;
                  if (status_field("CapBnd") != "0000000000000421") return 3;  // CHOWN|KILL|NET_BIND_SERVICE
                  if (status_field("CapEff") != "0000000000000020") return 4;  // KILL
                  if (status_field("CapPrm") != "0000000000000420") return 5;  // KILL|NET_BIND_SERVICE
                  if (status_field("CapInh") != "0000000000000421") return 6;  // the config's, not widened or narrowed
                  if (status_field("CapAmb") != "0000000000000400") return 7;
                  return 0;
              }),
              0);
}

TEST(CapabilityTest, WithoutCapabilitiesEverythingIsDropped) {
    if (::geteuid() != 0) GTEST_SKIP();
    EXPECT_EQ(in_child([] {
                  oci::Process p;
                  hull::process::switch_user_and_capabilities(p);
                  for (const char* field : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
                      if (status_field(field) != "0000000000000000") return 1;
                  }
                  return 0;
              }),
              0);
}

TEST(RlimitTest, AppliesAndReportsFailuresWithErrnoText) {
    EXPECT_EQ(in_child([] {
                  hull::process::apply_rlimits({{"RLIMIT_NOFILE", 1024, 512}, {"RLIMIT_CORE", 0, 0}});
                  rlimit value{};
                  ::getrlimit(RLIMIT_NOFILE, &value);
                  return value.rlim_cur == 512 && value.rlim_max == 1024 ? 0 : 1;
              }),
              0);
    rlimit current{};
    ::getrlimit(RLIMIT_NOFILE, &current);
    try {
        hull::process::apply_rlimits({{"RLIMIT_NOFILE", current.rlim_max + 1, current.rlim_max + 1}});
        // With CAP_SYS_RESOURCE this may succeed; this machine lacks it.
        ::setrlimit(RLIMIT_NOFILE, &current);
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("process.rlimits[0] RLIMIT_NOFILE: setrlimit"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("Operation not permitted"), std::string::npos);
    }
}

TEST(FdTest, CloseFdsFromMarksEverythingCloexec) {
    EXPECT_EQ(in_child([] {
                  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
                  hull::process::close_fds_from(3);
                  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0 && (::fcntl(2, F_GETFD) & FD_CLOEXEC) == 0 ? 0 : 1;
              }),
              0);
}

TEST(OomScoreTest, RaisesTheScore) {
    EXPECT_EQ(in_child([] {
                  hull::process::apply_oom_score_adj(700);
                  std::ifstream file("/proc/self/oom_score_adj");
                  int value = 0;
                  file >> value;
                  return value == 700 ? 0 : 1;
              }),
              0);
}

}  // namespace

TEST(PlacementTest, IdListsParseAndRefuseWhatDoesNotExist) {
    using hull::process::parse_id_list;
    EXPECT_EQ(parse_id_list("0-2,5", "f", 8), (std::vector<unsigned>{0, 1, 2, 5}));
    EXPECT_EQ(parse_id_list("3,1,1", "f", 8), (std::vector<unsigned>{1, 3}));
    EXPECT_THROW(parse_id_list("8", "f", 8), hull::Error);
    EXPECT_THROW(parse_id_list("2-1", "f", 8), hull::Error);
    EXPECT_THROW(parse_id_list("a", "f", 8), hull::Error);
    EXPECT_THROW(parse_id_list("", "f", 8), hull::Error);
    EXPECT_THROW(parse_id_list("1,", "f", 8), hull::Error);
}

TEST(PlacementTest, MemoryPolicyPlans) {
    using hull::process::plan_memory_policy;
    oci::LinuxMemoryPolicy p;
    p.mode = "MPOL_BIND";
    p.nodes = "0";
    auto plan = plan_memory_policy(p, "0\n");
    EXPECT_EQ(plan.mode, 2);
    EXPECT_EQ(plan.nodemask, std::vector<unsigned long>{1});
    p.nodes = "0-1";
    EXPECT_EQ(plan_memory_policy(p, "0-3").nodemask, std::vector<unsigned long>{3});
    p.flags = {"MPOL_F_STATIC_NODES"};
    EXPECT_EQ(plan_memory_policy(p, "0-3").mode, 2 | (1 << 15));
    p.nodes = "7";
    try {
        plan_memory_policy(p, "0");
        FAIL();
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("node 7 is not an online NUMA node"), std::string::npos) << e.what();
    }
    p.nodes.emplace("0");
    p.flags = {"MPOL_F_BOGUS"};
    EXPECT_THROW(plan_memory_policy(p, "0"), hull::Error);
    p.flags = {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"};
    EXPECT_THROW(plan_memory_policy(p, "0"), hull::Error);
    p.flags.clear();
    p.mode = "MPOL_DEFAULT";
    EXPECT_THROW(plan_memory_policy(p, "0"), hull::Error);  // takes no nodes
    p.nodes.reset();
    EXPECT_EQ(plan_memory_policy(p, "0").mode, 0);
    p.mode = "MPOL_INTERLEAVE";
    EXPECT_THROW(plan_memory_policy(p, "0"), hull::Error);  // needs nodes
}
