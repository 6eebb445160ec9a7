// The server's SQLite store: schema upgrades keep the data, and the change scan reads record
// bodies only when asked.
#include "TestSupport.hpp"
#include "signpost/db/Database.hpp"
#include "service/SyncService.hpp"
#include "signpost/sync/Access.hpp"
#include "store/ServerStore.hpp"

#include <doctest/doctest.h>

#include <climits>

using namespace signpost;
using server::ServerStore;
using server::openSqliteStore;

TEST_CASE("a version 1 server database upgrades to the covering change index, the organisation index and the scope indexes") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    openSqliteStore(path).reset(); // creates the current schema
    {
        // Put it back the way version 1 left it, with one record in it.
        db::Database db(path);
        db.exec("DROP INDEX record_changes; DROP INDEX changes_by_area; "
                "DROP INDEX changes_by_owner; DROP INDEX changes_by_organisation; DROP INDEX changes_by_collection; "
                "CREATE UNIQUE INDEX record_by_seq ON record(seq); PRAGMA user_version = 1;");
        db.exec("INSERT INTO record (collection, id, seq, area, status, fields, versions, writers) VALUES "
                "('service', 's-1', 7, '', 'active', '{\"name\":\"Debt advice\"}', '{\"name\":7}', '{}')");
    }
    auto store = openSqliteStore(path);
    {
        db::Database db(path);
        CHECK(db.userVersion() == 4);
        for (const char* index : {"changes_by_area", "changes_by_owner", "changes_by_organisation", "changes_by_collection"})
            CHECK(db.queryInt64(std::string("SELECT count(*) FROM pragma_index_list('record') WHERE name = '") + index + "'")
                      .value_or(0) == 1);
        // A practitioner's scoped scan merges index ranges: no sort, no visit to the table.
        sync::Principal who{"u-1", domain::Role::Practitioner, {"PDU-GWENT"}, ""};
        auto scoped = db.cached("EXPLAIN QUERY PLAN " + server::scopedScanSql(sync::readScope(who)));
        std::string scopedPlan;
        while (scoped->step()) scopedPlan += scoped->getText(3) + "\n";
        CAPTURE(scopedPlan);
        CHECK(scopedPlan.find("TEMP B-TREE") == std::string::npos);
        for (const char* index : {"COVERING INDEX changes_by_area", "COVERING INDEX changes_by_owner",
                                  "COVERING INDEX changes_by_collection"})
            CHECK(scopedPlan.find(index) != std::string::npos);
        CHECK(scopedPlan.find("SCAN") == std::string::npos);
        // v4's organisation index answers what v3's did.
        CHECK(db.queryInt64("SELECT count(*) FROM pragma_index_list('record') WHERE name = 'record_by_organisation'")
                  .value_or(0) == 0);
        CHECK(db.queryInt64("SELECT count(*) FROM pragma_index_list('record') WHERE name = 'record_changes'").value_or(0) == 1);
        CHECK(db.queryInt64("SELECT count(*) FROM pragma_index_list('record') WHERE name = 'record_by_seq'").value_or(0) == 0);
        CHECK(db.integrityCheck() == "ok");
        // The scan's query (SqliteServerStore::scanChanges) is answered from the index alone.
        auto plan = db.cached("EXPLAIN QUERY PLAN SELECT collection, id, seq, deleted, area, organisation, owner, status "
                              "FROM record WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        std::string detail;
        while (plan->step()) detail += plan->getText(3) + "\n";
        CHECK(detail.find("COVERING INDEX record_changes") != std::string::npos);
        CHECK(detail.find("TEMP B-TREE") == std::string::npos);
        // An ISA change finds the organisation's records from its index, not by reading them all.
        auto shared = db.cached("EXPLAIN QUERY PLAN SELECT id FROM record WHERE organisation = ?1 AND organisation <> '' "
                                "AND collection = ?2 AND deleted = 0");
        std::string sharedPlan;
        while (shared->step()) sharedPlan += shared->getText(3) + "\n";
        CHECK(sharedPlan.find("COVERING INDEX changes_by_organisation") != std::string::npos);
    }
    store->beginRead();
    int seen = 0;
    store->scanChanges(0, 100, [&](ServerStore::RawRecord& raw) {
        ++seen;
        CHECK(raw.meta.id == "s-1");
        CHECK(raw.meta.seq == 7);
        CHECK(!raw.loaded);
        CHECK(raw.fields.empty()); // nothing read until asked
        store->loadBody(raw);
        CHECK(raw.loaded);
        CHECK(raw.fields == R"({"name":"Debt advice"})");
        CHECK(raw.versions == R"({"name":7})");
        return true;
    });
    store->rollback();
    CHECK(seen == 1);
}

