// Every write hull makes under /proc goes through a procfs instance of our own (CVE-2025-52881):
// a fresh, detached procfs mount (fsopen), or a non-recursive clone of /proc where procfs cannot
// be mounted (and, unprivileged, /proc itself). Nothing mounted over a /proc path is part of it:
// every open below it refuses to cross a mount or follow a symlink, so a write can't be redirected.
#pragma once

#include <string>
#include <string_view>

#include "hull/fd.hpp"

namespace hull::procfs {

class Handle {
public:
    // A private procfs of the caller's pid namespace, verified (PROC_SUPER_MAGIC, root inode).
    // `why` names what needs it, for the error.
    static Handle open(const std::string& why);
    Handle() = default;

    // Opens `path` below this procfs ("sys/net/ipv4/ip_forward", "self/oom_score_adj",
    // "thread-self/attr/exec", "1234/uid_map"): "self" and "thread-self" are resolved here, then no
    // symlink is followed and no mount crossed. Returns an invalid fd with errno set on failure.
    UniqueFd open_file(std::string_view path, int flags) const;
    // Writes `data` to `path` in one write; returns 0 or the errno of the open or the write.
    int try_write(std::string_view path, std::string_view data) const;
    // The same, throwing "FIELD: write /proc/PATH: ERRNO TEXT" on failure.
    void write(std::string_view path, std::string_view data, const std::string& field) const;

    int fd() const noexcept { return root_.get(); }
    explicit operator bool() const noexcept { return root_.valid(); }

private:
    explicit Handle(UniqueFd root) : root_(std::move(root)) {}
    UniqueFd root_;
};

}  // namespace hull::procfs
