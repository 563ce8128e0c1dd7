// Shared pieces of the hull command line: global options and the verb registry.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "hull/container.hpp"
#include "hull/log.hpp"

namespace hull::cli {

struct Globals {
    std::string root;
    std::string log_path;
    std::string log_format = "text";
    bool debug = false;
    bool systemd_cgroup = false;
    std::string rootless = "auto";
    // Set by create/run: fds from 3 that must already be open before hull opens its own.
    std::optional<unsigned> preserve_fds;

    RuntimeOptions runtime() const { return {root, systemd_cgroup}; }
};

// The action a verb runs after parsing; returns the process exit code.
using Action = std::function<int()>;

// Each verb file defines one of these: it adds its subcommand and sets `action` when chosen.
void add_create(CLI::App& app, Globals& globals, Action& action);
void add_start(CLI::App& app, Globals& globals, Action& action);
void add_state(CLI::App& app, Globals& globals, Action& action);
void add_kill(CLI::App& app, Globals& globals, Action& action);
void add_delete(CLI::App& app, Globals& globals, Action& action);
void add_run(CLI::App& app, Globals& globals, Action& action);
void add_list(CLI::App& app, Globals& globals, Action& action);
void add_spec(CLI::App& app, Globals& globals, Action& action);
void add_features(CLI::App& app, Globals& globals, Action& action);
void add_exec(CLI::App& app, Globals& globals, Action& action);
void add_pause(CLI::App& app, Globals& globals, Action& action);  // pause and resume
void add_ps(CLI::App& app, Globals& globals, Action& action);
void add_update(CLI::App& app, Globals& globals, Action& action);
void add_events(CLI::App& app, Globals& globals, Action& action);
void add_checkpoint(CLI::App& app, Globals& globals, Action& action);
void add_restore(CLI::App& app, Globals& globals, Action& action);

// A container as runc's `state` and `list --format json` print it: runc's fields in runc's order
// (ociVersion, id, pid, status, bundle, rootfs, created, annotations when any, owner), pid 0
// once stopped. Callers match raw prefixes, so the order is part of the contract.
nlohmann::ordered_json runc_state_json(const ContainerSummary& container, const std::string& owner);

// The create flags shared by create and run.
void add_create_flags(CLI::App& command, CreateOptions& options);

}  // namespace hull::cli
