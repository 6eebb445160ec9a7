#include "signpost/directory/Seed.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Csv.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Uuid.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

namespace signpost::directory {

using nlohmann::json;
using namespace signpost::domain;

namespace {

std::string seedId(const std::string& key) { return uuid::fromName("seed:" + key); }

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw Error::validation("seed data " + where + ": " + what);
}

Service parseService(const json& j) {
    Service s;
    const std::string key = str(j, "key");
    if (key.empty()) bad("service", "missing key");
    s.id = seedId(key);
    s.organisationId = seedId(str(j, "organisation"));
    s.name = str(j, "name");
    s.nameCy = str(j, "name_cy");
    s.description = str(j, "description");
    s.keywords = str(j, "keywords");
    s.source = "seed";
    for (const auto& a : j.value("areas", json::array())) {
        if (!areaByCode(a.get<std::string>())) bad(key, "unknown area " + a.get<std::string>());
        s.areas.push_back(a.get<std::string>());
    }
    for (const auto& n : j.value("needs", json::array())) {
        if (!needByCode(n.get<std::string>())) bad(key, "unknown need " + n.get<std::string>());
        s.needs.push_back(n.get<std::string>());
    }
    if (auto route = str(j, "commissioning_route"); !route.empty()) {
        s.commissioningRoute = parseCommissioningRoute(route);
        if (!s.commissioningRoute) bad(key, "unknown commissioning route " + route);
    }
    s.womenOnly = flag(j, "women_only");
    s.hub = flag(j, "hub");
    s.coLocated = flag(j, "co_located");
    s.highRiskSuitable = flag(j, "high_risk_suitable");
    for (const auto& l : j.value("languages", json::array())) s.languages.push_back(l.get<std::string>());
    int n = 0;
    for (const auto& l : j.value("locations", json::array())) {
        Location loc;
        loc.id = uuid::fromName("seed:" + key + "/location/" + std::to_string(n++));
        loc.name = str(l, "name");
        loc.city = str(l, "city");
        loc.postcode = str(l, "postcode");
        if (l.contains("latitude")) loc.latitude = l["latitude"].get<double>();
        if (l.contains("longitude")) loc.longitude = l["longitude"].get<double>();
        s.locations.push_back(std::move(loc));
    }
    n = 0;
    for (const auto& c : j.value("contacts", json::array())) {
        Contact contact;
        contact.id = uuid::fromName("seed:" + key + "/contact/" + std::to_string(n++));
        contact.name = str(c, "name");
        contact.phone = str(c, "phone");
        contact.email = str(c, "email");
        contact.sample = flag(c, "sample");
        s.sample = s.sample || contact.sample;
        s.contacts.push_back(std::move(contact));
    }
    if (auto verified = str(j, "last_verified"); !verified.empty()) s.lastVerified = verified;
    return s;
}

} // namespace

size_t loadPostcodeDistricts(db::Database& db, const std::filesystem::path& csvPath) {
    std::ifstream in(csvPath, std::ios::binary);
    if (!in) throw Error::io("cannot read " + csvPath.string());
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    csv::Table table = csv::parse(content);
    auto col = [&](const char* name) {
        int index = table.column(name);
        if (index < 0) throw Error::parse(csvPath.string() + ": no column " + name);
        return static_cast<size_t>(index);
    };
    size_t cDistrict = col("district"), cLat = col("latitude"), cLon = col("longitude"), cArea = col("area_code");
    DirectoryStore store(db);
    db::Savepoint sp(db, "postcodes");
    size_t count = 0;
    for (const auto& row : table.rows) {
        if (row.size() <= std::max({cDistrict, cLat, cLon, cArea})) continue;
        try {
            store.upsertPostcodeDistrict(row[cDistrict], std::stod(row[cLat]), std::stod(row[cLon]), row[cArea]);
            ++count;
        } catch (const std::invalid_argument&) {
            throw Error::parse(csvPath.string() + ": bad coordinates for " + row[cDistrict]);
        }
    }
    sp.release();
    return count;
}

SeedReport loadSeed(db::Database& db, const std::filesystem::path& assetsDir, const ProgressFn& progress) {
    const auto path = assetsDir / "seed" / "directory.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::io("cannot read " + path.string());
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::exception& e) {
        throw Error::parse(path.string() + ": " + e.what());
    }
    SeedReport report;
    db::Transaction txn(db);
    DirectoryStore store(db);
    DirectoryStore::BulkWrite bulk(store);
    const auto& orgs = doc.at("organisations");
    const auto& services = doc.at("services");
    const size_t total = orgs.size() + services.size();
    size_t done = 0;
    for (const auto& o : orgs) {
        Organisation org;
        org.id = seedId(str(o, "key"));
        org.name = str(o, "name");
        org.nameCy = str(o, "name_cy");
        org.description = str(o, "description");
        org.website = str(o, "website");
        store.upsertOrganisation(org);
        ++report.organisations;
        if (progress) progress(++done, total);
    }
    for (const auto& j : services) {
        store.upsertService(parseService(j));
        ++report.services;
        if (progress) progress(++done, total);
    }
    bulk.finish();
    auto postcodes = assetsDir / "postcode-districts.csv";
    if (std::filesystem::exists(postcodes)) report.postcodeDistricts = loadPostcodeDistricts(db, postcodes);
    txn.commit();
    return report;
}

} // namespace signpost::directory
