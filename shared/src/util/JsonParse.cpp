#include "signpost/util/JsonParse.hpp"

#include <simdjson.h>

#include <string>

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

} // namespace

Reader::Reader() : m_impl(std::make_unique<Impl>()) {}
Reader::~Reader() = default;

json Reader::parse(std::string_view text) {
    // The text is copied into simdjson's padded buffer (it reads in 64-byte blocks).
    auto parsed = m_impl->parser.parse(text.data(), text.size(), true);
    if (parsed.error() != simdjson::SUCCESS) return json::parse(text);
    json out;
    build(out, parsed.value_unsafe());
    return out;
}

} // namespace signpost::jsonparse
