// Schema migrations: from empty, and from every earlier version with data in it.
#include "TestSupport.hpp"
#include "signpost/db/Migrations.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Search.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Uuid.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <functional>
#include <map>

using namespace signpost;

namespace {

// Rows written with the SQL of a given schema version, as an older build would have.
// Each entry fills version v; the test migrates up and checks they survived.
const std::map<int, std::function<void(db::Database&)>>& fixtures() {
    static const std::map<int, std::function<void(db::Database&)>> f{
        {1,
         [](db::Database& db) {
             db.exec(R"sql(
INSERT INTO organisation (id, name) VALUES ('org-1', 'Bolton Advice');
INSERT INTO service (id, organisation_id, name, description, keywords)
    VALUES ('svc-1', 'org-1', 'Debt advice drop-in', 'Money and debt advice', 'debt');
INSERT INTO service_area (service_rowid, area_code) SELECT rowid, 'E08000001' FROM service WHERE id = 'svc-1';
INSERT INTO service_need (service_rowid, need_code) SELECT rowid, 'finance' FROM service WHERE id = 'svc-1';
INSERT INTO location (id, name, latitude, longitude) VALUES ('loc-1', 'Office', 53.578, -2.429);
INSERT INTO service_location (service_rowid, location_rowid)
    SELECT s.rowid, l.rowid FROM service s, location l WHERE s.id = 'svc-1' AND l.id = 'loc-1';
)sql");
         }},
        {2,
         [](db::Database& db) {
             db.exec("INSERT INTO postcode_district (district, latitude, longitude) VALUES ('BL1', 53.58, -2.44)");
         }},
        {3,
         [](db::Database& db) {
             db.exec(R"sql(
INSERT INTO sync_state (key, value) VALUES ('cursor', '42');
INSERT INTO record (collection, id, seq, fields, versions) VALUES ('referral', 'r-1', 40, '{"notes":"x"}', '{"notes":40}');
INSERT INTO outbox (op_id, collection, record_id, body, created_at) VALUES ('op-1', 'referral', 'r-1', '{}', 'now');
)sql");
         }},
        {4,
         [](db::Database& db) {
             db.exec("INSERT INTO audit_log (seq, at, user, device, action, collection, record_id, detail, prev_hash, hash) "
                     "VALUES (1, '2026-01-01T00:00:00Z', 'u', 'd', 'view', 'referral', 'r-1', '', 'genesis', 'x')");
         }},
        {5,
         [](db::Database& db) {
             db.exec("INSERT INTO record (collection, id, seq, owner, status, fields, versions, queue_at) VALUES "
                     "('appointment', 'a-1', 41, 'u-1', 'scheduled', '{\"starts_at\":\"2026-01-02T10:00:00Z\"}', '{}', "
                     "'2026-01-02T10:00:00Z')");
         }},
        {6,
         [](db::Database& db) {
             db.exec("INSERT INTO record (collection, id, seq, fields, versions, reindex) VALUES "
                     "('service', 's-6', 43, '{\"name\":\"Six\"}', '{\"name\":43}', 1)");
         }},
        // v7 adds only derived rows (search result cards), built from the directory tables.
        {7, [](db::Database&) {}},
        // v8 only rebuilds the derived search index (synonym concepts).
        {8, [](db::Database&) {}},
        // v9 only narrows the queue indexes to the collections with queues.
        {9, [](db::Database&) {}},
        // v10 only rewrites the queue indexes' condition.
        {10, [](db::Database&) {}},
        // v11 only drops two indexes.
        {11, [](db::Database&) {}},
        {12, [](db::Database&) {}},
        // The last version with a service's lists in tables of their own (v14 moves them into its
        // row): areas and needs out of order, a contact with no title and one with text that needs
        // escaping, opening times out of order with a note.
        {13,
         [](db::Database& db) {
             db.exec(R"sql(
INSERT INTO service (id, organisation_id, name, description) VALUES ('svc-13', 'org-1', 'Housing advice', 'Tenancy help');
INSERT INTO service_area (service_rowid, area_code) SELECT rowid, 'W06000015' FROM service WHERE id = 'svc-13';
INSERT INTO service_area (service_rowid, area_code) SELECT rowid, 'W06000011' FROM service WHERE id = 'svc-13';
INSERT INTO service_need (service_rowid, need_code) SELECT rowid, 'housing' FROM service WHERE id = 'svc-13';
INSERT INTO service_need (service_rowid, need_code) SELECT rowid, 'women' FROM service WHERE id = 'svc-13';
INSERT INTO contact (id, service_rowid, name, phone, sample) SELECT 'c-2', rowid, 'Duty desk', '01632 960001', 1
    FROM service WHERE id = 'svc-13';
INSERT INTO contact (id, service_rowid, name, title, email) SELECT 'c-1', rowid, 'Siân "Sue" Jones', 'Manager',
    'sian@example.org' FROM service WHERE id = 'svc-13';
INSERT INTO opening_time (service_rowid, weekday, opens, closes, note) SELECT rowid, 3, '13:00', '16:00', 'Drop-in, no appointment'
    FROM service WHERE id = 'svc-13';
INSERT INTO opening_time (service_rowid, weekday, opens, closes) SELECT rowid, 1, '09:00', '17:00' FROM service WHERE id = 'svc-13';
INSERT INTO opening_time (service_rowid, weekday, opens, closes) SELECT rowid, 3, '09:00', '12:00' FROM service WHERE id = 'svc-13';
)sql");
         }},
        // v15 rewrites the checks on a service's commissioning route and an organisation's ISA
        // status: rows holding each kind of value.
        {14,
         [](db::Database& db) {
             db.exec(R"sql(
INSERT INTO organisation (id, name, isa_status) VALUES ('org-14', 'Gwent Women''s Aid', 'in_force');
INSERT INTO service (id, organisation_id, name, commissioning_route) VALUES ('svc-14', 'org-14', 'Women''s centre',
    'dynamic_framework');
)sql");
             directory::DirectoryStore(db).reindexAll(); // a v14 build indexed what it wrote
         }},
        // v16 makes the search index again without word positions: v15 only edited checks, and
        // the v14 service's index (detail = full) is what v16 replaces.
        {15, [](db::Database&) {}},
        {16, [](db::Database&) {}},
    };
    return f;
}

constexpr schema::QueueIndex kQueueIndexes[] = {schema::QueueIndex::Owner, schema::QueueIndex::Area,
                                                schema::QueueIndex::Organisation};

bool hasIndex(db::Database& db, const std::string& name) {
    return db.queryInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = '" + name + "'").value_or(0) == 1;
}

// A device that keeps all three queue indexes (one on which each role has signed in).
void keepEveryQueueIndex(db::Database& db) {
    for (auto index : kQueueIndexes) schema::ensureQueueIndex(db, index);
}

// Entries in an index, counted from its leaf pages (SQLite's dbstat table).
int64_t indexEntries(db::Database& db, const std::string& index) {
    return db.queryInt64("SELECT sum(ncell) FROM dbstat WHERE name = '" + index + "' AND pagetype = 'leaf'").value_or(-1);
}

// How many temporary tables a statement opens each time it runs (its OpenEphemeral opcodes).
int temporaryTables(db::Database& db, const std::string& sql) {
    auto explain = db.cached("EXPLAIN " + sql);
    int n = 0;
    while (explain->step())
        if (explain->getText(1) == "OpenEphemeral") ++n;
    explain->reset();
    return n;
}

} // namespace

