#include "signpost/util/JsonParse.hpp"
#include "signpost/util/JsonNode.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

namespace signpost::jsonparse {

using json = nlohmann::json;

struct Reader::Impl {
    simdjson::dom::parser parser;
};

namespace {

// Builds `out` from simdjson's element, in place (no temporary per value). A repeated member
// name keeps its last value, as nlohmann's parser does.
void build(json& out, simdjson::dom::element e) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
    case T::OBJECT: {
        out = json::object();
        auto& members = out.get_ref<json::object_t&>();
        // Placed after the last member when the names come in order (as nlohmann writes them,
        // so as our own exports have them): one comparison instead of a search from the root.
        for (auto [key, value] : simdjson::dom::object(e))
            build(members.try_emplace(members.end(), std::string(key))->second, value);
        return;
    }
    case T::ARRAY: {
        simdjson::dom::array list(e);
        out = json::array();
        auto& items = out.get_ref<json::array_t&>();
        items.reserve(list.size()); // counts up to 0xFFFFFF; beyond, reserve is a hint only
        for (auto value : list)
            build(items.emplace_back(), value);
        return;
    }
    case T::STRING: {
        out = std::string(e.get_string().value_unsafe());
        return;
    }
    case T::INT64: {
        const int64_t i = e.get_int64().value_unsafe();
        // nlohmann reads a number without a sign as unsigned, with one as signed.
        if (i >= 0)
            out = static_cast<uint64_t>(i);
        else
            out = i;
        return;
    }
    case T::UINT64: {
        out = e.get_uint64().value_unsafe();
        return;
    }
    case T::DOUBLE: {
        out = e.get_double().value_unsafe();
        return;
    }
    case T::BOOL: {
        out = e.get_bool().value_unsafe();
        return;
    }
    case T::NULL_VALUE:
        out = nullptr;
        return;
    }
}

using T = simdjson::dom::element_type;

// A copy with the nulls inside dropped (Node::toJson), of either kind of value.
json withoutNulls(const json& v) {
    if (v.is_object()) {
        json out = json::object();
        auto& members = out.get_ref<json::object_t&>();
        for (auto it = v.begin(); it != v.end(); ++it)
            if (!it->is_null()) members.try_emplace(members.end(), it.key(), withoutNulls(*it));
        return out;
    }
    if (v.is_array()) {
        json out = json::array();
        auto& items = out.get_ref<json::array_t&>();
        for (const auto& item : v)
            if (!item.is_null()) items.push_back(withoutNulls(item));
        return out;
    }
    return v;
}

json withoutNulls(simdjson::dom::element e) {
    if (e.type() == T::OBJECT) {
        json out = json::object();
        auto& members = out.get_ref<json::object_t&>();
        for (auto [key, value] : simdjson::dom::object(e)) {
            if (value.type() == T::NULL_VALUE)
                members.erase(std::string(key)); // the last value of a repeated name is what counts
            else
                members.insert_or_assign(members.end(), std::string(key), withoutNulls(value));
        }
        return out;
    }
    if (e.type() == T::ARRAY) {
        json out = json::array();
        auto& items = out.get_ref<json::array_t&>();
        for (auto item : simdjson::dom::array(e))
            if (item.type() != T::NULL_VALUE) items.push_back(withoutNulls(item));
        return out;
    }
    json out;
    build(out, e);
    return out;
}

bool fitsWithin(const json& v, size_t maxTextBytes, int depth, int maxDepth) {
    if (v.is_string()) return v.get_ref<const std::string&>().size() <= maxTextBytes;
    if (!v.is_structured()) return true;
    if (depth > maxDepth) return false;
    for (const auto& item : v)
        if (!fitsWithin(item, maxTextBytes, depth + 1, maxDepth)) return false;
    return true;
}

bool fitsWithin(simdjson::dom::element e, size_t maxTextBytes, int depth, int maxDepth) {
    switch (e.type()) {
    case T::STRING:
        return e.get_string_length().value_unsafe() <= maxTextBytes;
    case T::ARRAY:
        if (depth > maxDepth) return false;
        for (auto item : simdjson::dom::array(e))
            if (!fitsWithin(item, maxTextBytes, depth + 1, maxDepth)) return false;
        return true;
    case T::OBJECT:
        if (depth > maxDepth) return false;
        for (auto [name, value] : simdjson::dom::object(e))
            if (!fitsWithin(value, maxTextBytes, depth + 1, maxDepth)) return false;
        return true;
    default:
        return true;
    }
}

} // namespace

