#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <string_view>

#include "cli.hpp"
#include "hull/syscall.hpp"

namespace hull::cli {

namespace {

// The name of `uid` in the host's /etc/passwd, read directly as runc does (no NSS: hull is
// linked statically); once per owner, not once per container.
const std::string& owner_name(uid_t uid) {
    static std::map<uid_t, std::string> names;
    auto known = names.find(uid);
    if (known != names.end()) return known->second;
    std::string name = "#" + std::to_string(uid);
    std::string passwd;
    try {
        passwd = sys::read_file("/etc/passwd");
    } catch (const std::exception&) {
        // No passwd file: the number stands for the name.
    }
    const std::string uid_field = ":" + std::to_string(uid) + ":";
    for (size_t pos = 0; pos < passwd.size();) {
        const size_t end = std::min(passwd.find('\n', pos), passwd.size());
        const std::string_view line(passwd.data() + pos, end - pos);
        // name:password:uid:...
        const size_t first = line.find(':');
        const size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second != std::string_view::npos && line.compare(second, uid_field.size(), uid_field) == 0) {
            name = std::string(line.substr(0, first));
            break;
        }
        pos = end + 1;
    }
    return names.emplace(uid, std::move(name)).first->second;
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
        list.push_back(runc_state_json(c, owner_name(c.owner)));
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
