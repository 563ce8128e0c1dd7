// The criu command lines checkpoint and restore build, and the flags they refuse: plain data,
// tested without criu.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "checkpoint/criu.hpp"
#include "hull/error.hpp"
#include "oci/config.hpp"
#include "terminal/terminal.hpp"

namespace {

using Args = std::vector<std::string>;

// The value after `flag`, or "" when the flag is absent.
std::string value_of(const Args& args, const std::string& flag) {
    const auto it = std::find(args.begin(), args.end(), flag);
    return it == args.end() || it + 1 == args.end() ? std::string() : *(it + 1);
}
bool has(const Args& args, const std::string& flag) { return std::find(args.begin(), args.end(), flag) != args.end(); }
// Every value of a repeated `flag`.
Args values_of(const Args& args, const std::string& flag) {
    Args values;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == flag) values.push_back(args[i + 1]);
    }
    return values;
}

TEST(CriuDump, ADumpNamesTheTreeImagesRootAndFreezer) {
    hull::criu::DumpPlan plan;
    plan.pid = 4242;
    plan.images_dir = "/img";
    plan.root = "/bundle/rootfs";
    plan.freeze_cgroup = "/sys/fs/cgroup/freezer/hull/c1";
    const Args args = hull::criu::dump_args(plan);
    EXPECT_EQ(args[1], "dump");
    EXPECT_EQ(value_of(args, "--tree"), "4242");
    EXPECT_EQ(value_of(args, "--images-dir"), "/img");
    EXPECT_EQ(value_of(args, "--work-dir"), "/img");  // the images dir when no --work-path
    EXPECT_EQ(value_of(args, "--root"), "/bundle/rootfs");
    EXPECT_EQ(value_of(args, "--freeze-cgroup"), "/sys/fs/cgroup/freezer/hull/c1");
    EXPECT_EQ(value_of(args, "--log-file"), "dump.log");
    EXPECT_FALSE(has(args, "--leave-running"));
    EXPECT_FALSE(has(args, "--track-mem"));
    EXPECT_FALSE(has(args, "--tcp-established"));
}

TEST(CriuDump, RuncFlagsBecomeCriuOptions) {
    hull::criu::DumpPlan plan;
    plan.pid = 1;
    plan.images_dir = "/img";
    plan.work_dir = "/work";
    plan.leave_running = true;
    plan.flags.tcp_established = plan.flags.ext_unix_sk = plan.flags.shell_job = plan.flags.file_locks = true;
    plan.flags.auto_dedup = true;
    plan.flags.manage_cgroups_mode = "strict";
    plan.flags.empty_ns = {"network"};
    const Args args = hull::criu::dump_args(plan);
    for (const char* flag : {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--auto-dedup",
                             "--manage-cgroups=strict"}) {
        EXPECT_TRUE(has(args, flag)) << flag;
    }
    EXPECT_EQ(value_of(args, "--work-dir"), "/work");
    EXPECT_EQ(value_of(args, "--empty-ns"), "net");
}

TEST(CriuDump, APreDumpTracksMemoryAndADumpOnTopNamesItsParent) {
    hull::criu::DumpPlan plan;
    plan.pid = 1;
    plan.images_dir = "/img";
    plan.pre_dump = true;
    plan.leave_running = true;  // a pre-dump always leaves it running; criu has no such flag there
    Args args = hull::criu::dump_args(plan);
    EXPECT_EQ(args[1], "pre-dump");
    EXPECT_EQ(value_of(args, "--log-file"), "pre-dump.log");
    EXPECT_TRUE(has(args, "--track-mem"));
    EXPECT_FALSE(has(args, "--leave-running"));

    plan.pre_dump = false;
    plan.parent_dir = "../pre";
    args = hull::criu::dump_args(plan);
    EXPECT_EQ(args[1], "dump");
    EXPECT_EQ(value_of(args, "--prev-images-dir"), "../pre");
    EXPECT_TRUE(has(args, "--track-mem"));
}

TEST(CriuDump, ExternalMountsFilesAndJoinedNamespaces) {
    hull::criu::DumpPlan plan;
    plan.pid = 1;
    plan.images_dir = "/img";
    plan.external_mounts = {"/data", "/etc/resolv.conf"};
    plan.external_files = {"file[18:3]"};
    plan.external_namespaces = {{"net", 4026532000}};
    const Args external = values_of(hull::criu::dump_args(plan), "--external");
    EXPECT_EQ(external, (Args{"mnt[/data]:/data", "mnt[/etc/resolv.conf]:/etc/resolv.conf", "file[18:3]",
                              "net[4026532000]:extRootNetNS"}));
}