// ------------------------------------------------------------------------------------------ Node

Node::Type Node::type() const {
    if (m_json) {
        switch (m_json->type()) {
        case json::value_t::object:
            return Type::Object;
        case json::value_t::array:
            return Type::Array;
        case json::value_t::string:
            return Type::String;
        case json::value_t::boolean:
            return Type::Boolean;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return Type::Number;
        default:
            return Type::Null; // null, and nlohmann's binary and discarded, which parsing never makes
        }
    }
    switch (m_dom.type()) {
    case T::OBJECT:
        return Type::Object;
    case T::ARRAY:
        return Type::Array;
    case T::STRING:
        return Type::String;
    case T::BOOL:
        return Type::Boolean;
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
        return Type::Number;
    case T::NULL_VALUE:
        break;
    }
    return Type::Null;
}

std::string_view Node::str() const {
    if (m_json)
        return m_json->is_string() ? std::string_view(m_json->get_ref<const std::string&>()) : std::string_view();
    std::string_view out;
    if (m_dom.get_string().get(out) != simdjson::SUCCESS) return {};
    return out;
}

double Node::number() const {
    if (m_json) return m_json->is_number() ? m_json->get<double>() : 0;
    double out = 0;
    if (m_dom.get_double().get(out) != simdjson::SUCCESS) return 0;
    return out;
}

std::optional<Node> Node::find(std::string_view key) const {
    if (m_json) {
        if (!m_json->is_object()) return std::nullopt;
        auto it = m_json->find(key);
        if (it == m_json->end() || it->is_null()) return std::nullopt;
        return Node(*it);
    }
    if (m_dom.type() != T::OBJECT) return std::nullopt;
    std::optional<simdjson::dom::element> last;
    for (auto [name, value] : simdjson::dom::object(m_dom))
        if (name == key) last = value;
    if (!last || last->type() == T::NULL_VALUE) return std::nullopt;
    return Node(*last);
}

bool Node::mentions(std::string_view key) const {
    if (m_json) return m_json->is_object() && m_json->contains(key);
    if (m_dom.type() != T::OBJECT) return false;
    for (auto [name, value] : simdjson::dom::object(m_dom))
        if (name == key) return true;
    return false;
}

size_t Node::size() const {
    size_t n = 0;
    if (isArray())
        eachItem([&](Node, size_t) { ++n; });
    else if (isObject())
        eachMember([&](std::string_view, Node) { ++n; });
    return n;
}

bool Node::fits(size_t maxTextBytes, int maxDepth) const {
    return m_json ? fitsWithin(*m_json, maxTextBytes, 0, maxDepth) : fitsWithin(m_dom, maxTextBytes, 0, maxDepth);
}

namespace {
void appendDom(std::string& out, simdjson::dom::element e, std::initializer_list<std::string_view> skip = {});

void appendNumber(std::string& out, auto value) {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

void appendDom(std::string& out, simdjson::dom::element e, std::initializer_list<std::string_view> skip) {
    switch (e.type()) {
    case T::OBJECT: {
        // withoutNulls' object: in name order, a repeated name's last value counting (and a last
        // null dropping it). Most objects come with names in order, each once.
        struct Member {
            std::string_view name;
            simdjson::dom::element value;
        };
        std::vector<Member> members;
        bool ordered = true;
        for (auto [name, value] : simdjson::dom::object(e)) {
            if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
            if (!members.empty() && !(members.back().name < name)) ordered = false;
            members.push_back({name, value});
        }
        if (!ordered) { // by name, then as they came; the last of each name stays
            std::stable_sort(members.begin(), members.end(),
                             [](const Member& a, const Member& b) { return a.name < b.name; });
            std::vector<Member> last;
            for (size_t i = 0; i < members.size(); ++i)
                if (i + 1 == members.size() || members[i + 1].name != members[i].name) last.push_back(members[i]);
            members.swap(last);
        }
        out += '{';
        bool first = true;
        for (const auto& m : members) {
            if (m.value.type() == T::NULL_VALUE) continue;
            if (!first) out += ',';
            first = false;
            appendJsonString(out, m.name);
            out += ':';
            appendDom(out, m.value);
        }
        out += '}';
        return;
    }
    case T::ARRAY: {
        out += '[';
        bool first = true;
        for (auto item : simdjson::dom::array(e)) {
            if (item.type() == T::NULL_VALUE) continue;
            if (!first) out += ',';
            first = false;
            appendDom(out, item);
        }
        out += ']';
        return;
    }
    case T::STRING:
        appendJsonString(out, e.get_string().value_unsafe());
        return;
    case T::INT64:
        appendNumber(out, e.get_int64().value_unsafe());
        return;
    case T::UINT64:
        appendNumber(out, e.get_uint64().value_unsafe());
        return;
    case T::DOUBLE: // nlohmann's shortest form, and its ".0" on a whole number
        out += json(e.get_double().value_unsafe()).dump();
        return;
    case T::BOOL:
        out += e.get_bool().value_unsafe() ? "true" : "false";
        return;
    case T::NULL_VALUE:
        out += "null";
        return;
    }
}
} // namespace

void appendJsonString(std::string& out, std::string_view text) {
    out += '"';
    size_t run = 0; // start of the bytes that need no escape
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\r':
            out += "\\r";
            break;
        default: {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
}

void ObjectText::setArray(std::string_view name, const std::vector<std::string>& items) {
    std::string text = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) text += ',';
        text += items[i];
    }
    text += ']';
    set(name, std::move(text));
}

