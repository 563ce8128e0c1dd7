// seccomp-probe CHECK...: what a seccomp profile does to a static program in a container. Prints one
// line per check:
//   thread   "thread: ok" when pthread_create works (glibc tries clone3, then clone on ENOSYS),
//            else "thread: <errno name>"
//   NUMBER   "syscall NUMBER: <errno name>" or "syscall NUMBER: returned N" (the call gets no
//            arguments: pick numbers for which that is harmless)
// Linked statically, so that it runs in any rootfs.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void* nothing(void*) { return nullptr; }

void check_thread() {
    pthread_t thread;
    const int err = ::pthread_create(&thread, nullptr, nothing, nullptr);
    if (err == 0) ::pthread_join(thread, nullptr);
    std::printf("thread: %s\n", err == 0 ? "ok" : ::strerrorname_np(err));
}

void check_syscall(long number) {
    const long rc = ::syscall(number, 0, 0, 0, 0, 0, 0);
    if (rc == -1) {
        std::printf("syscall %ld: %s\n", number, ::strerrorname_np(errno));
    } else {
        std::printf("syscall %ld: returned %ld\n", number, rc);
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "thread") == 0) {
            check_thread();
        } else {
            check_syscall(std::strtol(argv[i], nullptr, 0));
        }
    }
    return 0;
}
