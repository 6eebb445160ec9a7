// Open Referral HSDS 3.0 import and export against the official examples and real database files.
#include "TestSupport.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Csv.hpp"
#include "signpost/util/Uuid.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

using namespace signpost;
using namespace signpost::directory;
using namespace signpost::domain;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kExampleService = "ac148810-d857-441c-9679-408f346de14b";
const std::string kExampleOrg = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610";

fs::path hsdsDir() {
    return test::standardsDir() / "hsds-3.0";
}
fs::path examplesDir() {
    return hsdsDir() / "examples";
}

db::Database openDb(const test::TempDir& dir, const std::string& name = "directory.db") {
    return schema::openLocal((dir / name).string());
}

void writeJson(const fs::path& path, const json& doc) {
    test::writeFile(path, doc.dump(2));
}

json page(const std::vector<json>& items) {
    return {{"total_items", items.size()}, {"total_pages", 1},  {"page_number", 1},       {"size", items.size()},
            {"first_page", true},          {"last_page", true}, {"empty", items.empty()}, {"contents", items}};
}

json minimalService(const std::string& id, const std::string& name) {
    return {{"id", id}, {"name", name}, {"status", "active"}, {"description", "A service for testing."}};
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const hsds::Problem* findProblem(const std::vector<hsds::Problem>& problems, const std::string& recordId,
                                 const std::string& field = "") {
    for (const auto& p : problems)
        if (p.recordId == recordId && (field.empty() || p.field == field)) return &p;
    return nullptr;
}

std::string problemList(const std::vector<hsds::Problem>& problems) {
    std::string out;
    for (const auto& p : problems)
        out += p.file + " | " + p.recordId + " | " + p.field + " | " + p.reason + "\n";
    return out;
}

// Every row of the directory tables (or only those of some services), as text, for "unchanged" checks.
std::string dumpRows(db::Database& db, const std::string& sql) {
    auto q = db.prepare(sql);
    std::string out;
    while (q.step()) {
        for (int c = 0; c < q.columnCount(); ++c) {
            out += q.isNull(c) ? std::string("<null>") : q.getText(c);
            out += '|';
        }
        out += '\n';
    }
    return out;
}

std::string dumpDirectory(db::Database& db, const std::vector<std::string>& serviceIds = {}) {
    std::string filter = "1";
    if (!serviceIds.empty()) {
        filter = "s.id IN (";
        for (size_t i = 0; i < serviceIds.size(); ++i)
            filter += (i ? ",'" : "'") + serviceIds[i] + "'";
        filter += ")";
    }
    std::string out;
    out += dumpRows(db, "SELECT s.* FROM service s WHERE " + filter + " ORDER BY s.id");
    out += dumpRows(db, "SELECT o.* FROM organisation o WHERE o.id IN (SELECT organisation_id FROM service s WHERE " +
                            filter + ") ORDER BY o.id");
    out += dumpRows(db, "SELECT s.id, l.*, sl.position FROM service s JOIN service_location sl ON sl.service_rowid = "
                        "s.rowid JOIN location l ON l.rowid = sl.location_rowid WHERE " +
                            filter + " ORDER BY s.id, sl.position");
    // A service's areas, needs, contacts and opening times are columns of its row (s.* above).
    out +=
        dumpRows(db, "SELECT s.id, f.name, f.keywords, f.tags FROM service_fts f JOIN service s ON s.rowid = f.rowid "
                     "WHERE " +
                         filter + " ORDER BY 1");
    return out;
}

int64_t count(db::Database& db, const std::string& table) {
    return db.queryInt64("SELECT count(*) FROM " + table).value_or(-1);
}

// A service with every extension we carry, Welsh text, an overnight line and two kinds of contact.
Service richService(const std::string& id, const std::string& orgId) {
    Service s;
    s.id = id;
    s.organisationId = orgId;
    s.name = "Cardiff Women's Centre";
    s.nameCy = "Canolfan Menywod Caerdydd";
    s.description = "Support for women on probation in Cardiff and the Vale.";
    s.descriptionCy = "Cymorth i fenywod ar brawf yng Nghaerdydd a'r Fro.";
    s.url = "https://example.org/womens-centre";
    s.email = "hello@example.org";
    s.status = "active";
    s.commissioningRoute = CommissioningRoute::CoCommissioned;
    s.areas = {"PDU-CARDIFFVALE", "W06000015"};
    s.needs = {"wellbeing.emotional", "women"};
    s.supervisionTypes = {SupervisionType::CommunityOrder, SupervisionType::Licence};
    s.minAge = 18;
    s.maxAge = 65;
    s.womenOnly = true;
    s.highRiskSuitable = true;
    s.hub = true;
    s.coLocated = true;
    s.languages = {"en", "cy"};
    s.eligibility = "Women aged 18 and over on a community order or licence.";
    s.keywords = "women centre drop-in";
    Location l;
    l.id = uuid::fromName(id + "/loc/a");
    l.name = "The Women's Centre";
    l.address = "1 Queen Street, Cathays";
    l.city = "Cardiff";
    l.postcode = "CF10 1AA";
    l.latitude = 51.4816;
    l.longitude = -3.1791;
    s.locations.push_back(l);
    Contact named;
    named.id = uuid::fromName(id + "/contact/named");
    named.name = "Referrals team";
    named.title = "Referrals";
    named.phone = "029 2000 0000";
    named.email = "referrals@example.org";
    s.contacts.push_back(named);
    Contact line;
    line.id = uuid::fromName(id + "/contact/line");
    line.phone = "0800 000 0000";
    s.contacts.push_back(line);
    s.openingTimes = {{1, "09:00", "17:00", ""},
                      {3, "09:00", "17:00", ""},
                      {5, "22:00", "24:00", "Night line"},
                      {6, "00:00", "02:00", "Night line"}};
    s.lastVerified = "2026-10-01";
    s.lastModified = "2026-10-02T09:00:00Z";
    s.source = "seed";
    return s;
}

Organisation richOrganisation(const std::string& id) {
    Organisation o;
    o.id = id;
    o.name = "Cardiff Women's Aid";
    o.nameCy = "Cymorth i Fenywod Caerdydd";
    o.description = "A charity supporting women in Cardiff.";
    o.website = "https://example.org";
    o.email = "office@example.org";
    o.phone = "029 2000 1111";
    o.isaStatus = IsaStatus::InForce;
    o.isaFrom = "2025-04-01";
    o.isaTo = "2027-03-31";
    return o;
}

void checkSameService(const Service& a, const Service& b) {
    CHECK(a.id == b.id);
    CHECK(a.organisationId == b.organisationId);
    CHECK(a.name == b.name);
    CHECK(a.nameCy == b.nameCy);
    CHECK(a.description == b.description);
    CHECK(a.descriptionCy == b.descriptionCy);
    CHECK(a.url == b.url);
    CHECK(a.email == b.email);
    CHECK(a.status == b.status);
    CHECK(a.commissioningRoute == b.commissioningRoute);
    CHECK(a.areas == b.areas);
    CHECK(a.needs == b.needs);
    CHECK(a.supervisionTypes == b.supervisionTypes);
    CHECK(a.minAge == b.minAge);
    CHECK(a.maxAge == b.maxAge);
    CHECK(a.womenOnly == b.womenOnly);
    CHECK(a.highRiskSuitable == b.highRiskSuitable);
    CHECK(a.hub == b.hub);
    CHECK(a.coLocated == b.coLocated);
    CHECK(a.languages == b.languages);
    CHECK(a.eligibility == b.eligibility);
    CHECK(a.keywords == b.keywords);
    CHECK(a.lastVerified == b.lastVerified);
    CHECK(a.lastModified == b.lastModified);
    CHECK(a.sample == b.sample);
    REQUIRE(a.locations.size() == b.locations.size());
    for (size_t i = 0; i < a.locations.size(); ++i) {
        CHECK(a.locations[i].id == b.locations[i].id);
        CHECK(a.locations[i].name == b.locations[i].name);
        CHECK(a.locations[i].address == b.locations[i].address);
        CHECK(a.locations[i].city == b.locations[i].city);
        CHECK(a.locations[i].postcode == b.locations[i].postcode);
        CHECK(a.locations[i].latitude == b.locations[i].latitude);
        CHECK(a.locations[i].longitude == b.locations[i].longitude);
    }
    REQUIRE(a.contacts.size() == b.contacts.size());
    for (size_t i = 0; i < a.contacts.size(); ++i) {
        CHECK(a.contacts[i].id == b.contacts[i].id);
        CHECK(a.contacts[i].name == b.contacts[i].name);
        CHECK(a.contacts[i].title == b.contacts[i].title);
        CHECK(a.contacts[i].phone == b.contacts[i].phone);
        CHECK(a.contacts[i].email == b.contacts[i].email);
        CHECK(a.contacts[i].sample == b.contacts[i].sample);
    }
    REQUIRE(a.openingTimes.size() == b.openingTimes.size());
    for (size_t i = 0; i < a.openingTimes.size(); ++i) {
        CHECK(a.openingTimes[i].weekday == b.openingTimes[i].weekday);
        CHECK(a.openingTimes[i].opens == b.openingTimes[i].opens);
        CHECK(a.openingTimes[i].closes == b.openingTimes[i].closes);
        CHECK(a.openingTimes[i].note == b.openingTimes[i].note);
    }
}

std::string exportAll(db::Database& db) {
    std::ostringstream out;
    hsds::exportServices(db, out);
    return out.str();
}

std::vector<fs::path> exampleJsonFiles() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(examplesDir()))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

// ------------------------------------------------------------------------------------------ CSV

TEST_CASE("the CSV reader follows RFC 4180 and reports line numbers") {
    SUBCASE("quotes, escaped quotes, embedded newlines, CRLF and a BOM") {
        std::string text = "\xEF\xBB\xBFid,name,note\r\n"
                           "1,\"Smith, Jo\",\"said \"\"hi\"\"\"\r\n"
                           "2,plain,\"two\nlines\"\n"
                           "\n"
                           "3,,last";
        auto table = csv::parse(text);
        REQUIRE(table.header == std::vector<std::string>{"id", "name", "note"});
        REQUIRE(table.rows.size() == 3);
        CHECK(table.rows[0] == std::vector<std::string>{"1", "Smith, Jo", "said \"hi\""});
        CHECK(table.rows[1] == std::vector<std::string>{"2", "plain", "two\nlines"});
        CHECK(table.rows[2] == std::vector<std::string>{"3", "", "last"});
        CHECK(table.rowLines == std::vector<size_t>{2, 3, 6});
        CHECK(table.column("note") == 2);
        CHECK(table.column("missing") == -1);
    }
    SUBCASE("fields written by csv::field read back unchanged") {
        const std::vector<std::string> values{"plain", "Smith, Jo", "said \"hi\"", "two\nlines", "", "Tŷ Dŵr"};
        std::string line;
        for (const auto& v : values) line += (line.empty() ? "" : ",") + csv::field(v);
        CHECK(csv::field("plain") == "plain");
        CHECK(csv::field("a,b") == "\"a,b\"");
        auto table = csv::parse("h1,h2,h3,h4,h5,h6\n" + line + "\n");
        REQUIRE(table.rows.size() == 1);
        CHECK(table.rows[0] == values);
    }
    SUBCASE("an unterminated quote is an error naming its line") {
        try {
            csv::parse("id,name\n1,ok\n2,\"never closed\n3,x\n");
            FAIL("expected a parse error");
        } catch (const Error& e) {
            CHECK(e.domain() == ErrorDomain::Parse);
            CHECK(mentions(e.what(), "line 3"));
        }
    }
}

