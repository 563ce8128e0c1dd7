#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "cgroups/manager.hpp"
#include "container/config.hpp"
#include "hull/container.hpp"
#include "hull/fd.hpp"
#include "hull/state_store.hpp"
#include "oci/state.hpp"
#include "terminal/terminal.hpp"

namespace hull::container {

// create without the public wrapper: returns the container process's pid. With process.terminal
// and no --console-socket, `terminal_master` (when given) receives the pty master; without it
// that is an error.
pid_t create(const RuntimeOptions& runtime, const std::string& id, const CreateOptions& options,
             UniqueFd* terminal_master = nullptr);

// Now, as the state's "created" time: RFC 3339 with nanoseconds, UTC.
std::string now_rfc3339();

// The record of a container being made (create, restore), marked creating, saved with its config
// before anything exists outside the state dir: `delete` can then undo one that was killed
// (kill -9 leaves no destructor to run): the cgroup, and the pid once known.
ContainerRecord begin_record(const ContainerDir& dir, const ContainerConfig& config, const cgroups::Manager& cgroup);

// The runtime-spec state document (what `state` prints, hooks read on stdin and the seccomp agent
// receives); a "stopped" container has no pid.
oci::State container_state(const std::string& id, const std::string& bundle, const oci::StringMap& annotations,
                           pid_t pid, const std::string& status);

// A foreground verb (run, exec) in front of a container process: the signals it would act on
// are blocked from construction on and forwarded to the process; it reaps the process.
class ForegroundSignals {
public:
    ForegroundSignals();
    ~ForegroundSignals();
    ForegroundSignals(const ForegroundSignals&) = delete;
    ForegroundSignals& operator=(const ForegroundSignals&) = delete;
    // Forwards signals until `pid` (a child of ours, or of a subreaper we are) exits; returns its
    // exit code, 128+N for a signal. With a relay, the terminal is relayed meanwhile and
    // SIGWINCH resizes it instead of being forwarded.
    int wait_for(pid_t pid, terminal::Relay* relay = nullptr);

private:
    sigset_t previous_{};
    UniqueFd signal_fd_;
};

}  // namespace hull::container