TEST_CASE("the migration list is contiguous and every step has a fixture") {
    auto steps = schema::localMigrations();
    REQUIRE(!steps.empty());
    for (size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].version == static_cast<int>(i) + 1);
        CHECK(!steps[i].description.empty());
        // A new migration must come with a fixture here so upgrades from it stay tested.
        CHECK_MESSAGE(fixtures().count(steps[i].version) == 1, "no fixture for schema version ", steps[i].version);
    }
}

TEST_CASE("migrating an empty database reaches the latest version with a healthy schema") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "fresh.db").string());
    CHECK(db.userVersion() == schema::localSchemaVersion());
    CHECK(db.integrityCheck() == "ok");
    CHECK(db.queryInt64("SELECT count(*) FROM pragma_foreign_key_check").value_or(0) == 0);
    CHECK(db.queryInt64("PRAGMA mmap_size") == schema::kLocalMmapBytes); // search reads through a map
    // Opening again is a no-op.
    auto again = db::migrate(db, schema::localMigrations());
    CHECK(again.from == again.to);
}

TEST_CASE("every earlier version upgrades with its data intact") {
    const int latest = schema::localSchemaVersion();
    for (int start = 1; start < latest; ++start) {
        CAPTURE(start);
        test::TempDir dir;
        const auto path = (dir / "old.db").string();
        {
            // Each version's rows written with that version's schema, as the builds in turn would.
            db::Database db(path);
            for (int v = 1; v <= start; ++v) {
                db::migrate(db, schema::localMigrations(), v);
                fixtures().at(v)(db);
            }
            REQUIRE(db.userVersion() == start);
            // Whatever index an older build wrote, v16 builds it again with today's code (an index
            // from before v7 had no result cards, one from before v8 no synonym concept tokens,
            // one from before v16 word positions).
        }
        db::Database db(path);
        auto result = db::migrate(db, schema::localMigrations());
        CHECK(result.from == start);
        CHECK(result.to == latest);
        CHECK(db.integrityCheck() == "ok");
        CHECK(db.queryInt64("SELECT count(*) FROM pragma_foreign_key_check").value_or(0) == 0);
        if (start >= 3) CHECK(db.queryInt64("SELECT count(*) FROM record WHERE id = 'r-1'").value_or(0) == 1);
        if (start >= 5) {
            // v6 rebuilt `record` as a rowid table: every row, and the queue columns, came across.
            CHECK(db.queryText("SELECT queue_at FROM record WHERE id = 'a-1'").value_or("") == "2026-01-02T10:00:00Z");
            CHECK(db.queryText("SELECT fields FROM record WHERE id = 'r-1'").value_or("") == R"({"notes":"x"})");
        }
        if (start >= 3) {
            // v12: the device keeps no queue index until a queue (or a user's sign-in) asks for
            // one; then it is built from the records there. v9: the queue indexes hold the queue
            // records (r-1 from v3, a-1 from v5) and none of the directory's (s-6 from v6).
            for (auto index : kQueueIndexes) {
                CAPTURE(schema::queueIndexName(index));
                CHECK_FALSE(hasIndex(db, schema::queueIndexName(index)));
                CHECK(schema::ensureQueueIndex(db, index));
                CHECK_FALSE(schema::ensureQueueIndex(db, index));
                CHECK(indexEntries(db, schema::queueIndexName(index)) == (start >= 5 ? 2 : 1));
            }
            CHECK(db.queryInt64("SELECT count(*) FROM pragma_index_list('record') WHERE origin = 'u'").value_or(0) == 1);
            CHECK(db.queryInt64("SELECT count(*) FROM record WHERE rowid > 0").value_or(0) >= 1);
        }
        // The index was built again, one row per service, with today's marked tags.
        const int64_t services = db.queryInt64("SELECT count(*) FROM service").value_or(-1);
        CHECK(services == (start >= 14 ? 3 : start >= 13 ? 2 : 1));
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts").value_or(-1) == services);
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts WHERE instr(tags, char(57345)) > 0").value_or(-1) ==
              services);
        CHECK(db.queryInt64("SELECT count(*) FROM service_card").value_or(-1) == services);
        // v16: the index keeps no word positions, so a phrase of two words is refused (search
        // never makes one), and a word still finds its service.
        CHECK(db.queryText("SELECT sql FROM sqlite_schema WHERE name = 'service_fts'")
                  .value_or("")
                  .find("detail = column") != std::string::npos);
        CHECK_THROWS_WITH_AS(
            db.queryInt64("SELECT count(*) FROM service_fts WHERE service_fts MATCH '\"debt advice\"'"),
            doctest::Contains("phrase queries are not supported"), signpost::Error);
        CHECK(db.queryInt64("SELECT count(*) FROM service_fts WHERE service_fts MATCH 'debt'").value_or(0) == 1);
        for (const char* gone : {"service_area", "service_need", "contact", "opening_time"}) CHECK_FALSE(db.tableExists(gone));
        if (start >= 14) {
            // v15 edited the checks' definitions only: the rows are as they were.
            CHECK(db.queryText("SELECT commissioning_route FROM service WHERE id = 'svc-14'") == "dynamic_framework");
            CHECK(db.queryText("SELECT isa_status FROM organisation WHERE id = 'org-14'") == "in_force");
        }
        if (start >= 13) {
            // v14 moved the v13 service's lists into its row, in the order they were read before.
            auto moved = directory::DirectoryStore(db).service("svc-13");
            REQUIRE(moved.has_value());
            CHECK(moved->areas == std::vector<std::string>{"W06000011", "W06000015"});
            CHECK(moved->needs == std::vector<std::string>{"housing", "women"});
            REQUIRE(moved->contacts.size() == 2);
            CHECK(moved->contacts[0].id == "c-2");
            CHECK(moved->contacts[0].name == "Duty desk");
            CHECK(moved->contacts[0].title.empty());
            CHECK(moved->contacts[0].sample);
            CHECK(moved->contacts[1].name == "Siân \"Sue\" Jones");
            CHECK(moved->contacts[1].title == "Manager");
            CHECK(moved->contacts[1].email == "sian@example.org");
            CHECK_FALSE(moved->contacts[1].sample);
            REQUIRE(moved->openingTimes.size() == 3);
            CHECK(moved->openingTimes[0].weekday == 1);
            CHECK(moved->openingTimes[1].opens == "09:00");
            CHECK(moved->openingTimes[1].closes == "12:00");
            CHECK(moved->openingTimes[2].opens == "13:00");
            CHECK(moved->openingTimes[2].note == "Drop-in, no appointment");
        }
        // The v1 service survived and, after the search migration, is searchable.
        directory::DirectoryStore store(db);
        auto service = store.service("svc-1");
        REQUIRE(service.has_value());
        CHECK(service->name == "Debt advice drop-in");
        CHECK(service->areas == std::vector<std::string>{"E08000001"});
        CHECK(service->locations.size() == 1);
        directory::DirectorySearch search(db);
        directory::SearchQuery q;
        q.text = "debt";
        q.areas = {"E08000001"};
        auto outcome = search.search(q);
        REQUIRE(outcome.results.size() == 1);
        CHECK(outcome.results[0].id == "svc-1");
        // The result card came across with the organisation, areas and needs.
        CHECK(outcome.results[0].name == "Debt advice drop-in");
        CHECK(outcome.results[0].organisation == "Bolton Advice");
        CHECK(outcome.results[0].areas == std::vector<std::string>{"E08000001"});
        CHECK(outcome.results[0].needs == std::vector<std::string>{"finance"});
        // "budgeting" is nowhere in the service's text: only the finance concept the index now
        // carries beside "money" and "debt" finds it.
        q.text = "budgeting";
        auto synonym = search.search(q);
        REQUIRE(synonym.results.size() == 1);
        CHECK(synonym.results[0].id == "svc-1");
    }
}

