// /proc/self/mountinfo lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hull::sys {

struct MountInfo {
    std::string root;         // the path of the mounted filesystem shown there ("/": all of it)
    std::string mount_point;
    std::string fstype;
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& text);

// The mounts of a mountinfo text, in its order, paths unescaped; malformed lines left out.
std::vector<MountInfo> parse_mountinfo(std::string_view text);

}  // namespace hull::sys
