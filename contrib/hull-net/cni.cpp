#include "cni.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "hull/subprocess.hpp"
#include "hull/syscall.hpp"
#include "oci/version.hpp"

extern char** environ;

namespace hull::net {

namespace {

bool valid_name(const std::string& name) {
    if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

std::string string_field(const Json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) throw Error(where + ": \"" + key + "\" is required");
    if (!it->is_string() || it->get<std::string>().empty()) throw Error(where + ": \"" + key + "\" must be a non-empty string");
    return it->get<std::string>();
}

void check_plugin(const Json& plugin, const std::string& where) {
    if (!plugin.is_object()) throw Error(where + ": must be an object");
    const std::string type = string_field(plugin, "type", where);
    if (type.find('/') != std::string::npos || type == "." || type == "..") {
        throw Error(where + ": type \"" + type + "\" must be a plugin name, not a path");
    }
    const auto capabilities = plugin.find("capabilities");
    if (capabilities != plugin.end() && !capabilities->is_object()) throw Error(where + ".capabilities: must be an object");
}

std::vector<std::string> plugin_environment(const std::string& command, const Invocation& invocation) {
    std::vector<std::string> env;
    bool has_path = false;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string text = *entry;
        if (text.rfind("CNI_", 0) == 0) continue;
        if (text.rfind("PATH=", 0) == 0) {
            if (text.size() == 5) continue;
            has_path = true;
        }
        env.push_back(text);
    }
    // Hooks may run with an empty environment; plugins look up iptables and the like in PATH.
    if (!has_path) env.push_back(std::string(oci::default_path_env));
    env.push_back("CNI_COMMAND=" + command);
    env.push_back("CNI_CONTAINERID=" + invocation.container_id);
    env.push_back("CNI_NETNS=" + invocation.netns);
    env.push_back("CNI_IFNAME=" + invocation.ifname);
    env.push_back("CNI_PATH=" + invocation.cni_path);
    if (!invocation.cni_args.empty()) env.push_back("CNI_ARGS=" + invocation.cni_args);
    return env;
}

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    const auto start = text.find_first_not_of(" \t\r\n");
    return start == std::string::npos ? std::string() : text.substr(start);
}

}  // namespace

NetworkList parse_network_list(const std::string& text, const std::string& source) {
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const Json::exception& e) {
        throw Error(source + ": invalid JSON: " + e.what());
    }
    if (!doc.is_object()) throw Error(source + ": must be a JSON object");
    NetworkList list;
    list.source = source;
    list.name = string_field(doc, "name", source);
    if (!valid_name(list.name)) {
        throw Error(source + ": name \"" + list.name + "\" may only hold letters, digits, '_', '.' and '-'");
    }
    list.cni_version = string_field(doc, "cniVersion", source);
    const auto plugins = doc.find("plugins");
    if (plugins == doc.end()) {
        // A single network configuration (.conf).
        check_plugin(doc, source);
        list.plugins.push_back(doc);
        return list;
    }
    if (!plugins->is_array() || plugins->empty()) throw Error(source + ": plugins: must be a non-empty array");
    for (size_t i = 0; i < plugins->size(); ++i) {
        check_plugin((*plugins)[i], source + ": plugins[" + std::to_string(i) + "]");
        list.plugins.push_back((*plugins)[i]);
    }
    return list;
}

NetworkList load_network_list(const std::string& file) {
    return parse_network_list(sys::read_file(file), file);
}

NetworkList load_network_dir(const std::string& dir) {
    DIR* stream = ::opendir(dir.c_str());
    if (stream == nullptr) throw_errno("--conf-dir " + dir);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        for (const char* suffix : {".conflist", ".conf", ".json"}) {
            const size_t length = std::strlen(suffix);
            if (name.size() > length && name.compare(name.size() - length, length, suffix) == 0) {
                names.push_back(name);
                break;
            }
        }
    }
    ::closedir(stream);
    if (names.empty()) throw Error("--conf-dir " + dir + ": no *.conflist, *.conf or *.json network configuration");
    std::sort(names.begin(), names.end());
    return load_network_list(dir + "/" + names.front());
}

Json to_json(const NetworkList& list) {
    return Json{{"cniVersion", list.cni_version}, {"name", list.name}, {"plugins", list.plugins}};
}

Json plugin_netconf(const NetworkList& list, const Json& plugin, const std::optional<Json>& prev_result,
                    const Json& runtime_config) {
    Json netconf = plugin;
    netconf["name"] = list.name;
    netconf["cniVersion"] = list.cni_version;
    netconf.erase("runtimeConfig");
    if (prev_result) {
        netconf["prevResult"] = *prev_result;
    } else {
        netconf.erase("prevResult");
    }
    const auto capabilities = plugin.find("capabilities");
    if (capabilities != plugin.end() && runtime_config.is_object()) {
        Json runtime = Json::object();
        for (const auto& [key, enabled] : capabilities->items()) {
            if (enabled.is_boolean() && enabled.get<bool>() && runtime_config.contains(key)) runtime[key] = runtime_config[key];
        }
        if (!runtime.empty()) netconf["runtimeConfig"] = runtime;
    }
    return netconf;
}

std::string find_plugin(const std::string& type, const std::string& cni_path) {
    if (auto path = sys::find_in_path(type, cni_path)) return *path;
    throw PluginError("CNI plugin \"" + type + "\" not found in CNI_PATH " + cni_path, 0);
}

