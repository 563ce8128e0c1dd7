#include <sys/mount.h>
#include <sys/stat.h>

#include "hull/error.hpp"
#include "rootfs/rootfs.hpp"

namespace hull::rootfs {

std::optional<OverlayDirs> overlay_request(const oci::StringMap& annotations, const std::string& state_dir) {
    const auto enabled = annotations.find(overlay_annotation);
    if (enabled == annotations.end() || enabled->second != "true") return std::nullopt;
    OverlayDirs dirs;
    const auto upper = annotations.find(overlay_upper_annotation);
    if (upper != annotations.end()) {
        if (upper->second.empty() || upper->second.front() != '/') {
            throw Error(std::string("annotations[\"") + overlay_upper_annotation + "\"]: must be an absolute path");
        }
        dirs.upper = upper->second;
        dirs.upper_kept = true;
    } else {
        dirs.upper = state_dir + "/overlay/upper";
    }
    dirs.work = dirs.upper_kept ? dirs.upper + ".work" : state_dir + "/overlay/work";
    dirs.merged = state_dir + "/overlay/merged";
    return dirs;
}

void make_overlay_dirs(const OverlayDirs& dirs) {
    for (const auto& dir : {dirs.merged.substr(0, dirs.merged.rfind('/')), dirs.upper, dirs.work, dirs.merged}) {
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("overlay rootfs: mkdir " + dir);
    }
}

void mount_overlay(const std::string& lower, const OverlayDirs& dirs) {
    for (const auto* path : {&lower, &dirs.upper, &dirs.work}) {
        if (path->find_first_of(",:\\") != std::string::npos) {
            throw Error("overlay rootfs: " + *path + " contains ',', ':' or '\\', which overlayfs options cannot hold");
        }
    }
    const std::string options = "lowerdir=" + lower + ",upperdir=" + dirs.upper + ",workdir=" + dirs.work;
    if (::mount("overlay", dirs.merged.c_str(), "overlay", 0, options.c_str()) != 0) {
        throw_errno("overlay rootfs: mount overlay on " + dirs.merged + " (" + options + ")");
    }
}

}  // namespace hull::rootfs
