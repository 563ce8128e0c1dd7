// `kill`: a signal to the container's process, or with --all to every process in its cgroup.
#include <signal.h>

#include "container/container.hpp"
#include "hull/error.hpp"
#include "hull/syscall.hpp"

namespace hull {

void kill_container(const RuntimeOptions& runtime, const std::string& id, int signal, bool all) {
    const auto c = container::Container::open(runtime, id);
    cgroups::Manager& cgroup = c.cgroup();
    // A frozen cgroup v1 task cannot die: after SIGKILL a paused container is thawed (as runc does),
    // or containerd's `task delete --force` of a paused task waits forever for the exit.
    const auto thaw_if_killed = [&] {
        if (signal == SIGKILL && cgroup.frozen()) cgroup.set_frozen(false);
    };
    if (all) {
        if (cgroup.has_cgroup()) {
            cgroup.signal_all(signal);
        } else {
            for (const pid_t pid : c.processes()) {
                if (::kill(pid, signal) != 0 && errno != ESRCH) throw_errno("kill " + std::to_string(pid));
            }
        }
        thaw_if_killed();
        return;
    }
    UniqueFd pidfd = c.open_process();
    // "container not running" is runc's wording; containerd's shim matches it to treat the kill
    // of an exited container as "process already finished".
    if (!pidfd) throw Error("cannot kill \"" + id + "\": container not running");
    if (sys::pidfd_send_signal(pidfd.get(), signal) != 0) throw_errno("kill " + id);
    thaw_if_killed();
}

}  // namespace hull
