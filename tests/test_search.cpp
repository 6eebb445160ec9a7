// Directory search on the real seed data and on services made for a rule: ranking, every filter,
// Welsh diacritics, synonyms, distance order, and hostile input treated as plain text.
#include "TestSupport.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Search.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/directory/Synonyms.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Assets.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

using namespace signpost;
using namespace signpost::directory;
using namespace signpost::domain;

namespace {

// 2026-11-23 (a Monday) 11:00 UTC = 11:00 GMT.
constexpr std::time_t kMonday11am = 1795431600;

struct SeededDirectory {
    test::TempDir dir;
    db::Database db;
    SeedReport report;
    SeededDirectory() : db(schema::openLocal((dir / "seed.db").string())) { report = loadSeed(db, assets::dir()); }
};

std::vector<std::string> names(const SearchOutcome& outcome) {
    std::vector<std::string> out;
    for (const auto& r : outcome.results) out.push_back(r.name);
    return out;
}

bool contains(const SearchOutcome& outcome, std::string_view needle) {
    for (const auto& r : outcome.results)
        if (r.name.find(needle) != std::string::npos) return true;
    return false;
}

SearchQuery text(std::string t, std::vector<std::string> areas = {}) {
    SearchQuery q;
    q.text = std::move(t);
    q.areas = std::move(areas);
    q.limit = 50;
    return q;
}

// The organisation shown on the one result a word finds.
std::string organisationOf(DirectorySearch& search, const std::string& word) {
    auto found = search.search(text(word));
    REQUIRE(found.results.size() == 1);
    return found.results[0].organisation;
}

// The first column of every row a query gives, as text.
std::vector<std::string> textRows(db::Database& db, const char* sql) {
    std::vector<std::string> out;
    db::Statement q(db, sql);
    while (q.step())
        out.push_back(q.getText(0));
    return out;
}

// A count query with one text parameter (?1).
int64_t countOf(db::Database& db, const char* sql, const std::string& value) {
    db::Statement q(db, sql);
    q.bind(1, value);
    q.step();
    return q.getInt64(0);
}

// Two lists of rows, the same row by row (the first difference is the one reported).
void checkSameRows(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    CHECK(a.size() == b.size());
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        CAPTURE(i);
        REQUIRE(a[i] == b[i]);
    }
}

// The names of the first `limit` results for `words`, nearest `point` first.
std::vector<std::string> nearestNames(DirectorySearch& search, const std::string& words, GeoPoint point, int limit) {
    SearchQuery q = text(words);
    q.near = point;
    q.limit = limit;
    return names(search.search(q));
}

Location placeAt(const std::string& name, double latitude, double longitude) {
    Location l;
    l.name = name;
    l.latitude = latitude;
    l.longitude = longitude;
    return l;
}

Service made(const std::string& key, const std::string& name, std::vector<std::string> areas,
             std::vector<std::string> needs = {"wellbeing"}) {
    Service s;
    s.id = uuid::fromName("test:" + key);
    s.name = name;
    s.description = "A service made for a test.";
    s.areas = std::move(areas);
    s.needs = std::move(needs);
    return s;
}

} // namespace

TEST_CASE("the seed loads the GM pilot providers, Wales services and postcode districts, and re-seeds in place") {
    SeededDirectory d;
    CHECK(d.report.organisations == 14);
    CHECK(d.report.services == 24);
    CHECK(d.report.postcodeDistricts > 250);
    DirectoryStore store(d.db);
    CHECK(store.serviceCount() == 24);
    auto again = loadSeed(d.db, assets::dir());
    CHECK(again.services == 24);
    CHECK(store.serviceCount() == 24);
    CHECK(store.organisationCount() == 14);
    CHECK(d.db.queryInt64("SELECT count(*) FROM service_fts") == 24);
    // Every sample contact is flagged as such; no seed contact claims to be a published fact.
    const char* contacts = "SELECT c.value FROM service s, json_each(s.contacts) c";
    CHECK(d.db.queryInt64(std::string("SELECT count(*) FROM (") + contacts + ")") >= 10);
    CHECK(d.db.queryInt64(std::string("SELECT count(*) FROM (") + contacts + ") WHERE value ->> 'sample' IS NOT 1") == 0);
    CHECK(d.db.queryInt64(std::string("SELECT count(*) FROM (") + contacts + ") WHERE value ->> 'phone' NOT LIKE '01632 96%'") == 0);
}

TEST_CASE("\"debt\" in Bolton puts Bolton Advice first") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    auto outcome = search.search(text("debt", {"E08000001"}));
    REQUIRE(!outcome.results.empty());
    CHECK(outcome.results[0].organisation == "Bolton Advice");
    // The GM-wide welfare advice line and GM finance services follow; nothing from Wales.
    CHECK(contains(outcome, "welfare advice line"));
    for (const auto& r : outcome.results) {
        for (const auto& a : r.areas) CHECK(a.substr(0, 1) != "W");
    }
    // Typed a letter at a time, Bolton Advice leads from the third letter.
    for (std::string prefix : {"deb", "debt", "debt "}) {
        CAPTURE(prefix);
        auto typed = search.search(text(prefix, {"E08000001"}));
        REQUIRE(!typed.results.empty());
        CHECK(typed.results[0].organisation == "Bolton Advice");
    }
}

TEST_CASE("\"women\" in Gwent finds the Wales women's service, not Greater Manchester's") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    auto outcome = search.search(text("women", {"PDU-GWENT"}));
    REQUIRE(!outcome.results.empty());
    CHECK(outcome.results[0].name == "Commissioned Rehabilitative Services: Women's Services (Wales)");
    CHECK(outcome.results[0].womenOnly);
    CHECK_FALSE(contains(outcome, "GM Integrated"));
}

TEST_CASE("a new service's rowid block is its most specific known area's, in any order of its areas") {
    auto slotOf = [](std::string_view code) {
        const Area* area = areaByCode(code);
        REQUIRE(area != nullptr);
        return static_cast<uint32_t>(area - allAreas().data()) + 1;
    };
    const std::string bolton = "E08000001", gm = std::string(kGreaterManchester), wales = std::string(kWales);
    CHECK(areaSlot({bolton}) == slotOf(bolton));
    CHECK(areaSlot({gm, bolton}) == slotOf(bolton));
    CHECK(areaSlot({bolton, gm, std::string(kEnglandAndWales)}) == slotOf(bolton));
    CHECK(areaSlot({wales, "PDU-GWENT"}) == slotOf("PDU-GWENT"));
    CHECK(areaSlot({"PDU-GWENT", "W06000022"}) == slotOf("W06000022")); // Newport, within Gwent
    CHECK(areaSlot({"nowhere", wales}) == slotOf(wales));
    CHECK(areaSlot({"nowhere"}) == 0);
    CHECK(areaSlot({}) == 0);
}

TEST_CASE("area filters handle services covering several areas and every level of the hierarchy") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    // Oldham: both Manchester-and-Oldham providers, plus GM-wide services.
    auto oldham = search.search(text("wellbeing", {"E08000004"}));
    CHECK(contains(oldham, "POPs"));
    CHECK(contains(oldham, "Back on Track"));
    CHECK(contains(oldham, "welfare advice line"));
    CHECK_FALSE(contains(oldham, "Bolton Advice"));
    // Trafford: the Big Life service that covers Tameside, Trafford and Wigan, and Out There.
    auto trafford = search.search(text("personal wellbeing", {"E08000009"}));
    CHECK(contains(trafford, "The Big Life Company: Personal Wellbeing"));
    CHECK(contains(trafford, "Out There"));
    // A PDU reaches down to its local authorities and up to the Wales-wide services.
    auto cardiffVale = search.search(text("wellbeing", {"PDU-CARDIFFVALE"}));
    CHECK(contains(cardiffVale, "Cardiff Wellbeing Hub"));
    CHECK(contains(cardiffVale, "Personal Wellbeing (Wales)"));
    CHECK_FALSE(contains(cardiffVale, "POPs"));
    // A region reaches every borough in it.
    auto gm = search.search(text("personal wellbeing", {std::string(kGreaterManchester)}));
    CHECK(contains(gm, "Bolton Advice"));
    CHECK(contains(gm, "Nacro"));
    CHECK_FALSE(contains(gm, "Cardiff"));
    // Local services come before region-wide ones.
    CHECK(cardiffVale.results[0].name == "Cardiff Wellbeing Hub");
}