TEST_CASE("a database from a newer build is refused, not guessed at") {
    test::TempDir dir;
    const auto path = (dir / "future.db").string();
    {
        db::Database db(path);
        db.setUserVersion(schema::localSchemaVersion() + 1);
    }
    try {
        schema::openLocal(path);
        FAIL("expected refusal");
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Validation);
        CHECK(std::string(e.what()).find("newer Signpost") != std::string::npos);
    }
}

TEST_CASE("a failing migration leaves the database at the previous version") {
    test::TempDir dir;
    db::Database db((dir / "m.db").string());
    const std::vector<db::Migration> steps{
        {1, "create", [](db::Database& d) { d.exec("CREATE TABLE a (x INTEGER)"); }},
        {2, "broken", [](db::Database& d) {
             d.exec("CREATE TABLE b (x INTEGER)");
             d.exec("THIS IS NOT SQL");
         }}};
    CHECK_THROWS_AS(db::migrate(db, steps), Error);
    CHECK(db.userVersion() == 1);
    CHECK(db.tableExists("a"));
    CHECK_FALSE(db.tableExists("b"));
}

TEST_CASE("a queue page is one covering index range, with no sort and no visit to the record rows") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "plan.db").string());
    keepEveryQueueIndex(db);
    for (const char* index : {"queue_by_owner", "queue_by_area", "queue_by_organisation"}) {
        CAPTURE(index);
        const std::string column = std::string(index).substr(9); // owner, area, organisation
        // The shape client/core/src/Queues.cpp reads.
        auto plan = db.cached(std::string("EXPLAIN QUERY PLAN SELECT id, status, area, organisation, owner, queue_at, "
                                          "local, link FROM record INDEXED BY ") +
                              index + " WHERE collection = ?1 AND " + column + " = ?2 AND status = ?3 AND " +
                              schema::kQueueRows +
                              " AND queue_at >= ?4 AND (?5 = '' OR queue_at < ?5) ORDER BY queue_at DESC, id DESC LIMIT ?6");
        std::string detail;
        while (plan->step()) detail += plan->getText(3) + "\n";
        plan->reset();
        CHECK(detail.find(std::string("COVERING INDEX ") + index) != std::string::npos);
        CHECK(detail.find("TEMP B-TREE") == std::string::npos);
    }
}

