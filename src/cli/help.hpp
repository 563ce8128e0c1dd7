// runc's help layout for CLI11 (see help.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace hull::cli {

// `hull help [COMMAND]` (or `hull h`) prints the help of hull or of COMMAND, as runc's does.
inline constexpr const char* help_command = "help";
inline constexpr const char* help_command_alias = "h";

class RuncStyleHelp : public CLI::Formatter {
public:
    explicit RuncStyleHelp(std::string version);
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;

private:
    std::string version_;
};

}  // namespace hull::cli