TEST_CASE("need, route, hub and co-location filters on the seed") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    SearchQuery q;
    q.limit = 50;
    q.needs = {"accommodation"};
    auto accommodation = search.search(q);
    CHECK(accommodation.results.size() == 3); // GM IRS, CRS Wales, Cardiff hub
    CHECK(contains(accommodation, "Cardiff Wellbeing Hub"));

    q = SearchQuery{};
    q.limit = 50;
    q.needs = {"wellbeing.emotional"};
    auto emotional = search.search(q);
    REQUIRE(emotional.results.size() == 1);
    CHECK(emotional.results[0].name == "Commissioned Rehabilitative Services: Personal Wellbeing (Wales)");

    q = SearchQuery{};
    q.limit = 50;
    q.route = CommissioningRoute::DynamicFramework;
    auto framework = search.search(q);
    CHECK(framework.results.size() == 6);
    for (const auto& r : framework.results) CHECK(r.route == CommissioningRoute::DynamicFramework);

    q = SearchQuery{};
    q.hub = true;
    auto hubs = search.search(q);
    REQUIRE(hubs.results.size() == 1);
    CHECK(hubs.results[0].name == "Cardiff Wellbeing Hub");

    q = SearchQuery{};
    q.coLocated = true;
    auto colocated = search.search(q);
    REQUIRE(colocated.results.size() == 1);
    CHECK(colocated.results[0].organisation == "Safer Wales");

    q = SearchQuery{};
    q.limit = 50;
    q.women = WomenFilter::Only;
    auto women = search.search(q);
    CHECK(women.results.size() == 2);
    q.women = WomenFilter::Exclude;
    auto notWomen = search.search(q);
    CHECK(notWomen.results.size() == 22);
    for (const auto& r : notWomen.results) CHECK_FALSE(r.womenOnly);
}

TEST_CASE("synonyms: practitioners' words find the directory's categories") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    auto housing = search.search(text("housing"));
    CHECK(contains(housing, "Accommodation (Wales)"));
    CHECK(contains(housing, "GM Integrated Rehabilitative Services: Accommodation"));
    auto drugs = search.search(text("drugs"));
    CHECK(contains(drugs, "Dependency and Recovery (Wales)"));
    CHECK(contains(drugs, "Cardiff Wellbeing Hub")); // "substance misuse" in its description
    auto jobs = search.search(text("jobs", {"W06000015"}));
    CHECK(contains(jobs, "Education, Training and Employment (Wales)"));
    // Welsh words too.
    auto llety = search.search(text("llety"));
    CHECK(contains(llety, "Accommodation (Wales)"));
    // While typing: "hous" already widens to accommodation.
    auto typing = search.search(text("hous"));
    CHECK(contains(typing, "Accommodation (Wales)"));
}

TEST_CASE("synonyms are resolved when a service is indexed: one concept term per typed word") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "syn.db").string());
    DirectoryStore store(db);
    // None of these says "housing"; each holds a word of the accommodation group, whole or by prefix.
    auto tenancy = made("tenancy", "Tenancy Support Bolton", {"E08000001"}, {});
    store.upsertService(tenancy);
    auto homeless = made("homeless", "Riverside Project", {"E08000001"}, {});
    homeless.description = "Help for people facing homelessness after release.";
    store.upsertService(homeless);
    auto housing = made("housing", "Housing Advice Bolton", {"E08000001"}, {});
    store.upsertService(housing);
    auto unrelated = made("other", "Bolton Chess Club", {"E08000001"}, {});
    store.upsertService(unrelated);
    // A concept mark in a publisher's text is not a concept: this service says nothing about money.
    auto forged = made("forged", "Bolton Walking Group", {"E08000001"}, {});
    forged.description = "Walks every week " + std::string(kConceptMark) + "fin";
    store.upsertService(forged);

    DirectorySearch search(db);
    auto found = search.search(text("housing"));
    CHECK(names(found) == std::vector<std::string>{"Housing Advice Bolton", "Tenancy Support Bolton",
                                                   "Riverside Project"});
    // The word itself outranks its synonyms, and a synonym in the name outranks one in the description.
    CHECK(found.results[0].score < found.results[1].score);
    CHECK(found.results[1].score < found.results[2].score);
    // One word is the word OR one concept token, not an OR of the group's words.
    const std::string expr = search.matchExpression(text("housing"));
    CHECK(expr.find(kConceptMark) != std::string::npos);
    CHECK(expr.find("tenancy") == std::string::npos);
    // While typing: the prefix's completions and the groups of the synonyms it starts.
    CHECK(contains(search.search(text("homel")), "Tenancy Support"));
    CHECK(contains(search.search(text("money")), "Bolton Walking Group") == false);
    CHECK(search.search(text("money")).results.empty());
    // A concept mark typed into the search box is a space: it neither reaches a concept nor errs.
    auto typedMark = text(std::string(kConceptMark) + "fin");
    CHECK(search.matchExpression(typedMark).find(std::string(kConceptMark) + "fin") == std::string::npos);
    auto typedAcc = text(std::string(kConceptMark) + "zzq");
    CHECK(search.matchExpression(typedAcc).find(kConceptMark) == std::string::npos);
    CHECK(search.search(typedAcc).results.empty());

    // Edits keep the concept counts in step: the last accommodation service in the description
    // column goes, and the typed synonym no longer finds it.
    homeless.description = "A drop-in for anyone.";
    store.upsertService(homeless);
    CHECK_FALSE(contains(search.search(text("housing")), "Riverside Project"));
    {
        auto docs = db.prepare("SELECT docs FROM search_term WHERE term = ?1");
        docs.bind(1, std::string(kConceptMark) + "acc");
        REQUIRE(docs.step());
        CHECK(docs.getInt64(0) == 2);
    }
    // Every typed synonym maps to a concept some index word produces.
    for (const auto& s : synonyms()) {
        CAPTURE(s.word);
        CHECK(s.token.rfind(kConceptMark, 0) == 0);
        CHECK(conceptForWord(s.word) == s.token);
    }
}

TEST_CASE("Welsh diacritics: ŵ ŷ â match w y a both ways") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "cy.db").string());
    DirectoryStore store(db);
    store.upsertService(made("dwr", "Tŷ Dŵr Recovery", {"W06000001"}, {"dependency"}));
    store.upsertService(made("plain", "Ty Newydd Housing", {"W06000002"}, {"accommodation"}));
    auto svc = made("mon", "Canolfan Llesiant", {"W06000001"});
    svc.description = "Gwasanaeth ym Môn ar gyfer pobl â phroblemau dyled.";
    store.upsertService(svc);
    DirectorySearch search(db);
    CHECK(names(search.search(text("ty dwr"))) == std::vector<std::string>{"Tŷ Dŵr Recovery"});
    CHECK(names(search.search(text("TŶ DŴR"))) == std::vector<std::string>{"Tŷ Dŵr Recovery"});
    auto ty = search.search(text("tŷ"));
    CHECK(ty.results.size() == 2); // Tŷ Dŵr and Ty Newydd
    CHECK(names(search.search(text("mon phroblemau"))) == std::vector<std::string>{"Canolfan Llesiant"});
    // Area names in keywords match without accents: "ynys mon" reaches services in Ynys Môn.
    CHECK(search.search(text("ynys mon")).results.size() == 2);
    // And an area typed in Welsh resolves as a filter.
    CHECK(search.search(text("recovery", {std::string(findArea("Ynys Môn")->code)})).results.size() == 1);
}

TEST_CASE("eligibility filters: age, supervision type, high risk, Welsh language, open now") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "elig.db").string());
    DirectoryStore store(db);
    auto young = made("young", "Young Adults Mentoring", {"E08000003"});
    young.minAge = 18;
    young.maxAge = 24;
    store.upsertService(young);
    auto licence = made("licence", "Licence Mentoring", {"E08000003"});
    licence.supervisionTypes = {SupervisionType::Licence};
    licence.highRiskSuitable = true;
    store.upsertService(licence);
    auto welsh = made("welsh", "Mentora Cymraeg", {"W06000002"});
    welsh.languages = {"cy", "en"};
    welsh.openingTimes = {{1, "09:00", "17:00", ""}};
    store.upsertService(welsh);
    auto open = made("open", "Open Mentoring", {"E08000003"});
    open.openingTimes = {{1, "10:30", "12:00", ""}, {2, "09:00", "17:00", ""}};
    store.upsertService(open);
    auto closed = made("closed", "Evening Mentoring", {"E08000003"});
    closed.openingTimes = {{1, "18:00", "21:00", ""}};
    store.upsertService(closed);

    DirectorySearch search(db, kMonday11am);
    auto q = text("mentoring");
    q.age = 30;
    CHECK_FALSE(contains(search.search(q), "Young Adults"));
    q.age = 20;
    CHECK(contains(search.search(q), "Young Adults"));

    q = text("mentoring");
    q.supervision = SupervisionType::CommunityOrder;
    CHECK_FALSE(contains(search.search(q), "Licence Mentoring"));
    CHECK(contains(search.search(q), "Open Mentoring")); // open to every supervision type
    q.supervision = SupervisionType::Licence;
    CHECK(contains(search.search(q), "Licence Mentoring"));

    q = text("mentoring");
    q.highRiskSuitable = true;
    CHECK(names(search.search(q)) == std::vector<std::string>{"Licence Mentoring"});

    q = SearchQuery{};
    q.welshLanguage = true;
    auto welshOnly = search.search(q);
    REQUIRE(welshOnly.results.size() == 1);
    CHECK(welshOnly.results[0].welshLanguage);

    q = SearchQuery{};
    q.openNow = true;
    q.limit = 50;
    auto openNow = names(search.search(q)); // Monday 11:00
    std::sort(openNow.begin(), openNow.end());
    CHECK(openNow == std::vector<std::string>{"Mentora Cymraeg", "Open Mentoring"});
    q.text = "mentoring";
    CHECK(contains(search.search(q), "Open Mentoring"));
    CHECK_FALSE(contains(search.search(q), "Evening"));
}