// ------------------------------------------------------------------------------ the examples

TEST_CASE("the in-repo HSDS fixtures match the shared standards copy byte for byte") {
    fs::path shared = test::sourceDir().parent_path() / "shared" / "standards" / "hsds-3.0";
    if (!fs::exists(shared)) {
        MESSAGE("skipped: " << shared.string() << " does not exist on this machine");
        return;
    }
    size_t compared = 0;
    for (const auto& entry : fs::recursive_directory_iterator(shared)) {
        if (!entry.is_regular_file()) continue;
        fs::path relative = fs::relative(entry.path(), shared);
        fs::path ours = hsdsDir() / relative;
        INFO(relative.string());
        REQUIRE(fs::exists(ours));
        CHECK(test::readFile(entry.path()) == test::readFile(ours));
        ++compared;
    }
    CHECK(compared > 20);
}

TEST_CASE("every HSDS 3.0 example imports without file errors") {
    test::TempDir dir;
    auto db = openDb(dir);
    for (const auto& file : exampleJsonFiles()) {
        INFO(file.filename().string());
        auto report = hsds::importPath(db, file);
        INFO(problemList(report.fileErrors) << problemList(report.rejected));
        CHECK(report.fileErrors.empty());
        CHECK(report.rejected.empty());
        CHECK(report.filesRead == 1);
        std::string name = file.filename().string();
        if (name.starts_with("service") || name.starts_with("organization_full") || name == "tabular.json")
            CHECK(report.servicesInserted + report.servicesUpdated == 1);
        if (name.starts_with("organization")) CHECK(report.organisationsWritten == 1);
        if (name.starts_with("taxonomy_term")) CHECK(report.taxonomyTermsSeen == 1);
        if (name == "base.json" || name.starts_with("taxonomy"))
            CHECK(report.servicesInserted + report.servicesUpdated == 0);
    }
    SUBCASE("the tabular datapackage folder") {
        auto report = hsds::importPath(db, examplesDir() / "csv");
        INFO(problemList(report.fileErrors) << problemList(report.rejected));
        CHECK(report.fileErrors.empty());
        CHECK(report.rejected.empty());
        CHECK(report.filesRead == 22); // 21 tables + datapackage.json
        CHECK(report.servicesUpdated == 1);
        CHECK(report.taxonomyTermsSeen == 1);
    }
    SUBCASE("the whole folder at once: later copies of the same service are duplicates") {
        test::TempDir fresh;
        auto db2 = openDb(fresh);
        auto report = hsds::importPath(db2, examplesDir());
        INFO(problemList(report.fileErrors));
        CHECK(report.fileErrors.empty());
        CHECK(report.filesRead == 13 + 22);
        CHECK(report.servicesInserted == 1);
        CHECK(DirectoryStore(db2).serviceCount() == 1);
        // organization_full.json comes first; every later file carrying the organization or the
        // service again is a duplicate, and the reason says where the first copy was.
        REQUIRE(!report.rejected.empty());
        for (const auto& p : report.rejected) {
            INFO(p.file << " " << p.reason);
            CHECK(p.field == "id");
            if (p.recordId == kExampleOrg)
                CHECK(mentions(p.reason, "duplicate organization id: already imported from "
                                         "organization_full.json"));
            else
                CHECK(mentions(p.reason,
                               "duplicate service id: already imported from organization_full.json services[0]"));
        }
        CHECK(findProblem(report.rejected, kExampleService));
        CHECK(findProblem(report.rejected, kExampleOrg));
    }
    CHECK(DirectoryStore(db).serviceCount() == 1);
    CHECK(DirectoryStore(db).organisationCount() == 1);
}

TEST_CASE("service_full.json maps onto the directory model") {
    test::TempDir dir;
    auto db = openDb(dir);
    auto report = hsds::importPath(db, examplesDir() / "service_full.json");
    REQUIRE(report.ok());
    CHECK(report.servicesInserted == 1);
    CHECK(report.organisationsWritten == 1);
    DirectoryStore store(db);
    auto s = store.service(kExampleService);
    REQUIRE(s);
    CHECK(s->name == "Community Counselling");
    CHECK(s->status == "active");
    CHECK(s->url == "http://example.com/counselling");
    CHECK(s->email == "email@example.com");
    CHECK(s->minAge == 12);
    CHECK(s->maxAge == 100);
    CHECK(mentions(s->eligibility, "aged 12 and over"));
    CHECK(s->lastVerified == "2005-01-01");
    CHECK(s->lastModified == "2023-03-15T10:30:45.123Z");
    CHECK(s->source == "hsds:service_full.json");
    CHECK(s->organisationId == kExampleOrg);
    CHECK(s->languages == std::vector<std::string>{"ur"});
    CHECK(s->needs.empty());
    CHECK(s->areas.empty());
    CHECK(mentions(s->keywords, "name")); // the example's unmapped taxonomy term, searchable

    REQUIRE(s->locations.size() == 1);
    const auto& l = s->locations[0];
    CHECK(l.id == "3a19ff88-4620-4d17-9830-ac1d859eb5d5");
    CHECK(l.name == "MyCity Civic Center");
    CHECK(l.address == "1-30 Main Street, MyVillage");
    CHECK(l.city == "MyCity");
    CHECK(l.postcode == "ABC 1234");
    CHECK_FALSE(l.latitude); // 100, 101 is not on Earth
    CHECK_FALSE(l.longitude);
    auto coordinates = findProblem(report.warnings, kExampleService, "service_at_locations[0].location.latitude");
    REQUIRE(coordinates);
    CHECK(mentions(coordinates->reason, "not a valid latitude/longitude"));

    REQUIRE(s->openingTimes.size() == 2);
    CHECK(s->openingTimes[0].weekday == 4);
    CHECK(s->openingTimes[0].opens == "10:00");
    CHECK(s->openingTimes[0].closes == "18:00");
    CHECK(s->openingTimes[1].weekday == 5);
    CHECK(s->openingTimes[1].opens == "10:00");
    CHECK(s->openingTimes[1].closes == "18:00");
    CHECK(mentions(s->openingTimes[0].note, "10 am to 6pm"));

    REQUIRE(s->contacts.size() == 1); // the service phone is the contact's phone
    CHECK(s->contacts[0].id == "1e7efce3-639b-4880-940c-b95cd30cdb50");
    CHECK(s->contacts[0].name == "Ann Persona");
    CHECK(s->contacts[0].title == "Reception Manager");
    CHECK(s->contacts[0].email == "email@example.com");
    CHECK(s->contacts[0].phone == "+44 1234 234567 ext. 100");

    auto org = store.organisation(kExampleOrg);
    REQUIRE(org);
    CHECK(org->name == "Example Organization Inc.");
    CHECK(org->website == "http://example.com");
    CHECK(org->phone == "+44 1234 234567");
    CHECK(org->isaStatus == IsaStatus::None);

    // The unmapped service area is kept (with a warning); so is everything else we do not model.
    auto area = findProblem(report.warnings, kExampleService, "service_areas[0].name");
    REQUIRE(area);
    CHECK(mentions(area->reason, "not an area Signpost knows"));
    json extra = json::parse(store.serviceExtra(kExampleService));
    for (const char* key : {"alternate_name", "fees", "fees_description", "application_process", "funding",
                            "cost_options", "program", "required_documents", "metadata", "accreditations", "alert",
                            "service_areas", "attributes", "interpretation_services", "licenses", "wait_time"})
        CHECK_MESSAGE(extra.contains(key), key);
    CHECK(extra["service_areas"][0]["extent_type"] == "geojson");
    CHECK_FALSE(extra.contains("name"));
    CHECK_FALSE(extra.contains("schedules")); // all representable
    json locationExtra = json::parse(store.locationExtra(l.id));
    CHECK(locationExtra["transportation"].get<std::string>().starts_with("MyCity Civic Center is serviced"));
    CHECK(locationExtra["accessibility"].size() == 1);
    CHECK(locationExtra["addresses"][0]["state_province"] == "MyState");
    CHECK_FALSE(locationExtra.contains("latitude"));
    json orgExtra = json::parse(store.organisationExtra(kExampleOrg));
    CHECK(orgExtra["legal_status"] == "Limited Company");
    CHECK(orgExtra["organization_identifiers"].size() == 1);
}

TEST_CASE("the tabular forms map like the JSON") {
    for (const fs::path& source : {examplesDir() / "csv", examplesDir() / "tabular.json"}) {
        INFO(source.string());
        test::TempDir dir;
        auto db = openDb(dir);
        auto report = hsds::importPath(db, source);
        INFO(problemList(report.rejected));
        REQUIRE(report.ok());
        CHECK(report.servicesInserted == 1);
        CHECK(report.taxonomyTermsSeen == 1);
        DirectoryStore store(db);
        auto s = store.service(kExampleService);
        REQUIRE(s);
        CHECK(s->name == "Community Counselling");
        CHECK(s->minAge == 12); // "12" in the CSV
        CHECK(s->maxAge == 100);
        CHECK(s->organisationId == kExampleOrg);
        CHECK(s->languages == std::vector<std::string>{"ur"});
        REQUIRE(s->locations.size() == 1);
        CHECK(s->locations[0].city == "MyCity");
        CHECK(s->locations[0].address == "1-30 Main Street, MyVillage");
        CHECK_FALSE(s->locations[0].latitude);
        REQUIRE(s->openingTimes.size() == 2);
        CHECK(s->openingTimes[0].weekday == 4);
        CHECK(s->openingTimes[1].weekday == 5);
        CHECK(s->openingTimes[1].closes == "18:00");
        REQUIRE(s->contacts.size() == 1);
        CHECK(s->contacts[0].name == "Ann Persona");
        CHECK(s->contacts[0].phone == "+44 1234 234567 ext. 100"); // quotes inside the CSV cell removed
        json extra = json::parse(store.serviceExtra(kExampleService));
        CHECK(extra["program"]["name"] == "Community Mental Health Support");
        CHECK(extra["cost_options"][0]["amount"] == 35); // a number again
        json locationExtra = json::parse(store.locationExtra(s->locations[0].id));
        CHECK(locationExtra["external_identifier"] == "10092008082"); // text, as the schema says
        auto org = store.organisation(kExampleOrg);
        REQUIRE(org);
        CHECK(org->name == "Example Organization Inc.");
        CHECK(json::parse(store.organisationExtra(kExampleOrg))["year_incorporated"] == 2011);
        // The example's dangling references are reported, not fatal.
        CHECK(!report.warnings.empty());
    }
}

