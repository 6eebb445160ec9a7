#pragma once
// The needs taxonomy from DOMAIN.md: the Commissioned Rehabilitative Services categories
// (Personal Wellbeing with its four sub-pathways), Women's Services, and the GM Personal
// Wellbeing welfare offers as children of Personal Wellbeing.
#include <span>
#include <string_view>
#include <vector>

namespace signpost::domain {

struct Need {
    std::string_view code;   // stable, e.g. "finance", "wellbeing.emotional"
    std::string_view nameEn;
    std::string_view nameCy;
    std::string_view parent; // empty for a top-level category
};

std::span<const Need> allNeeds();
const Need* needByCode(std::string_view code);
// Accepts a code or an English/Welsh name, ignoring case and accents ("Debt" → finance via the
// category name "Finance, Benefits and Debt" only when unambiguous; codes are exact).
const Need* findNeed(std::string_view codeOrName);
std::vector<std::string_view> needAncestors(std::string_view code);
std::vector<std::string_view> needDescendants(std::string_view code);

} // namespace signpost::domain