namespace {

// A referral row as a store saves it.
server::StoredRecord referralRow(const std::string& id, int64_t seq, nlohmann::json fields) {
    server::StoredRecord s;
    s.record.collection = "referral";
    s.record.id = id;
    s.record.seq = seq;
    s.record.fields = std::move(fields);
    return s;
}

// Saves `s` in a transaction of its own.
void saveAlone(server::ServerStore& store, const server::StoredRecord& s) {
    store.begin();
    store.saveRecord(s);
    store.commit();
}

// A referral row read in a transaction of its own; it must be there.
server::StoredRecord readAlone(server::ServerStore& store, const std::string& id) {
    store.beginRead();
    auto s = store.record("referral", id);
    store.rollback();
    REQUIRE(s.has_value());
    return *s;
}

} // namespace

TEST_CASE("a record's writers are stored grouped by writer, and rows in the first form still read") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    auto store = openSqliteStore(path);
    server::StoredRecord s = referralRow("r-1", 1, {{"notes", "x"}, {"status", "submitted"}, {"crn", "X1"}});
    s.writers = {{"notes", "u-1/d-1"}, {"crn", "u-1/d-1"}, {"status", "u-2/d-9"}};
    saveAlone(*store, s);
    {
        db::Database db(path);
        CHECK(db.queryText("SELECT writers FROM record WHERE id = 'r-1'").value_or("") ==
              R"({"u-1/d-1":["crn","notes"],"u-2/d-9":["status"]})");
        // A row written field by field, as the first servers did.
        db.exec(R"(INSERT INTO record (collection, id, seq, fields, versions, writers) VALUES ('referral', 'r-old', 2, )"
                R"('{"notes":"y"}', '{"notes":2}', '{"notes":"u-3/d-3","status":"u-4/d-4"}'))");
    }
    const auto fresh = readAlone(*store, "r-1");
    const auto old = readAlone(*store, "r-old");
    CHECK(fresh.writers == s.writers);
    CHECK(old.writers == std::map<std::string, std::string>{{"notes", "u-3/d-3"}, {"status", "u-4/d-4"}});
    // Saved again, the old row takes the grouped form with nothing lost.
    saveAlone(*store, old);
    db::Database db(path);
    CHECK(db.queryText("SELECT writers FROM record WHERE id = 'r-old'").value_or("") ==
          R"({"u-3/d-3":["notes"],"u-4/d-4":["status"]})");
}

TEST_CASE("versions and writers are written as the JSON library writes them, whatever the names, and read back") {
    // (Never "": a field's name is one its collection defines, and "" holds compact versions'
    // common version.)
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    auto store = openSqliteStore(path);
    // Names a device may send: quotes, backslashes, control characters, Welsh and beyond.
    const std::vector<std::string> names{"notes", "say \"hi\"", "back\\slash", "line\nbreak", std::string("nul\x01", 4),
                                         "Ŵyn ŷ â", "emoji \xF0\x9F\x98\x80", " ", "/"};
    server::StoredRecord s;
    s.record.collection = "referral";
    s.record.id = "r-names";
    s.record.seq = 9;
    int64_t seq = 1;
    for (const auto& name : names) {
        s.record.fields[name] = "v";
        s.record.versions[name] = seq;
        s.writers[name] = (seq % 2 ? "u-\"1\"/d-1" : "u-2/d-\\2");
        seq = seq * 31 + 7; // stays well inside int64 over these names
    }
    s.record.versions["notes"] = INT64_MAX;
    s.record.versions["/"] = -3;
    store->begin();
    store->saveRecord(s);
    store->commit();
    {
        // The oracle: the library's own writing of the same objects, byte for byte.
        nlohmann::json versions = nlohmann::json::object(), writers = nlohmann::json::object();
        for (const auto& [name, v] : s.record.versions) versions[name] = v;
        for (const auto& [field, writer] : s.writers) writers[writer].push_back(field);
        db::Database db(path);
        CHECK(db.queryText("SELECT versions FROM record WHERE id = 'r-names'").value_or("") == versions.dump());
        CHECK(db.queryText("SELECT writers FROM record WHERE id = 'r-names'").value_or("") == writers.dump());
        // Rows a store did not write this way: members that are not whole numbers are skipped,
        // and text that is not an object reads as nothing, as before.
        db.exec(R"(INSERT INTO record (collection, id, seq, fields, versions, writers) VALUES ('referral', 'r-odd', 3, )"
                R"('{"a":"x"}', '{"a":3,"b":1.5,"c":"7","d":[1],"e":-4, "a" : 5 }', '{"u-1/d-1":["a",7,"b"],"z":"u-9/d-9"}'))");
        db.exec(R"(INSERT INTO record (collection, id, seq, fields, versions, writers) VALUES ('referral', 'r-bad', 4, )"
                R"('{}', '{"a":3', '["u-1/d-1"]'))");
    }
    store->beginRead();
    auto back = store->record("referral", "r-names");
    auto odd = store->record("referral", "r-odd");
    auto bad = store->record("referral", "r-bad");
    store->rollback();
    REQUIRE(back.has_value());
    REQUIRE(odd.has_value());
    REQUIRE(bad.has_value());
    CHECK(back->record.versions == s.record.versions);
    CHECK(back->writers == s.writers);
    // A repeated name: the last one wins, as the library reads it.
    CHECK(odd->record.versions == std::map<std::string, int64_t>{{"a", 5}, {"e", -4}});
    CHECK(odd->writers == std::map<std::string, std::string>{{"a", "u-1/d-1"}, {"b", "u-1/d-1"}, {"z", "u-9/d-9"}});
    CHECK(bad->record.versions.empty());
    CHECK(bad->writers.empty());
}

