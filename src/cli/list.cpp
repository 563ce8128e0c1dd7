#include <pwd.h>

#include <iomanip>
#include <iostream>
#include <map>

#include "cli.hpp"

namespace hull::cli {

namespace {

// Each lookup may read the passwd database: once per owner, not once per container.
const std::string& owner_name(uid_t uid) {
    static std::map<uid_t, std::string> names;
    auto known = names.find(uid);
    if (known != names.end()) return known->second;
    const passwd* entry = ::getpwuid(uid);
    return names.emplace(uid, entry != nullptr ? std::string(entry->pw_name) : "#" + std::to_string(uid)).first->second;
}

void print_table(const std::vector<ContainerSummary>& containers) {
    std::vector<std::array<std::string, 6>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& c : containers) {
        rows.push_back({c.state.id, std::to_string(c.state.pid.value_or(0)), c.state.status, c.state.bundle, c.created,
                        owner_name(c.owner)});
    }
    std::array<size_t, 6> widths{};
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            std::cout << row[i];
            if (i + 1 < row.size()) std::cout << std::string(widths[i] - row[i].size() + 3, ' ');
        }
        std::cout << "\n";
    }
}

void print_json(const std::vector<ContainerSummary>& containers) {
    auto list = nlohmann::ordered_json::array();
    for (const auto& c : containers) {
        list.push_back({{"ociVersion", c.state.ociVersion},
                        {"id", c.state.id},
                        {"pid", c.state.pid.value_or(0)},
                        {"status", c.state.status},
                        {"bundle", c.state.bundle},
                        {"rootfs", c.rootfs},
                        {"created", c.created},
                        {"owner", owner_name(c.owner)}});
    }
    std::cout << list.dump() << "\n";
}

}  // namespace

void add_list(CLI::App& app, Globals& globals, Action& action) {
    auto* command = app.add_subcommand("list", "list containers");
    command->alias("ls");
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    command->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    command->add_flag("-q,--quiet", *quiet, "print only the container ids");
    command->callback([&globals, &action, format, quiet] {
        action = [&globals, format, quiet] {
            const auto containers = list_containers(globals.runtime());
            if (*quiet) {
                for (const auto& c : containers) std::cout << c.state.id << "\n";
            } else if (*format == "json") {
                print_json(containers);
            } else {
                print_table(containers);
            }
            return 0;
        };
    });
}

}  // namespace hull::cli
