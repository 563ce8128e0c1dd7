#include <iostream>

#include "cli.hpp"

namespace hull::cli {

nlohmann::ordered_json runc_state_json(const ContainerSummary& container, const std::string& owner) {
    const oci::State& state = container.state;
    nlohmann::ordered_json j = {{"ociVersion", state.ociVersion}, {"id", state.id},
                                {"pid", state.pid.value_or(0)},   {"status", state.status},
                                {"bundle", state.bundle},         {"rootfs", container.rootfs},
                                {"created", container.created}};
    if (!state.annotations.empty()) j["annotations"] = state.annotations;
    j["owner"] = owner;
    return j;
}

void add_state(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("state", "print the state of a container (runtime-spec JSON)");
    auto id = std::make_shared<std::string>();
    command->add_option("container-id", *id, "container id")->required();
    command->callback([&globals, &action, id] {
        action = [&globals, id] {
            // runc leaves the owner empty in `state` (only `list` names it).
            std::cout << runc_state_json(container_summary(globals.runtime(), *id), "").dump(2) << "\n";
            return 0;
        };
    });
}

}  // namespace hull::cli
