// The server's SQLite store: schema upgrades keep the data, and the change scan reads record
// bodies only when asked.
#include "TestSupport.hpp"
#include "signpost/db/Database.hpp"
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