TEST_CASE("the count of open conflicts at the end of each sync reads an index of conflicts alone") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "conflicts.db").string());
    for (int i = 0; i < 200; ++i)
        db.exec("INSERT INTO record (collection, id, status, deleted) VALUES ('" +
                std::string(i % 10 == 0 ? "conflict" : i % 2 ? "referral" : "service") + "', 'r-" + std::to_string(i) +
                "', '" + (i % 20 == 0 ? "resolved" : "open") + "', " + (i == 30 ? "1" : "0") + ")");
    // Every other record writes no entry in it (schema v13).
    CHECK(indexEntries(db, "conflict_by_status") == 19); // 20 conflicts, one deleted
    CHECK_FALSE(hasIndex(db, "record_by_status"));
    // The shape LocalStore::countWithStatus reads, with the collection in the text.
    auto plan = db.cached("EXPLAIN QUERY PLAN SELECT count(*) FROM record WHERE collection = 'conflict' AND status = ?1 "
                          "AND deleted = 0");
    std::string detail;
    while (plan->step()) detail += plan->getText(3) + "\n";
    plan->reset();
    CHECK(detail.find("conflict_by_status") != std::string::npos);
    auto count = [&](const std::string& collection, const std::string& status) {
        return db.queryInt64("SELECT count(*) FROM record WHERE collection = " + db::sqlText(collection) +
                             " AND status = " + db::sqlText(status) + " AND deleted = 0")
            .value_or(-1);
    };
    CHECK(count("conflict", "open") == 9);
    CHECK(count("conflict", "resolved") == 10);
    CHECK(count("referral", "open") == 100); // any other collection is counted from its records
}

