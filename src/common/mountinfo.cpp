#include "common/mountinfo.hpp"

#include <algorithm>
#include <sstream>

namespace hull::sys {

std::string unescape_mountinfo(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 4 <= text.size()) {
            const std::string digits = text.substr(i + 1, 3);
            if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>(std::stoi(digits, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
    std::vector<MountInfo> mounts;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream before(line.substr(0, dash));
        std::istringstream after(line.substr(dash + 3));
        std::string id, parent, device, root, mount_point, fstype;
        if (!(before >> id >> parent >> device >> root >> mount_point) || !(after >> fstype)) continue;
        mounts.push_back({unescape_mountinfo(root), unescape_mountinfo(mount_point), fstype});
    }
    return mounts;
}

}  // namespace hull::sys