TEST_CASE("near me: results come in distance order from a postcode district or coordinates") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    DirectoryStore store(d.db);
    auto bl1 = store.postcodeDistrict("BL1 1AA");
    REQUIRE(bl1);
    auto q = text("personal wellbeing");
    q.near = GeoPoint{bl1->latitude, bl1->longitude};
    auto outcome = search.search(q);
    REQUIRE(outcome.results.size() >= 5);
    CHECK(outcome.results[0].organisation == "Bolton Advice");
    double previous = -1;
    for (const auto& r : outcome.results) {
        if (!r.distanceKm) break; // unlocated services follow the located ones
        CHECK(*r.distanceKm >= previous);
        previous = *r.distanceKm;
    }
    CHECK(outcome.results[0].distanceKm.value_or(99) < 5);
    // From Cardiff the Cardiff services come first, then the GM ones hundreds of km away.
    auto cf10 = store.postcodeDistrict("CF10");
    REQUIRE(cf10);
    SearchQuery all;
    all.near = GeoPoint{cf10->latitude, cf10->longitude};
    all.limit = 50;
    auto fromCardiff = search.search(all);
    REQUIRE(fromCardiff.results.size() >= 3);
    CHECK(fromCardiff.results[0].town == "Cardiff");
    CHECK(fromCardiff.results[2].distanceKm.value_or(0) > 150);
}

TEST_CASE("each result says how many days ago it was verified") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "v.db").string());
    DirectoryStore store(db);
    auto checked = made("checked", "Checked Advice", {"E08000001"});
    checked.lastVerified = "2026-11-13";
    store.upsertService(checked);
    store.upsertService(made("unchecked", "Unchecked Advice", {"E08000001"}));
    DirectorySearch search(db, kMonday11am); // 2026-11-23
    auto outcome = search.search(text("advice"));
    REQUIRE(outcome.results.size() == 2);
    for (const auto& r : outcome.results) {
        if (r.name == "Checked Advice") CHECK(r.daysSinceVerified == 10);
        else CHECK_FALSE(r.daysSinceVerified.has_value());
    }
}

TEST_CASE("SQL metacharacters and FTS5 syntax in the search box are plain text") {
    SeededDirectory d;
    DirectorySearch search(d.db);
    const std::vector<std::string> hostile{
        "\"",       "'",     "\"\"\"",           "*",           "debt*",      "NEAR(debt advice)", "name:debt",
        "{name}:x", "debt OR 1=1", "'); DROP TABLE service; --", "AND",  "OR",    "NOT",  "-debt", "^debt",
        "debt AND", "(",     ")",      "+",      "debt\"advice", "%",  "_",   "\\",   "debt; DELETE FROM service",
        std::string("debt\0advice", 11), std::string(5000, 'x'), "tags:fhub", "in" + std::string("e08000001")};
    for (const auto& input : hostile) {
        CAPTURE(input);
        SearchQuery q = text(input);
        CHECK_NOTHROW(search.search(q));
        q.areas = {"E08000001"};
        CHECK_NOTHROW(search.search(q));
    }
    CHECK(DirectoryStore(d.db).serviceCount() == 24);
    CHECK(d.db.integrityCheck() == "ok");
    // Operators are words, not operators: "debt OR 1=1" must not widen to everything.
    auto orQuery = search.search(text("debt OR nonsenseword"));
    CHECK(orQuery.results.empty());
    // A column filter typed by a person does not reach the tags column.
    CHECK(search.search(text("tags:fhub")).results.empty());
    // Queries carry no column filters (each costs a position-list walk per row): a tag can be
    // neither typed nor published because it starts with a mark no text holds (Marks.hpp). Typed
    // as a word, whole or as a prefix, with or without the mark, a tag matches nothing.
    for (std::string tag : {"fhub", "fhu", "ine08000001", "ine0800", "ndfinance", "svany", "covk04000001", "fwomenonly"}) {
        for (const std::string& typed : {tag, std::string(kTagMark) + tag}) {
            CAPTURE(typed);
            CHECK(search.search(text(typed)).results.empty());
            CHECK(search.search(text(typed + " ")).results.empty());
            CHECK(search.search(text("debt " + typed)).results.empty());
        }
    }
    auto known = search.search(text("debt adv"));
    CHECK(!known.results.empty());
    CHECK(known.matchExpression.find('{') == std::string::npos);
    CHECK(known.matchExpression.find(':') == std::string::npos);
    // A publisher's text that spells a tag, with or without the mark, is words: this service
    // is no hub, covers Bolton only, and is not women-only.
    DirectoryStore store(d.db);
    auto spoof = made("spoof", "Spoof Advice", {"E08000001"}, {"finance"});
    spoof.description = "fhub ine08000002 fwomenonly " + std::string(kTagMark) + "fhub " + std::string(kTagMark) +
                        "ine08000002 " + std::string(kTagMark) + "fwomenonly";
    store.upsertService(spoof);
    SearchQuery hubs = text("spoof");
    hubs.hub = true;
    CHECK(search.search(hubs).results.empty());
    CHECK(search.search(text("spoof", {"E08000002"})).results.empty());
    SearchQuery women = text("spoof");
    women.women = WomenFilter::Only;
    CHECK(search.search(women).results.empty());
    CHECK(names(search.search(text("spoof", {"E08000001"}))) == std::vector<std::string>{"Spoof Advice"});
    CHECK(names(search.search(text("fhub"))) == std::vector<std::string>{"Spoof Advice"}); // the word, as text
    // Punctuation around real words still finds them.
    CHECK(!search.search(text("\"debt\"", {"E08000001"})).results.empty());
}

TEST_CASE("text is split into words where the index splits it, never into a phrase the index refuses") {
    // The index keeps no word positions (schema v16), so FTS5 refuses a quoted phrase of two
    // tokens. Letters joined by punctuation outside Latin text (a full-width comma, a Greek ano
    // teleia, an Armenian full stop) are two words to FTS5's tokenizer: the words typed, and the
    // dictionary that completes them, must be split the same way.
    SeededDirectory d;
    DirectoryStore store(d.db);
    auto joined = made("joined", "Quillfeather Tenancy\uFF0CRescue", {"E08000001"}, {"housing"});
    joined.description = "Help with arrears\u0387paperwork and bailiffs\u0589letters.";
    store.upsertService(joined); // one service, so the dictionary is counted entry by entry
    DirectorySearch search(d.db);
    for (std::string typed : {"tenancy\uFF0Crescue", "tenancy\uFF0Cresc", "arrears\u0387paperwork", "bailiffs\u0589let",
                              "quillfeather tenancy\uFF0C", "Tenancy\u0387Rescue"}) {
        CAPTURE(typed);
        SearchOutcome found;
        REQUIRE_NOTHROW(found = search.search(text(typed)));
        CHECK(names(found) == std::vector<std::string>{"Quillfeather Tenancy\uFF0CRescue"});
        REQUIRE_NOTHROW(found = search.search(text(typed, {"E08000001"})));
        CHECK(names(found) == std::vector<std::string>{"Quillfeather Tenancy\uFF0CRescue"});
    }
    // The dictionary holds the words, not the pairs: a completion of "tenanc" that was a pair
    // would be quoted as one phrase.
    for (const char* pair : {"tenancy\uFF0Crescue", "arrears\u0387paperwork", "bailiffs\u0589letters"})
        CHECK(countOf(d.db, "SELECT count(*) FROM search_term WHERE term = ?1", pair) == 0);
    for (const char* word : {"quillfeather", "tenancy", "rescue", "arrears", "paperwork", "bailiffs", "letters"}) {
        CAPTURE(word);
        CHECK(countOf(d.db, "SELECT count(*) FROM search_term WHERE term = ?1", word) == 1);
    }
    CHECK(names(search.search(text("quillf"))) == std::vector<std::string>{"Quillfeather Tenancy\uFF0CRescue"});
    // Typed text that ends in such punctuation has finished its last word: it is not completed.
    CHECK(names(search.search(text("quill"))) == std::vector<std::string>{"Quillfeather Tenancy\uFF0CRescue"});
    CHECK(search.search(text("quill\uFF0C")).results.empty());
    // Taken out again, entry by entry: the words go with it.
    CHECK(store.deleteService(joined.id));
    CHECK(countOf(d.db, "SELECT count(*) FROM search_term WHERE term = ?1 AND docs > 0", "quillfeather") == 0);
}

