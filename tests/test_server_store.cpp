// The server's SQLite store: schema upgrades keep the data, and the change scan reads record
// bodies only when asked.
#include "TestSupport.hpp"
#include "signpost/db/Database.hpp"
#include "service/SyncService.hpp"
#include "signpost/sync/Access.hpp"
#include "store/ServerStore.hpp"

#include <doctest/doctest.h>

using namespace signpost;
using server::ServerStore;
using server::openSqliteStore;

TEST_CASE("a version 1 server database upgrades to the covering change index and the organisation index") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    openSqliteStore(path).reset(); // creates the current schema
    {
        // Put it back the way version 1 left it, with one record in it.
        db::Database db(path);
        db.exec("DROP INDEX record_changes; DROP INDEX record_by_organisation; "
                "CREATE UNIQUE INDEX record_by_seq ON record(seq); PRAGMA user_version = 1;");
        db.exec("INSERT INTO record (collection, id, seq, area, status, fields, versions, writers) VALUES "
                "('service', 's-1', 7, '', 'active', '{\"name\":\"Debt advice\"}', '{\"name\":7}', '{}')");
    }
    auto store = openSqliteStore(path);
    {
        db::Database db(path);
        CHECK(db.userVersion() == 3);
        CHECK(db.queryInt64("SELECT count(*) FROM pragma_index_list('record') WHERE name = 'record_by_organisation'")
                  .value_or(0) == 1);
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
        CHECK(sharedPlan.find("record_by_organisation") != std::string::npos);
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

TEST_CASE("a record's writers are stored grouped by writer, and rows in the first form still read") {
    test::TempDir dir;
    const std::string path = (dir / "server.db").string();
    auto store = openSqliteStore(path);
    server::StoredRecord s;
    s.record.collection = "referral";
    s.record.id = "r-1";
    s.record.fields = {{"notes", "x"}, {"status", "submitted"}, {"crn", "X1"}};
    s.record.seq = 1;
    s.writers = {{"notes", "u-1/d-1"}, {"crn", "u-1/d-1"}, {"status", "u-2/d-9"}};
    store->begin();
    store->saveRecord(s);
    store->commit();
    {
        db::Database db(path);
        CHECK(db.queryText("SELECT writers FROM record WHERE id = 'r-1'").value_or("") ==
              R"({"u-1/d-1":["crn","notes"],"u-2/d-9":["status"]})");
        // A row written field by field, as the first servers did.
        db.exec(R"(INSERT INTO record (collection, id, seq, fields, versions, writers) VALUES ('referral', 'r-old', 2, )"
                R"('{"notes":"y"}', '{"notes":2}', '{"notes":"u-3/d-3","status":"u-4/d-4"}'))");
    }
    store->beginRead();
    auto fresh = store->record("referral", "r-1");
    auto old = store->record("referral", "r-old");
    store->rollback();
    REQUIRE(fresh.has_value());
    REQUIRE(old.has_value());
    CHECK(fresh->writers == s.writers);
    CHECK(old->writers == std::map<std::string, std::string>{{"notes", "u-3/d-3"}, {"status", "u-4/d-4"}});
    // Saved again, the old row takes the grouped form with nothing lost.
    store->begin();
    store->saveRecord(*old);
    store->commit();
    db::Database db(path);
    CHECK(db.queryText("SELECT writers FROM record WHERE id = 'r-old'").value_or("") ==
          R"({"u-3/d-3":["notes"],"u-4/d-4":["status"]})");
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
