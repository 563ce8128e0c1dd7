// Recursive fd-relative copy for the tmpcopyup mount option.
#include "rootfs/copyup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "hull/error.hpp"
#include "hull/fd.hpp"

namespace hull::rootfs {

namespace {

constexpr int max_depth = 64;

std::vector<std::string> entries(int dir_fd, const std::string& what) {
    // fdopendir takes ownership of the fd it is given: hand it a duplicate.
    const int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw_errno(what + ": dup");
    DIR* stream = ::fdopendir(copy);
    if (stream == nullptr) {
        const int err = errno;
        ::close(copy);
        throw_errno(what + ": read directory", err);
    }
    ::rewinddir(stream);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(stream);
    return names;
}

void copy_owner_and_mode(int to, const std::string& name, const struct stat& st, const std::string& where) {
    if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(where + ": chown");
    if (!S_ISLNK(st.st_mode) && ::fchmodat(to, name.c_str(), st.st_mode & 07777, 0) != 0) throw_errno(where + ": chmod");
}

void copy_file(int from, int to, const std::string& name, const struct stat& st, const std::string& where) {
    UniqueFd in(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) throw_errno(where + ": open");
    UniqueFd out(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_errno(where + ": create");
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(in.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_errno(where + ": read");
        if (got == 0) break;
        for (ssize_t done = 0; done < got;) {
            const ssize_t put = ::write(out.get(), buffer + done, static_cast<size_t>(got - done));
            if (put < 0 && errno == EINTR) continue;
            if (put < 0) throw_errno(where + ": write");
            done += put;
        }
    }
    copy_owner_and_mode(to, name, st, where);
}

void copy_dir(int from, int to, const std::string& relative, const std::string& what, int depth) {
    if (depth > max_depth) throw Error(what + ": " + relative + ": deeper than " + std::to_string(max_depth) + " levels");
    for (const auto& name : entries(from, what + ": " + (relative.empty() ? "/" : relative))) {
        const std::string where = what + ": copy " + relative + "/" + name;
        struct stat st {};
        if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(where + ": stat");
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(to, name.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(where + ": mkdir");
            UniqueFd sub_from(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub_from) throw_errno(where + ": open");
            UniqueFd sub_to(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub_to) throw_errno(where + ": open copy");
            copy_dir(sub_from.get(), sub_to.get(), relative + "/" + name, what, depth + 1);
            copy_owner_and_mode(to, name, st, where);
        } else if (S_ISREG(st.st_mode)) {
            copy_file(from, to, name, st, where);
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
            const ssize_t length = ::readlinkat(from, name.c_str(), target.data(), target.size());
            if (length < 0) throw_errno(where + ": readlink");
            target.resize(static_cast<size_t>(length));
            if (::symlinkat(target.c_str(), to, name.c_str()) != 0) throw_errno(where + ": symlink");
            copy_owner_and_mode(to, name, st, where);
        } else if (S_ISFIFO(st.st_mode)) {
            if (::mkfifoat(to, name.c_str(), 0600) != 0) throw_errno(where + ": mkfifo");
            copy_owner_and_mode(to, name, st, where);
        }
        // Device nodes would not work on a nodev tmpfs anyway, and sockets cannot be copied.
    }
}

}  // namespace

void copy_tree(int from, int to, const std::string& what) { copy_dir(from, to, "", what, 0); }

}  // namespace hull::rootfs
