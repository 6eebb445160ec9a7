#pragma once
// What the "Find a provider" panel holds (the text as typed and the filter widgets' state) and
// the directory query it stands for. Pure, so filter → query is unit-tested without a window.
#include "signpost/directory/Search.hpp"

#include <optional>
#include <string>
#include <vector>

namespace signpost::app {

struct FilterState {
    std::string text;
    std::string area;            // area code, "" for anywhere
    std::string need;            // need code, "" for any
    std::string age;             // as typed; digits only count
    int supervision = -1;        // index into domain::kSupervisionTypes, -1 any
    int women = 0;               // 0 any, 1 women-only services, 2 leave them out
    int route = -1;              // index into domain::kCommissioningRoutes, -1 any
    bool highRisk = false;
    bool welsh = false;
    bool hub = false;
    bool coLocated = false;
    bool openNow = false;
    std::string nearPostcode;    // as typed

    bool operator==(const FilterState&) const = default;
};

struct QueryPlan {
    directory::SearchQuery query;
    // "Near" needs the postcode district's centre from the database: the worker looks it up and
    // sets query.near. Empty when no postcode was given.
    std::string postcodeDistrict;
    // Language keys of problems with what was typed (shown beside the field; the search still
    // runs without the bad part).
    std::vector<const char*> problems;
};

inline constexpr int kResultLimit = 300;

QueryPlan planQuery(const FilterState& filters);
// How many filters (not the text) are set: "Filters (3)".
int activeFilterCount(const FilterState& filters);
// True when there is nothing to search for (no text, no filter): the panel shows a prompt.
bool isEmpty(const FilterState& filters);

} // namespace signpost::app