TEST_CASE("the queue indexes hold the live records of the queue collections and nothing else") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "rows.db").string());
    keepEveryQueueIndex(db);
    db.exec(R"sql(
INSERT INTO record (collection, id, owner, area, organisation, status, queue_at) VALUES
    ('referral', 'r-1', 'u-1', 'W06000022', 'org-1', 'submitted', '2026-01-01T00:00:00Z'),
    ('appointment', 'a-1', 'u-1', 'W06000022', 'org-1', 'scheduled', '2026-01-02T10:00:00Z'),
    ('alert', 'al-1', 'u-1', 'W06000022', '', 'open', '2026-01-03T00:00:00Z');
INSERT INTO record (collection, id, owner, area, organisation, status, queue_at, deleted) VALUES
    ('referral', 'r-gone', 'u-1', 'W06000022', 'org-1', 'submitted', '2026-01-01T00:00:00Z', 1);
)sql");
    for (int i = 0; i < 300; ++i)
        db.exec("INSERT INTO record (collection, id, status, queue_at) VALUES ('" +
                std::string(i % 5 == 0 ? "organisation" : i % 7 == 0 ? "conflict" : "service") + "', 'd-" +
                std::to_string(i) + "', 'active', '2026-01-01T00:00:00Z')");
    for (const char* index : {"queue_by_owner", "queue_by_area", "queue_by_organisation"}) {
        CAPTURE(index);
        CHECK(indexEntries(db, index) == 3);
    }
    // A query naming the queue rows reads the index; the planner refuses it for one that does not.
    CHECK(db.queryInt64(std::string("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = "
                                    "'referral' AND owner = 'u-1' AND status = 'submitted' AND ") +
                        schema::kQueueRows)
              .value_or(-1) == 1);
    // Queues bind the collection, so the planner cannot tell it is a queue collection.
    CHECK_THROWS_AS(db.cached("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = ?1 AND owner = "
                              "'u-1' AND status = 'submitted' AND deleted = 0"),
                    Error);
    CHECK_THROWS_AS(db.queryInt64("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = 'service' "
                                  "AND owner = 'u-1' AND deleted = 0"),
                    Error);
    CHECK_THROWS_AS(db.queryInt64("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = 'referral' "
                                  "AND owner = 'u-1' AND status = 'submitted'"),
                    Error);
    // With the collections ORed (v10), a literal queue collection is enough to imply the condition.
    CHECK(db.queryInt64("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = 'referral' AND "
                        "owner = 'u-1' AND status = 'submitted' AND deleted = 0")
              .value_or(-1) == 1);
}

