#include "signpost/sync/DirectoryCodec.hpp"

namespace signpost::sync {

using nlohmann::json;
using namespace signpost::domain;

namespace {
std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool flag(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}
std::optional<int> integer(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int>();
}
std::optional<double> number(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}
std::vector<std::string> strings(const json& j, const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const auto& v : *it)
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}
json optionalJson(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }
} // namespace

json serviceFields(const Service& s) {
    json locations = json::array();
    for (const auto& l : s.locations) {
        json loc{{"id", l.id}, {"name", l.name}, {"address", l.address}, {"city", l.city}, {"postcode", l.postcode}};
        loc["latitude"] = l.latitude ? json(*l.latitude) : json(nullptr);
        loc["longitude"] = l.longitude ? json(*l.longitude) : json(nullptr);
        locations.push_back(std::move(loc));
    }
    json contacts = json::array();
    for (const auto& c : s.contacts)
        contacts.push_back({{"id", c.id}, {"name", c.name}, {"title", c.title}, {"phone", c.phone}, {"email", c.email},
                            {"sample", c.sample}});
    json times = json::array();
    for (const auto& t : s.openingTimes)
        times.push_back({{"weekday", t.weekday}, {"opens", t.opens}, {"closes", t.closes}, {"note", t.note}});
    json supervision = json::array();
    for (auto type : s.supervisionTypes) supervision.push_back(std::string(toCode(type)));
    return json{{"organisation_id", s.organisationId},
                {"name", s.name},
                {"name_cy", s.nameCy},
                {"description", s.description},
                {"description_cy", s.descriptionCy},
                {"url", s.url},
                {"email", s.email},
                {"status", s.status},
                {"commissioning_route",
                 s.commissioningRoute ? json(std::string(toCode(*s.commissioningRoute))) : json(nullptr)},
                {"areas", s.areas},
                {"needs", s.needs},
                {"supervision_types", supervision},
                {"min_age", optionalJson(s.minAge)},
                {"max_age", optionalJson(s.maxAge)},
                {"women_only", s.womenOnly},
                {"high_risk_suitable", s.highRiskSuitable},
                {"hub", s.hub},
                {"co_located", s.coLocated},
                {"languages", s.languages},
                {"eligibility", s.eligibility},
                {"keywords", s.keywords},
                {"locations", locations},
                {"contacts", contacts},
                {"opening_times", times},
                {"last_verified", s.lastVerified ? json(*s.lastVerified) : json(nullptr)},
                {"sample", s.sample}};
}

Service serviceFromFields(const std::string& id, const json& f) {
    Service s;
    s.id = id;
    s.organisationId = str(f, "organisation_id");
    s.name = str(f, "name");
    s.nameCy = str(f, "name_cy");
    s.description = str(f, "description");
    s.descriptionCy = str(f, "description_cy");
    s.url = str(f, "url");
    s.email = str(f, "email");
    s.status = str(f, "status");
    if (s.status.empty()) s.status = "active";
    s.commissioningRoute = parseCommissioningRoute(str(f, "commissioning_route"));
    s.areas = strings(f, "areas");
    s.needs = strings(f, "needs");
    for (const auto& code : strings(f, "supervision_types"))
        if (auto type = parseSupervisionType(code)) s.supervisionTypes.push_back(*type);
    s.minAge = integer(f, "min_age");
    s.maxAge = integer(f, "max_age");
    s.womenOnly = flag(f, "women_only");
    s.highRiskSuitable = flag(f, "high_risk_suitable");
    s.hub = flag(f, "hub");
    s.coLocated = flag(f, "co_located");
    s.languages = strings(f, "languages");
    s.eligibility = str(f, "eligibility");
    s.keywords = str(f, "keywords");
    if (auto it = f.find("locations"); it != f.end() && it->is_array()) {
        for (const auto& l : *it) {
            Location loc;
            loc.id = str(l, "id");
            loc.name = str(l, "name");
            loc.address = str(l, "address");
            loc.city = str(l, "city");
            loc.postcode = str(l, "postcode");
            loc.latitude = number(l, "latitude");
            loc.longitude = number(l, "longitude");
            s.locations.push_back(std::move(loc));
        }
    }
    if (auto it = f.find("contacts"); it != f.end() && it->is_array()) {
        for (const auto& c : *it)
            s.contacts.push_back({str(c, "id"), str(c, "name"), str(c, "title"), str(c, "phone"), str(c, "email"),
                                  flag(c, "sample")});
    }
    if (auto it = f.find("opening_times"); it != f.end() && it->is_array()) {
        for (const auto& t : *it)
            s.openingTimes.push_back({integer(t, "weekday").value_or(1), str(t, "opens"), str(t, "closes"), str(t, "note")});
    }
    if (auto v = str(f, "last_verified"); !v.empty()) s.lastVerified = v;
    s.sample = flag(f, "sample");
    s.source = "sync";
    return s;
}

json organisationFields(const Organisation& o) {
    return json{{"name", o.name},
                {"name_cy", o.nameCy},
                {"description", o.description},
                {"website", o.website},
                {"email", o.email},
                {"phone", o.phone},
                {"isa_status", std::string(toCode(o.isaStatus))},
                {"isa_from", o.isaFrom ? json(*o.isaFrom) : json(nullptr)},
                {"isa_to", o.isaTo ? json(*o.isaTo) : json(nullptr)},
                {"sample", o.sample}};
}

Organisation organisationFromFields(const std::string& id, const json& f) {
    Organisation o;
    o.id = id;
    o.name = str(f, "name");
    o.nameCy = str(f, "name_cy");
    o.description = str(f, "description");
    o.website = str(f, "website");
    o.email = str(f, "email");
    o.phone = str(f, "phone");
    o.isaStatus = parseIsaStatus(str(f, "isa_status")).value_or(IsaStatus::None);
    if (auto v = str(f, "isa_from"); !v.empty()) o.isaFrom = v;
    if (auto v = str(f, "isa_to"); !v.empty()) o.isaTo = v;
    o.sample = flag(f, "sample");
    return o;
}

} // namespace signpost::sync
