#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "hull/error.hpp"
#include "oci/config.hpp"
#include "seccomp/seccomp.hpp"

namespace {

oci::LinuxSeccomp profile_from(const std::string& json) {
    oci::Json doc = {{"ociVersion", "1.3.0"}, {"linux", {{"seccomp", oci::Json::parse(json)}}}};
    return *oci::parse_config(doc).linux->seccomp;
}

// Runs `body` in a child with no_new_privs and the filter loaded; returns the child's exit code.
int in_child_with(const oci::LinuxSeccomp& profile, const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        try {
            hull::seccomp::Filter::compile(profile).load();
        } catch (...) {
            ::_exit(99);
        }
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SeccompTest, BlockedSyscallReturnsTheConfiguredErrno) {
    const auto profile = profile_from(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["getcwd"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
        {"names":["no_such_syscall_name"],"action":"SCMP_ACT_ERRNO"}]})");
    EXPECT_EQ(in_child_with(profile, [] {
                  char buf[64];
                  if (::getcwd(buf, sizeof buf) != nullptr) return 1;
                  if (errno != 38) return 2;
                  return ::getpid() > 0 ? 0 : 3;  // an allowed syscall still works
              }),
              0);
}

// The ENOSYS stub: a syscall above every one the profile names is newer than the profile and gets
// ENOSYS (libc falls back); an older one it does not name still gets the default action.
TEST(SeccompTest, SyscallsNewerThanTheProfileGetEnosys) {
    const auto probe = [] {
        if (::syscall(SYS_getppid) <= 0) return 1;                                    // allowed
        if (::syscall(1000) != -1 || errno != ENOSYS) return 2;                      // no such syscall yet
        if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 3;    // newer than the profile
        if (::syscall(SYS_getcwd, nullptr, 0) != -1 || errno != EPERM) return 4;     // older, not named: default
        return 0;
    };
    EXPECT_EQ(in_child_with(profile_from(R"({"defaultAction":"SCMP_ACT_ERRNO",
        "syscalls":[{"names":["exit_group","exit","getppid"],"action":"SCMP_ACT_ALLOW"}]})"), probe), 0);
    // x86 and x32 listed too (docker's and podman's profiles): the native calls are stubbed alike,
    // and x32's numbers (bit 30 set) against x32's own limit.
    const auto multi_arch = profile_from(R"({"defaultAction":"SCMP_ACT_ERRNO",
        "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
        "syscalls":[{"names":["exit_group","exit","getppid"],"action":"SCMP_ACT_ALLOW"}]})");
    EXPECT_EQ(in_child_with(multi_arch, probe), 0);
#if defined(__x86_64__)
    constexpr long x32_bit = 0x40000000;
    EXPECT_EQ(in_child_with(multi_arch,
                            [] {
                                if (::syscall(x32_bit | 1000) != -1 || errno != ENOSYS) return 1;
                                if (::syscall(x32_bit | SYS_getcwd, nullptr, 0) != -1 || errno != EPERM) return 2;
                                return 0;
                            }),
              0);
#endif
    // A killing default kills for an old unnamed call, but a new one still gets ENOSYS.
    const auto kill_profile = profile_from(R"({"defaultAction":"SCMP_ACT_KILL_PROCESS",
        "syscalls":[{"names":["exit_group","exit","getppid"],"action":"SCMP_ACT_ALLOW"}]})");
    EXPECT_EQ(in_child_with(kill_profile, [] { return ::syscall(1000) == -1 && errno == ENOSYS ? 0 : 1; }), 0);
    EXPECT_EQ(in_child_with(kill_profile, [] { return static_cast<int>(::syscall(SYS_getcwd, nullptr, 0)); }), 128 + SIGSYS);
    // A permissive default needs no stub: the unnamed old call runs.
    EXPECT_EQ(in_child_with(profile_from(R"({"defaultAction":"SCMP_ACT_ALLOW",
        "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]})"),
                            [] { return ::syscall(SYS_getcwd, nullptr, 0) == -1 && errno == ERANGE ? 0 : 1; }),
              0);
}

