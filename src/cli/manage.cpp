// pause, resume, ps, update, events.
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "hull/error.hpp"
#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"

namespace hull::cli {

namespace {

CLI::App* id_command(CLI::App& app, const char* name, const char* help, std::shared_ptr<std::string> id) {
    auto* command = app.add_subcommand(name, help);
    command->add_option("container-id", *id, "container id")->required();
    return command;
}

// runc's `ps`: the host's ps output filtered to the container's pids.
int print_ps_table(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args) {
    std::vector<std::string> argv{"ps"};
    if (ps_args.empty()) argv.emplace_back("-ef");
    argv.insert(argv.end(), ps_args.begin(), ps_args.end());
    const std::string output = sys::run_and_capture(argv);
    std::stringstream lines(output);
    std::string header;
    std::getline(lines, header);
    std::stringstream columns(header);
    std::string column;
    int pid_index = -1;
    for (int i = 0; columns >> column; ++i) {
        if (column == "PID") pid_index = i;
    }
    if (pid_index < 0) throw Error("ps output has no PID column");
    const std::set<pid_t> wanted(pids.begin(), pids.end());
    std::cout << header << "\n";
    std::string line;
    while (std::getline(lines, line)) {
        std::stringstream fields(line);
        std::string field;
        for (int i = 0; i <= pid_index; ++i) fields >> field;
        if (wanted.count(static_cast<pid_t>(std::atoi(field.c_str()))) != 0) std::cout << line << "\n";
    }
    return 0;
}

oci::LinuxResources read_resources_file(const std::string& path) {
    const std::string origin = path == "-" ? "resources (stdin)" : path;
    return oci::parse_resources(oci::parse_json(oci::read_document(path), origin), origin);
}

// runc's sizes (docker's RAMInBytes): a number of bytes with an optional binary unit suffix
// (b, k, m, g, t, p, with or without a trailing b, any case), or -1 for no limit.
int64_t parse_size(const std::string& flag, const std::string& text) {
    size_t end = 0;
    double value = 0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception&) {
        throw Error(flag + " \"" + text + "\": not a size (e.g. 512k, 50M, 1g, -1)");
    }
    std::string unit = text.substr(end);
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
    static const std::string units = "bkmgtp";
    const size_t power = unit.empty() ? 0 : units.find(unit);
    if (unit.size() > 1 || power == std::string::npos || (value < 0 && value != -1)) {
        throw Error(flag + " \"" + text + "\": not a size (e.g. 512k, 50M, 1g, -1)");
    }
    if (value == -1) return -1;
    return static_cast<int64_t>(value * static_cast<double>(1ULL << (10 * power)));
}

struct UpdateFlags {
    std::string resources_file;
    std::optional<std::string> memory, memory_swap, memory_reservation;
    std::optional<int64_t> pids_limit, cpu_quota, cpu_rt_runtime;
    std::optional<uint64_t> cpu_shares, cpu_period, cpu_rt_period;
    std::optional<uint16_t> blkio_weight;
    std::optional<std::string> cpuset_cpus, cpuset_mems;
};

oci::LinuxResources merged_resources(const Globals& globals, const std::string& id, const UpdateFlags& f) {
    oci::LinuxResources r = f.resources_file.empty() ? container_resources(globals.runtime(), id) : read_resources_file(f.resources_file);
    if (f.memory || f.memory_swap || f.memory_reservation) {
        if (!r.memory) r.memory.emplace();
        if (f.memory) r.memory->limit = parse_size("--memory", *f.memory);
        if (f.memory_swap) r.memory->swap = parse_size("--memory-swap", *f.memory_swap);
        if (f.memory_reservation) r.memory->reservation = parse_size("--memory-reservation", *f.memory_reservation);
    }
    if (f.cpu_shares || f.cpu_period || f.cpu_quota || f.cpu_rt_period || f.cpu_rt_runtime || f.cpuset_cpus || f.cpuset_mems) {
        if (!r.cpu) r.cpu.emplace();
        if (f.cpu_shares) r.cpu->shares = f.cpu_shares;
        if (f.cpu_period) r.cpu->period = f.cpu_period;
        if (f.cpu_quota) r.cpu->quota = f.cpu_quota;
        if (f.cpu_rt_period) r.cpu->realtimePeriod = f.cpu_rt_period;
        if (f.cpu_rt_runtime) r.cpu->realtimeRuntime = f.cpu_rt_runtime;
        if (f.cpuset_cpus) r.cpu->cpus = f.cpuset_cpus;
        if (f.cpuset_mems) r.cpu->mems = f.cpuset_mems;
    }
    if (f.pids_limit) r.pids = oci::LinuxPids{f.pids_limit};
    if (f.blkio_weight) {
        if (!r.blockIO) r.blockIO.emplace();
        r.blockIO->weight = f.blkio_weight;
    }
    return r;
}

}  // namespace

