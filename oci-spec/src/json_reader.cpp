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
    if (text.size() > max_document_bytes) {
        throw SpecError(origin, "(document)", "is " + std::to_string(text.size()) + " bytes, more than the " +
                                                  std::to_string(max_document_bytes) + " a document may have");
    }
    // Counted while parsing, so that a hostile document fails before it is built: a DOM node
    // costs tens of bytes per input byte, and the depth is the parser's recursion.
    size_t values = 0;
    const auto limit = [&](int depth, Json::parse_event_t event, Json&) {
        if (static_cast<size_t>(depth) > max_document_depth) {
            throw SpecError(origin, "(document)", "nested deeper than " + std::to_string(max_document_depth) + " levels");
        }
        if (event == Json::parse_event_t::value && ++values > max_document_values) {
            throw SpecError(origin, "(document)", "has more than " + std::to_string(max_document_values) + " values");
        }
        return true;
    };
    try {
        return Json::parse(text, limit);
    } catch (const Json::parse_error& e) {
        throw SpecError(origin, "(document)", std::string("invalid JSON: ") + e.what());
    }
}

}  // namespace oci::detail