// `features` lists the tables validate() uses: everything listed compiles, and a filter over every
// architecture at once keeps its ENOSYS stub working.
TEST(SeccompTest, EverythingFeaturesListsCompiles) {
    oci::Json profile = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"listenerPath", "/run/agent.sock"}};
    profile["architectures"] = hull::seccomp::supported_architectures();
    profile["flags"] = hull::seccomp::supported_flags();
    oci::Json syscalls = oci::Json::array();
    for (const auto& action : hull::seccomp::supported_actions()) {
        if (action != "SCMP_ACT_ERRNO") syscalls.push_back({{"names", {"getppid"}}, {"action", action}});
    }
    for (const auto& op : hull::seccomp::supported_operators()) {
        syscalls.push_back({{"names", {"personality"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {{{"index", 0}, {"value", 8}, {"op", op}}}}});
    }
    syscalls.push_back({{"names", {"exit_group", "exit"}}, {"action", "SCMP_ACT_ALLOW"}});
    profile["syscalls"] = syscalls;
    EXPECT_NO_THROW(hull::seccomp::Filter::compile(profile_from(profile.dump())));
    EXPECT_GE(hull::seccomp::supported_architectures().size(), 3U);

    profile.erase("listenerPath");
    profile["flags"] = oci::Json::array();
    profile["syscalls"] = {{{"names", {"exit_group", "exit", "getppid"}}, {"action", "SCMP_ACT_ALLOW"}}};
    EXPECT_EQ(in_child_with(profile_from(profile.dump()),
                            [] {
                                if (::syscall(SYS_getppid) <= 0) return 1;
                                if (::syscall(1000) != -1 || errno != ENOSYS) return 2;
                                return ::syscall(SYS_getcwd, nullptr, 0) == -1 && errno == EPERM ? 0 : 3;
                            }),
              0);
}

TEST(SeccompTest, ArgumentConditions) {
    const auto profile = profile_from(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":1,
         "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})");
    EXPECT_EQ(in_child_with(profile, [] {
                  if (::personality(0xffffffff) < 0) return 1;  // query: allowed
                  if (::personality(8) != -1 || errno != 1) return 2;
                  return 0;
              }),
              0);
}

TEST(SeccompTest, PodmanDefaultProfileRunsBusybox) {
    std::ifstream file(std::string(HULL_FIXTURES_DIR) + "/podman-config.json");
    std::stringstream text;
    text << file.rdbuf();
    const auto profile = *oci::parse_config_text(text.str()).linux->seccomp;
    EXPECT_EQ(in_child_with(profile, [] {
                  const pid_t pid = ::fork();
                  if (pid == 0) {
                      ::execl("/bin/busybox", "busybox", "true", nullptr);
                      ::_exit(50);
                  }
                  int status = 0;
                  ::waitpid(pid, &status, 0);
                  return WIFEXITED(status) ? WEXITSTATUS(status) : 60;
              }),
              0);
}

TEST(SeccompTest, NotifyHandsBackAListenerThatReceivesTheCall) {
    const auto profile = profile_from(R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock",
        "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_NOTIFY"}]})");
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        hull::UniqueFd listener = hull::seccomp::Filter::compile(profile).load();
        const int fd = listener.get();
        [[maybe_unused]] auto n = ::write(fds[1], &fd, sizeof fd);  // its number; the parent takes it with pidfd_getfd
        ::_exit(::getppid() == 4242 ? 0 : 1);
    }
    // The child blocks in getppid until answered; answer through the child's listener fd.
    int child_fd = -1;
    ASSERT_EQ(::read(fds[0], &child_fd, sizeof child_fd), static_cast<ssize_t>(sizeof child_fd));
    const hull::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    const hull::UniqueFd listener(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), child_fd, 0)));
    ASSERT_TRUE(listener.valid());
    seccomp_notif* req = nullptr;
    seccomp_notif_resp* resp = nullptr;
    ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
    ASSERT_EQ(seccomp_notify_receive(listener.get(), req), 0);
    EXPECT_EQ(req->data.nr, seccomp_syscall_resolve_name("getppid"));
    resp->id = req->id;
    resp->val = 4242;
    resp->error = 0;
    resp->flags = 0;
    EXPECT_EQ(seccomp_notify_respond(listener.get(), resp), 0);
    seccomp_notify_free(req, resp);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST(SeccompTest, ValidationNamesThePath) {
    const auto check = [](const std::string& json, const std::string& expected) {
        try {
            hull::seccomp::validate(profile_from(json));
            ADD_FAILURE() << "no error for " << json;
        } catch (const hull::Error& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    };
    check(R"({"defaultAction":"SCMP_ACT_FOO"})", "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]})",
          "linux.seccomp.architectures[0]: unknown architecture");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NOPE"]})", "linux.seccomp.flags[0]: unknown flag");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_S390X"]})",
          "linux.seccomp.architectures[1]: SCMP_ARCH_S390X has the other byte order");
#endif
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_X"}]})",
          "linux.seccomp.syscalls[0].action: unknown action");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]})",
          "linux.seccomp.syscalls[0].args[0].op: unknown operator");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
          "args[0].index: must be below 6");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]})",
          "linux.seccomp.listenerPath: required");
    check(R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/a","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_NOTIFY"}]})",
          "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall");
}

}  // namespace
