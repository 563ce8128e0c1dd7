// `run`: create + start; in the foreground, the signal relay, the wait and the delete.
#include <optional>

#include "container/lifecycle_internal.hpp"
#include "hull/container.hpp"
#include "terminal/terminal.hpp"

namespace hull {

int run_container(const RuntimeOptions& runtime, const std::string& id, const RunOptions& options) {
    if (options.detach) {
        container::create(runtime, id, options.create);
        try {
            start_container(runtime, id);
        } catch (...) {
            delete_container(runtime, id, true);
            throw;
        }
        return 0;
    }
    container::ForegroundSignals signals;
    // A terminal without --console-socket: the master comes to us and we relay it.
    UniqueFd master;
    const pid_t pid = container::create(runtime, id, options.create, &master);
    int code = 0;
    try {
        std::optional<terminal::Relay> relay;
        if (master) relay.emplace(std::move(master));
        start_container(runtime, id);
        code = signals.wait_for(pid, relay ? &*relay : nullptr);
    } catch (...) {
        delete_container(runtime, id, true);
        throw;
    }
    if (!options.keep) delete_container(runtime, id, true);
    return code;
}

}  // namespace hull
