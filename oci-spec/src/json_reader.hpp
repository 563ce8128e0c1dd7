// Typed access to JSON members with the JSON path in every error.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "oci/config.hpp"
#include "oci/error.hpp"

namespace oci::detail {

// A position in a document: its origin ("config.json") and JSON path ("process.user").
class Node {
public:
    Node(const Json& value, std::string origin, std::string path)
        : value_(&value), origin_(std::move(origin)), path_(std::move(path)) {}

    const Json& value() const { return *value_; }
    const std::string& path() const { return path_; }
    [[noreturn]] void fail(const std::string& reason) const;
    [[noreturn]] void fail_member(const std::string& key, const std::string& reason) const;

    // This node must be an object; returns the member node or nullopt when absent (null counts as absent).
    std::optional<Node> member(const std::string& key) const;
    Node required(const std::string& key) const;
    std::vector<Node> elements() const;  // this node must be an array
    void expect_object() const;

    template <typename T>
    T as() const;

    template <typename T>
    std::optional<T> optional(const std::string& key) const {
        auto node = member(key);
        if (!node) return std::nullopt;
        return node->as<T>();
    }
    template <typename T>
    T get(const std::string& key) const {
        return required(key).as<T>();
    }
    template <typename T>
    T get_or(const std::string& key, T fallback) const {
        auto node = member(key);
        return node ? node->as<T>() : fallback;
    }
    // Arrays of objects parsed by `parse(Node)`.
    template <typename F>
    auto list(const std::string& key, F parse) const -> std::vector<decltype(parse(std::declval<Node>()))> {
        std::vector<decltype(parse(std::declval<Node>()))> result;
        if (auto node = member(key)) {
            for (const auto& element : node->elements()) result.push_back(parse(element));
        }
        return result;
    }
    std::string child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

private:
    const Json* value_;
    std::string origin_;
    std::string path_;
};

std::string type_name(const Json& value);

template <typename T>
T integer_in_range(const Node& node, const char* expected) {
    const Json& v = node.value();
    if constexpr (std::is_unsigned_v<T>) {
        if (v.is_number_unsigned()) {
            const auto n = v.get<uint64_t>();
            if (n > std::numeric_limits<T>::max()) node.fail(std::string("value ") + std::to_string(n) + " out of range for " + expected);
            return static_cast<T>(n);
        }
        if (v.is_number_integer()) {
            const auto n = v.get<int64_t>();
            if (n < 0) node.fail(std::string("expected ") + expected + ", got negative number " + std::to_string(n));
            if (static_cast<uint64_t>(n) > std::numeric_limits<T>::max()) node.fail(std::string("value ") + std::to_string(n) + " out of range for " + expected);
            return static_cast<T>(n);
        }
    } else {
        if (v.is_number_unsigned()) {
            const auto n = v.get<uint64_t>();
            if (n > static_cast<uint64_t>(std::numeric_limits<T>::max())) node.fail(std::string("value ") + std::to_string(n) + " out of range for " + expected);
            return static_cast<T>(n);
        }
        if (v.is_number_integer()) {
            const auto n = v.get<int64_t>();
            if (n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max()) {
                node.fail(std::string("value ") + std::to_string(n) + " out of range for " + expected);
            }
            return static_cast<T>(n);
        }
    }
    node.fail(std::string("expected ") + expected + ", got " + type_name(v));
}

template <typename T>
T Node::as() const {
    if constexpr (std::is_same_v<T, std::string>) {
        if (!value_->is_string()) fail("expected string, got " + type_name(*value_));
        return value_->get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!value_->is_boolean()) fail("expected boolean, got " + type_name(*value_));
        return value_->get<bool>();
    } else if constexpr (std::is_same_v<T, uint16_t>) {
        return integer_in_range<uint16_t>(*this, "unsigned 16-bit integer");
    } else if constexpr (std::is_same_v<T, uint32_t>) {
        return integer_in_range<uint32_t>(*this, "unsigned integer");
    } else if constexpr (std::is_same_v<T, uint64_t>) {
        return integer_in_range<uint64_t>(*this, "unsigned 64-bit integer");
    } else if constexpr (std::is_same_v<T, int32_t>) {
        return integer_in_range<int32_t>(*this, "integer");
    } else if constexpr (std::is_same_v<T, int64_t>) {
        return integer_in_range<int64_t>(*this, "64-bit integer");
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        std::vector<std::string> result;
        for (const auto& element : elements()) result.push_back(element.as<std::string>());
        return result;
    } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
        std::vector<uint32_t> result;
        for (const auto& element : elements()) result.push_back(element.as<uint32_t>());
        return result;
    } else if constexpr (std::is_same_v<T, StringMap>) {
        expect_object();
        StringMap result;
        for (const auto& [key, item] : value_->items()) {
            result[key] = Node(item, origin_, path_ + "[\"" + key + "\"]").as<std::string>();
        }
        return result;
    } else {
        static_assert(sizeof(T) == 0, "unsupported type");
    }
}

// Serialisation helpers: absent optionals and empty containers are left out.
template <typename T>
void put(Json& object, const char* key, const std::optional<T>& value) {
    if (value) object[key] = *value;
}
template <typename T>
void put(Json& object, const char* key, const std::vector<T>& value) {
    if (!value.empty()) object[key] = value;
}
inline void put(Json& object, const char* key, const StringMap& value) {
    if (!value.empty()) object[key] = value;
}
template <typename T, typename F>
void put_list(Json& object, const char* key, const std::vector<T>& values, F serialise) {
    if (values.empty()) return;
    Json array = Json::array();
    for (const auto& v : values) array.push_back(serialise(v));
    object[key] = std::move(array);
}

// Parses with the document limits of oci/config.hpp; errors name `origin`.
Json parse_text(const std::string& text, const std::string& origin);

}  // namespace oci::detail