TEST_CASE("a record's versions are stored compact and read back whole; rows in the first form still read") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    auto store = openSqliteStore(path);
    server::StoredRecord s = referralRow(
        "r-1", 12, {{"notes", "x"}, {"status", "accepted"}, {"crn", "X1"}, {"area", "W06000022"}, {"owner", "u-1"}});
    s.record.versions = {{"notes", 12}, {"status", 12}, {"crn", 3}, {"area", 3}, {"owner", 12}};
    saveAlone(*store, s);
    {
        db::Database db(path);
        CHECK(db.queryText("SELECT versions FROM record WHERE id = 'r-1'").value_or("") == R"({"":12,"area":3,"crn":3})");
        db.exec(R"(INSERT INTO record (collection, id, seq, fields, versions, writers) VALUES ('referral', 'r-old', 2, )"
                R"('{"notes":"y","crn":"Z"}', '{"crn":2,"notes":2}', '{}'))");
    }
    const auto fresh = readAlone(*store, "r-1");
    const auto old = readAlone(*store, "r-old");
    CHECK(fresh.record.versions == s.record.versions);
    CHECK(old.record.versions == std::map<std::string, int64_t>{{"crn", 2}, {"notes", 2}});
    // Saved again, the old row takes the compact form.
    saveAlone(*store, old);
    db::Database db(path);
    CHECK(db.queryText("SELECT versions FROM record WHERE id = 'r-old'").value_or("") == R"({"":2})");
}

TEST_CASE("sequences are counted in the write transaction and stored with it") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    auto store = openSqliteStore(path);
    auto reader = openSqliteStore(path);
    auto committed = [&] {
        reader->beginRead();
        const int64_t v = reader->maxSeq();
        reader->rollback();
        return v;
    };
    const int64_t start = committed();
    store->begin();
    const int64_t a = store->nextSeq(), b = store->nextSeq();
    CHECK(b == a + 1);
    CHECK(store->maxSeq() == b);      // the writer sees its own
    CHECK(committed() == start);      // others see nothing until the commit
    store->savepoint();
    const int64_t c = store->nextSeq();
    store->rollbackToSavepoint();     // an op that failed leaves a gap, never a reuse
    CHECK(store->nextSeq() == c + 1);
    store->commit();
    CHECK(committed() == c + 1);
    store->begin();
    CHECK(store->nextSeq() == c + 2);
    store->rollback();                // nothing stored: the number comes round again
    CHECK(committed() == c + 1);
    store->begin();
    CHECK(store->nextSeq() == c + 2);
    store->commit();
    // Outside a transaction each call stores the counter itself.
    CHECK(store->nextSeq() == c + 3);
    CHECK(committed() == c + 3);
}

