#pragma once
// The words practitioners type for a need, mapped to the words the directory uses. "housing"
// finds Accommodation services, "drugs" finds Dependency and Recovery.
//
// Synonyms are resolved when a service is indexed, not when a query runs. Each group of words
// for one need has a concept token; a service whose text holds any of the group's words
// ("finance", "debt…", "benefit…", "money", "budget…", "dyled…") carries that token in the same
// column, and a typed synonym becomes the word OR the one token. Resolved at query time, a word
// became an OR of up to eight terms, each a doclist FTS5 walked beside the others: the slowest
// type-ahead queries were two such words under an area filter (docs/search.md).
//
// A concept token starts with kConceptMark (Marks.hpp), so it is never typed and never comes from
// a publisher's text.
#include "signpost/directory/Marks.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace signpost::directory {

// The concept tokens of every group with a word in `text`, each preceded by a space, in a fixed
// order; empty when none. Appended to the indexed column the words came from.
std::string conceptsIn(std::string_view text);
// The concept token a complete typed word stands for (folded: lower case, no accents), if any.
std::string conceptForWord(std::string_view foldedWord);
// Concept tokens for a word still being typed: every group with a synonym the prefix starts
// (3+ characters), plus the word's own if it is already complete.
std::vector<std::string> conceptsForPrefix(std::string_view foldedPrefix);
// Every synonym practitioners type, for tests: the word and the concept token it maps to.
struct Synonym {
    std::string_view word;
    std::string token; // the concept token
};
std::vector<Synonym> synonyms();

} // namespace signpost::directory
