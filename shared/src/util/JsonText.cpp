#include "signpost/util/JsonText.hpp"
#include "signpost/Error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace signpost::jsontext {

namespace {

[[noreturn]] void notA(const char* what, size_t at) {
    throw Error(ErrorDomain::Parse, std::string("the text is not one JSON ") + what + " (byte " + std::to_string(at) + ")");
}
[[noreturn]] void notAnObject(size_t at) { notA("object", at); }

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skipSpace(std::string_view s, size_t i) {
    while (i < s.size() && space(s[i])) ++i;
    return i;
}

// s[i] is the opening quote: the index just past the closing one.
size_t endOfString(std::string_view s, size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') ++i; // the escaped character, whatever it is, cannot close the string
        else if (s[i] == '"') return i + 1;
    }
    notAnObject(s.size());
}

// The index just past the value that starts at s[i].
size_t endOfValue(std::string_view s, size_t i) {
    if (i >= s.size()) notAnObject(i);
    const char first = s[i];
    if (first == '"') return endOfString(s, i);
    if (first == '{' || first == '[') {
        size_t depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = endOfString(s, i);
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            ++i;
        }
        notAnObject(s.size());
    }
    // A number, true, false or null: up to the next separator.
    size_t end = i;
    while (end < s.size() && s[end] != ',' && s[end] != '}' && s[end] != ']' && !space(s[end])) ++end;
    if (end == i) notAnObject(i);
    return end;
}

} // namespace

void forEachMember(std::string_view s, const std::function<void(std::string_view, std::string_view)>& visit) {
    size_t i = skipSpace(s, 0);
    if (i >= s.size() || s[i] != '{') notAnObject(i);
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == '}') {
        if (skipSpace(s, i + 1) != s.size()) notAnObject(i + 1);
        return;
    }
    for (;;) {
        if (i >= s.size() || s[i] != '"') notAnObject(i);
        const size_t nameEnd = endOfString(s, i);
        const std::string_view name = s.substr(i, nameEnd - i);
        i = skipSpace(s, nameEnd);
        if (i >= s.size() || s[i] != ':') notAnObject(i);
        i = skipSpace(s, i + 1);
        const size_t valueEnd = endOfValue(s, i);
        visit(name, s.substr(i, valueEnd - i));
        i = skipSpace(s, valueEnd);
        if (i < s.size() && s[i] == ',') {
            i = skipSpace(s, i + 1);
            continue;
        }
        if (i < s.size() && s[i] == '}') {
            if (skipSpace(s, i + 1) != s.size()) notAnObject(i + 1);
            return;
        }
        notAnObject(i);
    }
}

void forEachElement(std::string_view s, const std::function<void(std::string_view)>& visit) {
    size_t i = skipSpace(s, 0);
    if (i >= s.size() || s[i] != '[') notA("array", i);
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == ']') {
        if (skipSpace(s, i + 1) != s.size()) notA("array", i + 1);
        return;
    }
    for (;;) {
        const size_t end = endOfValue(s, i);
        visit(s.substr(i, end - i));
        i = skipSpace(s, end);
        if (i < s.size() && s[i] == ',') {
            i = skipSpace(s, i + 1);
            continue;
        }
        if (i < s.size() && s[i] == ']') {
            if (skipSpace(s, i + 1) != s.size()) notA("array", i + 1);
            return;
        }
        notA("array", i);
    }
}

void appendQuoted(std::string& out, std::string_view s) {
    const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80 && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += s;
        out += '"';
    } else {
        out += nlohmann::json(std::string(s)).dump();
    }
}

std::string unquoteName(std::string_view name) {
    if (name.size() >= 2 && name.find('\\') == std::string_view::npos) return std::string(name.substr(1, name.size() - 2));
    // An escape: the library decodes it (\u sequences, surrogate pairs).
    try {
        return nlohmann::json::parse(name).get<std::string>();
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorDomain::Parse, "a member name is not a JSON string");
    }
}

} // namespace signpost::jsontext
