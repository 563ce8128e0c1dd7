// The runtime-spec state document (`hull state`) and hull's own persisted record.
#pragma once

#include <optional>
#include <string>

#include "oci/config.hpp"

namespace oci {

// Exactly the spec's state: ociVersion, id, status, pid, bundle, annotations.
struct State {
    std::string ociVersion = spec_version;
    std::string id;
    std::string status;  // creating created running stopped (and "paused", as runc reports)
    std::optional<int> pid;  // present unless stopped
    std::string bundle;       // absolute
    StringMap annotations;
};

State parse_state(const Json& doc, const std::string& origin = "state");
Json to_json(const State& state);

}  // namespace oci