TEST_CASE("writing a record and reading a queue build no temporary tables") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "ephemeral.db").string());
    keepEveryQueueIndex(db);
    // Every write of a record evaluates the queue indexes' condition, old row and new. An IN list of
    // three constants there (schema v9) cost nine temporary tables per upsert.
    const char* writes[] = {
        // The shape of LocalStore::save: an upsert of every column.
        "INSERT INTO record (collection, id, seq, deleted, area, organisation, owner, status, fields, versions, local, "
        "reindex, updated_at, base, queue_at, link) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
        "?15, ?16) ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, area = "
        "excluded.area, organisation = excluded.organisation, owner = excluded.owner, status = excluded.status, fields = "
        "excluded.fields, versions = excluded.versions, local = excluded.local, queue_at = excluded.queue_at, link = "
        "excluded.link",
        "UPDATE record SET local = 0, revert = 0 WHERE collection = ?1 AND id = ?2",
        "UPDATE record SET deleted = 1 WHERE collection = ?1 AND id = ?2",
        "DELETE FROM record WHERE collection = ?1 AND id = ?2",
    };
    for (const char* sql : writes) {
        CAPTURE(sql);
        CHECK(temporaryTables(db, sql) == 0);
    }
    for (const char* column : {"owner", "area", "organisation"}) {
        CAPTURE(column);
        CHECK(temporaryTables(db, std::string("SELECT count(*) FROM record INDEXED BY queue_by_") + column +
                                      " WHERE collection = ?1 AND " + column + " = ?2 AND status = ?3 AND " +
                                      schema::kQueueRows + " AND queue_at >= ?4 AND (?5 = '' OR queue_at < ?5)") == 0);
    }
    // The check itself sees them: v9's condition, as shipped, opens one for a query.
    CHECK(temporaryTables(db, "SELECT count(*) FROM record WHERE deleted = 0 AND collection IN ('referral', "
                              "'appointment', 'alert')") == 1);
}