TEST_CASE("organizations, service_at_location lists and lone locations") {
    test::TempDir dir;
    auto db = openDb(dir);
    DirectoryStore store(db);
    SUBCASE("organization_full.json brings its nested service") {
        auto report = hsds::importPath(db, examplesDir() / "organization_full.json");
        REQUIRE(report.ok());
        CHECK(report.servicesInserted == 1);
        auto s = store.service(kExampleService);
        REQUIRE(s);
        CHECK(s->organisationId == kExampleOrg);
        json orgExtra = json::parse(store.organisationExtra(kExampleOrg));
        CHECK(orgExtra.contains("funding"));
        CHECK_FALSE(orgExtra.contains("services"));
    }
    SUBCASE("a service at two locations in a service_at_location list is one service") {
        json doc = json::parse(test::readFile(examplesDir() / "service_at_location_list.json"));
        json second = doc["contents"][0];
        second["id"] = uuid::fromName("second sal");
        second["location"]["id"] = uuid::fromName("second location");
        second["location"]["name"] = "Second office";
        second["location"]["latitude"] = 53.58;
        second["location"]["longitude"] = -2.43;
        doc["contents"].push_back(second);
        writeJson(dir / "sal.json", doc);
        auto report = hsds::importPath(db, dir / "sal.json");
        INFO(problemList(report.rejected));
        REQUIRE(report.ok());
        CHECK(report.servicesInserted == 1);
        auto s = store.service(kExampleService);
        REQUIRE(s);
        REQUIRE(s->locations.size() == 2);
        CHECK(s->locations[1].name == "Second office");
        CHECK(s->locations[1].latitude == 53.58);
    }
    SUBCASE("a location without an id takes one derived from its service and place, the same each time") {
        json doc = json::parse(test::readFile(examplesDir() / "service_full.json"));
        REQUIRE(doc["service_at_locations"].size() == 1);
        json second = doc["service_at_locations"][0];
        second["id"] = uuid::fromName("second sal, no location id");
        second["location"]["name"] = "Unnumbered office";
        doc["service_at_locations"][0]["location"].erase("id");
        second["location"].erase("id");
        doc["service_at_locations"].push_back(second);
        writeJson(dir / "no-location-ids.json", doc);
        const std::vector<std::string> expected{uuid::fromName(std::string(kExampleService) + "/location/0"),
                                                uuid::fromName(std::string(kExampleService) + "/location/1")};
        for (int run = 0; run < 2; ++run) {
            CAPTURE(run);
            auto report = hsds::importPath(db, dir / "no-location-ids.json");
            INFO(problemList(report.rejected));
            REQUIRE(report.ok());
            auto s = store.service(kExampleService);
            REQUIRE(s);
            REQUIRE(s->locations.size() == 2);
            CHECK(s->locations[0].id == expected[0]);
            CHECK(s->locations[1].id == expected[1]);
            CHECK(s->locations[1].name == "Unnumbered office");
            CHECK(count(db, "location") == 2); // the second run updates them in place
        }
    }
    SUBCASE("a list page's abbreviated service keeps the details stored before; an empty list clears") {
        REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
        auto report = hsds::importPath(db, examplesDir() / "service_list.json");
        REQUIRE(report.ok());
        CHECK(report.servicesUpdated == 1);
        auto s = store.service(kExampleService);
        REQUIRE(s);
        CHECK(s->locations.size() == 1);
        CHECK(s->openingTimes.size() == 2);
        CHECK(s->contacts.size() == 1);
        CHECK(s->languages == std::vector<std::string>{"ur"});
        json extra = json::parse(store.serviceExtra(kExampleService));
        CHECK(extra.contains("funding"));
        CHECK(extra.contains("service_areas"));
        json cleared = json::parse(test::readFile(examplesDir() / "service_full.json"));
        cleared["schedules"] = json::array();
        cleared["service_at_locations"] = json::array();
        cleared["funding"] = json::array();
        writeJson(dir / "cleared.json", cleared);
        REQUIRE(hsds::importPath(db, dir / "cleared.json").ok());
        s = store.service(kExampleService);
        CHECK(s->openingTimes.empty());
        CHECK(s->locations.empty());
        CHECK_FALSE(json::parse(store.serviceExtra(kExampleService)).contains("funding"));
    }
    SUBCASE("location.json updates the services that use the location") {
        REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
        json loc = json::parse(test::readFile(examplesDir() / "location.json"));
        loc["name"] = "MyCity New Civic Center";
        loc["latitude"] = 53.5;
        loc["longitude"] = -2.2;
        writeJson(dir / "location.json", loc);
        auto report = hsds::importPath(db, dir / "location.json");
        REQUIRE(report.ok());
        auto s = store.service(kExampleService);
        REQUIRE(s);
        REQUIRE(s->locations.size() == 1);
        CHECK(s->locations[0].name == "MyCity New Civic Center");
        CHECK(s->locations[0].latitude == 53.5);
        CHECK(json::parse(store.locationExtra(s->locations[0].id))["external_identifier_type"] == "what3words");
    }
}

// ------------------------------------------------------------------------------ mapping rules

TEST_CASE("areas, languages, needs and schedules map onto our codes") {
    test::TempDir dir;
    auto db = openDb(dir);
    json s = minimalService(uuid::fromName("mapping"), "Mapping test");
    s["service_areas"] = json::array(
        {{{"id", uuid::fromName("a1")}, {"name", "Bolton"}},
         {{"id", uuid::fromName("a2")}, {"name", "Caerdydd"}},
         {{"id", uuid::fromName("a3")}, {"name", "Somewhere"}, {"extent", "W06000022"}, {"extent_type", "text"}},
         {{"id", uuid::fromName("a4")}, {"name", "Atlantis"}}});
    s["languages"] = json::array({{{"id", uuid::fromName("l1")}, {"code", "cym"}},
                                  {{"id", uuid::fromName("l2")}, {"code", "en-GB"}},
                                  {{"id", uuid::fromName("l3")}, {"name", "Polish"}},
                                  {{"id", uuid::fromName("l4")}, {"name", "Klingon"}}});
    s["attributes"] = json::array(
        {{{"id", uuid::fromName("t1")},
          {"taxonomy_term",
           {{"id", uuid::fromName("t1t")}, {"name", "Debt"}, {"description", "x"}, {"taxonomy", "other"}}}},
         {{"id", uuid::fromName("t2")},
          {"taxonomy_term",
           {{"id", uuid::fromName("t2t")}, {"code", "accommodation"}, {"name", "Housing"}, {"description", "x"}}}},
         {{"id", uuid::fromName("t3")},
          {"taxonomy_term", {{"id", uuid::fromName("t3t")}, {"name", "Gardening club"}, {"description", "x"}}}}});
    s["schedules"] = json::array({{{"id", uuid::fromName("s1")},
                                   {"freq", "WEEKLY"},
                                   {"byday", "MO,WE"},
                                   {"opens_at", "09:00"},
                                   {"closes_at", "17:30:00"}},
                                  {{"id", uuid::fromName("s2")},
                                   {"freq", "WEEKLY"},
                                   {"byday", "SU"},
                                   {"opens_at", "22:00Z"},
                                   {"closes_at", "02:00"}},
                                  {{"id", uuid::fromName("s3")},
                                   {"freq", "MONTHLY"},
                                   {"byday", "1MO"},
                                   {"opens_at", "10:00"},
                                   {"closes_at", "12:00"}}});
    writeJson(dir / "mapping.json", s);
    auto report = hsds::importPath(db, dir / "mapping.json");
    INFO(problemList(report.rejected));
    REQUIRE(report.ok());
    auto stored = DirectoryStore(db).service(s["id"].get<std::string>());
    REQUIRE(stored);
    CHECK(stored->areas == std::vector<std::string>{"E08000001", "W06000015", "W06000022"});
    CHECK(findProblem(report.warnings, s["id"], "service_areas[3].name"));
    CHECK(stored->languages == std::vector<std::string>{"cy", "en", "pl"});
    CHECK(stored->welshLanguage());
    CHECK(findProblem(report.warnings, s["id"], "languages[3]"));
    CHECK(stored->needs == std::vector<std::string>{"accommodation", "finance"});
    CHECK(mentions(stored->keywords, "Gardening club"));
    // Monday and Wednesday; Sunday night runs into Monday morning; the monthly one is kept aside.
    REQUIRE(stored->openingTimes.size() == 4);
    CHECK(stored->openingTimes[0].weekday == 1);
    CHECK(stored->openingTimes[0].opens == "00:00");
    CHECK(stored->openingTimes[0].closes == "02:00");
    CHECK(stored->openingTimes[1].weekday == 1);
    CHECK(stored->openingTimes[1].closes == "17:30");
    CHECK(stored->openingTimes[2].weekday == 3);
    CHECK(stored->openingTimes[3].weekday == 7);
    CHECK(stored->openingTimes[3].opens == "22:00");
    CHECK(stored->openingTimes[3].closes == "24:00");
    auto monthly = findProblem(report.warnings, s["id"], "schedules[2]");
    REQUIRE(monthly);
    CHECK(mentions(monthly->reason, "MONTHLY"));
    json extra = json::parse(DirectoryStore(db).serviceExtra(s["id"].get<std::string>()));
    CHECK(extra["schedules"].size() == 1);
    CHECK(extra["service_areas"].size() == 1);
    CHECK(extra["languages"].size() == 1);

    for (const char* welsh : {"cy", "cym", "wel", "Welsh", "Cymraeg", "cy-GB", " CYM "})
        CHECK_MESSAGE(hsds::languageCode(welsh) == "cy", welsh);
    CHECK(hsds::languageCode("Urdu") == "ur");
    CHECK(hsds::languageCode("Farsi") == "fa");
    CHECK(hsds::languageCode("xyz").empty());
    CHECK(hsds::languageName("cy") == "Welsh");
}

