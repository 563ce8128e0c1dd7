// runc-compatible logging: `--log FILE --log-format text|json`.
// containerd keeps the last {"level":"error",...} line of the log; podman parses the file as one
// JSON object, so a failure writes exactly one error line.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace hull::log {

enum class Format { Text, Json };

struct Options {
    std::string path;  // empty: stderr
    Format format = Format::Text;
    bool debug = false;
};

void init(const Options& options);

// --debug: callers that must compute something for a debug line test this first.
bool debug_enabled() noexcept;

namespace detail {
void write_debug(const std::string& message);

template <class Part>
void append(std::string& out, const Part& part) {
    if constexpr (std::is_arithmetic_v<Part>) {
        out += std::to_string(part);
    } else {
        out += part;
    }
}
}  // namespace detail

// A debug line made of `parts` (strings and numbers), joined only when --debug is on: without it
// a debug line costs one test.
template <class... Parts>
void debug(const Parts&... parts) {
    if (!debug_enabled()) return;
    std::string message;
    (detail::append(message, parts), ...);
    detail::write_debug(message);
}

void warn(const std::string& message);
// The failure of a verb: one line in the log (or on stderr when there is no --log file).
void error(const std::string& message);

// A process the runtime cloned (the container's init, an exec'd process) does not write to the
// log itself: its stderr becomes the container's, and only the runtime knows the log is still
// wanted. From forward_to on, its records go to `forward`, one self-delimiting string each, which
// carries them to the runtime (a record it fails to carry is dropped). An empty function logs here
// again.
using Forward = std::function<void(const std::string& record)>;
void forward_to(Forward forward);

// In the runtime: logs the records a forwarding process sent (at the levels the runtime's own
// flags allow) and returns `stream` without them.
std::string replay(std::string_view stream);

}  // namespace hull::log
