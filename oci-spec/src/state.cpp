#include "json_reader.hpp"
#include "oci/state.hpp"

namespace oci {

State parse_state(const Json& doc, const std::string& origin) {
    const detail::Node n(doc, origin, "");
    State s;
    s.ociVersion = n.get<std::string>("ociVersion");
    s.id = n.get<std::string>("id");
    s.status = n.get<std::string>("status");
    s.pid = n.optional<int32_t>("pid");
    s.bundle = n.get<std::string>("bundle");
    s.annotations = n.get_or<StringMap>("annotations", {});
    return s;
}

Json to_json(const State& s) {
    Json j = {{"ociVersion", s.ociVersion}, {"id", s.id}, {"status", s.status}};
    if (s.pid) j["pid"] = *s.pid;
    j["bundle"] = s.bundle;
    detail::put(j, "annotations", s.annotations);
    return j;
}

}  // namespace oci
