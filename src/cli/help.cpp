// `hull -h` and `hull COMMAND -h` in runc's layout (NAME, USAGE, COMMANDS, GLOBAL OPTIONS /
// OPTIONS), which people and scripts that know runc read.
#include "help.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

namespace hull::cli {

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// Rows as runc prints them: indented three spaces, descriptions aligned two spaces past the
// longest name.
std::string table(const Rows& rows) {
    size_t width = 0;
    for (const auto& [name, text] : rows) width = std::max(width, name.size());
    std::ostringstream out;
    for (const auto& [name, text] : rows) {
        out << "   " << name;
        if (!text.empty()) out << std::string(width - name.size() + 2, ' ') << text;
        out << "\n";
    }
    return out.str();
}

// "--bundle value, -b value": long names first, then short ones, each with "value" when it takes one.
std::string option_names(const CLI::Option* option) {
    const bool takes_value = option->get_expected_max() > 0;
    std::string names;
    const auto add = [&](const std::string& dashed) {
        if (!names.empty()) names += ", ";
        names += dashed;
        if (takes_value) names += " value";
    };
    for (const auto& name : option->get_lnames()) add("--" + name);
    for (const auto& name : option->get_snames()) add("-" + name);
    return names;
}

std::string option_text(const CLI::Option* option) {
    std::string text = option->get_description();
    if (option->get_expected_max() > 0 && !option->get_default_str().empty()) {
        text += " (default: \"" + option->get_default_str() + "\")";
    }
    return text;
}

// The options of an app, hidden ones left out, --help and --version last as runc lists them.
Rows option_rows(const CLI::App* app, bool with_help) {
    const CLI::Option* help = app->get_help_ptr();
    const CLI::Option* version = app->get_version_ptr();
    Rows rows;
    for (const CLI::Option* option : app->get_options()) {
        if (option->get_positional() || option->get_group().empty() || option == help || option == version) continue;
        rows.emplace_back(option_names(option), option_text(option));
    }
    if (with_help && help) rows.emplace_back(option_names(help), help->get_description());
    if (with_help && version) rows.emplace_back(option_names(version), version->get_description());
    return rows;
}

// "<container-id> [signal]": required operands in angle brackets, optional ones in square brackets.
std::string operands(const CLI::App* app) {
    std::string text;
    for (const CLI::Option* option : app->get_options()) {
        if (!option->get_positional()) continue;
        const std::string& name = option->get_name();
        text += option->get_required() ? " <" + name + ">" : " [" + name + "]";
    }
    if (app->get_prefix_command()) text += " [arguments...]";
    return text;
}

std::string command_help(const CLI::App* command, const std::string& name) {
    std::string help = "NAME:\n   " + name + " - " + command->get_description() + "\n\nUSAGE:\n   " + name;
    const Rows options = option_rows(command, false);
    if (!options.empty()) help += " [command options]";
    help += operands(command) + "\n";
    if (!options.empty()) help += "\nOPTIONS:\n" + table(options);
    // A footer says what this host supports (checkpoint: whether criu works here).
    const std::string footer = command->get_footer();
    if (!footer.empty()) help += "\n" + footer + (footer.back() == '\n' ? "" : "\n");
    return help;
}

}  // namespace

RuncStyleHelp::RuncStyleHelp(std::string version) : version_(std::move(version)) {}

std::string RuncStyleHelp::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode) const {
    if (app->get_parent() != nullptr) return command_help(app, name);
    Rows commands;
    for (const CLI::App* command : app->get_subcommands({})) {
        std::string names = command->get_name();
        for (const auto& alias : command->get_aliases()) names += ", " + alias;
        commands.emplace_back(names, command->get_description());
    }
    commands.emplace_back(std::string(help_command) + ", " + help_command_alias, "show the commands, or the help of one command");
    return "NAME:\n   " + name + " - " + app->get_description() + "\n\nUSAGE:\n   " + name +
           " [global options] command [command options] [arguments...]\n\nVERSION:\n   " + version_ +
           "\n\nCOMMANDS:\n" + table(commands) + "\nGLOBAL OPTIONS:\n" + table(option_rows(app, true));
}

}  // namespace hull::cli
