#include "SearchFilters.hpp"
#include "I18n.hpp"

#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/util/Text.hpp"

#include <charconv>

namespace signpost::app {

namespace {
// A UK postcode district: one or two letters, a digit, then an optional digit or letter.
bool looksLikeDistrict(std::string_view d) {
    size_t i = 0;
    while (i < d.size() && i < 2 && d[i] >= 'A' && d[i] <= 'Z') ++i;
    if (i == 0 || i >= d.size() || d[i] < '0' || d[i] > '9') return false;
    ++i;
    if (i < d.size() && ((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'A' && d[i] <= 'Z'))) ++i;
    return i == d.size();
}
} // namespace

QueryPlan planQuery(const FilterState& f) {
    QueryPlan plan;
    auto& q = plan.query;
    q.text = std::string(text::trim(f.text));
    if (!f.area.empty()) q.areas.push_back(f.area);
    if (!f.need.empty()) q.needs.push_back(f.need);
    auto age = text::trim(f.age);
    if (!age.empty()) {
        int value = 0;
        auto [end, ec] = std::from_chars(age.data(), age.data() + age.size(), value);
        if (ec == std::errc() && end == age.data() + age.size() && value >= 10 && value <= 120) q.age = value;
        else plan.problems.push_back(trKey("filter.age_invalid"));
    }
    if (f.supervision >= 0 && f.supervision < static_cast<int>(domain::kSupervisionTypes.size()))
        q.supervision = domain::kSupervisionTypes[static_cast<size_t>(f.supervision)].value;
    if (f.route >= 0 && f.route < static_cast<int>(domain::kCommissioningRoutes.size()))
        q.route = domain::kCommissioningRoutes[static_cast<size_t>(f.route)].value;
    q.women = f.women == 1 ? directory::WomenFilter::Only : f.women == 2 ? directory::WomenFilter::Exclude
                                                                       : directory::WomenFilter::Any;
    q.highRiskSuitable = f.highRisk;
    q.welshLanguage = f.welsh;
    q.hub = f.hub;
    q.coLocated = f.coLocated;
    q.openNow = f.openNow;
    q.limit = kResultLimit;
    auto postcode = text::trim(f.nearPostcode);
    if (!postcode.empty()) {
        plan.postcodeDistrict = directory::postcodeDistrictOf(postcode);
        if (!looksLikeDistrict(plan.postcodeDistrict)) {
            plan.postcodeDistrict.clear();
            plan.problems.push_back(trKey("filter.postcode_invalid"));
        }
    }
    return plan;
}

int activeFilterCount(const FilterState& f) {
    return !f.area.empty() + !f.need.empty() + !text::trim(f.age).empty() + (f.supervision >= 0) + (f.women != 0) +
           (f.route >= 0) + f.highRisk + f.welsh + f.hub + f.coLocated + f.openNow + !text::trim(f.nearPostcode).empty();
}

bool isEmpty(const FilterState& f) { return text::trim(f.text).empty() && activeFilterCount(f) == 0; }

} // namespace signpost::app
