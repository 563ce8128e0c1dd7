#include "hull/hooks.hpp"

#include <chrono>

#include "hull/error.hpp"
#include "hull/log.hpp"
#include "hull/subprocess.hpp"

namespace hull::hooks {

namespace {

constexpr size_t max_captured_output = 4096;

void run_one(const oci::Hook& hook, const std::string& name, const std::string& state_json) {
    log::debug("running ", name, ": ", hook.path);
    sys::Command command;
    command.path = hook.path;
    command.argv = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    command.env = hook.env;
    command.input = state_json;
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

}  // namespace

void run_all(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) run_one(hooks[i], hook_name(kind, i), state_json);
}

void run_all_warn(const std::vector<oci::Hook>& hooks, const std::string& kind, const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            run_one(hooks[i], hook_name(kind, i), state_json);
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
}

}  // namespace hull::hooks