TEST(CriuRestore, RestoresDetachedAsOurChildIntoTheCgroup) {
    hull::criu::RestorePlan plan;
    plan.images_dir = "/img";
    plan.root = "/run/hull/c1/criu-root";
    plan.pid_file = "/run/hull/c1/restore.pid";
    plan.cgroup_root = "/hull/c1";
    plan.external_mounts = {{"/data", "/srv/data"}};
    plan.inherit_fds = {{1, "pipe:[77]"}, {3, "extRootNetNS"}};
    const Args args = hull::criu::restore_args(plan);
    EXPECT_EQ(args[1], "restore");
    EXPECT_TRUE(has(args, "--restore-detached"));
    EXPECT_TRUE(has(args, "--restore-sibling"));
    EXPECT_EQ(value_of(args, "--root"), "/run/hull/c1/criu-root");
    EXPECT_EQ(value_of(args, "--pidfile"), "/run/hull/c1/restore.pid");
    EXPECT_EQ(value_of(args, "--cgroup-root"), "/hull/c1");
    EXPECT_EQ(value_of(args, "--log-file"), "restore.log");
    EXPECT_EQ(values_of(args, "--external"), (Args{"mnt[/data]:/srv/data"}));
    EXPECT_EQ(values_of(args, "--inherit-fd"), (Args{"fd[1]:pipe:[77]", "fd[3]:extRootNetNS"}));
    EXPECT_FALSE(has(args, "--empty-ns"));
    plan.flags.empty_ns = {"network"};
    plan.flags.tcp_established = true;
    const Args with_flags = hull::criu::restore_args(plan);
    EXPECT_EQ(value_of(with_flags, "--empty-ns"), "net");
    EXPECT_TRUE(has(with_flags, "--tcp-established"));
}

TEST(CriuFlags, RefusesWhatHullDoesNotDrive) {
    hull::CriuOptions options;
    EXPECT_NO_THROW(hull::criu::check_flags("checkpoint", options));
    options.manage_cgroups_mode = "ignore";
    options.empty_ns = {"network"};
    EXPECT_NO_THROW(hull::criu::check_flags("checkpoint", options));
    hull::CriuOptions lazy;
    lazy.lazy_pages = true;
    try {
        hull::criu::check_flags("checkpoint", lazy);
        FAIL() << "--lazy-pages accepted";
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("--lazy-pages"), std::string::npos) << e.what();
    }
    hull::CriuOptions mode;
    mode.manage_cgroups_mode = "sometimes";
    EXPECT_THROW(hull::criu::check_flags("restore", mode), hull::Error);
    hull::CriuOptions pid_ns;
    pid_ns.empty_ns = {"pid"};
    EXPECT_THROW(hull::criu::check_flags("restore", pid_ns), hull::Error);
}

TEST(CriuMounts, BindMountsAreExternalWithTheirHostSources) {
    const oci::Spec spec = oci::parse_config_text(R"({"ociVersion": "1.0.0", "root": {"path": "rootfs"},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/data", "type": "bind", "source": "data", "options": ["rbind"]},
                   {"destination": "/etc/hosts", "source": "/etc/hosts", "options": ["bind", "ro"]},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]})");
    EXPECT_EQ(hull::criu::external_mount_points(spec), (Args{"/data", "/etc/hosts"}));
    const auto sources = hull::criu::external_mount_sources(spec, "/bundle");
    ASSERT_EQ(sources.size(), 2u);
    EXPECT_EQ(sources[0], (std::pair<std::string, std::string>{"/data", "/bundle/data"}));
    EXPECT_EQ(sources[1], (std::pair<std::string, std::string>{"/etc/hosts", "/etc/hosts"}));
}

TEST(CriuStdio, APipeIsItsOwnKeyAHostFileIsExternalAFileInsideIsCriusOwn) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t self = ::getpid();
    // Our own fd of the pipe: "pipe:[N]".
    const std::string key = hull::criu::stdio_key(self, fds[0], {});
    EXPECT_EQ(key.rfind("pipe:[", 0), 0u) << key;
    // A file on a mount the "container" does not have: file[MNT:INODE].
    const int null = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(null, 0);
    const std::string file = hull::criu::stdio_key(self, null, {});
    EXPECT_EQ(file.rfind("file[", 0), 0u) << file;
    // The same file when its mount is the container's: criu restores it by path.
    EXPECT_EQ(hull::criu::stdio_key(self, null, hull::criu::mount_ids(self)), "");
    ::close(null);
    ::close(fds[0]);
    ::close(fds[1]);
    // A pty slave: tty[RDEV:DEV], its master being outside the container.
    const hull::terminal::Pty pty = hull::terminal::open_pty("/dev/ptmx", std::nullopt, 0);
    const std::string tty = hull::criu::stdio_key(self, pty.slave.get(), hull::criu::mount_ids(self));
    EXPECT_EQ(tty.rfind("tty[", 0), 0u) << tty;
}

}  // namespace

namespace {

TEST(CriuCgroups, ACgroupBindGetsTheNewContainersCgroupOfItsHierarchy) {
    const std::vector<std::string> v1{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu,cpuacct"};
    EXPECT_EQ(hull::criu::cgroup_bind_source("/sys/fs/cgroup", "/sys/fs/cgroup", {}, "/hull/c1"), "/sys/fs/cgroup/hull/c1");
    EXPECT_EQ(hull::criu::cgroup_bind_source("/sys/fs/cgroup/memory", "", v1, "/hull/c1"), "/sys/fs/cgroup/memory/hull/c1");
    EXPECT_EQ(hull::criu::cgroup_bind_source("/sys/fs/cgroup/cpu,cpuacct", "", v1, "/c"), "/sys/fs/cgroup/cpu,cpuacct/c");
    EXPECT_EQ(hull::criu::cgroup_bind_source("/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified", v1, "/c"),
              "/sys/fs/cgroup/unified/c");
}

}  // namespace