TEST_CASE("an ISA that lapses or starts by date re-shares its organisation's referrals, once") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    int64_t clock = 1795431600; // 2026-11-23 11:00 UTC
    server::ServiceOptions options;
    options.clock = [&] { return clock; };
    server::SyncService service([&] { return openSqliteStore(path); }, options);
    auto save = [](ServerStore& store, const std::string& collection, const std::string& id, nlohmann::json fields) {
        server::StoredRecord s;
        s.record.collection = collection;
        s.record.id = id;
        s.record.fields = std::move(fields);
        s.record.seq = store.nextSeq();
        for (auto it = s.record.fields.begin(); it != s.record.fields.end(); ++it) s.record.versions[it.key()] = s.record.seq;
        sync::deriveScope(s.record);
        store.saveRecord(s);
    };
    auto store = openSqliteStore(path);
    store->begin();
    save(*store, "organisation", "org-lapsing",
         {{"name", "Lapsing Trust"}, {"isa_status", "in_force"}, {"isa_to", "2026-11-24"}, {"isa_fields", {"given_name"}}});
    save(*store, "organisation", "org-lasting",
         {{"name", "Lasting Trust"}, {"isa_status", "in_force"}, {"isa_to", "2027-11-24"}, {"isa_fields", {"given_name"}}});
    // Signed on the 23rd, in force from the 25th: nothing is granted until then.
    save(*store, "organisation", "org-starting",
         {{"name", "Starting Trust"}, {"isa_status", "in_force"}, {"isa_from", "2026-11-25"}, {"isa_fields", {"given_name"}}});
    for (const char* org : {"org-lapsing", "org-lasting", "org-starting"})
        save(*store, "referral", std::string("r-") + org,
             {{"area", "PDU-GWENT"}, {"organisation_id", org}, {"status", "sent"}, {"given_name", "Test"}});
    store->commit();
    auto seqOf = [&](const std::string& id) {
        store->beginRead();
        auto r = store->record("referral", id);
        store->rollback();
        REQUIRE(r.has_value());
        return r->record.seq;
    };
    const int64_t lapsing = seqOf("r-org-lapsing"), lasting = seqOf("r-org-lasting"),
                  starting = seqOf("r-org-starting");

    CHECK(service.reshareAgreementsChangedByDate() == 0); // nothing changed since yesterday
    CHECK(service.reshareAgreementsChangedByDate() == 0); // nor since this morning
    clock += 2 * 86400; // the 25th: one has lapsed, one has started
    CHECK(service.reshareAgreementsChangedByDate() == 2);
    CHECK(seqOf("r-org-lapsing") > lapsing);   // sent again, now projected with nothing granted
    CHECK(seqOf("r-org-starting") > starting); // sent again, now with given_name
    CHECK(seqOf("r-org-lasting") == lasting);
    const int64_t after = seqOf("r-org-lapsing"), afterStart = seqOf("r-org-starting");
    clock += 86400;
    CHECK(service.reshareAgreementsChangedByDate() == 0); // once per change
    CHECK(seqOf("r-org-lapsing") == after);
    CHECK(seqOf("r-org-starting") == afterStart);
    // A server down over a change of date catches up on the next sweep: the lasting agreement
    // ends on 2027-11-24; the next sweep after that, however late, re-shares it once.
    clock += 400 * 86400;
    CHECK(service.reshareAgreementsChangedByDate() == 1);
    CHECK(seqOf("r-org-lasting") > lasting);
    CHECK(service.reshareAgreementsChangedByDate() == 0);
}