TEST_CASE("the synthetic directory is deterministic and spreads over every area and need") {
    auto a = syntheticService(42, 100, 7), b = syntheticService(42, 100, 7), c = syntheticService(42, 100, 8);
    CHECK(a.id == b.id);
    CHECK(a.name == b.name);
    CHECK(a.description == b.description);
    CHECK(a.description != c.description);
    test::TempDir dir;
    auto db = schema::openLocal((dir / "syn.db").string());
    auto report = generateSynthetic(db, {2000, 7, {}});
    CHECK(report.services == 2000);
    CHECK(db.queryInt64("SELECT count(DISTINCT value) FROM service, json_each('[\"' || replace(areas, ' ', '\",\"') || '\"]')") >= 32);
    CHECK(db.queryInt64("SELECT count(DISTINCT value) FROM service, json_each('[\"' || replace(needs, ' ', '\",\"') || '\"]')") >= 10);
    CHECK(db.queryInt64("SELECT count(*) FROM service WHERE sample = 0") == 0);
    // Regenerating updates in place.
    generateSynthetic(db, {2000, 7, {}});
    CHECK(DirectoryStore(db).serviceCount() == 2000);
}

TEST_CASE("the synthetic generator's pipelined load writes what one service at a time writes") {
    // generateSynthetic prepares services on a second thread, writes them grouped by area slot
    // and, into an empty index, indexes them on a third as they are written; the same services upserted one by one in
    // index order, each indexed as it is written, must give the same rows (with the same rowids), the same search index
    // and the same word dictionary.
    test::TempDir dir;
    auto piped = schema::openLocal((dir / "piped.db").string());
    // Into an empty index: the index is built beside the rows (DirectoryStore::IndexSpace).
    CHECK(generateSynthetic(piped, {1500, 5, {}}).indexBuiltBeside);
    auto single = schema::openLocal((dir / "single.db").string());
    {
        DirectoryStore store(single);
        const size_t orgs = syntheticOrganisationCount(1500);
        for (size_t i = 0; i < orgs; ++i) store.upsertOrganisation(syntheticOrganisation(i, 5));
        for (size_t i = 0; i < 1500; ++i) store.upsertService(syntheticService(i, orgs, 5));
    }
    for (const char* sql : {
             "SELECT json_array(rowid, id, organisation_id, name, description, areas, needs, contacts, opening_times, "
             "last_verified) FROM service ORDER BY rowid",
             "SELECT json_array(rowid, name, description, organisation, keywords, tags) FROM service_fts ORDER BY rowid",
             "SELECT json_array(rowid, id, name, organisation, organisation_cy, town, postcode, areas, needs, welsh) "
             "FROM service_card ORDER BY rowid",
             "SELECT json_array(id, min_lat, max_lat, min_lon, max_lon) FROM service_geo ORDER BY id",
             "SELECT term FROM search_term ORDER BY term", // counts: see rebuildTermDictionary
             "SELECT json_array(s.service_rowid, l.id, l.latitude) FROM service_location s JOIN location l ON "
             "l.rowid = s.location_rowid ORDER BY s.service_rowid, s.position"}) {
        const std::string query = sql;
        CAPTURE(query);
        auto a = textRows(piped, sql), b = textRows(single, sql);
        CHECK(a.size() >= 500);
        checkSameRows(a, b);
    }
    CHECK(piped.queryText("PRAGMA integrity_check") == "ok");
    piped.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
    // A second run over the same directory replaces every service in place, entry for entry,
    // through the queue (the index is not empty).
    CHECK_FALSE(generateSynthetic(piped, {1500, 5, {}}).indexBuiltBeside);
    CHECK(textRows(piped, "SELECT json_array(rowid, name, keywords, tags) FROM service_fts ORDER BY rowid") ==
          textRows(single, "SELECT json_array(rowid, name, keywords, tags) FROM service_fts ORDER BY rowid"));
    piped.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
}

TEST_CASE("a load in any order into an empty index has its text index built beside the cards at the end") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "any.db").string());
    DirectoryStore store(db);
    DirectorySearch search(db);
    CHECK(search.search(text("scattered")).results.empty()); // the connection has read the empty index
    // Four areas in turn: rowids are clustered by area, so they arrive out of order.
    const std::vector<std::string> areas{"W06000022", "E08000001", "W06000015", "E08000010"};
    auto service = [&](size_t i) {
        auto s = made("any" + std::to_string(i), "Scattered Service " + std::to_string(i), {areas[i % areas.size()]});
        if (i % 3 != 0)
            s.locations.push_back(placeAt("Hub " + std::to_string(i), 51.5 + static_cast<double>(i) / 1000, -3.2));
        return s;
    };
    const char* kIndexQueries[] = {
        "SELECT json_array(rowid, name, description, organisation, keywords, tags) FROM service_fts ORDER BY rowid",
        "SELECT json_array(rowid, id, name, organisation, town, postcode, areas, needs, welsh) FROM service_card "
        "ORDER BY rowid",
        "SELECT json_array(id, min_lat, max_lat, min_lon, max_lon) FROM service_geo ORDER BY id",
        "SELECT term FROM search_term ORDER BY term"}; // counts: see rebuildTermDictionary
    // A load of services 0..n-1 written in that order, with an IndexSpace; returns
    // textBuiltBeside() after checking the index against the one the queue rebuilds.
    // With `spoilSpace`, a table the builder makes (a shadow table of its FTS table) is already in
    // the space, so its build fails.
    auto load = [&](size_t n, const std::function<void()>& more = {},
                    db::Transaction::Mode mode = db::Transaction::Mode::Deferred, bool spoilSpace = false) {
        bool beside = false;
        {
            DirectoryStore::IndexSpace space(db);
            if (spoilSpace) db.exec("CREATE TABLE signpost_index_build.service_fts_data (id, block)");
            db::Transaction txn(db, mode);
            DirectoryStore::BulkWrite bulk(store, &space, DirectoryStore::Arrival::AnyOrder);
            for (size_t i = 0; i < n; ++i)
                store.upsertService(service(i));
            if (more) more();
            bulk.finish();
            txn.commit();
            beside = bulk.textBuiltBeside();
            CHECK_FALSE(bulk.indexBuiltBeside());
        }
        CHECK(db.integrityCheck() == "ok");
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
        CHECK(db.queryText("SELECT rtreecheck('service_geo')") == "ok");
        CHECK(db.queryInt64("SELECT docs FROM search_term WHERE term = ''") ==
              db.queryInt64("SELECT count(*) FROM service_fts"));
        CHECK(db.queryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'signpost_fts_staged'") == 0);
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts_content") ==
              db.queryInt64("SELECT count(*) FROM service_card"));
        std::vector<std::vector<std::string>> loaded;
        for (const char* sql : kIndexQueries)
            loaded.push_back(textRows(db, sql));
        // Counted on the builder's thread, from its own index: the same counts as the rebuild's.
        const char* kCounts = "SELECT json_array(term, docs) FROM search_term ORDER BY term";
        const auto counts = textRows(db, kCounts);
        store.reindexAll(); // the queue's own rebuild, from the rows
        for (size_t t = 0; t < loaded.size(); ++t) {
            const std::string query = kIndexQueries[t];
            CAPTURE(query);
            checkSameRows(loaded[t], textRows(db, kIndexQueries[t]));
        }
        if (beside) checkSameRows(counts, textRows(db, kCounts));
        return beside;
    };
    // How many services the index finds for the words (a search shows at most a page of them).
    auto found = [&](const std::string& words) {
        return countOf(db, "SELECT count(*) FROM service_fts WHERE service_fts MATCH ?1", words);
    };

    SUBCASE("2,400 services, one written twice, one deleted, one rolled back: built beside") {
        CHECK(load(2400, [&] {
            auto again = service(10);
            again.name = "Written Twice";
            store.upsertService(again);
            CHECK(store.deleteService(service(11).id));
            db::Savepoint sp(db, "caller");
            store.upsertService(service(5000));
            sp.rollback();
        }));
        CHECK(found("scattered") == 2398);
        CHECK(found("written twice") == 1);
        CHECK(search.search(text("written twice")).results.size() == 1);
        CHECK(db.queryInt64("SELECT count(*) FROM service_geo") == 1599);
        auto nearest = nearestNames(search, "scattered", GeoPoint{51.5, -3.2}, 2);
        REQUIRE(nearest.size() == 2);
        CHECK(nearest[0] == "Scattered Service 1");
        // The index that went in takes ordinary writes.
        auto renamed = service(20);
        renamed.name = "Renamed Afterwards";
        store.upsertService(renamed);
        store.deleteService(service(21).id);
        CHECK(found("renamed afterwards") == 1);
        CHECK(found("scattered") == 2396);
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
        // A second load finds the index full: the queue.
        CHECK_FALSE(load(2500));
        CHECK(found("scattered") == 2500);
    }
    SUBCASE("a small load: the queue") {
        CHECK_FALSE(load(300));
        CHECK(found("scattered") == 300);
    }
    SUBCASE("the builder fails: the writer writes the text rows itself") {
        CHECK_FALSE(load(2200, {}, db::Transaction::Mode::Deferred, true));
        CHECK(found("scattered") == 2200);
        CHECK(search.search(text("scattered service 2199")).results.size() >= 1);
    }
    SUBCASE("a transaction begun IMMEDIATE holds the space too: the queue") {
        CHECK_FALSE(load(2100, {}, db::Transaction::Mode::Immediate));
        CHECK(found("scattered") == 2100);
    }
}

