#pragma once

#include <stdexcept>
#include <string>

namespace oci {

// A config, state or process document that is malformed or invalid.
// what() reads "config.json: process.user.uid: expected unsigned integer, got string".
class SpecError : public std::runtime_error {
public:
    SpecError(const std::string& origin, const std::string& json_path, const std::string& reason)
        : std::runtime_error(origin + ": " + json_path + ": " + reason), path_(json_path) {}
    const std::string& json_path() const noexcept { return path_; }

private:
    std::string path_;
};

}  // namespace oci