TEST_CASE("writing a service or an organisation builds no temporary tables, and their checks still hold") {
    // The SQL DirectoryStore writes them with (the columns a check reads, the rest left to their
    // defaults): before v15 the service's route check opened one temporary table per row written.
    const std::string serviceInsert =
        "INSERT INTO service (rowid, id, organisation_id, name, commissioning_route) VALUES (?1, ?2, ?3, ?4, ?5)";
    const std::string organisationUpsert =
        "INSERT INTO organisation (id, name, isa_status) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET "
        "name = excluded.name, isa_status = excluded.isa_status";
    auto checksHold = [](db::Database& db) {
        CHECK_THROWS_WITH_AS(db.exec("INSERT INTO organisation (id, name, isa_status) VALUES ('o-x', 'X', 'lapsed')"),
                             doctest::Contains("CHECK constraint failed"), Error);
        CHECK_THROWS_WITH_AS(
            db.exec("INSERT INTO service (id, name, commissioning_route) VALUES ('s-x', 'X', 'spot_purchase')"),
            doctest::Contains("CHECK constraint failed"), Error);
        db.exec("INSERT INTO organisation (id, name, isa_status) VALUES ('o-ok', 'Ok', 'expired')");
        db.exec("INSERT INTO service (id, name, commissioning_route) VALUES ('s-null', 'No route', NULL)");
        for (const char* route : {"dynamic_framework", "co_commissioned", "grant_funded", "statutory", "informal"})
            db.exec(std::string("INSERT INTO service (id, name, commissioning_route) VALUES ('s-") + route +
                    "', 'R', '" + route + "')");
        CHECK(db.queryInt64("SELECT count(*) FROM service WHERE id LIKE 's-%'") == 6);
        CHECK(db.integrityCheck() == "ok");
    };
    SUBCASE("a new database") {
        test::TempDir dir;
        auto db = schema::openLocal((dir / "checks.db").string());
        CHECK(temporaryTables(db, serviceInsert) == 0);
        CHECK(temporaryTables(db, organisationUpsert) == 0);
        checksHold(db);
    }
    SUBCASE("upgraded from v14, whose checks opened one") {
        test::TempDir dir;
        const auto path = (dir / "v14.db").string();
        {
            db::Database db(path);
            db::migrate(db, schema::localMigrations(), 14);
            CHECK(temporaryTables(db, serviceInsert) == 1);
            CHECK(temporaryTables(db, organisationUpsert) == 2); // the row inserted, or updated
        }
        db::Database db(path);
        db::migrate(db, schema::localMigrations());
        CHECK(temporaryTables(db, serviceInsert) == 0);
        CHECK(temporaryTables(db, organisationUpsert) == 0);
        checksHold(db);
    }
    SUBCASE("upgraded from v14 where SQLite refuses schema edits: the checks stay as they were") {
        test::TempDir dir;
        const auto path = (dir / "defensive.db").string();
        {
            db::Database db(path);
            db::migrate(db, schema::localMigrations(), 14);
        }
        db::Database db(path);
        REQUIRE(sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr) == SQLITE_OK);
        CHECK(db::migrate(db, schema::localMigrations()).to == schema::localSchemaVersion());
        CHECK(temporaryTables(db, serviceInsert) == 1);
        checksHold(db);
    }
}

