// `pause` and `resume`: freeze and thaw every process of the container through its cgroup.
#include "container/container.hpp"
#include "hull/error.hpp"

namespace hull {

namespace {

void set_frozen(const RuntimeOptions& runtime, const std::string& id, bool freeze) {
    const char* verb = freeze ? "pause" : "resume";
    const container::Status from = freeze ? container::Status::Running : container::Status::Paused;
    const auto c = container::Container::open(runtime, id);
    // runc pauses a created container as well (its process waits on the exec fifo, frozen).
    const bool may = c.status() == from || (freeze && c.status() == container::Status::Created);
    if (!may) {
        // runc's words first ("container not running", "container not paused"), then hull's.
        throw Error(std::string("container not ") + std::string(container::status_name(from)) + ": cannot " + verb +
                    " container \"" + id + "\": it is " + std::string(container::status_name(c.status())));
    }
    c.cgroup_for(verb).set_frozen(freeze);
}

}  // namespace

void pause_container(const RuntimeOptions& runtime, const std::string& id) { set_frozen(runtime, id, true); }

void resume_container(const RuntimeOptions& runtime, const std::string& id) { set_frozen(runtime, id, false); }

}  // namespace hull