std::string describe_failure(const std::string& plugin, const std::string& command, const std::string& out,
                             const std::string& err, int wait_status, int* cni_code) {
    std::string message = "plugin \"" + plugin + "\" " + command + " failed: ";
    try {
        const Json error = Json::parse(out);
        if (error.is_object() && error.contains("msg")) {
            message += error["msg"].is_string() ? error["msg"].get<std::string>() : error["msg"].dump();
            if (error.contains("details") && error["details"].is_string() && !error["details"].get<std::string>().empty()) {
                message += " (" + error["details"].get<std::string>() + ")";
            }
            if (error.contains("code") && error["code"].is_number_integer()) {
                const int code = error["code"].get<int>();
                if (cni_code != nullptr) *cni_code = code;
                message += " [CNI error " + std::to_string(code) + "]";
            }
            return message;
        }
    } catch (const Json::exception&) {
    }
    const std::string said = trimmed(!trimmed(err).empty() ? err : out);
    if (WIFSIGNALED(wait_status)) {
        message += "killed by signal " + std::to_string(WTERMSIG(wait_status));
    } else {
        message += "exit status " + std::to_string(WEXITSTATUS(wait_status));
    }
    if (!said.empty()) message += ": " + said;
    return message;
}

Json exec_plugin(const std::string& type, const std::string& command, const Invocation& invocation, const Json& netconf) {
    const std::string path = find_plugin(type, invocation.cni_path);
    sys::Command child;
    child.path = path;
    child.env = plugin_environment(command, invocation);
    child.input = netconf.dump();
    const sys::Outcome outcome = sys::run(child);
    const std::string& out = outcome.out;
    if (!outcome.succeeded()) {
        int code = 0;
        const std::string message = describe_failure(type, command, out, outcome.err, outcome.status, &code);
        throw PluginError(message, code);
    }
    if (trimmed(out).empty()) return nullptr;
    try {
        return Json::parse(out);
    } catch (const Json::exception& e) {
        throw PluginError("plugin \"" + type + "\" " + command + ": its result is not JSON: " + e.what(), 0);
    }
}

namespace {

// DEL for plugins [0, count) of the list, last first.
void del_plugins(const NetworkList& list, size_t count, const Invocation& invocation, const Json& runtime_config,
                 const std::optional<Json>& add_result) {
    std::string failures;
    for (size_t i = count; i-- > 0;) {
        const Json& plugin = list.plugins[i];
        try {
            exec_plugin(plugin["type"].get<std::string>(), "DEL", invocation, plugin_netconf(list, plugin, add_result, runtime_config));
        } catch (const Error& e) {
            failures += (failures.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (!failures.empty()) throw Error(failures);
}

}  // namespace

Json add_network_list(const NetworkList& list, const Invocation& invocation, const Json& runtime_config) {
    // A missing plugin fails before anything is set up.
    for (const auto& plugin : list.plugins) find_plugin(plugin["type"].get<std::string>(), invocation.cni_path);
    std::optional<Json> result;
    for (size_t i = 0; i < list.plugins.size(); ++i) {
        const Json& plugin = list.plugins[i];
        try {
            Json next = exec_plugin(plugin["type"].get<std::string>(), "ADD", invocation,
                                    plugin_netconf(list, plugin, result, runtime_config));
            if (!next.is_null()) result = std::move(next);
        } catch (const Error& e) {
            // Undo what this plugin and the ones before it may have set up.
            std::string message = std::string(e.what());
            try {
                del_plugins(list, i + 1, invocation, runtime_config, result);
            } catch (const Error& cleanup) {
                message += "; undoing the ADD also failed: " + std::string(cleanup.what());
            }
            throw Error(message);
        }
    }
    if (!result) throw Error(list.source + ": no plugin returned a result for ADD");
    return *result;
}

void del_network_list(const NetworkList& list, const Invocation& invocation, const Json& runtime_config,
                      const std::optional<Json>& add_result) {
    del_plugins(list, list.plugins.size(), invocation, runtime_config, add_result);
}

Json parse_port_mappings(const std::string& text) {
    Json mappings = Json::array();
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string entry = trimmed(text.substr(start, end - start));
        start = end + 1;
        if (entry.empty()) continue;
        const std::string original = entry;
        std::string protocol = "tcp";
        if (const auto slash = entry.find('/'); slash != std::string::npos) {
            protocol = entry.substr(slash + 1);
            entry.resize(slash);
            if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
                throw Error("port mapping \"" + original + "\": protocol must be tcp, udp or sctp");
            }
        }
        const auto last = entry.rfind(':');
        if (last == std::string::npos || last == 0) {
            throw Error("port mapping \"" + original + "\": expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTOCOL]");
        }
        const auto before = entry.rfind(':', last - 1);
        const std::string host_port = before == std::string::npos ? entry.substr(0, last) : entry.substr(before + 1, last - before - 1);
        std::string host_ip = before == std::string::npos ? "" : entry.substr(0, before);
        if (host_ip.size() >= 2 && host_ip.front() == '[' && host_ip.back() == ']') host_ip = host_ip.substr(1, host_ip.size() - 2);
        auto port = [&](const std::string& value) {
            char* stop = nullptr;
            const long number = std::strtol(value.c_str(), &stop, 10);
            if (value.empty() || *stop != '\0' || number < 1 || number > 65535) {
                throw Error("port mapping \"" + original + "\": \"" + value + "\" is not a port (1-65535)");
            }
            return static_cast<int>(number);
        };
        Json mapping{{"hostPort", port(host_port)}, {"containerPort", port(entry.substr(last + 1))}, {"protocol", protocol}};
        if (!host_ip.empty()) mapping["hostIP"] = host_ip;
        mappings.push_back(std::move(mapping));
    }
    return mappings;
}

}  // namespace hull::net