TEST_CASE("a service's areas, needs, contacts and opening times are kept in its own row") {
    test::TempDir dir;
    auto db = schema::openLocal((dir / "device.db").string());
    for (const char* gone : {"service_area", "service_need", "contact", "opening_time"}) CHECK_FALSE(db.tableExists(gone));
    directory::DirectoryStore store(db);
    domain::Organisation org;
    org.id = "org-1";
    org.name = "Bolton Advice";
    store.upsertOrganisation(org);
    domain::Service s;
    s.id = "svc-row";
    s.organisationId = "org-1";
    s.name = "Debt advice";
    s.areas = {"W06000015", "E08000001", "W06000015"};
    s.needs = {"finance", "debt", "finance"};
    s.contacts = {{"", "Duty desk", "", "01632 960001", "", true},
                  {"c-2", "Siân \"Sue\"\\Jones", "Manager", "", "s@example.org", false}};
    s.openingTimes = {{3, "13:00", "16:00", "Drop-in\nno appointment"}, {1, "09:00", "17:00", ""}, {3, "09:00", "12:00", ""}};
    store.upsertService(s);
    // Codes sorted and unique; contacts in order, empty strings left out, a generated id for the
    // one without; opening times by day and time, the note only where there is one.
    auto row = [&](const char* column) {
        return db.queryText(std::string("SELECT ") + column + " FROM service WHERE id = 'svc-row'").value_or("?");
    };
    CHECK(row("areas") == "E08000001 W06000015");
    CHECK(row("needs") == "debt finance");
    const std::string firstId = uuid::fromName("svc-row/contact/0");
    CHECK(row("contacts") == R"([{"id":")" + firstId + R"(","name":"Duty desk","phone":"01632 960001","sample":true},)"
                             R"({"id":"c-2","name":"Siân \"Sue\"\\Jones","title":"Manager","email":"s@example.org"}])");
    CHECK(row("opening_times") == R"([[1,"09:00","17:00"],[3,"09:00","12:00"],[3,"13:00","16:00","Drop-in\nno appointment"]])");
    CHECK(db.queryInt64("SELECT json_valid(contacts) AND json_valid(opening_times) FROM service WHERE id = 'svc-row'") == 1);
    auto back = store.service("svc-row");
    REQUIRE(back.has_value());
    CHECK(back->areas == std::vector<std::string>{"E08000001", "W06000015"});
    CHECK(back->needs == std::vector<std::string>{"debt", "finance"});
    REQUIRE(back->contacts.size() == 2);
    CHECK(back->contacts[0].id == firstId);
    CHECK(back->contacts[0].sample);
    CHECK(back->contacts[1].name == "Siân \"Sue\"\\Jones");
    CHECK(back->contacts[1].phone.empty());
    CHECK_FALSE(back->contacts[1].sample);
    REQUIRE(back->openingTimes.size() == 3);
    CHECK(back->openingTimes[0].weekday == 1);
    CHECK(back->openingTimes[2].note == "Drop-in\nno appointment");

    // An opening time the row cannot hold is refused, as the old table's checks refused it, and
    // the service stays as it was.
    for (const domain::OpeningTime& bad :
         {domain::OpeningTime{8, "09:00", "17:00", ""}, domain::OpeningTime{0, "09:00", "17:00", ""},
          domain::OpeningTime{2, "9am", "17:00", ""}, domain::OpeningTime{2, "09:00", "17:0", ""},
          domain::OpeningTime{2, "09:00", "\"17:0", ""}, domain::OpeningTime{2, "09:60", "17:00", ""}}) {
        CAPTURE(bad.weekday);
        CAPTURE(bad.opens);
        CAPTURE(bad.closes);
        auto changed = s;
        changed.name = "Renamed";
        changed.openingTimes.push_back(bad);
        try {
            store.upsertService(changed);
            FAIL("expected refusal");
        } catch (const Error& e) {
            CHECK(e.domain() == ErrorDomain::Validation);
        }
        CHECK(store.service("svc-row")->name == "Debt advice");
        CHECK(store.service("svc-row")->openingTimes.size() == 3);
    }
}