std::string ObjectText::dump(bool emptyAsNothing) const {
    if (emptyAsNothing && m_members.empty()) return {};
    std::string out = "{";
    for (const auto& [name, value] : m_members) {
        if (out.size() > 1) out += ',';
        appendJsonString(out, name);
        out += ':';
        out += value;
    }
    out += '}';
    return out;
}

ObjectText ObjectText::parse(std::string_view text) {
    ObjectText out;
    json value = json::parse(text, nullptr, false);
    if (value.is_object())
        for (auto it = value.begin(); it != value.end(); ++it)
            out.set(it.key(), it->dump());
    return out;
}

void Node::appendJson(std::string& out) const {
    if (m_json)
        out += withoutNulls(*m_json).dump();
    else
        appendDom(out, m_dom);
}

void Node::appendJsonWithout(std::string& out, std::initializer_list<std::string_view> skip) const {
    if (m_json) {
        json copy = withoutNulls(*m_json);
        if (copy.is_object())
            for (auto name : skip)
                copy.erase(std::string(name));
        out += copy.dump();
    } else if (m_dom.type() == T::OBJECT) {
        appendDom(out, m_dom, skip);
    } else {
        appendDom(out, m_dom);
    }
}

json Node::toJson() const {
    return m_json ? withoutNulls(*m_json) : withoutNulls(m_dom);
}

bool Node::eachDomMember(const std::function<bool(std::string_view, simdjson::dom::element)>& visit) const {
    if (m_dom.type() != T::OBJECT) return false;
    simdjson::dom::object members(m_dom);
    // Most objects come with their names in order and each once (nlohmann writes them so, and so
    // our own exports): visited as they are.
    bool ordered = true;
    std::string_view previous;
    bool first = true;
    for (auto [name, value] : members) {
        if (!first && !(previous < name)) {
            ordered = false;
            break;
        }
        previous = name;
        first = false;
    }
    if (ordered) {
        for (auto [name, value] : members)
            if (value.type() != T::NULL_VALUE && visit(name, value)) return true;
        return false;
    }
    std::vector<std::pair<std::string_view, simdjson::dom::element>> sorted;
    for (auto [name, value] : members)
        sorted.emplace_back(name, value);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < sorted.size(); ++i) {
        if (i + 1 < sorted.size() && sorted[i + 1].first == sorted[i].first) continue; // the last one counts
        if (sorted[i].second.type() != T::NULL_VALUE && visit(sorted[i].first, sorted[i].second)) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------- Reader

Reader::Reader() : m_impl(std::make_unique<Impl>()) {}
Reader::~Reader() = default;

std::optional<Node> Reader::node(std::string_view text) {
    auto parsed = m_impl->parser.parse(text.data(), text.size(), true);
    if (parsed.error() != simdjson::SUCCESS) return std::nullopt;
    return Node(parsed.value_unsafe());
}

json Reader::parse(std::string_view text) {
    // The text is copied into simdjson's padded buffer (it reads in 64-byte blocks).
    auto parsed = m_impl->parser.parse(text.data(), text.size(), true);
    if (parsed.error() != simdjson::SUCCESS) return json::parse(text);
    json out;
    build(out, parsed.value_unsafe());
    return out;
}

} // namespace signpost::jsonparse