namespace {

// Records across every kind of scope: areas at each level of the hierarchy, owners,
// organisations, every collection (the audit trail too), live and deleted.
std::vector<server::StoredRecord> population() {
    const std::vector<std::string> areas = {"", "PDU-GWENT", "W06000022", "W06000021", "PDU-CARDIFFVALE", "W06000015",
                                            "E08000001", "PDU-GM", "WALES", "not-an-area"};
    const std::vector<std::string> users = {"", "u-1", "u-2", "u-3"};
    const std::vector<std::string> orgs = {"", "org-1", "org-2"};
    std::vector<server::StoredRecord> out;
    int64_t seq = 0;
    uint64_t x = 88172645463325252ull;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    for (int i = 0; i < 600; ++i) {
        const auto specs = sync::collections();
        const auto& spec = specs[next() % specs.size()];
        server::StoredRecord s;
        s.record.collection = std::string(spec.name);
        s.record.id = "r-" + std::to_string(i);
        s.record.seq = ++seq;
        s.record.deleted = next() % 7 == 0;
        nlohmann::json fields = nlohmann::json::object();
        if (const auto& a = areas[next() % areas.size()]; !a.empty()) fields["area"] = a;
        if (const auto& u = users[next() % users.size()]; !u.empty()) fields["owner"] = u;
        if (const auto& o = orgs[next() % orgs.size()]; !o.empty()) fields["organisation_id"] = o;
        if (next() % 2) fields["sent_at"] = "2026-11-01T09:00:00Z";
        if (s.record.collection == "conflict")
            fields["collection"] = std::vector<std::string>{"referral", "appointment", "service"}[next() % 3];
        s.record.fields = fields;
        sync::deriveScope(s.record);
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<sync::Principal> principals() {
    using domain::Role;
    return {{"u-1", Role::Practitioner, {"PDU-GWENT"}, ""},
            {"u-2", Role::Practitioner, {"W06000022"}, ""},
            {"u-3", Role::Supervisor, {"PDU-CARDIFFVALE", "E08000001"}, ""},
            {"u-4", Role::Supervisor, {"WALES"}, ""},
            {"u-1", Role::Provider, {}, "org-1"},
            {"u-9", Role::Provider, {}, ""},
            {"u-5", Role::Practitioner, {}, ""},
            {"u-0", Role::Admin, {}, ""}};
}

} // namespace

TEST_CASE("a user's read scope holds every record the user may read") {
    const auto records = population();
    for (const auto& who : principals()) {
        CAPTURE(who.userId);
        CAPTURE(static_cast<int>(who.role));
        const auto scope = sync::readScope(who);
        int readable = 0;
        for (const auto& s : records) {
            if (!sync::canRead(who, s.record)) continue;
            ++readable;
            CAPTURE(s.record.collection);
            CAPTURE(s.record.area);
            CAPTURE(s.record.owner);
            CAPTURE(s.record.organisation);
            CHECK(sync::inReadScope(scope, s.record));
        }
        CHECK(readable > 0);
    }
}

TEST_CASE("a scoped change scan returns each change in the scope once, oldest first, and nothing else") {
    test::TempDir dir;
    auto store = openSqliteStore((dir / "server.db").string());
    const auto records = population();
    store->begin();
    for (const auto& s : records) store->saveRecord(s);
    store->commit();
    for (const auto& who : principals()) {
        CAPTURE(who.userId);
        CAPTURE(static_cast<int>(who.role));
        const auto scope = sync::readScope(who);
        for (int64_t cursor : {int64_t{0}, int64_t{250}, int64_t{600}}) {
            CAPTURE(cursor);
            std::vector<int64_t> expected;
            for (const auto& s : records)
                if (s.record.seq > cursor && sync::inReadScope(scope, s.record)) expected.push_back(s.record.seq);
            std::vector<int64_t> seen;
            store->beginRead();
            const bool exhausted = store->scanChangesIn(scope, cursor, 10000, [&](ServerStore::RawRecord& raw) {
                seen.push_back(raw.meta.seq);
                return true;
            });
            // A page cut at a limit stops there and says so.
            std::vector<int64_t> firstFew;
            const bool cut = store->scanChangesIn(scope, cursor, 5, [&](ServerStore::RawRecord& raw) {
                firstFew.push_back(raw.meta.seq);
                return true;
            });
            store->rollback();
            CHECK(exhausted);
            CHECK(seen == expected);
            CHECK(firstFew == std::vector<int64_t>(expected.begin(), expected.begin() + std::min<size_t>(5, expected.size())));
            CHECK(cut == (expected.size() < 5));
        }
    }
}

TEST_CASE("a pull page holds each record as toJson writes it, heads written as text with awkward values") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    server::SyncService service([&] { return openSqliteStore(path); });
    service.addUser("admin", "correct horse battery", domain::Role::Admin, {}, "");
    auto records = population();
    // Heads that need escaping, or lie beyond ASCII, as the JSON library would write them.
    records[0].record.id = "quote \" back\\slash \x01 Môn ŵ";
    records[1].record.status = "tab\there";
    records[2].record.owner = "";
    records[2].record.deleted = true;
    // Versions of every shape: the record's own, an older one, none, a name that is not a field.
    for (size_t i = 0; i < records.size(); ++i) {
        sync::Record& r = records[i].record;
        size_t k = 0;
        for (auto it = r.fields.begin(); it != r.fields.end(); ++it, ++k) {
            if ((i + k) % 5 == 0) continue;
            r.versions[it.key()] = (i + k) % 3 == 0 ? 1000 + static_cast<int64_t>(i) : r.seq;
        }
        if (i % 4 == 0) r.versions["gone"] = r.seq;
    }
    {
        auto store = openSqliteStore(path);
        store->begin();
        for (const auto& s : records) store->saveRecord(s);
        store->commit();
    }
    server::HttpRequest login;
    login.method = "POST";
    login.path = "/v1/login";
    login.body = R"({"username":"admin","password":"correct horse battery","device_id":"dev-1"})";
    login.remoteAddress = "127.0.0.1";
    const auto signedIn = service.handle(login);
    REQUIRE(signedIn.status == 200);
    server::HttpRequest pull;
    pull.method = "GET";
    pull.path = "/v1/pull";
    pull.query["limit"] = "5000";
    pull.headers["authorization"] = "Bearer " + nlohmann::json::parse(signedIn.body).at("token").get<std::string>();
    pull.remoteAddress = "127.0.0.1";
    const auto page = service.handle(pull);
    REQUIRE(page.status == 200);
    const nlohmann::json body = nlohmann::json::parse(page.body);
    std::map<std::string, nlohmann::json> pulled;
    for (const auto& r : body.at("records")) pulled[r.at("collection").get<std::string>() + "/" + r.at("id").get<std::string>()] = r;
    REQUIRE(pulled.size() == records.size());
    for (const auto& s : records) {
        CAPTURE(s.record.id);
        const std::string key = s.record.collection + "/" + s.record.id;
        REQUIRE(pulled.count(key));
        CHECK(pulled[key] == sync::toJson(s.record));
        // Written as the library writes it: the record's text in the page is its own dump.
        const nlohmann::json& r = pulled[key];
        nlohmann::json head = r;
        head.erase("fields");
        head.erase("versions");
        std::string expected = head.dump();
        expected.pop_back();
        expected += ",\"fields\":" + r.at("fields").dump() + ",\"versions\":" + r.at("versions").dump() + "}";
        CHECK(page.body.find(expected) != std::string::npos);
    }
    CHECK(body.at("protocol") == 1); // asked without a protocol: every version by name, as protocol 1 wrote them

    // A device that reads compact versions gets them as stored, and reads them back whole.
    pull.query["protocol"] = "2";
    const auto compact = service.handle(pull);
    REQUIRE(compact.status == 200);
    CHECK(nlohmann::json::parse(compact.body).at("protocol") == 2);
    CHECK(compact.body.size() < page.body.size());
    const auto read = sync::pullResponseFromText(compact.body, [](std::string_view) { return true; });
    REQUIRE(read.records.size() == records.size());
    size_t withDefault = 0;
    for (const auto& r : read.records) {
        const auto& s = *std::find_if(records.begin(), records.end(),
                                      [&](const auto& x) { return x.record.collection == r.collection && x.record.id == r.id; });
        CAPTURE(s.record.id);
        CHECK(sync::versionsOf(r) == s.record.versions);
        CHECK(r.versionsText == sync::versionsText(s.record.versions, s.record.fields));
        if (r.versionsText.substr(0, 4) == "{\"\":") ++withDefault;
    }
    CHECK(withDefault > records.size() / 4);
    // A protocol this server does not speak.
    pull.query["protocol"] = "3";
    const auto later = service.handle(pull);
    CHECK(later.status == 426);
    CHECK(nlohmann::json::parse(later.body).at("error") == "upgrade_required");
    for (const char* bad : {"0", "-1", "two"}) {
        pull.query["protocol"] = bad;
        CHECK(service.handle(pull).status == 400);
    }
    // Pushes are the same in both versions: protocol 1 and 2 are read, a later one is refused.
    server::HttpRequest push = pull;
    push.method = "POST";
    push.path = "/v1/push";
    push.query.clear();
    for (const auto& [protocol, status] : std::vector<std::pair<int, int>>{{1, 200}, {2, 200}, {3, 426}, {0, 426}}) {
        CAPTURE(protocol);
        push.body = R"({"protocol":)" + std::to_string(protocol) + R"(,"device_id":"dev-1","ops":[]})";
        CHECK(service.handle(push).status == status);
    }
}