TEST_CASE("very broad type-ahead ranks a bounded candidate set and says so; --exact ranks all") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "broad.db").string());
    generateSynthetic(db, {3000, 11, {}});
    DirectorySearch search(db);
    auto broad = search.search(text("s"));
    CHECK(broad.capped);
    CHECK(broad.results.size() == 50);
    auto q = text("s");
    q.exact = true;
    auto exact = search.search(q);
    CHECK_FALSE(exact.capped);
    CHECK(exact.candidates > DirectorySearch::kCandidateCap);
    // Narrow queries are never capped.
    CHECK_FALSE(search.search(text("debt", {"E08000001"})).capped);
}

TEST_CASE("a bulk load that writes a service several times indexes it once, as last written") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "b.db").string());
    DirectoryStore store(db);
    auto kept = made("kept", "Kept Original Advice", {"E08000001"});
    auto gone = made("gone", "Gone Advice", {"E08000001"});
    store.upsertService(kept);
    store.upsertService(gone);
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        kept.name = "Kept Second Advice"; // there before the load, written twice
        store.upsertService(kept);
        kept.name = "Kept Third Advice";
        store.upsertService(kept);
        auto fresh = made("fresh", "Fresh First Advice", {"E08000001"}); // new, then written again
        store.upsertService(fresh);
        fresh.name = "Fresh Second Advice";
        store.upsertService(fresh);
        store.upsertService(gone); // there before, written, then deleted
        CHECK(store.deleteService(gone.id));
        auto brief = made("brief", "Brief Advice", {"E08000001"}); // new, then deleted: its rowid is free again
        const int64_t briefRowid = store.upsertService(brief);
        CHECK(store.deleteService(brief.id));
        auto after = made("after", "After Advice", {"E08000001"});
        CHECK(store.upsertService(after) == briefRowid);
        bulk.finish();
        txn.commit();
    }
    DirectorySearch search(db);
    auto found = names(search.search(text("advice")));
    std::sort(found.begin(), found.end());
    CHECK(found == std::vector<std::string>{"After Advice", "Fresh Second Advice", "Kept Third Advice"});
    CHECK(db.queryInt64("SELECT count(*) FROM service_fts") == 3);
    CHECK(db.queryInt64("SELECT count(*) FROM service_card") == 3);
    CHECK(search.search(text("original")).results.empty());
    CHECK(search.search(text("first")).results.empty());
    CHECK(search.search(text("brief")).results.empty());
    db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
}

TEST_CASE("what a load remembers (organisation names, an area's next rowid) does not outlive a rollback") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "r.db").string());
    DirectoryStore store(db);
    Organisation ashford{"org-a", "Ashford Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    Organisation corran{"org-c", "Corran Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    store.upsertOrganisation(ashford);
    store.upsertOrganisation(corran);
    auto before = made("before", "Before Mentoring", {"E08000001"});
    before.organisationId = ashford.id;
    store.upsertService(before);
    int64_t rolledBackRowid = 0;
    int64_t afterRowid = 0;
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        auto first = made("first", "First Mentoring", {"E08000001"});
        first.organisationId = corran.id;
        store.upsertService(first); // the load now knows Corran's names and the area's next rowid
        {
            // A record that renames both organisations and adds a service, then is taken back.
            db::Savepoint sp(db, "record");
            ashford.name = "Dunmore Trust"; // reindexes "before", whose row outlives the rollback
            store.upsertOrganisation(ashford);
            corran.name = "Elmfield Trust";
            store.upsertOrganisation(corran);
            auto brief = made("brief", "Brief Mentoring", {"E08000001"});
            brief.organisationId = corran.id;
            rolledBackRowid = store.upsertService(brief);
            sp.rollback();
        }
        auto after = made("after", "After Mentoring", {"E08000001"});
        after.organisationId = corran.id;
        afterRowid = store.upsertService(after);
        bulk.finish();
        txn.commit();
    }
    // The rowid the rolled-back service took is free again, as one write at a time would find.
    CHECK(afterRowid == rolledBackRowid);
    DirectorySearch search(db);
    CHECK(search.search(text("dunmore")).results.empty());
    CHECK(search.search(text("elmfield")).results.empty());
    CHECK(search.search(text("brief")).results.empty());
    CHECK(organisationOf(search, "before") == "Ashford Trust");
    CHECK(organisationOf(search, "first") == "Corran Trust");
    CHECK(organisationOf(search, "after") == "Corran Trust");
    CHECK(search.search(text("ashford")).results.size() == 1);
    CHECK(search.search(text("corran")).results.size() == 2);
    db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
}

TEST_CASE("a load into an empty directory reads back nothing it has not written, and misses nothing it has") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "e.db").string());
    DirectoryStore store(db);
    Organisation late{"org-late", "Latecomer Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    Organisation first{"org-first", "Foremost Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        // The load asks at its first write, before writing: the answer stays what it was then.
        store.upsertService(made("early", "Early Mentoring", {"E08000001"}));
        CHECK(store.loadBeganEmpty());
        bulk.finish();
        txn.commit();
    }
    CHECK(store.deleteService(uuid::fromName("test:early")));
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        CHECK(store.loadBeganEmpty());
        auto early = made("early", "Early Mentoring", {"E08000001"});
        early.organisationId = late.id; // named before it is written: indexed without a name
        store.upsertService(early);
        store.upsertOrganisation(first); // written before any service names it
        auto prompt = made("prompt", "Prompt Mentoring", {"E08000001"});
        prompt.organisationId = first.id;
        store.upsertService(prompt);
        store.upsertOrganisation(late); // the service that named it is indexed again, with its name
        auto after = made("after", "After Mentoring", {"E08000001"});
        after.organisationId = late.id;
        store.upsertService(after);
        first.name = "Foremost Renamed Trust"; // written by this load: read back, and renamed
        store.upsertOrganisation(first);
        CHECK(store.loadBeganEmpty());
        bulk.finish();
        txn.commit();
    }
    DirectorySearch search(db);
    CHECK(organisationOf(search, "early") == "Latecomer Trust");
    CHECK(organisationOf(search, "after") == "Latecomer Trust");
    CHECK(organisationOf(search, "prompt") == "Foremost Renamed Trust");
    CHECK(search.search(text("latecomer")).results.size() == 2);
    db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
    // Once the directory holds anything, a load reads back as before.
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        CHECK_FALSE(store.loadBeganEmpty());
    }
    // After a rollback the load no longer knows all it wrote (it forgets the names it kept), so
    // it reads back again: a rename then reaches the service indexed before it.
    auto again = schema::openLocal((dir / "r.db").string());
    DirectoryStore fresh(again);
    {
        db::Transaction txn(again);
        DirectoryStore::BulkWrite bulk(fresh);
        Organisation named{"org-named", "Namesake Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
        fresh.upsertOrganisation(named);
        auto served = made("served", "Served Mentoring", {"E08000001"});
        served.organisationId = named.id;
        fresh.upsertService(served);
        {
            db::Savepoint sp(again, "record");
            fresh.upsertService(made("dropped", "Dropped Mentoring", {"E08000001"}));
            sp.rollback();
        }
        CHECK_FALSE(fresh.loadBeganEmpty());
        named.name = "Renamed Trust";
        fresh.upsertOrganisation(named);
        bulk.finish();
        txn.commit();
    }
    DirectorySearch searchAgain(again);
    auto found = searchAgain.search(text("served"));
    REQUIRE(found.results.size() == 1);
    CHECK(found.results[0].organisation == "Renamed Trust");
    CHECK(searchAgain.search(text("dropped")).results.empty());
}

