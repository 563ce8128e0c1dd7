#include <unistd.h>

#include <algorithm>
#include <array>
#include <exception>
#include <iostream>
#include <vector>

#include "cli.hpp"
#include "help.hpp"
#include "hull/state_store.hpp"
#include "hull_build_config.h"
#include "oci/version.hpp"

namespace {

using namespace hull::cli;

std::string version_text() {
    return std::string("hull version ") + HULL_VERSION + "\ncommit: " + HULL_COMMIT + "\nspec: " + oci::spec_version;
}

// The index of the first argument that is neither a global option nor its value (the verb the
// user meant), or argc.
int first_operand(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.empty() || arg[0] != '-') return i;
        const bool takes_value = arg == "--root" || arg == "--log" || arg == "--log-format" || arg == "--rootless";
        if (takes_value) ++i;
    }
    return argc;
}

// The arguments with `help [COMMAND]` (or `h`) turned into `[COMMAND] --help`, as runc takes them;
// `verb` is set to the command named, if any.
std::vector<char*> help_command_as_flag(int argc, char** argv, std::string& verb) {
    static char help_flag[] = "--help";
    std::vector<char*> args(argv, argv + argc);
    const int at = first_operand(argc, argv);
    verb = at < argc ? argv[at] : "";
    if (verb != hull::cli::help_command && verb != hull::cli::help_command_alias) return args;
    args.erase(args.begin() + at);
    verb = at < static_cast<int>(args.size()) ? args[at] : "";
    args.insert(args.begin() + std::min<size_t>(at + (verb.empty() ? 0 : 1), args.size()), help_flag);
    return args;
}

// Every verb with the names it answers to and the function that adds its subcommand.
struct Command {
    std::array<const char*, 2> names;
    void (*add)(CLI::App&, Globals&, Action&);
};
constexpr std::array<Command, 16> commands{{
    {{"create"}, add_create},          {{"start"}, add_start},     {{"state"}, add_state},
    {{"kill"}, add_kill},              {{"delete"}, add_delete},   {{"run"}, add_run},
    {{"list", "ls"}, add_list},        {{"spec"}, add_spec},       {{"features"}, add_features},
    {{"exec"}, add_exec},              {{"pause", "resume"}, add_pause}, {{"ps"}, add_ps},
    {{"update"}, add_update},          {{"events"}, add_events},   {{"checkpoint"}, add_checkpoint},
    {{"restore"}, add_restore},
}};

// Only the verb called is built (a process per verb: building all sixteen with their options was
// half of `state`'s instructions); without one, or with an unknown one, all are, for the help
// and the usage error.
void add_commands(CLI::App& app, Globals& globals, Action& action, const std::string& verb) {
    for (const auto& command : commands) {
        for (const char* name : command.names) {
            if (name != nullptr && verb == name) return command.add(app, globals, action);
        }
    }
    for (const auto& command : commands) command.add(app, globals, action);
}

bool is_command(const CLI::App& app, const std::string& verb) {
    for (const auto* command : app.get_subcommands({})) {
        if (command->check_name(verb)) return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace hull::cli;
    CLI::App app{"an OCI container runtime"};
    app.name("hull");
    // Set before the commands are added: each takes its parent's formatter and help flag.
    app.formatter(std::make_shared<RuncStyleHelp>(version_text()));
    app.set_help_flag("-h,--help", "show help");
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
    app.set_version_flag("-v,--version", version_text(), "print the version");

    std::string verb;
    std::vector<char*> args = help_command_as_flag(argc, argv, verb);
    Action action;
    add_commands(app, globals, action, verb);
    if (!verb.empty() && !is_command(app, verb)) {
        std::cerr << "hull: No help topic for '" << verb << "': hull has no command \"" << verb << "\" (see hull --help)\n";
        return 3;
    }
    try {
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::ParseError& e) {
        // As runc: --help and --version print on stdout and exit 0, and so does hull without a
        // command; an unknown command exits 3 (above); any other usage error is one line and
        // exit 1, like every other error (callers keep the last line).
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        if (verb.empty() && e.get_name() == "RequiredError") {
            std::cout << app.help();
            return 0;
        }
        std::cerr << "hull: " << e.what() << " (see hull --help)\n";
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
