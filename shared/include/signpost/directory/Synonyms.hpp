#pragma once
// The words practitioners type for a need, mapped to the words the directory uses. "housing"
// finds Accommodation services, "drugs" finds Dependency and Recovery. A trailing '*' on an
// expansion makes it a prefix term ("homeless*" also finds "homelessness").
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::directory {

struct Synonym {
    std::string_view word;                 // folded: lower case, no accents
    std::span<const std::string_view> expansions;
};

std::span<const Synonym> synonyms();
// Expansions for a complete word.
std::vector<std::string_view> expansionsFor(std::string_view foldedWord);
// Expansions for a word still being typed: every synonym word the prefix starts (3+ characters).
std::vector<std::string_view> expansionsForPrefix(std::string_view foldedPrefix);

} // namespace signpost::directory
