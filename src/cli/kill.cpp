#include "cli.hpp"
#include "flags.hpp"

namespace hull::cli {

void add_kill(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("kill", "send a signal (default TERM) to the container process");
    auto id = std::make_shared<std::string>();
    auto signal = std::make_shared<std::string>("TERM");
    auto all = std::make_shared<bool>(false);
    command->add_flag("-a,--all", *all, "signal every process in the container's cgroup");
    command->add_option("container-id", *id, "container id")->required();
    command->add_option("signal", *signal, "signal name (KILL, SIGKILL) or number")->capture_default_str();
    command->callback([&globals, &action, id, signal, all] {
        action = [&globals, id, signal, all] {
            kill_container(globals.runtime(), *id, parse_signal(*signal), *all);
            return 0;
        };
    });
}

}  // namespace hull::cli
