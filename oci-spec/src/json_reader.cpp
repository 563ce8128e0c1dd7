#include "json_reader.hpp"

namespace oci::detail {

std::string type_name(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::object: return "object";
        case Json::value_t::array: return "array";
        case Json::value_t::string: return "string";
        case Json::value_t::boolean: return "boolean";
        case Json::value_t::number_integer: return value.get<int64_t>() < 0 ? "negative number" : "number";
        case Json::value_t::number_unsigned: return "number";
        case Json::value_t::number_float: return "floating-point number";
        default: return "unknown";
    }
}

void Node::fail(const std::string& reason) const { throw SpecError(origin_, path_.empty() ? "(document)" : path_, reason); }

void Node::fail_member(const std::string& key, const std::string& reason) const {
    throw SpecError(origin_, child_path(key), reason);
}

void Node::expect_object() const {
    if (!value_->is_object()) fail("expected object, got " + type_name(*value_));
}

std::optional<Node> Node::member(const std::string& key) const {
    expect_object();
    const auto it = value_->find(key);
    if (it == value_->end() || it->is_null()) return std::nullopt;
    return Node(*it, origin_, child_path(key));
}

Node Node::required(const std::string& key) const {
    auto node = member(key);
    if (!node) fail_member(key, "required field is missing");
    return *node;
}

std::vector<Node> Node::elements() const {
    if (!value_->is_array()) fail("expected array, got " + type_name(*value_));
    std::vector<Node> result;
    result.reserve(value_->size());
    for (size_t i = 0; i < value_->size(); ++i) result.emplace_back((*value_)[i], origin_, path_ + "[" + std::to_string(i) + "]");
    return result;
}

Json parse_text(const std::string& text, const std::string& origin) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw SpecError(origin, "(document)", std::string("invalid JSON: ") + e.what());
    }
}

}  // namespace oci::detail
