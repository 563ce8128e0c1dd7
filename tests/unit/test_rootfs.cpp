#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include "../../src/rootfs/mount_options.hpp"

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
