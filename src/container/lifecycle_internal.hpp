#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

#include "hull/container.hpp"
#include "hull/fd.hpp"
#include "hull/state_store.hpp"
#include "oci/state.hpp"

namespace hull::container {

// create without the public wrapper: returns the container process's pid.
pid_t create(const RuntimeOptions& runtime, const std::string& id, const CreateOptions& options);

oci::State state_for_hooks(const std::string& id, const std::string& bundle, const oci::StringMap& annotations,
                           pid_t pid, const char* status);

// creating (an interrupted create) / created / running / paused / stopped, from the process (start time guards against pid reuse),
// the exec fifo and the cgroup freezer.
std::string current_status(const ContainerDir& dir, const ContainerRecord& record);

// A foreground verb (run, exec) in front of a container process: the signals it would act on
// are blocked from construction on and forwarded to the process; it reaps the process.
class ForegroundSignals {
public:
    ForegroundSignals();
    ~ForegroundSignals();
    ForegroundSignals(const ForegroundSignals&) = delete;
    ForegroundSignals& operator=(const ForegroundSignals&) = delete;
    // Forwards signals until `pid` (a child of ours, or of a subreaper we are) exits; returns its
    // exit code, 128+N for a signal.
    int wait_for(pid_t pid);

private:
    sigset_t previous_{};
    UniqueFd signal_fd_;
};

}  // namespace hull::container