TEST_CASE("a load into an empty directory makes its by-organisation and by-location indexes at its end, or as soon as "
          "anything would read one") {
    test::TempDir dir;
    const std::string deferrable = "name IN ('service_by_organisation', 'service_location_by_location')";
    auto definitions = [&](db::Database& db) {
        std::vector<std::string> out;
        db::Statement q(db, "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'index' AND " + deferrable +
                                " ORDER BY name");
        while (q.step())
            out.push_back(q.getText(0));
        return out;
    };
    auto present = [&](db::Database& db) {
        return db.queryInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND " + deferrable).value_or(-1);
    };
    Organisation trust{"org-trust", "Steady Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    auto located = [&](const std::string& key, const std::string& organisation) {
        auto s = made(key, "Located " + key, {"E08000001"});
        s.organisationId = organisation;
        s.locations.push_back(placeAt(key + " office", 53.58, -2.43));
        return s;
    };
    auto db = schema::openLocal((dir / "d.db").string());
    const auto original = definitions(db);
    REQUIRE(original.size() == 2);
    DirectoryStore store(db);
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        store.upsertOrganisation(trust);
        CHECK(present(db) == 0); // dropped before the load's first write
        for (int i = 0; i < 20; ++i)
            store.upsertService(located("svc" + std::to_string(i), trust.id));
        CHECK(present(db) == 0);
        bulk.finish();
        CHECK(definitions(db) == original); // made again, as they were
        txn.commit();
    }
    CHECK(db.integrityCheck() == "ok");
    {
        db::Statement plan(db, "EXPLAIN QUERY PLAN SELECT rowid FROM service WHERE organisation_id = 'org-trust'");
        REQUIRE(plan.step());
        CHECK(plan.getText(3).find("service_by_organisation") != std::string::npos);
    }
    CHECK(countOf(db, "SELECT count(*) FROM service INDEXED BY service_by_organisation WHERE organisation_id = ?1",
                  trust.id) == 20);
    // Into a directory that holds anything, nothing is dropped.
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        store.upsertService(located("more", trust.id));
        CHECK(present(db) == 2);
        bulk.finish();
        txn.commit();
    }

    // Each write that would read one of them makes them again first, within the load.
    Organisation late{"org-late", "Latecomer Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    const std::vector<std::pair<std::string, std::function<void(DirectoryStore&, db::Database&)>>> readers{
        {"an organisation written after a service named it (SQLite looks for the service by it)",
         [&](DirectoryStore& st, db::Database& into) {
             st.upsertService(located("early", late.id));
             CHECK(present(into) == 0);
             st.upsertOrganisation(late);
         }},
        {"an organisation renamed after its services were written (they are found by it)",
         [&](DirectoryStore& st, db::Database& into) {
             st.upsertOrganisation(trust);
             st.upsertService(located("named", trust.id));
             CHECK(present(into) == 0);
             Organisation renamed = trust;
             renamed.name = "Renamed Trust";
             st.upsertOrganisation(renamed);
         }},
        {"a service written again (the locations it leaves are found by location)",
         [&](DirectoryStore& st, db::Database& into) {
             st.upsertService(located("twice", ""));
             CHECK(present(into) == 0);
             st.upsertService(located("twice", ""));
         }},
        {"an organisation written while a row written around the store names it (SQLite looks for that row)",
         [&](DirectoryStore& st, db::Database& into) {
             st.upsertService(located("first", ""));
             into.exec(
                 "INSERT INTO service (rowid, id, name, organisation_id) VALUES (1, 'raw', 'Raw Row', 'org-late')");
             CHECK(present(into) == 0);
             st.upsertOrganisation(late);
         }},
        {"a service deleted (its links go by location)",
         [&](DirectoryStore& st, db::Database& into) {
             st.upsertService(located("gone", ""));
             CHECK(present(into) == 0);
             CHECK(st.deleteService(uuid::fromName("test:gone")));
         }},
    };
    int n = 0;
    for (const auto& [what, step] : readers) {
        CAPTURE(what);
        auto each = schema::openLocal((dir / ("r" + std::to_string(++n) + ".db")).string());
        DirectoryStore st(each);
        db::Transaction txn(each);
        DirectoryStore::BulkWrite bulk(st);
        step(st, each);
        CHECK(present(each) == 2); // at once
        st.upsertService(located("later", ""));
        CHECK(present(each) == 2); // and not dropped again
        bulk.finish();
        CHECK(definitions(each) == original);
        txn.commit();
        CHECK(each.integrityCheck() == "ok");
    }

    // However the load ends, the directory keeps them.
    auto ended = [&](const std::string& name) { return schema::openLocal((dir / name).string()); };
    {
        auto rolled = ended("rolled.db");
        DirectoryStore st(rolled);
        {
            db::Transaction txn(rolled);
            DirectoryStore::BulkWrite bulk(st);
            st.upsertService(located("lost", ""));
            CHECK(present(rolled) == 0);
            txn.rollback(); // takes the drop back with the rows
        }
        CHECK(definitions(rolled) == original);
        CHECK(st.serviceCount() == 0);
    }
    {
        auto unfinished = ended("unfinished.db");
        DirectoryStore st(unfinished);
        db::Transaction txn(unfinished);
        {
            DirectoryStore::BulkWrite bulk(st);
            st.upsertService(located("kept", ""));
            CHECK(present(unfinished) == 0);
        } // left without finish(): made again as it goes
        CHECK(definitions(unfinished) == original);
        txn.commit();
        CHECK(unfinished.integrityCheck() == "ok");
    }
    {
        // A savepoint rolled back past the drop brings them back by itself; the load's end
        // finds them there and makes nothing twice.
        auto saved = ended("saved.db");
        DirectoryStore st(saved);
        db::Transaction txn(saved);
        DirectoryStore::BulkWrite bulk(st);
        {
            db::Savepoint sp(saved, "record");
            st.upsertService(located("undone", ""));
            CHECK(present(saved) == 0);
            sp.rollback();
        }
        CHECK(present(saved) == 2);
        st.upsertService(located("after", ""));
        bulk.finish();
        CHECK(definitions(saved) == original);
        txn.commit();
        CHECK(st.serviceCount() == 1);
        CHECK(saved.integrityCheck() == "ok");
    }
}

