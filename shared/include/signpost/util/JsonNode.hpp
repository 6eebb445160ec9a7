#pragma once
// A JSON value read where it lies: either a nlohmann::json or a value simdjson parsed, behind one
// read-only interface, so the HSDS mapping reads a large feed's records straight from simdjson's
// tape (no nlohmann::json built and freed for each: 0.5 s of a 100,000-service import's CPU)
// while every other caller keeps handing it nlohmann values.
//
// Both read alike, as the mapping has always seen a record after dropping its nulls (feeds write
// null for "absent"): a member or list item that is null is passed over, and list items are
// numbered without the nulls. A name that appears twice in an object has its last value (as
// nlohmann's parser keeps it), and an object's members are visited in name order (as nlohmann's
// std::map holds them), so anything that depends on order (the first problem reported) is the
// same either way.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>

namespace signpost::jsonparse {

// A string as JSON text, escaped as nlohmann's dump() escapes it (UTF-8 kept as it is),
// appended to `out`. The text must be valid UTF-8.
void appendJsonString(std::string& out, std::string_view text);

// An object's members as JSON texts, written as nlohmann writes the object they make: in name
// order, each name once. For building what is kept of a record without a nlohmann value.
class ObjectText {
  public:
    // Sets a member to a JSON text (replacing any of the same name).
    void set(std::string_view name, std::string text) {
        m_members.insert_or_assign(std::string(name), std::move(text));
    }
    // An array of JSON texts.
    void setArray(std::string_view name, const std::vector<std::string>& items);
    // Sets every member of `other` here (nlohmann's update()).
    void merge(const ObjectText& other) {
        for (const auto& [name, text] : other.m_members)
            m_members.insert_or_assign(name, text);
    }
    bool empty() const { return m_members.empty(); }
    bool contains(std::string_view name) const { return m_members.find(name) != m_members.end(); }
    // "{...}"; "" when empty() if `emptyAsNothing`.
    std::string dump(bool emptyAsNothing = false) const;
    // The members of a JSON object text (anything else: none).
    static ObjectText parse(std::string_view json);
    const std::string* find(std::string_view name) const {
        auto it = m_members.find(name);
        return it == m_members.end() ? nullptr : &it->second;
    }

  private:
    std::map<std::string, std::string, std::less<>> m_members;
};

class Node {
public:
    enum class Type { Null, Boolean, Number, String, Array, Object };

    explicit Node(const nlohmann::json& value) : m_json(&value) {}
    explicit Node(simdjson::dom::element value) : m_dom(value) {}

    Type type() const;
    bool isNull() const { return type() == Type::Null; }
    bool isBoolean() const { return type() == Type::Boolean; }
    bool isNumber() const { return type() == Type::Number; }
    bool isString() const { return type() == Type::String; }
    bool isArray() const { return type() == Type::Array; }
    bool isObject() const { return type() == Type::Object; }
    bool isStructured() const { return isArray() || isObject(); }

    std::string_view str() const; // a string's text (empty for anything else)
    double number() const;        // a number's value (0 for anything else)

    // The member named `key`, unless there is none or it is null.
    std::optional<Node> find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key).has_value(); }
    // Whether the object names `key` at all, even with null (nlohmann's contains).
    bool mentions(std::string_view key) const;

    // An array's items that are not null, or an object's members that are not null.
    size_t size() const;
    bool empty() const { return size() == 0; }

    // Calls f(Node item, size_t index) for each item of an array that is not null, the index
    // counting only those. f may return bool: true stops the walk.
    template <class F> void eachItem(F&& f) const;
    // Calls f(std::string_view name, Node value) for each member of an object that is not null,
    // in name order, a repeated name once with its last value. f may return bool: true stops.
    template <class F> void eachMember(F&& f) const;

    // Whether no text within is longer than `maxTextBytes` and no object or array lies deeper
    // than `maxDepth` (this value at depth 0). Quick, in no particular order; a member hidden by a
    // later one of the same name counts too, so "false" means "look closer".
    bool fits(size_t maxTextBytes, int maxDepth) const;

    // A nlohmann copy, with every null inside an object or array dropped: what the mapping keeps
    // of a record for export. It recurses: for values whose depth is bounded (the mapping checks a
    // record's first, with fits(); simdjson reads nothing deeper than 1,024).
    nlohmann::json toJson() const;
    // The text toJson().dump() gives, appended to `out`; from simdjson's reading it is written
    // where it lies, with no nlohmann value made and freed (which was a seventh of a large
    // import's reading).
    void appendJson(std::string& out) const;
    // The same for an object without the members named in `skip` (anything else: appendJson).
    void appendJsonWithout(std::string& out, std::initializer_list<std::string_view> skip) const;
    std::string dump() const {
        std::string out;
        appendJson(out);
        return out;
    }

private:
    template <class F, class... A> static bool call(F& f, A&&... a) {
        if constexpr (std::is_same_v<std::invoke_result_t<F&, A...>, bool>)
            return f(std::forward<A>(a)...);
        else {
            f(std::forward<A>(a)...);
            return false;
        }
    }
    // An object's members in simdjson, in the order eachMember visits them, through `visit`.
    bool eachDomMember(const std::function<bool(std::string_view, simdjson::dom::element)>& visit) const;

    const nlohmann::json* m_json = nullptr; // null: the value is m_dom
    simdjson::dom::element m_dom;
};

template <class F> void Node::eachItem(F&& f) const {
    size_t index = 0;
    if (m_json) {
        if (!m_json->is_array()) return;
        for (const auto& item : *m_json) {
            if (item.is_null()) continue;
            if (call(f, Node(item), index++)) return;
        }
        return;
    }
    if (m_dom.type() != simdjson::dom::element_type::ARRAY) return;
    for (simdjson::dom::element item : simdjson::dom::array(m_dom)) {
        if (item.type() == simdjson::dom::element_type::NULL_VALUE) continue;
        if (call(f, Node(item), index++)) return;
    }
}

template <class F> void Node::eachMember(F&& f) const {
    if (m_json) {
        if (!m_json->is_object()) return;
        for (auto it = m_json->begin(); it != m_json->end(); ++it) {
            if (it->is_null()) continue;
            if (call(f, std::string_view(it.key()), Node(*it))) return;
        }
        return;
    }
    eachDomMember([&](std::string_view name, simdjson::dom::element value) { return call(f, name, Node(value)); });
}

} // namespace signpost::jsonparse