void add_pause(CLI::App& app, Globals& globals, Action& action) {
    auto id = std::make_shared<std::string>();
    id_command(app, "pause", "freeze every process of the container", id)->callback([&globals, &action, id] {
        action = [&globals, id] {
            pause_container(globals.runtime(), *id);
            return 0;
        };
    });
    id_command(app, "resume", "thaw a paused container", id)->callback([&globals, &action, id] {
        action = [&globals, id] {
            resume_container(globals.runtime(), *id);
            return 0;
        };
    });
}

void add_ps(CLI::App& app, Globals& globals, Action& action) {
    auto id = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    auto* command = id_command(app, "ps", "list the container's processes ([ps options] after the id)", id);
    command->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    command->prefix_command();
    command->callback([&globals, &action, id, format, command] {
        const auto ps_args = command->remaining();
        action = [&globals, id, format, ps_args] {
            const auto pids = container_pids(globals.runtime(), *id);
            if (*format == "json") {
                std::cout << oci::Json(pids).dump() << "\n";
                return 0;
            }
            return print_ps_table(pids, ps_args);
        };
    });
}

void add_update(CLI::App& app, Globals& globals, Action& action) {
    auto id = std::make_shared<std::string>();
    auto f = std::make_shared<UpdateFlags>();
    auto* command = id_command(app, "update", "change the resource limits of a container", id);
    command->add_option("-r,--resources", f->resources_file, "LinuxResources JSON file, - for stdin");
    command->add_option("-m,--memory", f->memory, "memory limit (bytes, or with a unit: 512k, 50M, 1g; -1: none)");
    command->add_option("--memory-swap", f->memory_swap, "memory + swap limit (as --memory)");
    command->add_option("--memory-reservation", f->memory_reservation, "memory soft limit (as --memory)");
    command->add_option("--pids-limit", f->pids_limit, "maximum number of pids");
    command->add_option("--cpu-share,--cpu-shares", f->cpu_shares, "CPU shares");
    command->add_option("--cpu-rt-period", f->cpu_rt_period, "CPU realtime period (us)");
    command->add_option("--cpu-rt-runtime", f->cpu_rt_runtime, "CPU realtime runtime (us)");
    command->add_option("--cpu-period", f->cpu_period, "CFS period (us)");
    command->add_option("--cpu-quota", f->cpu_quota, "CFS quota (us)");
    command->add_option("--cpuset-cpus", f->cpuset_cpus, "CPUs allowed");
    command->add_option("--cpuset-mems", f->cpuset_mems, "memory nodes allowed");
    command->add_option("--blkio-weight", f->blkio_weight, "block IO weight (10-1000)");
    command->callback([&globals, &action, id, f] {
        action = [&globals, id, f] {
            update_container(globals.runtime(), *id, merged_resources(globals, *id, *f));
            return 0;
        };
    });
}

void add_events(CLI::App& app, Globals& globals, Action& action) {
    auto id = std::make_shared<std::string>();
    auto stats = std::make_shared<bool>(false);
    auto interval = std::make_shared<std::string>("5s");
    auto* command = id_command(app, "events", "print container events (stats, oom) as JSON lines", id);
    command->add_flag("--stats", *stats, "print one stats record and exit");
    command->add_option("--interval", *interval, "time between stats records (e.g. 5s, 500ms)")->capture_default_str();
    command->callback([&globals, &action, id, stats, interval] {
        action = [&globals, id, stats, interval] {
            const std::string& text = *interval;
            int ms = 0;
            try {
                if (text.size() > 2 && text.substr(text.size() - 2) == "ms") ms = std::stoi(text.substr(0, text.size() - 2));
                else if (!text.empty() && text.back() == 's') ms = std::stoi(text.substr(0, text.size() - 1)) * 1000;
                else ms = std::stoi(text) * 1000;
            } catch (const std::exception&) {
                throw Error("--interval \"" + text + "\": expected a duration such as 5s or 500ms");
            }
            if (ms <= 0) throw Error("--interval \"" + text + "\": must be positive");
            container_events(globals.runtime(), *id, *stats, ms, [](const nlohmann::ordered_json& event) {
                std::cout << event.dump() << std::endl;
            });
            return 0;
        };
    });
}

}  // namespace hull::cli
