#pragma once
// Tokens Signpost makes for the search index, as opposed to words: synonym concepts
// (Synonyms.hpp) start with U+E000 and filter tags (DirectoryStore.hpp, `tags`) with U+E001.
// Both are private-use characters, which FTS5's unicode61 tokenizer keeps inside a token. Every
// character of that block is removed from what is typed in the search box and from publishers'
// text before it is indexed, so a made token can be neither typed nor published: queries need
// no column filter to keep words and tags apart.
#include <string>
#include <string_view>

namespace signpost::directory {

inline constexpr std::string_view kConceptMark = "\xEE\x80\x80"; // U+E000
inline constexpr std::string_view kTagMark = "\xEE\x80\x81";     // U+E001
// The first text that sorts after every tag (U+E002): tags are the terms in [kTagMark, this).
inline constexpr std::string_view kAfterTagMarks = "\xEE\x80\x82";

// Whether `text` holds any character of the reserved block U+E000–U+E0FF.
bool hasIndexMark(std::string_view text);
// `text` with every character of that block replaced by a space.
std::string withoutIndexMarks(std::string_view text);

} // namespace signpost::directory
