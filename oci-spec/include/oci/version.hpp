// The runtime-spec version hull implements: the one constant every document, message and
// `hull --version` takes it from.
#pragma once

#include <string_view>

namespace oci {

inline constexpr const char* spec_version = "1.3.0";

// The PATH a process gets when its environment has none (runc's and the spec's default).
inline constexpr std::string_view default_path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr std::string_view default_path = default_path_env.substr(5);

}  // namespace oci
