#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::text {

// True when the bytes are well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool isValidUtf8(std::string_view s);
// Byte offset of the first invalid sequence, or npos.
size_t firstInvalidUtf8(std::string_view s);

// The text with every ill-formed UTF-8 sequence shown as \xNN: safe to print, log or send
// whatever the input was.
std::string printable(std::string_view s);

// Folds for matching: lower case, Latin accents removed (Welsh ŵ ŷ â ô → w y a o), so what a
// person types compares equal to stored names however either was accented. Non-Latin text passes
// through unchanged.
std::string fold(std::string_view s);

// Splits text into folded word tokens the way the FTS5 unicode61 tokenizer does for Latin text:
// letters and digits are token characters, everything else separates.
std::vector<std::string> tokenize(std::string_view s);
// The same tokens, one at a time, with no list built: `token` lasts until the call returns.
void forEachToken(std::string_view s, const std::function<void(std::string_view token)>& visit);

std::string_view trim(std::string_view s);
std::string toLowerAscii(std::string_view s);
std::vector<std::string> split(std::string_view s, char separator, bool skipEmpty = true);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
bool startsWith(std::string_view s, std::string_view prefix);
bool iequals(std::string_view a, std::string_view b); // fold-insensitive

} // namespace signpost::text
