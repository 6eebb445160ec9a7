#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <ostream>
#include <tuple>
#include <unordered_map>

namespace signpost::directory::hsds {

using json = nlohmann::json;
using namespace signpost::domain;

namespace {

// HSDS ids are UUIDs; ours usually are, and the rest get a stable UUID derived from them.
std::string exportId(std::string_view kind, const std::string& id) {
    if (uuid::isValid(id)) return id;
    return uuid::fromName("signpost:" + std::string(kind) + ":" + id);
}

json parseExtra(const std::string& text) {
    if (text.empty()) return json::object();
    json extra = json::parse(text, nullptr, false);
    return extra.is_object() ? extra : json::object();
}

bool looksLikeEmail(const std::string& s) {
    return s.find('@') != std::string::npos;
}

bool digits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

// RFC 3339 date-time, as the schema's "date-time" format wants; a bare date becomes midnight UTC.
std::optional<std::string> dateTime(const std::string& value) {
    if (!timeutil::parseIsoDate(value)) return std::nullopt;
    if (value.size() == 10) return value + "T00:00:00Z";
    std::string_view rest = std::string_view(value).substr(10);
    if (rest.size() < 9 || (rest[0] != 'T' && rest[0] != 't') || rest[3] != ':' || rest[6] != ':' ||
        !digits(rest.substr(1, 2)) || !digits(rest.substr(4, 2)) || !digits(rest.substr(7, 2)))
        return std::nullopt;
    rest.remove_prefix(9);
    if (!rest.empty() && rest[0] == '.') {
        size_t n = 1;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9')
            ++n;
        if (n == 1) return std::nullopt;
        rest.remove_prefix(n);
    }
    if (rest == "Z" || rest == "z") return value;
    if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && digits(rest.substr(1, 2)) &&
        digits(rest.substr(4, 2)))
        return value;
    if (rest.empty()) return value + "Z"; // no offset: ours are written in UTC
    return std::nullopt;
}

bool isOnsCode(std::string_view code) {
    return code.size() == 9 && (code[0] == 'E' || code[0] == 'W' || code[0] == 'K' || code[0] == 'S') &&
           digits(code.substr(1));
}

std::string areaUri(const std::string& code) {
    if (isOnsCode(code)) return "http://statistics.data.gov.uk/id/statistical-geography/" + code;
    return "urn:signpost:area:" + code;
}

constexpr std::array<std::string_view, 7> kDayCodes{"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

// Our extensions as attributes (see Hsds.hpp). Kept lean: a large export is mostly attributes.
json attribute(const std::string& linkId, std::string_view taxonomy, const std::string& code, const std::string& name,
               const std::optional<std::string>& value, const std::string& parentCode = {}) {
    json term = {{"id", uuid::fromName(std::string(taxonomy) + "/" + code)},
                 {"code", code},
                 {"name", name},
                 {"description", name},
                 {"taxonomy", taxonomy}};
    if (!parentCode.empty()) term["parent_id"] = uuid::fromName(std::string(taxonomy) + "/" + parentCode);
    json a = {{"id", uuid::fromName(linkId + "/" + std::string(taxonomy) + "/" + code)},
              {"taxonomy_term", std::move(term)}};
    if (value) a["value"] = *value;
    return a;
}

void append(json& out, const char* key, json extra) {
    if (!extra.is_array() || extra.empty()) return;
    json& list = out[key];
    if (!list.is_array()) list = json::array();
    for (auto& item : extra)
        list.push_back(std::move(item));
}

class Exporter {
  public:
    explicit Exporter(db::Database& db) : m_store(db) {}
    json service(const std::string& id);

  private:
    json organisation(const std::string& id);
    json location(const Location& l);
    DirectoryStore m_store;
    std::unordered_map<std::string, json> m_organisations;
};

json Exporter::organisation(const std::string& id) {
    if (auto it = m_organisations.find(id); it != m_organisations.end()) return it->second;
    auto org = m_store.organisation(id);
    if (!org) return nullptr;
    // ISA status is internal probation data: never exported.
    json out = parseExtra(m_store.organisationExtra(id));
    out.erase("services");
    std::string orgId = exportId("organization", org->id);
    out["id"] = orgId;
    out["name"] = org->name;
    out["description"] = org->description;
    if (!org->website.empty())
        out["website"] = org->website;
    else
        out.erase("website");
    if (looksLikeEmail(org->email))
        out["email"] = org->email;
    else
        out.erase("email");
    if (!org->phone.empty()) {
        json& phones = out["phones"];
        if (phones.is_array() && !phones.empty() && phones[0].is_object())
            phones[0]["number"] = org->phone;
        else
            phones = json::array({{{"id", uuid::fromName(orgId + "/phone")}, {"number", org->phone}}});
    }
    json attributes = out.contains("attributes") && out["attributes"].is_array() ? out["attributes"] : json::array();
    if (!org->nameCy.empty())
        attributes.push_back(attribute(orgId, kSignpostTaxonomy, "name_cy", "Welsh name", org->nameCy));
    if (orgId != org->id)
        attributes.push_back(attribute(orgId, kSignpostTaxonomy, "source_id", "Signpost id", org->id));
    if (!attributes.empty()) out["attributes"] = std::move(attributes);
    return m_organisations.emplace(id, std::move(out)).first->second;
}

json Exporter::location(const Location& l) {
    json out = parseExtra(m_store.locationExtra(l.id));
    std::string id = exportId("location", l.id);
    out["id"] = id;
    std::string type = out.value("location_type", "");
    if (type != "physical" && type != "postal" && type != "virtual") out["location_type"] = "physical";
    if (!l.name.empty())
        out["name"] = l.name;
    else
        out.erase("name");
    if (l.latitude && l.longitude) {
        out["latitude"] = *l.latitude;
        out["longitude"] = *l.longitude;
    } else {
        out.erase("latitude");
        out.erase("longitude");
    }
    json stored = out.contains("addresses") && out["addresses"].is_array() ? out["addresses"] : json::array();
    json addresses = json::array();
    if (!l.address.empty() || !l.city.empty() || !l.postcode.empty()) {
        json address = !stored.empty() && stored[0].is_object() ? stored[0] : json::object();
        if (!address.contains("id") || !address["id"].is_string() || !uuid::isValid(address["id"].get<std::string>()))
            address["id"] = uuid::fromName(id + "/address");
        // Import joined address_1 and address_2; split them again where the second is known.
        std::string line2 = address.contains("address_2") && address["address_2"].is_string()
                                ? address["address_2"].get<std::string>()
                                : "";
        if (!line2.empty() && l.address.size() > line2.size() + 2 && l.address.ends_with(", " + line2)) {
            address["address_1"] = l.address.substr(0, l.address.size() - line2.size() - 2);
        } else if (!line2.empty() && l.address == line2) {
            address["address_1"] = "";
        } else {
            address["address_1"] = l.address;
            address.erase("address_2");
        }
        address["city"] = l.city;
        address["postal_code"] = l.postcode;
        addresses.push_back(std::move(address));
    }
    for (size_t i = 1; i < stored.size(); ++i)
        addresses.push_back(stored[i]);
    for (auto& address : addresses) {
        if (!address.is_object()) continue;
        // The schema requires these; UK addresses often have no state or province.
        for (const char* key : {"address_1", "city", "state_province", "postal_code"})
            if (!address.contains(key) || !address[key].is_string()) address[key] = "";
        if (!address.contains("country") || !address["country"].is_string()) address["country"] = "GB";
        std::string addressType = address.value("address_type", "");
        if (addressType != "physical" && addressType != "postal" && addressType != "virtual")
            address["address_type"] = "physical";
    }
    if (!addresses.empty())
        out["addresses"] = std::move(addresses);
    else
        out.erase("addresses");
    return out;
}

json Exporter::service(const std::string& serviceId) {
    auto found = m_store.service(serviceId);
    if (!found) throw Error::notFound("no service with id " + serviceId);
    const Service& s = *found;
    json extra = parseExtra(m_store.serviceExtra(serviceId));
    const std::string id = exportId("service", s.id);

    json out = json::object();
    out["id"] = id;
    out["name"] = s.name;
    bool knownStatus =
        s.status == "active" || s.status == "inactive" || s.status == "defunct" || s.status == "temporarily closed";
    out["status"] = knownStatus ? s.status : "inactive";
    out["description"] = s.description;
    if (!s.url.empty()) out["url"] = s.url;
    if (looksLikeEmail(s.email)) out["email"] = s.email;
    if (!s.eligibility.empty()) out["eligibility_description"] = s.eligibility;
    if (s.minAge) out["minimum_age"] = *s.minAge;
    if (s.maxAge) out["maximum_age"] = *s.maxAge;
    if (s.lastVerified) out["assured_date"] = *s.lastVerified;
    if (auto modified = dateTime(s.lastModified)) out["last_modified"] = *modified;

    if (!s.organisationId.empty()) {
        json org = organisation(s.organisationId);
        if (org.is_object()) {
            out["organization_id"] = org["id"];
            out["organization"] = std::move(org);
        }
    }

    // Locations, with what import kept of each service_at_location (its id, description).
    // Every list is written, empty or not: an absent list means "not stated" to our import.
    {
        json leftovers = extra.contains("service_at_locations") ? extra["service_at_locations"] : json::array();
        json sals = json::array();
        for (const auto& l : s.locations) {
            json sal = json::object();
            if (leftovers.is_array()) {
                for (const auto& left : leftovers) {
                    if (left.is_object() && left.value("location_id", "") == l.id) {
                        sal = left;
                        break;
                    }
                }
            }
            sal.erase("location_id");
            if (!sal.contains("id") || !sal["id"].is_string() || !uuid::isValid(sal["id"].get<std::string>()))
                sal["id"] = uuid::fromName(id + "/service_at_location/" + l.id);
            sal["location"] = location(l);
            sals.push_back(std::move(sal));
        }
        out["service_at_locations"] = std::move(sals);
    }

    // Opening times, one weekly schedule per (opens, closes, note) with its days.
    {
        std::vector<std::pair<std::tuple<std::string, std::string, std::string>, std::vector<int>>> groups;
        for (const auto& t : s.openingTimes) {
            auto key = std::make_tuple(t.opens, t.closes, t.note);
            auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
            if (it == groups.end())
                groups.push_back({key, {t.weekday}});
            else if (std::find(it->second.begin(), it->second.end(), t.weekday) == it->second.end())
                it->second.push_back(t.weekday);
        }
        json schedules = json::array();
        for (const auto& [key, days] : groups) {
            const auto& [opens, closes, note] = key;
            std::string byday;
            for (int day : days) {
                if (day < 1 || day > 7) continue;
                if (!byday.empty()) byday += ',';
                byday += kDayCodes[static_cast<size_t>(day - 1)];
            }
            if (byday.empty()) continue;
            json schedule = {
                {"id", uuid::fromName(id + "/schedule/" + byday + "/" + opens + "/" + closes + "/" + note)},
                {"freq", "WEEKLY"},
                {"byday", byday},
                {"opens_at", opens},
                {"closes_at", closes}};
            if (!note.empty()) schedule["description"] = note;
            schedules.push_back(std::move(schedule));
        }
        out["schedules"] = std::move(schedules);
        append(out, "schedules", extra["schedules"]);
    }

    {
        json areas = json::array();
        for (const auto& code : s.areas) {
            const Area* area = areaByCode(code);
            areas.push_back({{"id", uuid::fromName(id + "/area/" + code)},
                             {"name", area ? std::string(area->nameEn) : code},
                             {"uri", areaUri(code)}});
        }
        out["service_areas"] = std::move(areas);
        append(out, "service_areas", extra["service_areas"]);
    }

    {
        json languages = json::array();
        for (const auto& code : s.languages) {
            json lang = {{"id", uuid::fromName(id + "/language/" + code)}, {"code", code}};
            if (auto name = languageName(code); !name.empty()) lang["name"] = name;
            languages.push_back(std::move(lang));
        }
        out["languages"] = std::move(languages);
        append(out, "languages", extra["languages"]);
    }

    // Named contacts carry their phone; a bare number is a service phone.
    {
        json contacts = json::array(), phones = json::array();
        for (const auto& c : s.contacts) {
            std::string contactId = exportId("contact", c.id);
            if (c.name.empty() && c.title.empty() && c.email.empty()) {
                if (!c.phone.empty()) phones.push_back({{"id", contactId}, {"number", c.phone}});
                continue;
            }
            json contact = {{"id", contactId}};
            if (!c.name.empty()) contact["name"] = c.name;
            if (!c.title.empty()) contact["title"] = c.title;
            if (looksLikeEmail(c.email)) contact["email"] = c.email;
            if (!c.phone.empty())
                contact["phones"] = json::array({{{"id", uuid::fromName(contactId + "/phone")}, {"number", c.phone}}});
            contacts.push_back(std::move(contact));
        }
        out["contacts"] = std::move(contacts);
        out["phones"] = std::move(phones);
    }

    {
        json attributes = json::array();
        for (const auto& code : s.needs) {
            const Need* need = needByCode(code);
            attributes.push_back(attribute(id, kNeedsTaxonomy, code, need ? std::string(need->nameEn) : code,
                                           std::nullopt, need ? std::string(need->parent) : std::string()));
        }
        auto ext = [&](const std::string& code, const std::string& name, const std::string& value) {
            attributes.push_back(attribute(id, kSignpostTaxonomy, code, name, value));
        };
        if (s.commissioningRoute) {
            std::string route(toCode(*s.commissioningRoute));
            ext("route:" + route, "Commissioning route: " + route, route);
        }
        for (auto type : s.supervisionTypes) {
            std::string code(toCode(type));
            ext("supervision:" + code, "Open to people on " + code, code);
        }
        // Always present: it makes the record authoritative for our extensions on import, so a
        // flag that is not listed below is false rather than "keep what we had".
        ext("extensions", "Carries Signpost's probation extensions", "1");
        if (s.womenOnly) ext("women_only", "Women only", "true");
        if (s.highRiskSuitable) ext("high_risk_suitable", "Suitable for high-risk people", "true");
        if (s.hub) ext("hub", "Delivered at a hub", "true");
        if (s.coLocated) ext("co_located", "Co-located with probation", "true");
        if (s.sample) ext("sample", "Contact details are sample data", "true");
        if (!s.nameCy.empty()) ext("name_cy", "Welsh name", s.nameCy);
        if (!s.descriptionCy.empty()) ext("description_cy", "Welsh description", s.descriptionCy);
        if (!s.keywords.empty()) ext("keywords", "Search words", s.keywords);
        if (id != s.id) ext("source_id", "Signpost id", s.id);
        out["attributes"] = std::move(attributes);
        append(out, "attributes", extra["attributes"]);
    }

    // The rest of what the publisher sent, as they sent it.
    for (auto& [key, value] : extra.items()) {
        if (key == "schedules" || key == "service_areas" || key == "languages" || key == "attributes" ||
            key == "service_at_locations" || out.contains(key))
            continue;
        out[key] = std::move(value);
    }
    return out;
}

} // namespace

json exportService(db::Database& db, const std::string& serviceId) {
    return Exporter(db).service(serviceId);
}

size_t exportServices(db::Database& db, std::ostream& out, const ExportOptions& options) {
    std::vector<std::string> ids = options.serviceIds;
    if (ids.empty()) ids = DirectoryStore(db).serviceIds();
    const size_t total = ids.size();
    // Written service by service, so a large directory never sits in memory as one document.
    out << "{\"total_items\":" << total << ",\"total_pages\":1,\"page_number\":1,\"size\":" << total
        << ",\"first_page\":true,\"last_page\":true,\"empty\":" << (total == 0 ? "true" : "false") << ",\"contents\":[";
    Exporter exporter(db);
    for (size_t i = 0; i < total; ++i) {
        out << (i ? ",\n" : "\n") << exporter.service(ids[i]).dump(-1, ' ', false, json::error_handler_t::replace);
        if (options.progress && ((i + 1) % 256 == 0 || i + 1 == total)) options.progress(i + 1, total);
    }
    out << "\n]}\n";
    if (!out) throw Error::io("writing the HSDS export failed");
    return total;
}

} // namespace signpost::directory::hsds
