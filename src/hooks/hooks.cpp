#include "hooks/hooks.hpp"

#include <chrono>

#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/subprocess.hpp"

namespace hull::hooks {

namespace {

constexpr size_t max_captured_output = 4096;

void run_one(const oci::Hook& hook, const std::string& name, const std::string& state_json, const std::string& dir) {
    log::debug("running ", name, ": ", hook.path);
    sys::Command command;
    command.path = hook.path;
    command.argv = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    command.env = hook.env;
    command.input = state_json;
    command.dir = dir;
    if (hook.timeout) command.timeout = std::chrono::seconds(*hook.timeout);
    command.stderr_to = sys::Stderr::WithStdout;
    command.capture_limit = max_captured_output;
    const sys::Outcome outcome = sys::run(command);
    std::string captured = outcome.out;
    while (!captured.empty() && (captured.back() == '\n' || captured.back() == ' ')) captured.pop_back();
    const std::string detail = captured.empty() ? "" : ": " + captured;
    if (!outcome.succeeded()) throw Error(name + " " + hook.path + ": " + outcome.describe(command) + detail);
    if (!captured.empty()) log::debug(name, " ", hook.path, " said: ", captured);
}

std::string hook_name(const std::string& kind, size_t index) {
    return "hook " + kind + "[" + std::to_string(index) + "]";
}

void run_each(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state, const std::string& dir) {
    const std::string state_json = oci::to_json(state).dump();
    for (size_t i = 0; i < hooks.size(); ++i) run_one(hooks[i], hook_name(kind, i), state_json, dir);
}

}  // namespace

void run_all(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state) {
    run_each(hooks, kind, state, state.bundle);
}

void run_all_in_container(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state) {
    run_each(hooks, kind, state, "");
}

void run_all_warn(const std::vector<oci::Hook>& hooks, const std::string& kind, const oci::State& state) {
    const std::string state_json = oci::to_json(state).dump();
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            run_one(hooks[i], hook_name(kind, i), state_json, state.bundle);
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
}

}  // namespace hull::hooks