TEST_CASE("a service write that fails undoes itself, but in an all-or-nothing load the caller undoes the load") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "aon.db").string());
    DirectoryStore store(db);
    store.upsertService(made("kept", "Kept Advice", {"E08000001"}));
    auto bad = made("bad", "Unplaceable Advice", {"E08000001"});
    Location nowhere;
    nowhere.name = "Off the map";
    nowhere.latitude = 95; // the location table's CHECK refuses it, after the service row is written
    nowhere.longitude = -2.4;
    bad.locations.push_back(nowhere);
    auto count = [&](const std::string& id) { return countOf(db, "SELECT count(*) FROM service WHERE id = ?1", id); };
    SUBCASE("an ordinary load: the failed write leaves nothing, and the load goes on") {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        store.upsertService(made("before", "Before Advice", {"E08000001"}));
        CHECK_THROWS(store.upsertService(bad));
        CHECK(count(bad.id) == 0);
        store.upsertService(made("after", "After Advice", {"E08000001"}));
        bulk.finish();
        txn.commit();
        CHECK(store.serviceCount() == 3);
    }
    SUBCASE("all or nothing: no savepoint per write, so the caller rolls the whole load back") {
        {
            db::Transaction txn(db);
            DirectoryStore::BulkWrite bulk(store);
            bulk.allOrNothing();
            store.upsertOrganisation({"org-aon", "Aon Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false});
            store.upsertService(made("before", "Before Advice", {"E08000001"}));
            CHECK_THROWS(store.upsertService(bad));
            CHECK(count(bad.id) == 1); // part of the failed write is in the transaction
        }                              // not committed: rolled back whole
        CHECK(store.serviceCount() == 1);
        CHECK(store.organisationCount() == 0);
        // The next load writes with savepoints again.
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        CHECK_THROWS(store.upsertService(bad));
        CHECK(count(bad.id) == 0);
        bulk.finish();
        txn.commit();
    }
    DirectorySearch search(db);
    CHECK(search.search(text("unplaceable")).results.empty());
    CHECK(search.search(text("kept")).results.size() == 1);
    CHECK(db.integrityCheck() == "ok");
    db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
}

TEST_CASE("updating and deleting a service keeps the index in step") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "u.db").string());
    DirectoryStore store(db);
    auto s = made("u", "Old Name Advice", {"E08000001"});
    store.upsertService(s);
    DirectorySearch search(db);
    CHECK(search.search(text("old name")).results.size() == 1);
    s.name = "New Name Advice";
    store.upsertService(s);
    CHECK(search.search(text("old name")).results.empty());
    CHECK(search.search(text("new name")).results.size() == 1);
    // What a result shows (its card) follows every edit: flags, place, areas, needs.
    s.hub = true;
    s.languages = {"en", "cy"};
    s.areas = {"E08000002", "E08000001"};
    s.needs = {"finance", "accommodation"};
    s.commissioningRoute = CommissioningRoute::GrantFunded;
    s.locations = {Location{"", "Hub", "1 High St", "Bury", "BL9 0AA", 53.59, -2.29}};
    s.lastVerified = "2026-11-20";
    store.upsertService(s);
    {
        auto found = search.search(text("new name"));
        REQUIRE(found.results.size() == 1);
        const auto& r = found.results[0];
        CHECK(r.name == "New Name Advice");
        CHECK(r.hub);
        CHECK(r.welshLanguage);
        CHECK_FALSE(r.womenOnly);
        CHECK(r.areas == std::vector<std::string>{"E08000001", "E08000002"});
        CHECK(r.needs == std::vector<std::string>{"accommodation", "finance"});
        CHECK(r.route == CommissioningRoute::GrantFunded);
        CHECK(r.town == "Bury");
        CHECK(r.postcode == "BL9 0AA");
        CHECK(r.lastVerified == std::optional<std::string>("2026-11-20"));
    }
    s.status = "inactive";
    store.upsertService(s);
    CHECK(search.search(text("new name")).results.empty());
    CHECK(store.deleteService(s.id));
    CHECK(db.queryInt64("SELECT count(*) FROM service_fts") == 0);
    CHECK(db.queryInt64("SELECT count(*) FROM service_card") == 0);
    CHECK(db.queryInt64("SELECT count(*) FROM service") == 0);
    // Renaming an organisation reindexes its services.
    Organisation org{"org-x", "Acme Trust", "", "", "", "", "", IsaStatus::None, {}, {}, false};
    store.upsertOrganisation(org);
    auto t = made("t", "Mentoring", {"E08000001"});
    t.organisationId = "org-x";
    store.upsertService(t);
    CHECK(search.search(text("acme")).results.size() == 1);
    org.name = "Beacon Trust";
    store.upsertOrganisation(org);
    CHECK(search.search(text("acme")).results.empty());
    auto renamed = search.search(text("beacon"));
    REQUIRE(renamed.results.size() == 1);
    CHECK(renamed.results[0].organisation == "Beacon Trust");
}

TEST_CASE("a location goes when no service has it any more, and stays while one does") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "l.db").string());
    DirectoryStore store(db);
    auto at = [](const std::string& id, const std::string& name) {
        Location l = placeAt(name, 53.58, -2.43);
        l.id = id;
        return l;
    };
    auto locations = [&] { return textRows(db, "SELECT id FROM location ORDER BY id"); };
    auto a = made("loc-a", "Shared Hub Service", {"E08000001"});
    a.locations = {at("loc-shared", "Shared Hub"), at("loc-a-only", "A's Office")};
    auto b = made("loc-b", "Other Hub Service", {"E08000001"});
    b.locations = {at("loc-shared", "Shared Hub"), at("loc-b-only", "B's Office")};
    store.upsertService(a);
    store.upsertService(b);
    CHECK(locations() == std::vector<std::string>{"loc-a-only", "loc-b-only", "loc-shared"});
    // An update that drops a location: gone if no other service has it, kept if one does.
    b.locations = {at("loc-b-new", "B's New Office")};
    store.upsertService(b);
    CHECK(locations() == std::vector<std::string>{"loc-a-only", "loc-b-new", "loc-shared"});
    // A delete: its own location goes, the shared one stays while a service has it.
    b.locations = {at("loc-shared", "Shared Hub"), at("loc-b-new", "B's New Office")};
    store.upsertService(b);
    CHECK(store.deleteService(a.id));
    CHECK(locations() == std::vector<std::string>{"loc-b-new", "loc-shared"});
    CHECK(store.deleteService(b.id));
    CHECK(locations().empty());
    CHECK(db.queryInt64("SELECT count(*) FROM service_location") == 0);
}

TEST_CASE("a bulk load indexes in rowid order and the last write of a service wins") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "bulk.db").string());
    DirectoryStore store(db);
    {
        db::Transaction txn(db);
        DirectoryStore::BulkWrite bulk(store);
        // Areas in reverse table order, so rowids arrive falling (they are clustered by area).
        const std::vector<std::string> areas{"W06000022", "W06000015", "E08000010", "E08000001"};
        for (size_t i = 0; i < 40; ++i) {
            auto s = made("bulk" + std::to_string(i), "Bulk Service " + std::to_string(i), {areas[i % areas.size()]});
            store.upsertService(s);
        }
        // Written twice in the same load: the second version is the one searched.
        auto twice = made("bulk7", "Renamed Mentoring", {areas[7 % areas.size()]});
        store.upsertService(twice);
        bulk.finish(true);
        txn.commit();
    }
    DirectorySearch search(db);
    SearchQuery all = text("bulk");
    all.exact = true;
    CHECK(search.search(all).results.size() == 39);
    auto renamed = search.search(text("renamed mentoring"));
    REQUIRE(renamed.results.size() == 1);
    CHECK(renamed.results[0].name == "Renamed Mentoring");
    CHECK(db.queryInt64("SELECT count(*) FROM service_fts") == 40);
    CHECK(db.queryInt64("SELECT count(*) FROM service_card") == 40);
    CHECK(db.integrityCheck() == "ok");
}

TEST_CASE("the dictionary holds every word of the index but the tags, however it is counted") {
    // A load built beside counts the words before 'm' on the builder's thread and the rest on the
    // writer's, each passing over the tags by their range; a rebuild counts them in one place.
    // Both must hold what the whole vocabulary holds, words sorting after the tags included.
    test::TempDir dir;
    auto db = schema::openLocal((dir / "w.db").string());
    DirectoryStore store(db);
    // U+F900 (a CJK compatibility ideograph) and U+1D401 (mathematical bold B) are letters whose
    // UTF-8 sorts after the tags' mark, U+E001.
    const std::vector<std::string> words{"Alder",  "Lantern",      "Meadow",        "Mynydd",  "Zephyr",
                                         "Møller", "\uF900\u5712", "\U0001D401old", "Ōtautahi"};
    auto service = [&](size_t i) {
        auto s = made("words" + std::to_string(i), "Service " + words[i % words.size()] + " " + std::to_string(i),
                      {i % 2 ? "W06000015" : "E08000001"});
        s.keywords = words[(i * 7) % words.size()];
        return s;
    };
    bool beside = false;
    {
        DirectoryStore::IndexSpace space(db);
        db::Transaction txn(db, db::Transaction::Mode::Deferred);
        DirectoryStore::BulkWrite bulk(store, &space, DirectoryStore::Arrival::AnyOrder);
        for (size_t i = 0; i < 2100; ++i)
            store.upsertService(service(i));
        bulk.finish();
        txn.commit();
        beside = bulk.textBuiltBeside();
    }
    CHECK(beside);
    // What the index holds, read whole (tags left out by column).
    const char* kWhole = "SELECT json_array(term, sum(doc)) FROM service_vocab WHERE col <> 'tags' GROUP BY term "
                         "UNION ALL SELECT json_array('', count(*)) FROM service_fts ORDER BY 1";
    const char* kDictionary = "SELECT json_array(term, docs) FROM search_term ORDER BY 1";
    const auto whole = textRows(db, kWhole);
    CHECK(whole.size() > 20);
    checkSameRows(whole, textRows(db, kDictionary));
    // Words on both sides of the split, and past the tags' range, are there; no tag is.
    CHECK(countOf(db, "SELECT count(*) FROM search_term WHERE term >= ?1", std::string(kAfterTagMarks)) >=
          2); // U+F900…, U+1D401…
    CHECK(countOf(db, "SELECT count(*) FROM search_term WHERE term < 'm' AND term > ?1", "") > 3);
    CHECK(countOf(db, "SELECT count(*) FROM search_term WHERE substr(term, 1, 1) = ?1", std::string(kTagMark)) == 0);
    CHECK(countOf(db, "SELECT docs FROM search_term WHERE term = ?1", "zephyr") > 0);
    CHECK(countOf(db, "SELECT docs FROM search_term WHERE term = ?1", "meadow") > 0);
    // Counted again in one place, from the rows: the same.
    store.reindexAll();
    checkSameRows(whole, textRows(db, kDictionary));
    store.refreshTermDictionary();
    checkSameRows(whole, textRows(db, kDictionary));
}