TEST_CASE("weekly schedules: day codes in any case and order, times with seconds, offsets or one hour digit") {
    test::TempDir dir;
    auto db = openDb(dir);
    json s = minimalService(uuid::fromName("weekly"), "Weekly");
    auto schedule = [](const char* byday, const char* opens, const char* closes) {
        return json{{"freq", "weekly"}, {"byday", byday}, {"opens_at", opens}, {"closes_at", closes}};
    };
    s["schedules"] = json::array({schedule(" tu, ,mo,Tu ", "9:30", "17:00+01:00"), schedule("sa", "9:05:00", "23:59Z"),
                                  schedule("MO,XY", "09:00", "10:00"), schedule("MON", "09:00", "10:00"),
                                  schedule("FR", "9:5", "10:00"), schedule("FR", "10:00", "25:00"),
                                  schedule("FR", "24:00", "02:00"), schedule("FR", "10:00", "10:00")});
    writeJson(dir / "weekly.json", s);
    auto report = hsds::importPath(db, dir / "weekly.json");
    REQUIRE(report.ok());
    auto stored = DirectoryStore(db).service(uuid::fromName("weekly"));
    REQUIRE(stored);
    std::vector<std::string> rows;
    for (const auto& o : stored->openingTimes)
        rows.push_back(std::to_string(o.weekday) + " " + o.opens + "-" + o.closes);
    CHECK(rows == std::vector<std::string>{"1 09:30-17:00", "2 09:30-17:00", "6 09:05-23:59"});
    auto why = [&](const char* field) {
        const auto* p = findProblem(report.warnings, uuid::fromName("weekly"), field);
        return p ? p->reason : std::string("(none)");
    };
    CHECK(mentions(why("schedules[2]"), R"(byday "XY" is not a weekday code)"));
    CHECK(mentions(why("schedules[3]"), R"(byday "MON" is not a weekday code)"));
    CHECK(mentions(why("schedules[4]"), R"(opens_at "9:5" is not a time of day)"));
    CHECK(mentions(why("schedules[5]"), R"(closes_at "25:00" is not a time of day)"));
    CHECK(mentions(why("schedules[6]"), R"(opens_at "24:00" is not a time of day)"));
    CHECK(mentions(why("schedules[7]"), "opens and closes at the same time"));
}

// --------------------------------------------------------------------------------- idempotence

TEST_CASE("re-importing the same input updates in place") {
    test::TempDir dir;
    auto db = openDb(dir);
    auto first = hsds::importPath(db, examplesDir() / "service_full.json");
    REQUIRE(first.ok());
    CHECK(first.servicesInserted == 1);
    std::string before = dumpDirectory(db);
    auto countAll = [&] {
        std::vector<int64_t> out;
        for (const char* table : {"service", "organisation", "location", "service_location", "service_fts"})
            out.push_back(count(db, table));
        for (const char* list : {"contacts", "opening_times"})
            out.push_back(db.queryInt64(std::string("SELECT sum(json_array_length(") + list + ")) FROM service").value_or(-1));
        return out;
    };
    std::vector<int64_t> counts = countAll();
    CHECK(counts[5] > 0);
    CHECK(counts[6] > 0);
    auto second = hsds::importPath(db, examplesDir() / "service_full.json");
    REQUIRE(second.ok());
    CHECK(second.servicesInserted == 0);
    CHECK(second.servicesUpdated == 1);
    std::vector<int64_t> after = countAll();
    CHECK(counts == after);
    CHECK(dumpDirectory(db) == before);

    // The CSV form of the same service updates the same rows.
    auto csv = hsds::importPath(db, examplesDir() / "csv");
    CHECK(csv.servicesUpdated == 1);
    CHECK(csv.servicesInserted == 0);
    CHECK(count(db, "service") == 1);
    CHECK(count(db, "location") == 1);
}

TEST_CASE("a feed without our extensions keeps what practitioners set") {
    test::TempDir dir;
    auto db = openDb(dir);
    REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
    DirectoryStore store(db);
    auto s = store.service(kExampleService);
    REQUIRE(s);
    s->commissioningRoute = CommissioningRoute::Informal;
    s->womenOnly = true;
    s->supervisionTypes = {SupervisionType::Licence};
    s->nameCy = "Cwnsela Cymunedol";
    store.upsertService(*s);
    Organisation org = *store.organisation(kExampleOrg);
    org.isaStatus = IsaStatus::InForce;
    const std::string orgExtra = store.organisationExtra(kExampleOrg);
    CHECK_FALSE(orgExtra.empty());
    store.upsertOrganisation(org);
    CHECK(store.organisationExtra(kExampleOrg) == orgExtra); // an edit keeps the published fields
    REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
    auto again = store.service(kExampleService);
    REQUIRE(again);
    CHECK(again->commissioningRoute == CommissioningRoute::Informal);
    CHECK(again->womenOnly);
    CHECK(again->supervisionTypes == std::vector<SupervisionType>{SupervisionType::Licence});
    CHECK(again->nameCy == "Cwnsela Cymunedol");
    CHECK(store.organisation(kExampleOrg)->isaStatus == IsaStatus::InForce);
    // With the organisation alone left (no services), the import still finds it there.
    REQUIRE(store.deleteService(kExampleService));
    REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
    CHECK(store.organisation(kExampleOrg)->isaStatus == IsaStatus::InForce);
}

// ------------------------------------------------------------------------------------- export

TEST_CASE("export carries our extensions and import reads them back exactly") {
    test::TempDir dir;
    auto db = openDb(dir);
    DirectoryStore store(db);
    const std::string orgId = uuid::fromName("rich org");
    store.upsertOrganisation(richOrganisation(orgId));
    Service rich = richService(uuid::fromName("rich service"), orgId);
    store.upsertService(rich);
    // A service with an id that is not a UUID, a sample contact and nothing optional.
    Service plain;
    plain.id = "seed-bolton-7";
    plain.name = "Bolton Money Advice";
    plain.status = "inactive";
    plain.needs = {"finance"};
    plain.areas = {"E08000001"};
    plain.sample = true;
    Contact sample;
    sample.id = "c1";
    sample.name = "Advice line";
    sample.phone = "01632 960000";
    sample.sample = true;
    plain.contacts.push_back(sample);
    store.upsertService(plain);

    json exported = hsds::exportService(db, rich.id);
    CHECK(exported["id"] == rich.id);
    CHECK(exported["status"] == "active");
    CHECK(exported["organization"]["id"] == orgId);
    CHECK(exported["organization"]["description"] == "A charity supporting women in Cardiff.");
    std::string text = exported.dump();
    CHECK_FALSE(mentions(text, "isa")); // ISA status is internal probation data
    CHECK_FALSE(mentions(text, "in_force"));
    CHECK_FALSE(mentions(text, "2027-03-31"));
    CHECK(exported["service_at_locations"][0]["location"]["addresses"][0]["address_1"] == "1 Queen Street, Cathays");
    CHECK(exported["schedules"][0]["byday"] == "MO,WE");
    bool sawWelshName = false, sawRoute = false;
    for (const auto& a : exported["attributes"]) {
        const auto& term = a["taxonomy_term"];
        if (term["taxonomy"] == "signpost" && term["code"] == "name_cy") sawWelshName = a["value"] == rich.nameCy;
        if (term["taxonomy"] == "signpost" && term["code"] == "route:co_commissioned") sawRoute = true;
    }
    CHECK(sawWelshName);
    CHECK(sawRoute);
    json plainOut = hsds::exportService(db, plain.id);
    CHECK(uuid::isValid(plainOut["id"].get<std::string>()));
    CHECK(plainOut["id"] != plain.id);
    CHECK_THROWS_AS(hsds::exportService(db, "no-such-service"), Error);

    std::string first = exportAll(db);
    test::writeFile(dir / "export.json", first);
    auto copyDb = openDb(dir, "copy.db");
    auto report = hsds::importPath(copyDb, dir / "export.json");
    INFO(problemList(report.rejected) << problemList(report.warnings));
    REQUIRE(report.ok());
    CHECK(report.warnings.empty());
    CHECK(report.servicesInserted == 2);
    DirectoryStore copy(copyDb);
    auto richBack = copy.service(rich.id);
    REQUIRE(richBack);
    checkSameService(*store.service(rich.id), *richBack);
    auto plainBack = copy.service(plain.id); // the original id comes back
    REQUIRE(plainBack);
    Service plainExpected = *store.service(plain.id);
    plainExpected.contacts[0].id = uuid::fromName("signpost:contact:c1"); // children get a derived UUID
    checkSameService(plainExpected, *plainBack);
    auto orgBack = copy.organisation(orgId);
    REQUIRE(orgBack);
    CHECK(orgBack->nameCy == "Cymorth i Fenywod Caerdydd");
    CHECK(orgBack->phone == "029 2000 1111");
    CHECK(orgBack->isaStatus == IsaStatus::None);
    CHECK(exportAll(copyDb) == first); // a fixpoint
}

TEST_CASE("export → import → export of the examples is a fixpoint") {
    test::TempDir dir;
    auto db = openDb(dir);
    for (const auto& file : exampleJsonFiles())
        REQUIRE(hsds::importPath(db, file).fileErrors.empty());
    DirectoryStore(db).upsertService(richService(uuid::fromName("fixpoint"), ""));
    std::string first = exportAll(db);
    json doc = json::parse(first);
    CHECK(doc["total_items"] == 2);
    CHECK(doc["contents"].size() == 2);
    CHECK(doc["last_page"] == true);
    test::writeFile(dir / "first.json", first);
    auto second = openDb(dir, "second.db");
    auto report = hsds::importPath(second, dir / "first.json");
    INFO(problemList(report.rejected));
    REQUIRE(report.ok());
    std::string again = exportAll(second);
    CHECK(again == first);
    // What the publisher sent and we do not model survives the trip.
    json service;
    for (const auto& item : doc["contents"])
        if (item["id"] == kExampleService) service = item;
    REQUIRE(service.is_object());
    CHECK(service["alternate_name"] == "MyCity Counselling Services");
    CHECK(service["cost_options"][0]["amount"] == 35);
    CHECK(service["service_at_locations"][0]["id"] == "e94c9f38-1e8f-4564-91d4-d53501ab1765");
    CHECK(service["service_at_locations"][0]["location"]["addresses"][0]["address_2"] == "MyVillage");
    CHECK(service["service_at_locations"][0]["location"]["addresses"][0]["address_1"] == "1-30 Main Street");
    CHECK(service["organization"]["organization_identifiers"][0]["identifier"] == "1234567");
}

