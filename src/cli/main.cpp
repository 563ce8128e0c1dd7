#include <unistd.h>

#include <exception>
#include <iostream>

#include "cli.hpp"
#include "hull/state_store.hpp"
#include "hull_build_config.h"
#include "oci/version.hpp"

namespace {

std::string version_text() {
    return std::string("hull version ") + HULL_VERSION + "\ncommit: " + HULL_COMMIT + "\nspec: " + oci::spec_version;
}

// The first argument that is neither a global option nor its value: the verb the user meant.
std::string first_operand(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.empty() || arg[0] != '-') return arg;
        const bool takes_value = arg == "--root" || arg == "--log" || arg == "--log-format" || arg == "--rootless";
        if (takes_value) ++i;
    }
    return {};
}

std::string usage_error(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
    std::string message = e.what();
    if (app.get_subcommands().empty()) {
        const std::string verb = first_operand(argc, argv);
        bool known = false;
        for (const auto* command : app.get_subcommands({})) known = known || command->check_name(verb);
        if (!verb.empty() && !known) {
            message = "unknown command \"" + verb + "\"";
        } else if (verb.empty() && e.get_name() == "RequiredError") {
            message = "a command is required";
        }
    }
    return message + " (see hull --help)";
}

}  // namespace

int main(int argc, char** argv) {
    using namespace hull::cli;
    CLI::App app{"hull - an OCI container runtime"};
    app.name("hull");
    app.require_subcommand(1);
    Globals globals;
    globals.root = hull::default_state_root();
    app.add_option("--root", globals.root, "root directory for storage of container state")->capture_default_str();
    app.add_option("--log", globals.log_path, "log file (default: stderr)");
    app.add_option("--log-format", globals.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_flag("--debug", globals.debug, "enable debug logging");
    app.add_flag("--systemd-cgroup", globals.systemd_cgroup, "manage cgroups with systemd (slice:prefix:name paths)");
    app.add_option("--rootless", globals.rootless, "ignored: hull tells rootless from its effective uid (accepted for runc compatibility)");
    app.set_version_flag("-v,--version", version_text());

    Action action;
    add_create(app, globals, action);
    add_start(app, globals, action);
    add_state(app, globals, action);
    add_kill(app, globals, action);
    add_delete(app, globals, action);
    add_run(app, globals, action);
    add_list(app, globals, action);
    add_spec(app, globals, action);
    add_features(app, globals, action);
    add_exec(app, globals, action);
    add_pause(app, globals, action);
    add_ps(app, globals, action);
    add_update(app, globals, action);
    add_events(app, globals, action);
    add_checkpoint(app, globals, action);
    add_restore(app, globals, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version print as CLI11 does; a usage error is one line and exit 1, like
        // every other error (callers keep the last line).
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        std::cerr << "hull: " << usage_error(app, e, argc, argv) << "\n";
        return 1;
    }
    try {
        if (globals.preserve_fds) hull::check_preserved_fds(*globals.preserve_fds);
    } catch (const std::exception& e) {
        std::cerr << "hull: " << e.what() << "\n";
        return 1;
    }
    try {
        hull::log::init({globals.log_path,
                         globals.log_format == "json" ? hull::log::Format::Json : hull::log::Format::Text,
                         globals.debug});
    } catch (const std::exception& e) {
        std::cerr << "hull: --log " << globals.log_path << ": " << e.what() << "\n";
        return 1;
    }
    try {
        return action();
    } catch (const std::exception& e) {
        hull::log::error(e.what());
        return 1;
    }
}
