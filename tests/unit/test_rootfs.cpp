#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include <algorithm>

#include "common/mountinfo.hpp"
#include "container/config.hpp"
#include "hull/error.hpp"
#include "rootfs/bind.hpp"
#include "rootfs/mount_options.hpp"
#include "rootfs/mount_plan.hpp"

using hull::rootfs::parse_mount_options;

TEST(MountOptionsTest, FlagsAndTheirInverses) {
    auto o = parse_mount_options({"ro", "nosuid", "nodev", "noexec", "relatime"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME));
    EXPECT_EQ(o.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RELATIME);
    EXPECT_TRUE(o.data.empty());
    o = parse_mount_options({"ro", "rw", "noexec", "exec"});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.attr_set, 0u);
    EXPECT_EQ(o.attr_clear, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
}

TEST(MountOptionsTest, BindAndRecursiveOptions) {
    auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnodev"});
    EXPECT_TRUE(o.bind);
    EXPECT_TRUE(o.recursive_bind);
    EXPECT_EQ(o.recursive_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    o = parse_mount_options({"bind", "rro", "rrw"});
    EXPECT_FALSE(o.recursive_bind);
    EXPECT_EQ(o.recursive_set, 0u);
    EXPECT_EQ(o.recursive_clear, MOUNT_ATTR_RDONLY);
    EXPECT_TRUE(parse_mount_options({"idmap"}).idmap);
    EXPECT_FALSE(parse_mount_options({"idmap"}).recursive_idmap);
    EXPECT_TRUE(parse_mount_options({"ridmap"}).idmap);
    EXPECT_TRUE(parse_mount_options({"ridmap"}).recursive_idmap);
    EXPECT_TRUE(parse_mount_options({"ridmap"}).data.empty());  // hull's options never reach mount(2)
}

TEST(MountOptionsTest, PropagationLastWins) {
    EXPECT_EQ(parse_mount_options({"rprivate"}).propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_EQ(parse_mount_options({"shared", "rslave"}).propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
    EXPECT_EQ(parse_mount_options({"unbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE));
}

TEST(MountOptionsTest, TmpCopyUpIsHullsNotTheFilesystems) {
    const auto o = parse_mount_options({"rw", "nosuid", "tmpcopyup", "size=1m"});
    EXPECT_TRUE(o.copy_up);
    EXPECT_EQ(o.data, "size=1m");
    EXPECT_FALSE(parse_mount_options({"size=1m"}).copy_up);
}

TEST(MountOptionsTest, UnknownOptionsGoToTheFilesystem) {
    const auto o = parse_mount_options({"nosuid", "mode=755", "size=65536k", "newinstance", "defaults"});
    EXPECT_EQ(o.data, "mode=755,size=65536k,newinstance");
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID));
}

TEST(MountOptionsTest, AccessTimeIsOneModeForBinds) {
    // MOUNT_ATTR_RELATIME is 0: relatime must still replace a noatime the source has.
    EXPECT_EQ(parse_mount_options({"noatime", "relatime"}).atime, std::optional<uint64_t>(MOUNT_ATTR_RELATIME));
    EXPECT_EQ(parse_mount_options({"strictatime"}).atime, std::optional<uint64_t>(MOUNT_ATTR_STRICTATIME));
    EXPECT_EQ(parse_mount_options({"norelatime"}).atime, std::optional<uint64_t>(MOUNT_ATTR_STRICTATIME));
    EXPECT_EQ(parse_mount_options({"rnoatime"}).recursive_atime, std::optional<uint64_t>(MOUNT_ATTR_NOATIME));
    EXPECT_EQ(parse_mount_options({"rnostrictatime"}).recursive_atime, std::optional<uint64_t>(MOUNT_ATTR_RELATIME));
    EXPECT_FALSE(parse_mount_options({"ro"}).atime);
}

TEST(MountOptionsTest, SymfollowAndIversion) {
    auto o = parse_mount_options({"nosymfollow", "symfollow"});
    EXPECT_EQ(o.attr_clear, static_cast<uint64_t>(MOUNT_ATTR_NOSYMFOLLOW));
    EXPECT_EQ(parse_mount_options({"rsymfollow"}).recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_NOSYMFOLLOW));
    o = parse_mount_options({"iversion"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_I_VERSION));
    EXPECT_TRUE(o.data.empty());
    EXPECT_EQ(o.superblock_options, std::vector<std::string>{"iversion"});
}

TEST(MountOptionsTest, BindsRefuseWhatTheyCannotApply) {
    const auto refused = [](const std::vector<std::string>& options, const char* type) {
        oci::Mount m;
        m.destination = "/m";
        m.type = type;
        m.options = options;
        try {
            hull::rootfs::check_mount_options(m, 3);
        } catch (const hull::Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(refused({"rbind", "rdonly"}, "bind").find("mounts[3].options: \"rdonly\""), std::string::npos);
    EXPECT_NE(refused({"bind", "sync"}, "none").find("superblock"), std::string::npos);
    EXPECT_NE(refused({"bogusopt"}, "cgroup").find("\"bogusopt\""), std::string::npos);
    EXPECT_EQ(refused({"rbind", "ro", "nosuid", "relatime", "rprivate"}, "bind"), "");
    EXPECT_EQ(refused({"rbind", "mode=755", "size=1k"}, "bind"), "");  // another filesystem's data: a warning
    EXPECT_EQ(refused({"size=1m", "sync", "mode=755"}, "tmpfs"), "");  // the kernel judges a filesystem's options
}

TEST(MountOptionsTest, FeaturesListIsTheParsersTables) {
    const auto known = hull::rootfs::known_mount_options();
    EXPECT_TRUE(std::is_sorted(known.begin(), known.end()));
    for (const auto& option : known) {
        const auto o = parse_mount_options({option});
        EXPECT_TRUE(o.filesystem_options.empty()) << option << " is listed but goes to the filesystem";
    }
    EXPECT_EQ(std::count(known.begin(), known.end(), "remount"), 0);
    EXPECT_EQ(std::count(known.begin(), known.end(), "rnostrictatime"), 1);
}

namespace {

oci::Spec spec_with_mount(oci::Mount m, bool user_namespace) {
    oci::Spec spec;
    spec.linux.emplace();
    if (user_namespace) {
        spec.linux->namespaces.push_back({"user", {}});
        spec.linux->uidMappings = {{0, 100000, 65536}};
        spec.linux->gidMappings = {{0, 100000, 65536}};
    }
    spec.mounts.push_back(std::move(m));
    return spec;
}

std::string idmap_error(const oci::Spec& spec) {
    try {
        hull::rootfs::check_idmap(spec, spec.mounts[0], 0);
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(IdmapTest, OnlyBindMountsAreIdmapped) {
    oci::Mount tmpfs;
    tmpfs.destination = "/t";
    tmpfs.type = "tmpfs";
    tmpfs.options = {"idmap"};
    EXPECT_NE(idmap_error(spec_with_mount(tmpfs, true)).find("mounts[0]: idmapped mounts"), std::string::npos);
    tmpfs.options = {};
    tmpfs.uidMappings = tmpfs.gidMappings = {{0, 1000, 1}};
    EXPECT_NE(idmap_error(spec_with_mount(tmpfs, true)).find("type \"tmpfs\""), std::string::npos);
}

TEST(IdmapTest, IdmapWithoutMappingsTakesTheContainersUserNamespace) {
    oci::Mount bind;
    bind.destination = "/d";
    bind.source = "/srv";
    bind.options = {"rbind", "ridmap"};
    EXPECT_EQ(idmap_error(spec_with_mount(bind, true)), "");
    EXPECT_NE(idmap_error(spec_with_mount(bind, false)).find("mounts[0].options: \"ridmap\" without"), std::string::npos);
    oci::Spec joined = spec_with_mount(bind, false);
    joined.linux->namespaces.push_back({"user", std::string("/proc/1/ns/user")});
    EXPECT_EQ(idmap_error(joined), "");
    bind.uidMappings = bind.gidMappings = {{1000, 0, 1}};  // its own mappings: no user namespace needed
    EXPECT_EQ(idmap_error(spec_with_mount(bind, false)), "");
}

namespace {

oci::Mount mount_of(const std::string& destination, const std::string& type, std::vector<std::string> options,
                          const std::string& source = "") {
    oci::Mount m;
    m.destination = destination;
    if (!type.empty()) m.type = type;
    if (!source.empty()) m.source = source;
    m.options = std::move(options);
    return m;
}

// The mount plan is data: each config mount's kind, options and label are decided without root.
TEST(MountPlanTest, EachMountGetsItsKindInConfigOrder) {
    oci::Spec spec;
    spec.mounts = {mount_of("/proc", "proc", {}), mount_of("/data", "", {"rbind", "ro"}, "/srv"),
                   mount_of("/sys/fs/cgroup", "cgroup", {"ro"}), mount_of("/etc", "tmpfs", {"tmpcopyup"}),
                   mount_of("/sys", "sysfs", {"ro"}), mount_of("/run", "tmpfs", {"size=1m"})};
    hull::container::ContainerConfig config;
    config.spec = spec;
    config.labels.mount_label = "system_u:object_r:container_file_t:s0";
    hull::rootfs::Context ctx;
    ctx.config = &config;
    ctx.user_namespace = true;
    const auto steps = hull::rootfs::plan_mounts(ctx);
    using Kind = hull::rootfs::MountStep::Kind;
    ASSERT_EQ(steps.size(), 6u);
    EXPECT_EQ(steps[0].kind, Kind::Filesystem);
    EXPECT_EQ(steps[1].kind, Kind::Bind);
    EXPECT_TRUE(steps[1].options.recursive_bind);
    EXPECT_EQ(steps[1].host_tree, -1);
    EXPECT_EQ(steps[2].kind, Kind::Cgroup);
    EXPECT_EQ(steps[3].kind, Kind::TmpfsCopyUp);
    EXPECT_EQ(steps[4].kind, Kind::Filesystem);
    EXPECT_TRUE(steps[4].bind_host_sysfs_on_eperm);
    EXPECT_FALSE(steps[0].bind_host_sysfs_on_eperm);
    // tmpfs takes the SELinux mount label, proc does not.
    EXPECT_NE(steps[5].options.data.find("context="), std::string::npos) << steps[5].options.data;
    EXPECT_NE(steps[5].options.data.find("size=1m"), std::string::npos);
    for (size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i].index, i);
        EXPECT_NE(steps[i].what.find("mounts[" + std::to_string(i) + "]"), std::string::npos) << steps[i].what;
    }
}

TEST(MountPlanTest, AMountWithoutTypeOrBindIsRefusedByIndex) {
    oci::Spec spec;
    spec.mounts = {mount_of("/proc", "proc", {}), mount_of("/x", "none", {"ro"}, "/srv")};
    hull::container::ContainerConfig config;
    config.spec = spec;
    hull::rootfs::Context ctx;
    ctx.config = &config;
    try {
        hull::rootfs::plan_mounts(ctx);
        FAIL() << "a mount without a type was planned";
    } catch (const hull::Error& e) {
        EXPECT_NE(std::string(e.what()).find("mounts[1]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("needs a type"), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(MountInfoTest, FieldsUnescapedAndMalformedLinesSkipped) {
    const auto mounts = hull::sys::parse_mountinfo(
        "31 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "40 31 0:40 /sub /run/a\\040b rw shared:3 - sysfs sysfs rw\n"
        "no separator here\n");
    ASSERT_EQ(mounts.size(), 2u);
    EXPECT_EQ(mounts[0].mount_point, "/proc");
    EXPECT_EQ(mounts[0].root, "/");
    EXPECT_EQ(mounts[0].fstype, "proc");
    EXPECT_EQ(mounts[1].mount_point, "/run/a b");
    EXPECT_EQ(mounts[1].root, "/sub");
    EXPECT_EQ(mounts[1].fstype, "sysfs");
}
