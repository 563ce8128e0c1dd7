// Error flow for libhull: exceptions, used consistently.
// Every message names what failed, on which path or field, and why.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace hull {

// A failure with a complete, human-readable message ("open /run/hull/x/state.json: No such file or directory").
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int err = 0) : std::runtime_error(message), errno_(err) {}
    // The errno behind the failure, 0 when it was not a system call.
    int code() const noexcept { return errno_; }

private:
    int errno_;
};

// Formats "what: strerror(err)".
std::string errno_message(const std::string& what, int err);

// Throws Error("what: strerror(errno)") with the current errno.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace hull
