#include "SearchArgs.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Assets.hpp"
#include "signpost/util/Text.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ostream>

namespace signpost::cli {

using namespace signpost::domain;
using namespace signpost::directory;

std::vector<OptionSpec> searchOptions() {
    return {
        {"--area", "AREA", "Local authority, PDU or region: code or name, English or Welsh (\"Bolton\", \"Casnewydd\", \"Gwent\")", true},
        {"--need", "NEED", "Need category: code or name (\"finance\", \"Accommodation\", \"wellbeing.mentoring\")", true},
        {"--near", "POSTCODE|LAT,LON", "Sort by distance from a postcode (district) or coordinates"},
        {"--age", "YEARS", "The person's age: only services whose age range admits it"},
        {"--women", "only|exclude", "Only women-only services, or leave them out"},
        {"--supervision", "TYPE", "custody, community_order, suspended_sentence_order, licence, post_sentence_supervision"},
        {"--high-risk", "", "Only services confirmed suitable for people assessed as high risk"},
        {"--welsh", "", "Only services delivered in Welsh"},
        {"--route", "ROUTE", "dynamic_framework, co_commissioned, grant_funded, statutory, informal"},
        {"--hub", "", "Only services delivered at a hub"},
        {"--co-located", "", "Only services co-located with probation"},
        {"--open-now", "", "Only services open now (UK time)"},
        {"--limit", "K", "How many results (default 10, at most 500)"},
        {"--exact", "", "Rank every match instead of the first 300 candidates (type-ahead's cap)"},
    };
}

std::string resolveArea(const std::string& text) {
    if (const Area* area = findArea(text)) return std::string(area->code);
    std::string message = "unknown area \"" + text + "\". Areas are local authorities, PDUs or regions, e.g. ";
    message += "Bolton, Manchester, Cardiff / Caerdydd, Gwent, North Wales, Wales, Greater Manchester";
    throw UsageError(message);
}

std::string resolveNeed(const std::string& text) {
    if (const Need* need = findNeed(text)) return std::string(need->code);
    std::string message = "unknown need \"" + text + "\". Needs: ";
    bool first = true;
    for (const Need& n : allNeeds()) {
        if (!first) message += ", ";
        message += std::string(n.code);
        first = false;
    }
    throw UsageError(message);
}

GeoPoint resolveNear(db::Database& db, const std::string& text) {
    // "53.58,-2.43" → coordinates.
    if (auto comma = text.find(','); comma != std::string::npos) {
        try {
            size_t used1 = 0, used2 = 0;
            std::string a = text.substr(0, comma), b = text.substr(comma + 1);
            double lat = std::stod(a, &used1), lon = std::stod(b, &used2);
            if (used1 == a.size() && used2 == b.size() && std::abs(lat) <= 90 && std::abs(lon) <= 180) return {lat, lon};
        } catch (const std::exception&) {
        }
        throw UsageError("--near needs a postcode or LAT,LON in degrees, e.g. 53.578,-2.429");
    }
    DirectoryStore store(db);
    auto centroid = store.postcodeDistrict(text);
    if (!centroid && db.queryInt64("SELECT count(*) FROM postcode_district").value_or(0) == 0) {
        // The centroid table ships in assets/; load it on first use.
        loadPostcodeDistricts(db, assets::path("postcode-districts.csv"));
        centroid = store.postcodeDistrict(text);
    }
    if (!centroid)
        throw UsageError("postcode district \"" + postcodeDistrictOf(text) +
                         "\" is not in the centroid table (Greater Manchester and Wales districts). "
                         "Give LAT,LON instead.");
    return {centroid->latitude, centroid->longitude};
}

void applySearchOptions(db::Database& db, const ParsedArgs& args, SearchQuery& q) {
    for (const auto& a : args.values("--area")) q.areas.push_back(resolveArea(a));
    for (const auto& n : args.values("--need")) q.needs.push_back(resolveNeed(n));
    if (auto near = args.value("--near")) q.near = resolveNear(db, *near);
    if (args.has("--age")) q.age = static_cast<int>(args.intValue("--age", 0, 0, 130));
    if (auto women = args.value("--women")) {
        if (*women == "only") q.women = WomenFilter::Only;
        else if (*women == "exclude") q.women = WomenFilter::Exclude;
        else throw UsageError("--women takes 'only' or 'exclude'");
    }
    if (auto s = args.value("--supervision")) {
        q.supervision = parseSupervisionType(*s);
        if (!q.supervision)
            throw UsageError("unknown supervision type \"" + *s +
                             "\": custody, community_order, suspended_sentence_order, licence, post_sentence_supervision");
    }
    if (auto r = args.value("--route")) {
        q.route = parseCommissioningRoute(*r);
        if (!q.route)
            throw UsageError("unknown commissioning route \"" + *r +
                             "\": dynamic_framework, co_commissioned, grant_funded, statutory, informal");
    }
    q.highRiskSuitable = args.has("--high-risk");
    q.welshLanguage = args.has("--welsh");
    q.hub = args.has("--hub");
    q.coLocated = args.has("--co-located");
    q.openNow = args.has("--open-now");
    q.exact = args.has("--exact");
    q.limit = static_cast<int>(args.intValue("--limit", 10, 1, 500));
}

namespace {
std::string areaNames(const std::vector<std::string>& codes, bool welsh) {
    std::vector<std::string> names;
    for (const auto& code : codes) {
        const Area* area = areaByCode(code);
        names.emplace_back(area ? (welsh ? area->nameCy : area->nameEn) : code);
    }
    return text::join(names, ", ");
}
std::string needNames(const std::vector<std::string>& codes, bool welsh) {
    std::vector<std::string> names;
    for (const auto& code : codes) {
        const Need* need = needByCode(code);
        names.emplace_back(need ? (welsh ? need->nameCy : need->nameEn) : code);
    }
    return text::join(names, ", ");
}
std::string verifiedText(const SearchResult& r) {
    if (!r.daysSinceVerified) return "not yet verified";
    int d = *r.daysSinceVerified;
    if (d <= 0) return "verified today";
    if (d == 1) return "verified yesterday";
    return "verified " + std::to_string(d) + " days ago";
}
} // namespace

void printResults(std::ostream& out, const SearchOutcome& outcome, bool welsh) {
    if (outcome.results.empty()) {
        out << "No services match. Try fewer words, another area, or no filters.\n";
        return;
    }
    int n = 0;
    for (const auto& r : outcome.results) {
        const std::string& name = welsh && !r.nameCy.empty() ? r.nameCy : r.name;
        const std::string& org = welsh && !r.organisationCy.empty() ? r.organisationCy : r.organisation;
        ++n;
        out << (n < 10 ? " " : "") << n << ". " << name << "\n";
        out << "    " << (org.empty() ? "(organisation not recorded)" : org);
        if (!r.areas.empty()) out << " · " << areaNames(r.areas, welsh);
        if (r.distanceKm) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.1f km", *r.distanceKm);
            out << " · " << buf;
        }
        out << " · " << verifiedText(r) << "\n";
        std::string badges;
        if (r.welshLanguage) badges += " [Cymraeg]";
        if (r.womenOnly) badges += " [women only]";
        if (r.hub) badges += " [hub]";
        if (r.coLocated) badges += " [co-located with probation]";
        if (r.highRiskSuitable) badges += " [suitable for high risk]";
        if (!r.needs.empty() || !badges.empty()) out << "    " << needNames(r.needs, welsh) << badges << "\n";
    }
    if (outcome.capped)
        out << "(More than " << directory::DirectorySearch::kCandidateCap
            << " services match: these are the best of the first candidates. Add words or filters, or use --exact.)\n";
}