TEST_CASE("export and import report progress") {
    test::TempDir dir;
    auto db = openDb(dir);
    DirectoryStore store(db);
    for (int i = 0; i < 300; ++i) {
        Service s;
        s.id = uuid::fromName("progress " + std::to_string(i));
        s.name = "Service " + std::to_string(i);
        store.upsertService(s);
    }
    std::vector<std::pair<size_t, size_t>> calls;
    hsds::ExportOptions options;
    options.progress = [&](size_t done, size_t total) { calls.emplace_back(done, total); };
    std::ofstream out(dir / "all.json");
    CHECK(hsds::exportServices(db, out, options) == 300);
    out.close();
    REQUIRE(!calls.empty());
    CHECK(calls.back() == std::pair<size_t, size_t>{300, 300});
    calls.clear();
    hsds::ImportOptions importOptions;
    importOptions.progress = [&](size_t done, size_t total) { calls.emplace_back(done, total); };
    auto copy = openDb(dir, "copy.db");
    auto report = hsds::importPath(copy, dir / "all.json", importOptions);
    CHECK(report.servicesInserted == 300);
    REQUIRE(!calls.empty());
    CHECK(calls.back() == std::pair<size_t, size_t>{300, 300});
    CHECK(std::is_sorted(calls.begin(), calls.end()));
}

// ---------------------------------------------------------------------------------- malformed

TEST_CASE("malformed input is rejected with a reason and leaves the directory as it was") {
    test::TempDir dir;
    auto db = openDb(dir);
    REQUIRE(hsds::importPath(db, examplesDir() / "service_full.json").ok());
    const std::string ownId = uuid::fromName("own service");
    DirectoryStore(db).upsertService(richService(ownId, ""));
    const std::vector<std::string> baseIds{kExampleService, ownId};
    const std::string before = dumpDirectory(db, baseIds);
    const std::string goodId = uuid::fromName("good neighbour");
    auto goodLanded = [&] { return DirectoryStore(db).service(goodId).has_value(); };

    SUBCASE("truncated JSON: the whole file is rejected with its position") {
        std::string text = page({minimalService(goodId, "Good"), minimalService(kExampleService, "Renamed")}).dump(2);
        test::writeFile(dir / "truncated.json", text.substr(0, text.size() / 2));
        auto report = hsds::importPath(db, dir / "truncated.json");
        REQUIRE(report.fileErrors.size() == 1);
        CHECK(report.fileErrors[0].file == (dir / "truncated.json").string());
        CHECK(mentions(report.fileErrors[0].reason, "line"));
        CHECK(mentions(report.fileErrors[0].reason, "column"));
        CHECK(mentions(report.fileErrors[0].reason, "byte"));
        CHECK(report.filesRead == 0);
        CHECK_FALSE(goodLanded());
    }
    SUBCASE("invalid UTF-8 in a JSON file rejects the file") {
        std::string text = page({minimalService(goodId, "Good"), minimalService(kExampleService, "XX")}).dump();
        text.replace(text.find("XX"), 2, "\xC3\x28");
        test::writeFile(dir / "latin1.json", text);
        auto report = hsds::importPath(db, dir / "latin1.json");
        REQUIRE(report.fileErrors.size() == 1);
        CHECK(mentions(report.fileErrors[0].reason, "UTF-8"));
        CHECK_FALSE(goodLanded());
    }
    SUBCASE("a large file (its records parsed on two threads) is read, or refused, as a small one is") {
        // Over 4 MB: the records of the list are parsed apart and gathered (parseInParallel).
        std::vector<json> items{minimalService(goodId, "Good")};
        for (int i = 0; i < 2500; ++i) {
            json item = minimalService(uuid::fromName("large " + std::to_string(i)), "Large " + std::to_string(i));
            item["description"] = std::string(2000, 'x') + " caf\u00e9 \"quoted\" \\ " + std::to_string(i);
            items.push_back(std::move(item));
        }
        items.push_back(minimalService(kExampleService, "XX"));
        const std::string text = page(items).dump();
        REQUIRE(text.size() > 4 * 1024 * 1024);
        const std::string array = json(items).dump(2);
        std::string badUtf8 = text;
        badUtf8.replace(badUtf8.find("\"XX\""), 4, "\"\xC3\x28\"");
        for (auto [name, content, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"truncated.json", text.substr(0, text.size() / 2), "byte"},
                 {"truncated-array.json", array.substr(0, array.size() - 3), "byte"},
                 {"latin1.json", badUtf8, "UTF-8"},
                 {"trailing.json", text + " ]", "byte"},
                 {"two-values.json", array + "\n[]", "byte"},
                 {"no-comma.json", std::string(text).replace(text.find("},{"), 3, "} {"), "byte"},
                 {"trailing-comma.json", array.substr(0, array.rfind(']')) + ",]", "byte"}}) {
            CAPTURE(name);
            test::writeFile(dir / name, content);
            auto report = hsds::importPath(db, dir / name);
            REQUIRE(report.fileErrors.size() == 1);
            CHECK(mentions(report.fileErrors[0].reason, "is not valid JSON"));
            CHECK(mentions(report.fileErrors[0].reason, expected));
            CHECK(report.filesRead == 0);
            CHECK_FALSE(goodLanded());
            CHECK(dumpDirectory(db, baseIds) == before);
        }
        // Whole, as a page and as a bare list (into a database of its own: this test's directory
        // must end as it began): every record lands, with its text as written.
        auto whole = openDb(dir, "whole.db");
        for (auto [name, content] : std::vector<std::pair<std::string, std::string>>{{"page.json", text},
                                                                                   {"list.json", array}}) {
            CAPTURE(name);
            test::writeFile(dir / name, content);
            auto report = hsds::importPath(whole, dir / name);
            CHECK(report.fileErrors.empty());
            CHECK(report.rejected.empty());
            CHECK(report.servicesInserted + report.servicesUpdated == items.size());
            auto stored = DirectoryStore(whole).service(uuid::fromName("large 1234"));
            REQUIRE(stored);
            CHECK(stored->description == std::string(2000, 'x') + " caf\u00e9 \"quoted\" \\ 1234");
            CHECK(DirectoryStore(whole).service(kExampleService)->name == "XX");
        }
    }
    SUBCASE("a file over maxFileBytes") {
        writeJson(dir / "big.json", page({minimalService(goodId, "Good")}));
        hsds::ImportOptions options;
        options.maxFileBytes = 64;
        auto report = hsds::importPath(db, dir / "big.json", options);
        REQUIRE(report.fileErrors.size() == 1);
        CHECK(mentions(report.fileErrors[0].reason, "maxFileBytes"));
        CHECK_FALSE(goodLanded());
    }
    SUBCASE("a document of no known shape") {
        test::writeFile(dir / "odd.json", R"({"foo": 1, "bar": [2]})");
        test::writeFile(dir / "scalar.json", R"("just text")");
        for (const char* name : {"odd.json", "scalar.json"}) {
            auto report = hsds::importPath(db, dir / name);
            REQUIRE(report.fileErrors.size() == 1);
            CHECK(mentions(report.fileErrors[0].reason, "not an HSDS 3.0 document"));
        }
    }
    SUBCASE("wrong types, missing fields and bad ids reject the record; good ones land") {
        json wrongName = minimalService(kExampleService, "x");
        wrongName["name"] = 42;
        json wordAge = minimalService(uuid::fromName("age"), "Age");
        wordAge["minimum_age"] = "twelve";
        json fractionAge = minimalService(uuid::fromName("fraction"), "Fraction");
        fractionAge["maximum_age"] = 17.5;
        json noStatus = minimalService(uuid::fromName("nostatus"), "No status");
        noStatus.erase("status");
        json badStatus = minimalService(uuid::fromName("badstatus"), "Bad status");
        badStatus["status"] = "open";
        json noName = minimalService(ownId, "x");
        noName.erase("name");
        json noId = minimalService("", "No id");
        noId.erase("id");
        json numberId = minimalService("", "Number id");
        numberId["id"] = 7;
        json emptyId = minimalService("", "Empty id");
        json areasText = minimalService(uuid::fromName("areas"), "Areas");
        areasText["service_areas"] = "Bolton";
        json feesNumber = minimalService(uuid::fromName("fees"), "Fees");
        feesNumber["fees"] = 5;
        json badLatitude = minimalService(uuid::fromName("lat"), "Latitude");
        badLatitude["service_at_locations"] =
            json::array({{{"id", uuid::fromName("sal")}, {"location", {{"id", 12}, {"name", "x"}}}}});
        // Two fields of the wrong type: the one HSDS lists first is named, whatever the order of
        // the record's own members (schedules comes before url in the text, after it in HSDS).
        json twoWrong = minimalService(uuid::fromName("twowrong"), "Two wrong");
        twoWrong["schedules"] = "weekdays";
        twoWrong["url"] = 5;
        // A term's parts of the wrong type, each named by where it is in the record.
        auto withTerm = [&](const std::string& name, json term, json value = nullptr) {
            json s = minimalService(uuid::fromName(name), name);
            json attribute = {{"id", uuid::fromName(name + " attribute")}, {"taxonomy_term", std::move(term)}};
            if (!value.is_null()) attribute["value"] = std::move(value);
            s["attributes"] = json::array({{{"id", uuid::fromName(name + " first")}}, attribute});
            return s;
        };
        json taxonomyNumber = withTerm("taxonomy number", {{"taxonomy", 3}, {"code", "debt"}});
        json detailText = withTerm("detail text", {{"code", "debt"}, {"taxonomy_detail", "signpost-needs"}});
        json detailName = withTerm("detail name", {{"code", "debt"}, {"taxonomy_detail", {{"name", true}}}});
        json termName = withTerm("term name", {{"taxonomy", "other"}, {"name", json::array()}});
        json valueNumber = withTerm("value number", {{"taxonomy", "signpost"}, {"code", "hub"}}, 1);
        json good = minimalService(goodId, "Good neighbour");
        good["minimum_age"] = "18";
        writeJson(dir / "mixed.json", page({wrongName, wordAge, fractionAge, noStatus, badStatus, noName, noId,
                                            numberId, emptyId, areasText, feesNumber, badLatitude, twoWrong,
                                            taxonomyNumber, detailText, detailName, termName, valueNumber, good}));
        auto report = hsds::importPath(db, dir / "mixed.json");
        INFO(problemList(report.rejected));
        CHECK(report.fileErrors.empty());
        CHECK(report.rejected.size() == 18);
        CHECK(report.servicesInserted == 1);
        CHECK(goodLanded());
        CHECK(DirectoryStore(db).service(goodId)->minAge == 18);
        auto expect = [&](const std::string& recordId, const std::string& field, const std::string& words) {
            auto p = findProblem(report.rejected, recordId, field);
            REQUIRE_MESSAGE(p, recordId << " " << field);
            CHECK_MESSAGE(mentions(p->reason, words), p->reason);
            CHECK(p->file == (dir / "mixed.json").string());
        };
        expect(kExampleService, "name", "must be text, not a number");
        expect(uuid::fromName("age"), "minimum_age", "whole number");
        expect(uuid::fromName("fraction"), "maximum_age", "whole number");
        expect(uuid::fromName("nostatus"), "status", "missing");
        expect(uuid::fromName("badstatus"), "status", "not active, inactive");
        expect(ownId, "name", "missing");
        expect("#6", "id", "missing");
        expect("#7", "id", "non-empty string");
        expect("#8", "id", "non-empty string");
        expect(uuid::fromName("areas"), "service_areas", "must be a list");
        expect(uuid::fromName("fees"), "fees", "must be text");
        expect(uuid::fromName("twowrong"), "url", "must be text, not a number");
        expect(uuid::fromName("lat"), "service_at_locations[0].location.id", "non-empty string");
        expect(uuid::fromName("taxonomy number"), "attributes[1].taxonomy_term.taxonomy", "must be text, not a number");
        expect(uuid::fromName("detail text"), "attributes[1].taxonomy_term.taxonomy_detail",
               "must be an object, not text");
        expect(uuid::fromName("detail name"), "attributes[1].taxonomy_term.taxonomy_detail.name",
               "must be text, not true/false");
        expect(uuid::fromName("term name"), "attributes[1].taxonomy_term.name", "must be text, not a list");
        expect(uuid::fromName("value number"), "attributes[1].value", "must be text, not a number");
    }
    SUBCASE("absurdly deep nesting is rejected, not recursed into") {
        json deep = minimalService(kExampleService, "Deep");
        std::string nested(100000, '[');
        nested += std::string(100000, ']');
        std::string text = page({minimalService(goodId, "Good"), deep}).dump();
        text.replace(text.find("\"Deep\""), 6, "\"Deep\", \"alert_levels\": " + nested);
        test::writeFile(dir / "deep.json", text);
        auto report = hsds::importPath(db, dir / "deep.json");
        REQUIRE(report.rejected.size() == 1);
        CHECK(report.rejected[0].recordId == kExampleService);
        CHECK(mentions(report.rejected[0].reason, "nested more than"));
        CHECK(goodLanded());
    }
    SUBCASE("duplicate ids: the later copy is rejected, naming where the first was") {
        json a = minimalService(goodId, "First copy");
        json b = minimalService(goodId, "Second copy");
        writeJson(dir / "dupes.json", page({a, b}));
        auto report = hsds::importPath(db, dir / "dupes.json");
        REQUIRE(report.rejected.size() == 1);
        CHECK(report.rejected[0].recordId == goodId);
        CHECK(report.rejected[0].field == "id");
        CHECK(mentions(report.rejected[0].reason, "dupes.json contents[0]"));
        CHECK(DirectoryStore(db).service(goodId)->name == "First copy");
    }
    SUBCASE("a 10 MB description is rejected, the rest of the file kept") {
        // (How fast is for benchmarks, never a timed assertion here.)
        json huge = minimalService(kExampleService, "Huge");
        huge["description"] = std::string(10 * 1024 * 1024, 'x');
        writeJson(dir / "huge.json", page({huge, minimalService(goodId, "Good")}));
        auto report = hsds::importPath(db, dir / "huge.json");
        REQUIRE(report.rejected.size() == 1);
        CHECK(report.rejected[0].recordId == kExampleService);
        CHECK(report.rejected[0].field == "description");
        CHECK(mentions(report.rejected[0].reason, "10485760 bytes"));
        CHECK(mentions(report.rejected[0].reason, "maxFieldBytes"));
        CHECK(goodLanded());
    }
    SUBCASE("invalid UTF-8 in a CSV field rejects that record (and the service a bad child row belongs to)") {
        fs::path package = dir / "package";
        fs::create_directory(package);
        test::writeFile(package / "services.csv", "id,name,status,description\n" + goodId +
                                                      ",Good neighbour,active,Fine\n" + kExampleService +
                                                      ",Bad \xFF name,active,Broken\n" + ownId + ",Own,active,x\n");
        test::writeFile(package / "phones.csv", "id,service_id,number\n" + uuid::fromName("p1") + "," + ownId +
                                                    ",\"01632 \xC0\xAF\"\n" + uuid::fromName("p2") + "," + goodId +
                                                    ",01632 960001\n");
        auto report = hsds::importPath(db, package);
        INFO(problemList(report.rejected));
        CHECK(report.fileErrors.empty());
        REQUIRE(report.rejected.size() == 2);
        auto bad = findProblem(report.rejected, kExampleService, "name");
        REQUIRE(bad);
        CHECK(mentions(bad->reason, "UTF-8"));
        CHECK(mentions(bad->reason, "services.csv line 3"));
        auto child = findProblem(report.rejected, ownId, "number");
        REQUIRE(child);
        CHECK(child->file == (package / "phones.csv").string());
        CHECK(goodLanded());
        CHECK(DirectoryStore(db).service(goodId)->contacts.at(0).phone == "01632 960001");
    }
    SUBCASE("a CSV file that does not parse is a file error") {
        fs::path package = dir / "broken";
        fs::create_directory(package);
        test::writeFile(package / "services.csv", "id,name,status\n" + goodId + ",\"Good,active\n");
        auto report = hsds::importPath(db, package);
        REQUIRE(report.fileErrors.size() == 1);
        CHECK(mentions(report.fileErrors[0].reason, "line 2"));
        CHECK_FALSE(goodLanded());
    }
    SUBCASE("strict mode rolls everything back") {
        std::string all = dumpDirectory(db);
        json bad = minimalService(kExampleService, "x");
        bad["name"] = 5;
        writeJson(dir / "strict.json", page({minimalService(goodId, "Good"), bad}));
        hsds::ImportOptions options;
        options.strict = true;
        auto report = hsds::importPath(db, dir / "strict.json", options);
        CHECK(report.rolledBack);
        CHECK(report.rejected.size() == 1);
        CHECK(report.servicesInserted == 0);
        CHECK_FALSE(goodLanded());
        CHECK(dumpDirectory(db) == all);
        // And a clean import in strict mode applies.
        writeJson(dir / "clean.json", page({minimalService(goodId, "Good")}));
        auto clean = hsds::importPath(db, dir / "clean.json", options);
        CHECK_FALSE(clean.rolledBack);
        CHECK(goodLanded());
    }
    CHECK(dumpDirectory(db, baseIds) == before);
}

