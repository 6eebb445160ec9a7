#include "signpost/util/JsonText.hpp"
#include "signpost/Error.hpp"
#include "signpost/util/Text.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Of the 8 bytes in `word` (in memory order), a mark in the top bit of the first equal to `c`
// (and maybe of later ones: only the lowest mark is exact).
uint64_t firstEqual(uint64_t word, unsigned char c) {
    constexpr uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
    const uint64_t x = word ^ (ones * c);
    return (x - ones) & ~x & tops;
}

// s[i] is the opening quote: the index just past the closing one. Most of a feed's bytes are in
// strings, so they are looked through 8 at a time for a quote or backslash (a fifth of a large
// import's walk through its text, byte by byte).
size_t endOfString(std::string_view s, size_t i) {
    const char* const p = s.data();
    const size_t n = s.size();
    for (++i; i < n;) {
        if constexpr (std::endian::native == std::endian::little) {
            if (n - i >= 8) {
                uint64_t word;
                std::memcpy(&word, p + i, 8);
                const uint64_t marks = firstEqual(word, '"') | firstEqual(word, '\\');
                if (marks == 0) {
                    i += 8;
                    continue;
                }
                i += static_cast<size_t>(std::countr_zero(marks)) / 8;
            }
        }
        if (p[i] == '\\')
            i += 2; // the escaped character, whatever it is, cannot close the string
        else if (p[i] == '"')
            return i + 1;
        else
            ++i;
    }
    notAnObject(n);
}

#if defined(__SSE2__)
// 64 bytes of text, loaded once for the masks asked of them.
struct Block {
    __m128i parts[4];
    explicit Block(const char* p) {
        for (int k = 0; k < 4; ++k)
            parts[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    }
    // A bit (in memory order) for each byte equal to c.
    uint64_t equal(char c) const {
        const __m128i wanted = _mm_set1_epi8(c);
        uint64_t bits = 0;
        for (int k = 0; k < 4; ++k)
            bits |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(parts[k], wanted))))
                    << (16 * k);
        return bits;
    }
};

// Each bit the XOR of itself and every bit below it: from a quote that opens a string up to the
// one that closes it, the bits inside.
uint64_t prefixXor(uint64_t bits) {
    for (int shift = 1; shift < 64; shift *= 2)
        bits ^= bits << shift;
    return bits;
}
#endif

// s[i] opens an object or array: the index just past the bracket that closes it. Any closing
// bracket closes any opening one (the walk checks shape, not grammar). A feed is mostly this walk
// over its records: where a 64-byte block holds no backslash, its strings are found from its
// quotes and its brackets counted from bit masks (SSE2, which every x86-64 has); a block with a
// backslash, and the end of the text, go byte by byte (a tenth of a large import's reading time
// before: most of a record's strings are short, so looking through them 8 bytes at a time did
// little).
size_t endOfStructure(std::string_view s, size_t i) {
    const char* const p = s.data();
    const size_t n = s.size();
    size_t depth = 0;
    bool inString = false;
    while (i < n) {
#if defined(__SSE2__)
        if (n - i >= 64) {
            const Block block(p + i);
            if (block.equal('\\') == 0) {
                const uint64_t inside = prefixXor(block.equal('"')) ^ (inString ? ~uint64_t{0} : 0);
                const uint64_t opens = block.equal('{') | block.equal('[');
                const uint64_t closes = block.equal('}') | block.equal(']');
                for (uint64_t brackets = (opens | closes) & ~inside; brackets != 0; brackets &= brackets - 1) {
                    const int bit = std::countr_zero(brackets);
                    if (opens >> bit & 1)
                        ++depth;
                    else if (--depth == 0)
                        return i + static_cast<size_t>(bit) + 1;
                }
                inString = inside >> 63 & 1;
                i += 64;
                continue;
            }
        }
#endif
        // Byte by byte, to the end of this block at least (an escape is always taken whole).
        for (const size_t until = std::min(n, i + 64); i < until;) {
            const char c = p[i];
            if (inString) {
                if (c == '\\') {
                    i += 2; // the escaped character, whatever it is, cannot close the string
                    continue;
                }
                if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
    }
    notAnObject(n);
}

// The index just past the value that starts at s[i].
size_t endOfValue(std::string_view s, size_t i) {
    if (i >= s.size()) notAnObject(i);
    const char first = s[i];
    if (first == '"') return endOfString(s, i);
    if (first == '{' || first == '[') return endOfStructure(s, i);
    // A number, true, false or null: up to the next separator.
    size_t end = i;
    while (end < s.size() && s[end] != ',' && s[end] != '}' && s[end] != ']' && !space(s[end])) ++end;
    if (end == i) notAnObject(i);
    return end;
}

// Four hex digits at p (within end) → their value.
bool hex4(const char* p, const char* end, unsigned& value) {
    if (end - p < 4) return false;
    value = 0;
    for (int k = 0; k < 4; ++k) {
        const char c = p[k];
        unsigned digit;
        if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
        else return false;
        value = value << 4 | digit;
    }
    return true;
}

// What nlohmann refuses and SQLite's grammar check does not see (surelyValid): a NUL (SQLite
// reads text up to one), an unpaired surrogate escape, and a number too large for a double.
bool plainEnough(std::string_view text) {
    if (std::memchr(text.data(), 0, text.size())) return false;
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        const auto c = static_cast<unsigned char>(*p);
        if (c == '"') {
            // To the closing quote, stopping at each escape on the way.
            for (++p;;) {
                while (p < end && *p != '"' && *p != '\\') ++p;
                if (p >= end) return false;
                if (*p == '"') {
                    ++p;
                    break;
                }
                if (end - p < 2) return false;
                if (p[1] != 'u') {
                    p += 2; // a one-letter escape (SQLite checks which): it may be \" and not the end
                    continue;
                }
                unsigned cp;
                if (!hex4(p + 2, end, cp) || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
                p += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) { // a high surrogate: its low half must follow
                    unsigned low;
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, low) || low < 0xDC00 || low > 0xDFFF)
                        return false;
                    p += 6;
                }
            }
            continue;
        }
        if (c >= 0x80) return false;
        if (c == '-' || (c >= '0' && c <= '9')) {
            // A number: one with an exponent or of many digits may be beyond a double, which
            // nlohmann refuses. (A value too small for one is refused here too, and left to it.)
            const char* const start = p;
            bool exponent = false;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E')) {
                exponent = exponent || *p == 'e' || *p == 'E';
                ++p;
            }
            if (exponent || p - start > 300) {
                double value;
                if (std::from_chars(start, p, value).ec != std::errc()) return false;
            }
            continue;
        }
        ++p;
    }
    return true;
}

