// A CNI runtime (containernetworking/cni SPEC.md): loads a network configuration list and runs
// its plugins with CNI_COMMAND ADD or DEL, the netconf on stdin, chaining prevResult.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hull/error.hpp"
#include "oci/config.hpp"

namespace hull::net {

using Json = oci::Json;

// A network configuration list (a .conflist, or a single-plugin .conf turned into a list).
struct NetworkList {
    std::string name;
    std::string cni_version;
    std::vector<Json> plugins;  // each an object with a "type"
    std::string source;         // the file it came from, for messages
};

// Parses and validates `text`; `source` names it in errors.
NetworkList parse_network_list(const std::string& text, const std::string& source);
NetworkList load_network_list(const std::string& file);
// The first *.conflist, *.conf or *.json in `dir` in lexical order (libcni's rule).
NetworkList load_network_dir(const std::string& dir);
Json to_json(const NetworkList& list);

// What a plugin is run with, besides its netconf (the CNI_* environment).
struct Invocation {
    std::string container_id;
    std::string netns;   // path of the network namespace; may be empty for DEL
    std::string ifname = "eth0";
    std::string cni_path = "/usr/lib/cni:/opt/cni/bin";
    std::string cni_args;  // CNI_ARGS, "K=V;K=V"
};

// The failure of a plugin: its CNI error (code, msg, details) or how it failed.
class PluginError : public Error {
public:
    PluginError(const std::string& message, int code) : Error(message), cni_code_(code) {}
    int cni_code() const noexcept { return cni_code_; }

private:
    int cni_code_;
};

// The netconf a plugin of `list` gets on stdin: its own object plus the list's name and
// cniVersion, prevResult when chained, and runtimeConfig with the capabilities it declares.
Json plugin_netconf(const NetworkList& list, const Json& plugin, const std::optional<Json>& prev_result,
                    const Json& runtime_config);

// The executable for plugin type `type` in the colon-separated `cni_path`.
std::string find_plugin(const std::string& type, const std::string& cni_path);

// Turns what a failed plugin printed (CNI error JSON on stdout, or text) into one message.
std::string describe_failure(const std::string& plugin, const std::string& command, const std::string& out,
                             const std::string& err, int wait_status, int* cni_code = nullptr);

// Runs one plugin; returns its parsed stdout (the result for ADD, null when empty).
Json exec_plugin(const std::string& type, const std::string& command, const Invocation& invocation,
                 const Json& netconf);

// ADD through the list in order, each plugin getting the previous one's result. A missing plugin
// fails before any runs; when a plugin fails, DEL runs (best effort) for it and the plugins
// before it, last first, and the failure is thrown.
Json add_network_list(const NetworkList& list, const Invocation& invocation, const Json& runtime_config);

// DEL through the list in reverse with the ADD result as prevResult. Every plugin runs even when
// one fails; the failures are thrown together afterwards.
void del_network_list(const NetworkList& list, const Invocation& invocation, const Json& runtime_config,
                      const std::optional<Json>& add_result);

// "8080:80,5353:53/udp" (hostPort:containerPort[/protocol], optionally HOSTIP:hostPort:containerPort)
// into the runtimeConfig.portMappings array of the portmap plugin.
Json parse_port_mappings(const std::string& text);

}  // namespace hull::net