void printResultsJson(std::ostream& out, const SearchOutcome& outcome) {
    nlohmann::json results = nlohmann::json::array();
    for (const auto& r : outcome.results) {
        nlohmann::json j{{"id", r.id},
                         {"name", r.name},
                         {"organisation", r.organisation},
                         {"areas", r.areas},
                         {"needs", r.needs},
                         {"score", r.score},
                         {"welsh_language", r.welshLanguage},
                         {"women_only", r.womenOnly},
                         {"hub", r.hub},
                         {"co_located", r.coLocated},
                         {"high_risk_suitable", r.highRiskSuitable}};
        if (!r.nameCy.empty()) j["name_cy"] = r.nameCy;
        if (!r.organisationCy.empty()) j["organisation_cy"] = r.organisationCy;
        j["distance_km"] = r.distanceKm ? nlohmann::json(*r.distanceKm) : nlohmann::json(nullptr);
        j["last_verified"] = r.lastVerified ? nlohmann::json(*r.lastVerified) : nlohmann::json(nullptr);
        j["days_since_verified"] = r.daysSinceVerified ? nlohmann::json(*r.daysSinceVerified) : nlohmann::json(nullptr);
        j["commissioning_route"] = r.route ? nlohmann::json(std::string(toCode(*r.route))) : nlohmann::json(nullptr);
        if (!r.town.empty()) j["town"] = r.town;
        results.push_back(std::move(j));
    }
    nlohmann::json doc{{"results", results}, {"capped", outcome.capped}, {"candidates", outcome.candidates}};
    out << doc.dump(2) << "\n";
}

} // namespace signpost::cli