// -------------------------------------------------------------------------------------- scale

// Measures rather than asserts a rate (shared CI machines vary); SIGNPOST_HSDS_BENCH_SERVICES=100000
// runs it at the size the import is specified for.
TEST_CASE("bulk import speed") {
    test::TempDir dir;
    auto db = openDb(dir);
    size_t n = 10000;
    if (const char* env = std::getenv("SIGNPOST_HSDS_BENCH_SERVICES"); env && std::atol(env) > 0)
        n = static_cast<size_t>(std::atol(env));
    {
        db::Transaction tx(db);
        DirectoryStore store(db);
        DirectoryStore::BulkWrite bulk(store);
        size_t orgs = syntheticOrganisationCount(n);
        for (size_t i = 0; i < orgs; ++i)
            store.upsertOrganisation(syntheticOrganisation(i, 7));
        for (size_t i = 0; i < n; ++i)
            store.upsertService(syntheticService(i, orgs, 7));
        bulk.finish();
        tx.commit();
    }
    auto start = std::chrono::steady_clock::now();
    {
        std::ofstream out(dir / "bulk.json", std::ios::binary);
        CHECK(hsds::exportServices(db, out) == n);
    }
    double exportSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto copy = openDb(dir, "copy.db");
    start = std::chrono::steady_clock::now();
    auto report = hsds::importPath(copy, dir / "bulk.json");
    double importSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(report.ok());
    CHECK(report.servicesInserted == n);
    MESSAGE("HSDS export " << static_cast<long>(n / exportSeconds)
                           << " services/s, import (parse + map + write + "
                              "index) "
                           << static_cast<long>(n / importSeconds) << " services/s");
    start = std::chrono::steady_clock::now();
    auto again = hsds::importPath(copy, dir / "bulk.json");
    double updateSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(again.servicesUpdated == n);
    MESSAGE("re-import (update in place) " << static_cast<long>(n / updateSeconds) << " services/s");
    CHECK(count(copy, "service") == static_cast<int64_t>(n));
}

// ---------------------------------------------------------------------------------- streaming

// Everything an import leaves: the directory's rows and the search index derived from them.
std::string dumpEverything(db::Database& db) {
    std::string out = dumpDirectory(db);
    out += dumpRows(db, "SELECT * FROM organisation ORDER BY id");
    out += dumpRows(db, "SELECT rowid, * FROM location ORDER BY id");
    out += dumpRows(db, "SELECT * FROM service_card ORDER BY rowid");
    out += dumpRows(db, "SELECT * FROM service_geo ORDER BY id");
    out += dumpRows(db, "SELECT * FROM search_term ORDER BY term");
    out += dumpRows(db, "SELECT rowid, * FROM service_fts ORDER BY rowid");
    return out;
}

std::string reportText(const hsds::ImportReport& r) {
    return "files " + std::to_string(r.filesRead) + " inserted " + std::to_string(r.servicesInserted) + " updated " +
           std::to_string(r.servicesUpdated) + " organisations " + std::to_string(r.organisationsWritten) +
           (r.rolledBack ? " rolled back" : "") + "\nrejected:\n" + problemList(r.rejected) + "warnings:\n" +
           problemList(r.warnings) + "file errors:\n" + problemList(r.fileErrors);
}