// SQLite's json_valid(), on a connection of this thread's own.
class GrammarCheck {
public:
    GrammarCheck() {
        if (sqlite3_open_v2(":memory:", &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK)
            sqlite3_prepare_v3(m_db, "SELECT json_valid(?1)", -1, SQLITE_PREPARE_PERSISTENT, &m_valid, nullptr);
    }
    ~GrammarCheck() {
        sqlite3_finalize(m_valid);
        sqlite3_close(m_db);
    }
    GrammarCheck(const GrammarCheck&) = delete;
    GrammarCheck& operator=(const GrammarCheck&) = delete;

    bool valid(std::string_view text) {
        if (!m_valid) return false; // no connection: a full parse decides
        bool ok = sqlite3_bind_text64(m_valid, 1, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) == SQLITE_OK &&
                  sqlite3_step(m_valid) == SQLITE_ROW && sqlite3_column_int(m_valid, 0) == 1;
        sqlite3_reset(m_valid);
        sqlite3_clear_bindings(m_valid);
        return ok;
    }

private:
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_valid = nullptr;
};

} // namespace

bool surelyValid(std::string_view text) {
    if (text::firstInvalidUtf8(text) != std::string_view::npos || !plainEnough(text)) return false;
    thread_local GrammarCheck check;
    return check.valid(text);
}

size_t valueEnd(std::string_view s, size_t at) { return endOfValue(s, at); }

size_t walkObject(std::string_view s, size_t at, const std::function<size_t(std::string_view, size_t)>& visit) {
    size_t i = skipSpace(s, at);
    if (i >= s.size() || s[i] != '{') notAnObject(i);
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == '}') return i + 1;
    for (;;) {
        if (i >= s.size() || s[i] != '"') notAnObject(i);
        const size_t nameEnd = endOfString(s, i);
        const std::string_view name = s.substr(i, nameEnd - i);
        i = skipSpace(s, nameEnd);
        if (i >= s.size() || s[i] != ':') notAnObject(i);
        i = skipSpace(s, i + 1);
        if (i >= s.size()) notAnObject(i);
        const size_t end = visit(name, i);
        if (end <= i || end > s.size()) throw Error(ErrorDomain::Internal, "a JSON member's value was read to a wrong end");
        i = skipSpace(s, end);
        if (i < s.size() && s[i] == ',') {
            i = skipSpace(s, i + 1);
            continue;
        }
        if (i < s.size() && s[i] == '}') return i + 1;
        notAnObject(i);
    }
}

size_t walkArray(std::string_view s, size_t at, const std::function<size_t(size_t)>& visit) {
    size_t i = skipSpace(s, at);
    if (i >= s.size() || s[i] != '[') notA("array", i);
    i = skipSpace(s, i + 1);
    if (i < s.size() && s[i] == ']') return i + 1;
    for (;;) {
        if (i >= s.size()) notA("array", i);
        const size_t end = visit(i);
        if (end <= i || end > s.size()) throw Error(ErrorDomain::Internal, "a JSON element was read to a wrong end");
        i = skipSpace(s, end);
        if (i < s.size() && s[i] == ',') {
            i = skipSpace(s, i + 1);
            continue;
        }
        if (i < s.size() && s[i] == ']') return i + 1;
        notA("array", i);
    }
}

void forEachMember(std::string_view s, const std::function<void(std::string_view, std::string_view)>& visit) {
    const size_t end = walkObject(s, 0, [&](std::string_view name, size_t at) {
        const size_t valueEnd = endOfValue(s, at);
        visit(name, s.substr(at, valueEnd - at));
        return valueEnd;
    });
    if (skipSpace(s, end) != s.size()) notAnObject(end);
}

void forEachElement(std::string_view s, const std::function<void(std::string_view)>& visit) {
    const size_t end = walkArray(s, 0, [&](size_t at) {
        const size_t valueEnd = endOfValue(s, at);
        visit(s.substr(at, valueEnd - at));
        return valueEnd;
    });
    if (skipSpace(s, end) != s.size()) notA("array", end);
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
