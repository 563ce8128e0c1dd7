// runc-compatible logging: `--log FILE --log-format text|json`.
// containerd keeps the last {"level":"error",...} line of the log; podman parses the file as one
// JSON object, so a failure writes exactly one error line.
#pragma once

#include <string>

namespace hull::log {

enum class Format { Text, Json };

struct Options {
    std::string path;  // empty: stderr
    Format format = Format::Text;
    bool debug = false;
};

void init(const Options& options);
void debug(const std::string& message);
void warn(const std::string& message);
// The failure of a verb: one line in the log (or on stderr when there is no --log file).
void error(const std::string& message);

}  // namespace hull::log