TEST_CASE("a large import into an empty directory has its text index built beside, as the queue builds it") {
    test::TempDir dir;
    const json example = json::parse(test::readFile(examplesDir() / "service_full.json"));
    std::vector<json> items;
    for (int i = 0; i < 1050; ++i) {
        const std::string n = std::to_string(i);
        json full = example;
        full["id"] = uuid::fromName("beside full " + n);
        full["name"] = "Harbour Counselling " + n;
        if (i % 9 == 0) full["status"] = "inactive";
        items.push_back(std::move(full));
        json byOrgId = minimalService(uuid::fromName("beside org ref " + n), "Tidewater Mentoring " + n);
        byOrgId["organization_id"] = kExampleOrg;
        items.push_back(std::move(byOrgId));
    }
    test::writeFile(dir / "services.json", page(items).dump());
    hsds::ImportOptions whole;
    whole.stream = false;
    for (const auto& options : {hsds::ImportOptions{}, whole}) {
        CAPTURE(options.stream);
        auto db = openDb(dir, options.stream ? "streamed.db" : "whole.db");
        auto report = hsds::importPath(db, dir / "services.json", options);
        CHECK(report.ok());
        CHECK(report.servicesInserted == 2100);
        CHECK(report.textIndexBuiltBeside);
        CHECK(db.integrityCheck() == "ok");
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts") == 2100 - 117);
        const std::string imported = dumpEverything(db);
        DirectoryStore(db).reindexAll(); // the queue's own rebuild, from the rows
        CHECK(dumpEverything(db) == imported);
        // Again over the full index: updated in place through the queue, to the same index.
        report = hsds::importPath(db, dir / "services.json", options);
        CHECK(report.servicesUpdated == 2100);
        CHECK_FALSE(report.textIndexBuiltBeside);
        CHECK(dumpEverything(db) == imported);
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
    }
}

