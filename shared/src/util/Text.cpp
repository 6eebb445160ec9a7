#include "signpost/util/Text.hpp"

#include <cstdint>
#include <cstring>

namespace signpost::text {

namespace {

// Decodes one code point at s[i]; returns its length or 0 when the sequence is invalid.
size_t decode(std::string_view s, size_t i, char32_t& cp) {
    auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    uint8_t b0 = byte(i);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    size_t len;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k) {
        uint8_t b = byte(i + k);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void encode(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Base letters for U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A), lower
// case; 0 means "not a letter, keep as is". Covers the Welsh circumflex and diaeresis vowels.
constexpr char kLatinBase[] =
    "aaaaaaaceeeeiiii"   // C0-CF  (C6 Æ → a, close enough for matching)
    "dnooooo\0ouuuuyts"  // D0-DF  (D7 × kept; DE Þ → t; DF ß → s)
    "aaaaaaaceeeeiiii"   // E0-EF
    "dnooooo\0ouuuuyty"  // F0-FF  (F7 ÷ kept)
    "aaaaaaccccccccdd"   // 100-10F
    "ddeeeeeeeeeegggg"   // 110-11F
    "gggghhhhiiiiiiii"   // 120-12F
    "iiiijjkkklllllll"   // 130-13F
    "lllnnnnnnnnnoooo"   // 140-14F
    "oooorrrrrrssssss"   // 150-15F
    "ssttttttuuuuuuuu"   // 160-16F
    "uuuuwwyyyzzzzzzs";  // 170-17F  (174/175 Ŵ ŵ → w; 176/177 Ŷ ŷ → y)

char32_t foldCodePoint(char32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0x17F) {
        char base = kLatinBase[cp - 0xC0];
        if (base) return static_cast<char32_t>(base);
    }
    if (cp >= 0x1E80 && cp <= 0x1E85) return 'w'; // Ẁ ẁ Ẃ ẃ Ẅ ẅ (Welsh grave/acute w)
    if (cp >= 0x1EF2 && cp <= 0x1EF3) return 'y'; // Ỳ ỳ
    return cp;
}

bool isTokenChar(char32_t cp) {
    if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp >= 0x80 && cp <= 0xBF) return false;             // Latin-1 punctuation and symbols
    if (cp == 0xD7 || cp == 0xF7) return false;             // × ÷
    if (cp >= 0x2000 && cp <= 0x2BFF) return false;         // general punctuation, symbols, arrows
    if (cp >= 0x3000 && cp <= 0x303F) return false;         // CJK punctuation
    if (cp == 0xFEFF) return false;
    return true;
}

} // namespace

size_t firstInvalidUtf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        // Eight ASCII bytes at a time: most text, and nearly all of a sync page, is ASCII.
        while (i + 8 <= s.size()) {
            uint64_t word;
            std::memcpy(&word, s.data() + i, sizeof word);
            if (word & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= s.size()) break;
        char32_t cp;
        size_t len = decode(s, i, cp);
        if (len == 0) return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        char32_t cp;
        size_t len = decode(s, i, cp);
        if (len == 0) {
            static const char* hex = "0123456789ABCDEF";
            auto byte = static_cast<unsigned char>(s[i]);
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0x0F];
            ++i;
            continue;
        }
        out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

bool isValidUtf8(std::string_view s) { return firstInvalidUtf8(s) == std::string_view::npos; }

std::string fold(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        char32_t cp;
        size_t len = decode(s, i, cp);
        if (len == 0) { // keep invalid bytes out of folded text entirely
            ++i;
            continue;
        }
        encode(foldCodePoint(cp), out);
        i += len;
    }
    return out;
}

namespace {
bool lowerAsciiTokenChar(unsigned char byte) {
    return (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9');
}
} // namespace

void forEachToken(std::string_view s, const std::function<void(std::string_view token)>& visit) {
    std::string current;
    size_t i = 0;
    while (i < s.size()) {
        // A token of lower-case ASCII letters and digits ended by ASCII (most of any text here)
        // is already folded: visited where it lies, without copying it byte by byte.
        if (current.empty() && lowerAsciiTokenChar(static_cast<unsigned char>(s[i]))) {
            size_t end = i + 1;
            while (end < s.size() && lowerAsciiTokenChar(static_cast<unsigned char>(s[end])))
                ++end;
            if (end == s.size() || static_cast<unsigned char>(s[end]) < 0x80) {
                const auto next = end < s.size() ? static_cast<unsigned char>(s[end]) : 0;
                if (!(next >= 'A' && next <= 'Z')) { // an upper-case letter goes on the token
                    visit(s.substr(i, end - i));
                    i = end;
                    continue;
                }
            }
            current.assign(s.data() + i, end - i); // goes on below: the token has more to it
            i = end;
            continue;
        }
        const auto byte = static_cast<unsigned char>(s[i]);
        if (byte < 0x80) { // ASCII, most of any text here: no decoding, folding is lower case
            if ((byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z')) current += static_cast<char>(byte);
            else if (byte >= 'A' && byte <= 'Z') current += static_cast<char>(byte + 32);
            else if (!current.empty()) {
                visit(current);
                current.clear();
            }
            ++i;
            continue;
        }
        char32_t cp;
        size_t len = decode(s, i, cp);
        if (len == 0) {
            len = 1;
            cp = ' ';
        }
        if (isTokenChar(cp)) {
            encode(foldCodePoint(cp), current);
        } else if (!current.empty()) {
            visit(current);
            current.clear();
        }
        i += len;
    }
    if (!current.empty()) visit(current);
}

std::vector<std::string> tokenize(std::string_view s) {
    std::vector<std::string> tokens;
    forEachToken(s, [&](std::string_view token) { tokens.emplace_back(token); });
    return tokens;
}

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\n\f\v";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

std::string toLowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

std::vector<std::string> split(std::string_view s, char separator, bool skipEmpty) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(separator, start);
        if (end == std::string_view::npos) end = s.size();
        std::string_view part = trim(s.substr(start, end - start));
        if (!part.empty() || !skipEmpty) parts.emplace_back(part);
        start = end + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += separator;
        out += parts[i];
    }
    return out;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool iequals(std::string_view a, std::string_view b) { return fold(trim(a)) == fold(trim(b)); }

} // namespace signpost::text
