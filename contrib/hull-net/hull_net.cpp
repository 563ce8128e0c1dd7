// hull-net: an OCI hook that connects a container to a CNI network.
//   createRuntime: hull-net add [--conf FILE | --conf-dir DIR] [--cni-path DIRS] [--state-dir DIR] [--ifname IF]
//   poststop:      hull-net del [--state-dir DIR]
// It reads the container state (id, pid, annotations) on stdin, runs the CNI plugins of the conf
// list with CNI_NETNS pointing at the container's network namespace, and records what DEL needs.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>

#include "attachments.hpp"
#include "cni.hpp"
#include "hull_build_config.h"
#include "netns.hpp"
#include "oci/state.hpp"

namespace {

using namespace hull::net;

constexpr const char* ports_annotation = "run.oci.hull.net.ports";

struct Options {
    std::string conf;
    std::string conf_dir = "/etc/hull/net.d";
    std::string cni_path = "/usr/lib/cni:/opt/cni/bin";
    std::string state_dir = "/run/hull-net";
    std::string ifname = "eth0";
};

oci::State read_state() {
    const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    try {
        return oci::parse_state(Json::parse(text), "the container state on stdin");
    } catch (const Json::exception& e) {
        throw hull::Error("the container state on stdin is not JSON (hull-net runs as an OCI hook): " + std::string(e.what()));
    }
}

Json runtime_config_for(const oci::State& state) {
    Json config = Json::object();
    const auto ports = state.annotations.find(ports_annotation);
    if (ports != state.annotations.end()) {
        try {
            config["portMappings"] = parse_port_mappings(ports->second);
        } catch (const hull::Error& e) {
            throw hull::Error(std::string("annotation ") + ports_annotation + ": " + e.what());
        }
    }
    return config;
}

std::string addresses(const Json& result) {
    std::string text;
    if (!result.contains("ips") || !result["ips"].is_array()) return text;
    for (const auto& ip : result["ips"]) {
        if (ip.contains("address") && ip["address"].is_string()) text += " " + ip["address"].get<std::string>();
    }
    return text;
}

void add(const Options& options) {
    const oci::State state = read_state();
    check_container_id(state.id);
    if (!state.pid || *state.pid <= 0) throw hull::Error("the container state has no pid (hull-net add runs as a createRuntime hook)");
    const NetworkList list = options.conf.empty() ? load_network_dir(options.conf_dir) : load_network_list(options.conf);
    const Json runtime_config = runtime_config_for(state);
    check_own_netns(*state.pid);

    const AttachmentStore store(options.state_dir);
    AttachmentStore::Reservation reservation(store, state.id, *state.pid);
    Attachment attachment;
    attachment.id = state.id;
    attachment.list = list;
    attachment.invocation.container_id = state.id;
    attachment.invocation.netns = reservation.netns();
    attachment.invocation.ifname = options.ifname;
    attachment.invocation.cni_path = options.cni_path;
    attachment.runtime_config = runtime_config;
    attachment.result = add_network_list(list, attachment.invocation, runtime_config);
    try {
        bring_up_loopback(reservation.netns());
        store.save(attachment);
    } catch (const hull::Error&) {
        try {
            del_network_list(list, attachment.invocation, runtime_config, attachment.result);
        } catch (const hull::Error&) {
        }
        throw;
    }
    reservation.commit();
    std::cout << "hull-net: " << state.id << ": " << options.ifname << addresses(attachment.result) << " on network "
              << list.name << "\n";
}

void del(const Options& options) {
    const oci::State state = read_state();
    const AttachmentStore store(options.state_dir);
    if (!store.exists(state.id)) return;  // never attached, or already detached: DEL is idempotent
    Attachment attachment = store.load(state.id);
    if (!store.netns_pinned(state.id)) {
        // Plugins release what they can without the namespace (IPAM); say what may be left.
        std::cerr << "hull-net: " << state.id << ": warning: " << attachment.invocation.netns
                  << " is no longer a network namespace; running DEL without one\n";
        attachment.invocation.netns.clear();
    }
    try {
        del_network_list(attachment.list, attachment.invocation, attachment.runtime_config, attachment.result);
    } catch (const hull::Error& e) {
        throw hull::Error(std::string(e.what()) + " (the attachment stays in " + store.dir(state.id) +
                          "; fix the cause and run hull-net del again)");
    }
    store.remove(state.id);
}

void add_common_flags(CLI::App& command, Options& options) {
    command.add_option("--state-dir", options.state_dir, "where attachments are recorded")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
    // A plugin that exits without reading its netconf must not kill us with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"hull-net - connects containers to CNI networks, as an OCI createRuntime/poststop hook"};
    app.name("hull-net");
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", std::string("hull-net version ") + HULL_VERSION);
    Options options;
    std::string verb;
    auto* add_command = app.add_subcommand("add", "attach the container (state on stdin) to the network (createRuntime hook)");
    add_command->add_option("--conf", options.conf, "the network configuration list (.conflist or .conf)");
    add_command->add_option("--conf-dir", options.conf_dir, "use the first configuration in this directory")->capture_default_str();
    add_command->add_option("--cni-path", options.cni_path, "colon-separated directories of CNI plugins")->capture_default_str();
    add_command->add_option("--ifname", options.ifname, "interface name in the container")->capture_default_str();
    add_common_flags(*add_command, options);
    auto* del_command = app.add_subcommand("del", "detach the container (state on stdin) from its network (poststop hook)");
    add_common_flags(*del_command, options);
    add_command->callback([&verb] { verb = "add"; });
    del_command->callback([&verb] { verb = "del"; });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (verb == "add") {
            add(options);
        } else {
            del(options);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "hull-net " << verb << ": " << e.what() << "\n";
        return 1;
    }
}