TEST_CASE("a load into an empty index has it built beside the rows; anything else indexes from the queue") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "beside.db").string());
    DirectoryStore store(db);
    DirectorySearch search(db);
    // The connection reads the empty index first: the index that goes in must not be taken for
    // the empty one (FTS5 keeps what it read of an index on the connection).
    CHECK(search.search(text("beside")).results.empty());
    const std::string area = "E08000001"; // one area: rowids rise in the order written
    auto service = [&](size_t i, const std::string& in) {
        auto s = made("beside" + std::to_string(i), "Beside Service " + std::to_string(i), {in});
        s.locations.push_back(placeAt("Hub " + std::to_string(i), 53.5 + static_cast<double>(i) / 1000, -2.4));
        return s;
    };
    auto found = [&](const std::string& words) {
        SearchQuery q = text(words);
        q.exact = true;
        q.limit = 1000;
        return search.search(q).results.size();
    };
    auto named = [&](const std::string& name) {
        SearchQuery q = text(name);
        q.exact = true;
        q.limit = 1000;
        auto all = names(search.search(q));
        return std::count(all.begin(), all.end(), name);
    };
    auto checkIndex = [&] {
        CHECK(db.integrityCheck() == "ok");
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')");
        CHECK(db.queryText("SELECT rtreecheck('service_geo')") == "ok");
        CHECK(db.queryInt64("SELECT count(*) FROM service_card") == db.queryInt64("SELECT count(*) FROM service_fts"));
        CHECK(db.queryInt64("SELECT docs FROM search_term WHERE term = ''") ==
              db.queryInt64("SELECT count(*) FROM service_fts"));
        // The text the writer staged for the builder's index became the FTS content, or went.
        CHECK(db.queryInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'signpost_fts_staged'") == 0);
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts_content") ==
              db.queryInt64("SELECT count(*) FROM service_card"));
    };
    auto attached = [&] {
        return db.queryInt64("SELECT count(*) FROM pragma_database_list WHERE name = 'signpost_index_build'")
            .value_or(0);
    };
    // A load of `n` services with an IndexSpace, `write` writing them; returns indexBuiltBeside().
    auto load = [&](const std::function<void()>& write, db::Transaction::Mode mode = db::Transaction::Mode::Deferred,
                    bool spoilSpace = false) {
        DirectoryStore::IndexSpace space(db);
        CHECK(space.available());
        CHECK(attached() == 1);
        // A table the builder makes already there: its build fails.
        if (spoilSpace) db.exec("CREATE TABLE signpost_index_build.service_fts_data (id, block)");
        db::Transaction txn(db, mode);
        DirectoryStore::BulkWrite bulk(store, &space);
        write();
        bulk.finish();
        txn.commit();
        return bulk.indexBuiltBeside();
    };

    // Services 0..n-1 in the one area: in rowid order.
    auto inOrder = [&](size_t n) {
        return [&, n] {
            for (size_t i = 0; i < n; ++i)
                store.upsertService(service(i, area));
        };
    };

    SUBCASE("in rowid order into an empty index: built beside, and kept in step afterwards") {
        CHECK(load([&] {
            for (size_t i = 0; i < 300; ++i)
                store.upsertService(service(i, area));
        }));
        CHECK(attached() == 0); // detached with the space, after the transaction
        checkIndex();
        // The dictionary the builder counted while the writer copied its tables: as the queue's
        // own rebuild counts it.
        const char* kCounts = "SELECT json_array(term, docs) FROM search_term ORDER BY term";
        const auto counts = textRows(db, kCounts);
        CHECK(counts.size() > 10);
        store.reindexAll();
        checkSameRows(counts, textRows(db, kCounts));
        CHECK(found("beside") == 300);
        CHECK(named("Beside Service 17") == 1);
        auto nearest = nearestNames(search, "beside", GeoPoint{53.5, -2.4}, 3);
        REQUIRE(nearest.size() == 3);
        CHECK(nearest[0] == "Beside Service 0");
        // The index that went in takes ordinary writes: an update, a delete, a new service.
        auto renamed = service(5, area);
        renamed.name = "Renamed Beside";
        store.upsertService(renamed);
        store.deleteService(service(6, area).id);
        store.upsertService(service(400, "W06000015"));
        checkIndex();
        CHECK(found("beside") == 300);
        CHECK(found("renamed") == 1);
        CHECK(named("Beside Service 6") == 0);
        CHECK(named("Beside Service 7") == 1);
        // A second load finds the index full, and indexes from the queue.
        CHECK_FALSE(load([&] { store.upsertService(service(500, area)); }));
        checkIndex();
        CHECK(found("beside") == 301);
    }
    SUBCASE("a service deleted during the load: the queue, without it") {
        CHECK_FALSE(load([&] {
            for (size_t i = 0; i < 300; ++i)
                store.upsertService(service(i, area));
            CHECK(store.deleteService(service(150, area).id));
        }));
        checkIndex();
        CHECK(found("beside") == 299);
        CHECK(named("Beside Service 150") == 0);
        CHECK(named("Beside Service 151") == 1);
    }
    SUBCASE("text staged for the builder but not all there: the queue indexes everything") {
        CHECK_FALSE(load([&] {
            for (size_t i = 0; i < 300; ++i)
                store.upsertService(service(i, area));
            CHECK(db.queryInt64("SELECT count(*) FROM signpost_fts_staged") == 300);
            db.exec("DELETE FROM signpost_fts_staged WHERE id = (SELECT max(id) FROM signpost_fts_staged)");
        }));
        checkIndex();
        CHECK(found("beside") == 300);
        CHECK(named("Beside Service 299") == 1);
    }
    SUBCASE("rowids out of order: the builder gives up and the queue indexes everything") {
        const std::vector<std::string> areas{"W06000022", "W06000015", "E08000010", "E08000001"};
        CHECK_FALSE(load([&] {
            for (size_t i = 0; i < 200; ++i)
                store.upsertService(service(i, areas[i * 4 / 200]));
        }));
        checkIndex();
        CHECK(found("beside") == 200);
    }
    SUBCASE("a service written twice in the load: the queue, and the last write wins") {
        CHECK_FALSE(load([&] {
            for (size_t i = 0; i < 100; ++i)
                store.upsertService(service(i, area));
            auto again = service(99, area);
            again.name = "Written Twice";
            store.upsertService(again);
        }));
        checkIndex();
        CHECK(found("beside") == 99);
        CHECK(found("written twice") == 1);
    }
    SUBCASE("a row rolled back after it was indexed beside: the queue, without it") {
        CHECK_FALSE(load([&] {
            for (size_t i = 0; i < 100; ++i)
                store.upsertService(service(i, area));
            db::Savepoint sp(db, "caller");
            store.upsertService(service(100, area));
            sp.rollback();
        }));
        checkIndex();
        CHECK(found("beside") == 100);
        CHECK(named("Beside Service 100") == 0);
    }
    SUBCASE("a transaction begun IMMEDIATE holds the space too: the queue") {
        CHECK_FALSE(load(inOrder(50), db::Transaction::Mode::Immediate));
        checkIndex();
        CHECK(found("beside") == 50);
    }
    SUBCASE("the builder fails: the queue indexes everything") {
        CHECK_FALSE(load(inOrder(150), db::Transaction::Mode::Deferred, true));
        CHECK(attached() == 0);
        checkIndex();
        CHECK(found("beside") == 150);
    }
    SUBCASE("a space made inside a transaction is unavailable") {
        db::Transaction txn(db);
        DirectoryStore::IndexSpace space(db);
        CHECK_FALSE(space.available());
        CHECK(attached() == 0);
    }
    SUBCASE("a load that fails before finish leaves the directory as it was") {
        CHECK_THROWS_AS(load([&] {
                            for (size_t i = 0; i < 100; ++i)
                                store.upsertService(service(i, area));
                            throw std::runtime_error("the load fails");
                        }),
                        std::runtime_error);
        CHECK(attached() == 0);
        CHECK(store.serviceCount() == 0);
        checkIndex();
        CHECK(found("beside") == 0);
    }
}