TEST_CASE("a large list of services read record by record lands exactly as read whole") {
    test::TempDir dir;
    // Over 4 MB of services of every shape the reading thread maps alone or leaves to the writer:
    // copies of the full example (an embedded organization, shared locations with fields we keep
    // as extras, schedules, phones, attributes), services that name that organization or one of
    // those locations only by id (known only once an earlier record is written), records that
    // are rejected on either side (a wrong type; a repeated id), inactive ones, and one without
    // our extensions whose stored copy keeps what practitioners set.
    const json example = json::parse(test::readFile(examplesDir() / "service_full.json"));
    const std::string sharedLocation = example["service_at_locations"][0]["location"]["id"].get<std::string>();
    std::vector<json> items;
    for (int i = 0; i < 420; ++i) {
        const std::string n = std::to_string(i);
        json full = example;
        full["id"] = uuid::fromName("stream full " + n);
        full["name"] = "Community Counselling " + n;
        full["description"] = full["description"].get<std::string>() + " Branch " + n + ".";
        if (i % 7 == 0) full["status"] = "inactive";
        items.push_back(std::move(full));
        json byOrgId = minimalService(uuid::fromName("stream org ref " + n), "Named by id " + n);
        byOrgId["organization_id"] = kExampleOrg;
        items.push_back(std::move(byOrgId));
        json byLocationId = minimalService(uuid::fromName("stream location ref " + n), "Placed by id " + n);
        byLocationId["service_at_locations"] =
            json::array({{{"id", uuid::fromName("stream sal " + n)}, {"location_id", sharedLocation}}});
        items.push_back(std::move(byLocationId));
        if (i % 50 == 0) {
            json wrong = minimalService(uuid::fromName("stream wrong " + n), "x");
            wrong["name"] = 42;
            items.push_back(std::move(wrong));
            items.push_back(minimalService(uuid::fromName("stream full " + n), "Repeated id " + n));
        }
    }
    const std::string text = page(items).dump();
    REQUIRE(text.size() > 4 * 1024 * 1024);
    test::writeFile(dir / "services.json", text);
    test::writeFile(dir / "list.json", json(items).dump(1));

    hsds::ImportOptions streamed, whole;
    whole.stream = false;
    std::vector<std::pair<size_t, size_t>> calls;
    streamed.progress = [&](size_t done, size_t total) { calls.emplace_back(done, total); };
    SUBCASE("a list and a page, into an empty directory and again over what is stored") {
        for (const char* name : {"services.json", "list.json"}) {
            CAPTURE(name);
            calls.clear();
            auto a = openDb(dir, std::string("streamed-") + name + ".db");
            auto b = openDb(dir, std::string("whole-") + name + ".db");
            auto ra = hsds::importPath(a, dir / name, streamed);
            auto rb = hsds::importPath(b, dir / name, whole);
            CHECK(ra.rejected.size() == 2 * 9); // 9 wrong types, 9 repeated ids
            CHECK(ra.servicesInserted == 3 * 420);
            CHECK(reportText(ra) == reportText(rb));
            CHECK(dumpEverything(a) == dumpEverything(b));
            REQUIRE(!calls.empty());
            CHECK(calls.back() == std::pair<size_t, size_t>{items.size(), items.size()});
            CHECK(std::is_sorted(calls.begin(), calls.end(),
                                 [](const auto& x, const auto& y) { return x.first < y.first; }));

            // Again over what is stored: every service updated in place.
            ra = hsds::importPath(a, dir / name, streamed);
            rb = hsds::importPath(b, dir / name, whole);
            CHECK(ra.servicesUpdated == 3 * 420);
            CHECK(reportText(ra) == reportText(rb));
            CHECK(dumpEverything(a) == dumpEverything(b));
        }
    }

    SUBCASE("plain feed over stored services: what the feed leaves out is kept") {
        auto a = openDb(dir, "streamed-plain.db");
        auto b = openDb(dir, "whole-plain.db");
        hsds::importPath(a, dir / "services.json", streamed);
        hsds::importPath(b, dir / "services.json", whole);
        std::vector<json> plain;
        for (const auto& item : items) {
            json p = item;
            p.erase("attributes");
            p.erase("service_at_locations");
            p.erase("schedules");
            if (p.contains("description")) p["description"] = "Updated: " + p["description"].dump();
            plain.push_back(std::move(p));
        }
        test::writeFile(dir / "plain.json", page(plain).dump());
        auto ra = hsds::importPath(a, dir / "plain.json", streamed);
        auto rb = hsds::importPath(b, dir / "plain.json", whole);
        CHECK(ra.servicesUpdated > 0);
        CHECK(reportText(ra) == reportText(rb));
        CHECK(dumpEverything(a) == dumpEverything(b));
    }

    SUBCASE("a record of another kind after services were written: the import runs again whole") {
        std::vector<json> mixed(items.begin(), items.end());
        json org = example["organization"];
        org["name"] = "Renamed at the end";
        mixed.push_back(org); // an organization record: kinds are settled per page in the whole reading
        test::writeFile(dir / "mixed.json", json(mixed).dump());
        test::writeFile(dir / "small.json", page({minimalService(uuid::fromName("stream small"), "Small")}).dump());
        fs::create_directories(dir / "feed");
        fs::copy_file(dir / "small.json", dir / "feed" / "a-small.json");
        fs::copy_file(dir / "mixed.json", dir / "feed" / "b-mixed.json");
        auto a = openDb(dir, "streamed-mixed.db");
        auto b = openDb(dir, "whole-mixed.db");
        auto ra = hsds::importPath(a, dir / "feed", streamed);
        auto rb = hsds::importPath(b, dir / "feed", whole);
        CHECK(ra.filesRead == 2);
        CHECK(reportText(ra) == reportText(rb));
        CHECK(dumpEverything(a) == dumpEverything(b));
        CHECK(DirectoryStore(a).organisation(kExampleOrg)->name == "Renamed at the end");

        // Inside the caller's transaction: the run that gave up is taken back to the savepoint,
        // and the caller's own writes stay.
        auto c = openDb(dir, "in-transaction.db");
        {
            db::Transaction tx(c);
            Service mine;
            mine.id = uuid::fromName("caller's own");
            mine.name = "Caller's own";
            DirectoryStore(c).upsertService(mine);
            auto rc = hsds::importPath(c, dir / "mixed.json", streamed);
            CHECK(rc.fileErrors.empty());
            CHECK(DirectoryStore(c).service(mine.id));
            tx.commit();
        }
        auto d = openDb(dir, "in-transaction-whole.db");
        {
            Service mine;
            mine.id = uuid::fromName("caller's own");
            mine.name = "Caller's own";
            DirectoryStore(d).upsertService(mine);
            hsds::importPath(d, dir / "mixed.json", whole);
        }
        CHECK(dumpEverything(c) == dumpEverything(d));
    }

    SUBCASE("a record whose write fails: the import runs again with a savepoint per record and turns it away") {
        // A trigger of the test's own refuses one service's location link, after its row is
        // written. The first run writes without a savepoint per record, so it gives up there and
        // is taken back; the second writes each record in one.
        const std::string refused = uuid::fromName("stream full 201");
        auto refuse = [](db::Database& db) {
            db.exec("CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.service_location WHEN (SELECT name FROM "
                    "main.service WHERE rowid = NEW.service_rowid) = 'Community Counselling 201' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
        };
        auto a = openDb(dir, "streamed-refused.db");
        auto b = openDb(dir, "whole-refused.db");
        refuse(a);
        refuse(b);
        calls.clear();
        auto ra = hsds::importPath(a, dir / "services.json", streamed);
        auto rb = hsds::importPath(b, dir / "services.json", whole);
        CHECK(ra.servicesInserted == 3 * 420 - 1);
        CHECK(ra.rejected.size() == 2 * 9 + 1);
        CHECK(reportText(ra) == reportText(rb));
        CHECK(dumpEverything(a) == dumpEverything(b));
        const auto why = std::find_if(ra.rejected.begin(), ra.rejected.end(),
                                      [&](const hsds::Problem& p) { return p.recordId == refused; });
        REQUIRE(why != ra.rejected.end());
        CHECK(mentions(why->reason, "could not be stored"));
        CHECK(mentions(why->reason, "refused by the test"));
        CHECK_FALSE(DirectoryStore(a).service(refused));
        CHECK(DirectoryStore(a).service(uuid::fromName("stream full 202")));
        size_t restarts = 0;
        for (size_t i = 1; i < calls.size(); ++i)
            if (calls[i].first < calls[i - 1].first) ++restarts;
        CHECK(restarts == 1);
        REQUIRE(!calls.empty());
        CHECK(calls.back() == std::pair<size_t, size_t>{items.size(), items.size()});
        CHECK(a.integrityCheck() == "ok");
        a.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
    }

    SUBCASE("a fault in the text leaves the directory as it was, with the whole reading's message") {
        auto a = openDb(dir, "streamed-fault.db");
        hsds::importPath(a, dir / "services.json", streamed);
        const std::string before = dumpEverything(a);
        // In the first batch (nothing written yet: the file is read whole at once), in a later
        // batch of each reading thread (services written, then taken back), and in the last.
        const size_t firstRecord = text.find("\"status\":\"active\"");
        for (size_t at : {firstRecord, text.find("\"status\":\"active\"", text.size() / 4),
                          text.find("\"status\":\"active\"", text.size() / 2), text.rfind("\"status\":\"active\"")}) {
            CAPTURE(at);
            REQUIRE(at != std::string::npos);
            std::string bad = text;
            bad.replace(at, 17, "\"status\":tru");
            test::writeFile(dir / "bad.json", bad);
            auto ra = hsds::importPath(a, dir / "bad.json", streamed);
            auto b = openDb(dir, "whole-fault.db");
            auto rb = hsds::importPath(b, dir / "bad.json", whole);
            REQUIRE(ra.fileErrors.size() == 1);
            CHECK(mentions(ra.fileErrors[0].reason, "is not valid JSON"));
            CHECK(reportText(ra) == reportText(rb));
            CHECK(dumpEverything(a) == before);
        }
    }
}

TEST_CASE("a feed written by hand reads the same record by record as whole: nulls, repeated and unsorted names") {
    // The reading threads map records from simdjson's reading where it lies; the whole reading maps
    // nlohmann values, which hold each name once (the last), in name order, and whose nulls the
    // mapping drops first. Text no nlohmann dump would give: names out of order and repeated
    // (the last a null, or a wrong type before the right one), nulls in lists (which number the
    // items after them), problems in two fields at once (the one first by name is reported),
    // numbers of each kind, escapes, and records the writer maps (an organization by id).
    test::TempDir dir;
    std::string text = "{\"total_items\":1,\"contents\":[";
    size_t records = 0;
    auto add = [&](const std::string& record) {
        if (records++ > 0) text += ",\n";
        text += record;
    };
    const std::string org = uuid::fromName("by hand org");
    for (int i = 0; text.size() < 5 * 1024 * 1024; ++i) {
        const std::string n = std::to_string(i);
        const std::string id = "\"" + uuid::fromName("by hand " + n) + "\"";
        const std::string loc = "\"" + uuid::fromName("by hand location " + std::to_string(i % 40)) + "\"";
        add("{\"status\":\"Active\",\"name\":\"Unsorted " + n + "\",\"id\":" + id +
            ",\"description\":null,\"name\":\"Unsorted \\u00e2 " + n +
            " (the last name)\",\"organization\":{\"name\":\"Hand Org\",\"id\":\"" + org +
            "\",\"website\":null,\"zz\":[null,1,-2,3.5e2,18446744073709551615]},"
            "\"attributes\":[null,{\"taxonomy_term\":{\"taxonomy\":\"signpost-needs\",\"code\":\"finance\","
            "\"name\":null}},null,{\"taxonomy_term\":{\"name\":\"Befriending\",\"code\":null}}],"
            "\"service_areas\":[{\"name\":\"Bolton\"},null,{\"name\":\"Atlantis\",\"uri\":null}],"
            "\"languages\":[null,{\"code\":\"cy\"},{\"name\":\"Klingon\",\"code\":\"tlh\"}],"
            "\"schedules\":[{\"opens_at\":\"09:00\",\"freq\":\"WEEKLY\",\"byday\":\"MO,TU\",\"closes_at\":\"17:00\","
            "\"id\":null},null,{\"freq\":\"MONTHLY\",\"byday\":\"MO\",\"opens_at\":\"09:00\",\"closes_at\":\"10:00\","
            "\"interval\":2,\"description\":\"first Monday\"}],"
            "\"service_at_locations\":[null,{\"location\":{\"name\":\"Hall\",\"id\":" +
            loc +
            ",\"longitude\":-2.43,\"latitude\":53.58,\"zeta\":null,\"alpha\":[1,null,{\"b\":null,\"a\":true}],"
            "\"addresses\":[null,{\"city\":\"Bolton\",\"address_1\":\"1 Road\",\"postal_code\":\"BL1 1AA\","
            "\"country\":\"GB\",\"state_province\":null},{\"city\":\"Elsewhere\"}]},\"description\":\"desk\"}],"
            "\"minimum_age\":18.0,\"maximum_age\":\"65\",\"contacts\":[null,{\"name\":\"Desk\",\"phones\":[null,"
            "{\"number\":\"01204 000 \\\"000\\\"\",\"extension\":12}]}],\"phones\":[{\"number\":\"0161 000 0000\"}],"
            "\"x_custom\":{\"b\":null,\"a\":[null,{\"c\":1e2,\"c\":-0}]},\"x_repeat\":1,\"x_repeat\":null,"
            "\"url\":7,\"url\":\"https://example.org/" +
            n + "\",\"email\":\"desk@example.org\",\"email\":null}");
        const std::string other = "\"" + uuid::fromName("by hand other " + n) + "\"";
        switch (i % 6) {
        case 0: // the organization named by id only: the writer maps it
            add("{\"organization_id\":\"" + org + "\",\"name\":\"By id " + n +
                "\",\"status\":\"active\",\"id\":" + other + "}");
            break;
        case 1: // a wrong type past a null: the path counts the items that are there
            add("{\"id\":" + other + ",\"status\":\"active\",\"name\":\"Wrong " + n +
                "\",\"attributes\":[null,{\"taxonomy_term\":{\"code\":[1]}}]}");
            break;
        case 2: // two fields too long: the first by name is the one reported
            add("{\"zz\":\"" + std::string(300, 'z') + "\",\"id\":" + other +
                ",\"status\":\"active\",\"name\":\"Long " + n + "\",\"aa\":[null,\"" + std::string(300, 'a') + "\"]}");
            break;
        case 3: // nested deeper than any record is, after a null
            add("{\"id\":" + other + ",\"status\":\"active\",\"name\":\"Deep " + n + "\",\"x\":[null," +
                std::string(40, '[') + std::string(40, ']') + "]}");
            break;
        case 4: // the name given, then taken back by a null
            add("{\"id\":" + other + ",\"status\":\"active\",\"name\":\"Gone " + n + "\",\"name\":null}");
            break;
        default: // an age of the wrong type, then the right one; a status of the wrong type last
            add("{\"id\":" + other + ",\"name\":\"Ages " + n +
                "\",\"minimum_age\":\"x\",\"minimum_age\":21,\"status\":\"active\",\"status\":false}");
            break;
        }
    }
    text += "]}";
    test::writeFile(dir / "by-hand.json", text);

    hsds::ImportOptions streamed, whole;
    streamed.maxFieldBytes = whole.maxFieldBytes = 200;
    whole.stream = false;
    auto a = openDb(dir, "streamed.db");
    auto b = openDb(dir, "whole.db");
    const auto ra = hsds::importPath(a, dir / "by-hand.json", streamed);
    const auto rb = hsds::importPath(b, dir / "by-hand.json", whole);
    CHECK(reportText(ra) == reportText(rb));
    CHECK(dumpEverything(a) == dumpEverything(b));
    CHECK(ra.servicesInserted > 1000);
    CHECK(ra.rejected.size() > 1000);
    // What each shape came to, so that a reading that gets both sides wrong alike still fails.
    auto reasonFor = [&](const std::string& recordId) -> std::string {
        for (const auto& r : ra.rejected)
            if (r.recordId == recordId) return r.field + ": " + r.reason;
        return "";
    };
    CHECK(reasonFor(uuid::fromName("by hand other 1")) == "attributes[0].taxonomy_term.code: must be text, not a list");
    CHECK(reasonFor(uuid::fromName("by hand other 2")) ==
          "aa[0]: is 300 bytes long; the limit for one field is 200 bytes (maxFieldBytes)");
    CHECK(mentions(reasonFor(uuid::fromName("by hand other 3")), "nested more than 32 levels"));
    CHECK(reasonFor(uuid::fromName("by hand other 4")) == "name: missing: every service needs a name");
    CHECK(reasonFor(uuid::fromName("by hand other 5")) == "status: must be text, not true/false");
    DirectoryStore store(a);
    const auto first = store.service(uuid::fromName("by hand 0"));
    REQUIRE(first);
    CHECK(first->name == "Unsorted \u00e2 0 (the last name)");
    CHECK(first->url == "https://example.org/0");
    CHECK(first->email.empty());
    CHECK(first->description.empty());
    CHECK(first->organisationId == org);
    CHECK(first->areas == std::vector<std::string>{"E08000001"});
    CHECK(first->languages == std::vector<std::string>{"cy"});
    REQUIRE(first->locations.size() == 1);
    CHECK(first->locations[0].city == "Bolton");
    CHECK(first->openingTimes.size() == 2);
    REQUIRE(first->contacts.size() == 2);
    CHECK(first->contacts[0].phone == "01204 000 000 ext. 12");
    const std::string extra = store.serviceExtra(uuid::fromName("by hand 0"));
    CHECK(extra.find("x_repeat") == std::string::npos);
    CHECK(mentions(extra, R"("x_custom":{"a":[{"c":0}]})"));
    CHECK(mentions(extra, R"("schedules":[{"byday":"MO","closes_at":"10:00","description":"first Monday")"));
    CHECK(store.service(uuid::fromName("by hand other 0")));
    CHECK(store.service(uuid::fromName("by hand other 0"))->organisationId == org);
}

TEST_CASE("a service's and its locations' extras are written with the rows when given, kept when not") {
    test::TempDir dir;
    auto db = openDb(dir);
    DirectoryStore store(db);
    Service s;
    s.id = uuid::fromName("extras");
    s.name = "Extras";
    s.locations.push_back(Location{uuid::fromName("extras loc"), "Office", "", "", "", 53.5, -2.4});
    s.locations.push_back(Location{uuid::fromName("extras loc 2"), "Annex", "", "", "", std::nullopt, std::nullopt});
    auto prepared = DirectoryStore::prepare(s);
    prepared.extra = R"({"fees":"none"})";
    prepared.locationExtras = {R"({"transportation":"bus 8"})"}; // the second location: none given
    store.upsertPrepared(std::move(prepared));
    CHECK(store.serviceExtra(s.id) == R"({"fees":"none"})");
    CHECK(store.locationExtra(s.locations[0].id) == R"({"transportation":"bus 8"})");
    CHECK(store.locationExtra(s.locations[1].id).empty());

    // An upsert that gives none (sync, the client) keeps what is stored, on update too.
    s.name = "Extras renamed";
    store.upsertService(s);
    CHECK(store.serviceExtra(s.id) == R"({"fees":"none"})");
    CHECK(store.locationExtra(s.locations[0].id) == R"({"transportation":"bus 8"})");

    // Given as "" they are cleared; given, they replace what is stored.
    prepared = DirectoryStore::prepare(s);
    prepared.extra = "";
    prepared.locationExtras = {std::nullopt, R"({"floor":"2"})"};
    store.upsertPrepared(std::move(prepared));
    CHECK(store.serviceExtra(s.id).empty());
    CHECK(db.queryInt64("SELECT count(*) FROM service WHERE extra IS NULL AND id = '" + s.id + "'") == 1);
    CHECK(store.locationExtra(s.locations[0].id) == R"({"transportation":"bus 8"})");
    CHECK(store.locationExtra(s.locations[1].id) == R"({"floor":"2"})");
    CHECK(store.service(s.id)->name == "Extras renamed");
}
