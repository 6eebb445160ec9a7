// The RAII SQLite layer against real database files.
#include "TestSupport.hpp"
#include "signpost/db/Database.hpp"
#include "signpost/db/FtsTokenizer.hpp"
#include "signpost/db/RtreePack.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/schema/LocalSchema.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

using namespace signpost;
using namespace signpost::db;

TEST_CASE("a file database opens in WAL mode with foreign keys on") {
    test::TempDir dir;
    Database db((dir / "a.db").string());
    CHECK(db.queryText("PRAGMA journal_mode") == "wal");
    CHECK(db.queryInt64("PRAGMA foreign_keys") == 1);
    CHECK(db.queryInt64("PRAGMA synchronous") == 2); // FULL
}

TEST_CASE("a database read through a memory map sees every write, its own and another connection's") {
    test::TempDir dir;
    const auto path = (dir / "mapped.db").string();
    CHECK(Database(path).queryInt64("PRAGMA mmap_size") == 0); // not unless asked
    OpenOptions mapped;
    mapped.mmapSizeBytes = 1 << 20; // smaller than the file will grow: the rest is read() as usual
    Database writer(path, mapped), reader(path, mapped);
    CHECK(writer.queryInt64("PRAGMA mmap_size") == 1 << 20);
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
    CHECK(reader.queryInt64("SELECT count(*) FROM t") == 0);
    for (int round = 0; round < 3; ++round) {
        {
            Transaction txn(writer);
            auto insert = writer.prepare("INSERT INTO t (body) VALUES (printf('%.*c', 2000, char(65 + ?1)))");
            for (int i = 0; i < 500; ++i) {
                insert.bind(1, round);
                insert.exec();
                insert.reset();
            }
            txn.commit();
        }
        writer.exec("PRAGMA wal_checkpoint(TRUNCATE)"); // into the mapped file itself
        CHECK(reader.queryInt64("SELECT count(*) FROM t") == 500 * (round + 1));
        CHECK(reader.queryInt64("SELECT sum(length(body)) FROM t WHERE substr(body, 1, 1) = char(65 + " +
                                std::to_string(round) + ")") == 500 * 2000);
    }
    CHECK(reader.queryText("PRAGMA integrity_check") == "ok");
    CHECK(Database(":memory:", mapped).queryInt64("PRAGMA mmap_size").value_or(0) == 0);
}

TEST_CASE("SQLite keeps no global memory statistics, so connections on many threads share no lock") {
    test::TempDir dir;
    Database db((dir / "a.db").string());
    db.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES (printf('%.*c', 100000, 'x'))");
    CHECK(db.queryInt64("SELECT length(x) FROM t") == 100000);
    // With statistics on (SQLite's default) every allocation is counted under a global mutex.
    CHECK(sqlite3_memory_used() == 0);
    CHECK(sqlite3_memory_highwater(0) == 0);
}

TEST_CASE("errors carry the SQLite extended result code") {
    Database db = Database::memory();
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)");
    db.exec("INSERT INTO t (name) VALUES ('a')");
    try {
        db.prepare("INSERT INTO t (name) VALUES ('a')").exec();
        FAIL("expected a constraint error");
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Sqlite);
        CHECK(e.code() == SQLITE_CONSTRAINT_UNIQUE);
        CHECK(std::string(e.what()).find("UNIQUE") != std::string::npos);
    }
    try {
        db.prepare("INSERT INTO t (name) VALUES (NULL)").exec();
        FAIL("expected a NOT NULL error");
    } catch (const Error& e) {
        CHECK(e.code() == SQLITE_CONSTRAINT_NOTNULL);
    }
    CHECK_THROWS_AS(db.prepare("SELEKT 1"), Error);
    try {
        db.exec("INSERT INTO missing VALUES (1)");
    } catch (const Error& e) {
        CHECK(e.code() == SQLITE_ERROR);
        CHECK(std::string(e.what()).find("no such table") != std::string::npos);
    }
}

TEST_CASE("statements bind and read every type, including NULL and optionals") {
    Database db = Database::memory();
    db.exec("CREATE TABLE v (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)");
    auto insert = db.prepare("INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5)");
    const char blob[] = {1, 0, 2};
    insert.bind(1, int64_t{1} << 40).bind(2, 2.5).bind(3, std::string_view("Ynys Môn")).bindBlob(4, blob, 3);
    insert.bind(5, std::optional<std::string>());
    insert.exec();
    auto select = db.prepare("SELECT i, r, t, b, n FROM v");
    REQUIRE(select.step());
    CHECK(select.getInt64(0) == (int64_t{1} << 40));
    CHECK(select.getDouble(1) == 2.5);
    CHECK(select.getText(2) == "Ynys Môn");
    CHECK(select.getBlob(3) == std::vector<uint8_t>{1, 0, 2});
    CHECK(select.isNull(4));
    CHECK_FALSE(select.getOptText(4).has_value());
    CHECK_FALSE(select.step());
}

TEST_CASE("text bound with its NUL is stored whole, and one holding a NUL is not cut short") {
    Database db = Database::memory();
    db.exec("CREATE TABLE v (t TEXT)");
    db.exec("CREATE VIRTUAL TABLE f USING fts5(t)");
    const std::string plain = "Ynys Môn advice", empty, inside("before\0after", 12);
    for (const std::string* value : {&plain, &empty, &inside}) {
        CAPTURE(*value);
        for (const char* sql : {"INSERT INTO v VALUES (?1)", "INSERT INTO f VALUES (?1)"}) {
            auto q = db.prepare(sql);
            q.bindStaticTerminated(1, *value);
            q.exec();
        }
        auto read = db.prepare("SELECT length(CAST(t AS BLOB)), t = ?1 FROM v ORDER BY rowid DESC LIMIT 1");
        read.bind(1, *value);
        REQUIRE(read.step());
        CHECK(read.getInt64(0) == static_cast<int64_t>(value->size()));
        CHECK(read.getInt64(1) == 1);
    }
    // FTS5 read each as text: the plain one by its words, the one with a NUL past it too.
    CHECK(db.queryInt64("SELECT count(*) FROM f WHERE f MATCH 'advice'") == 1);
    CHECK(db.queryInt64("SELECT count(*) FROM f WHERE f MATCH 'before'") == 1);
    CHECK(db.queryInt64("SELECT count(*) FROM f WHERE f MATCH 'after'") == 1);
}

TEST_CASE("named parameters resolve, unknown ones are a clear error") {
    Database db = Database::memory();
    auto stmt = db.prepare("SELECT :a + :b");
    stmt.bind(":a", 2).bind(":b", 3);
    REQUIRE(stmt.step());
    CHECK(stmt.getInt(0) == 5);
    CHECK_THROWS_AS(stmt.parameterIndex(":c"), Error);
}

TEST_CASE("cached statements come back reset and unbound, even after an exception") {
    Database db = Database::memory();
    db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)");
    {
        auto q = db.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x");
        q->bind(1, 2);
        REQUIRE(q->step());
        CHECK(q->getInt(0) == 2);
        // abandoned mid-iteration: the guard resets it
    }
    {
        auto q = db.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x");
        // bindings were cleared: x >= NULL matches nothing
        CHECK_FALSE(q->step());
    }
    try {
        auto q = db.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x");
        q->bind(1, 1);
        q->step();
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    auto q = db.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x");
    q->bind(1, 3);
    REQUIRE(q->step());
    CHECK(q->getInt(0) == 3);
}

TEST_CASE("a re-entrant use of the same cached SQL gets its own statement") {
    Database db = Database::memory();
    db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)");
    auto outer = db.cached("SELECT x FROM t ORDER BY x");
    REQUIRE(outer->step());
    auto inner = db.cached("SELECT x FROM t ORDER BY x");
    REQUIRE(inner->step());
    CHECK(inner->getInt(0) == 1);
    REQUIRE(outer->step());
    CHECK(outer->getInt(0) == 2); // the outer iteration was not disturbed
}

TEST_CASE("a transaction rolls back unless committed") {
    test::TempDir dir;
    Database db((dir / "t.db").string());
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        Transaction txn(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    CHECK(db.queryInt64("SELECT count(*) FROM t") == 0);
    try {
        Transaction txn(db);
        db.exec("INSERT INTO t VALUES (1)");
        throw std::runtime_error("failure mid-way");
    } catch (const std::runtime_error&) {
    }
    CHECK(db.queryInt64("SELECT count(*) FROM t") == 0);
    CHECK_FALSE(db.inTransaction());
    {
        Transaction txn(db);
        db.exec("INSERT INTO t VALUES (1)");
        txn.commit();
    }
    CHECK(db.queryInt64("SELECT count(*) FROM t") == 1);
    // Committed data is visible to another connection: it really reached the file.
    Database other((dir / "t.db").string());
    CHECK(other.queryInt64("SELECT count(*) FROM t") == 1);
}

TEST_CASE("savepoints nest inside a transaction and roll back alone") {
    Database db = Database::memory();
    db.exec("CREATE TABLE t (x INTEGER)");
    Transaction txn(db);
    db.exec("INSERT INTO t VALUES (1)");
    {
        Savepoint sp(db, "bad");
        db.exec("INSERT INTO t VALUES (2)");
        // not released: rolled back
    }
    {
        Savepoint sp(db, "good");
        db.exec("INSERT INTO t VALUES (3)");
        sp.release();
    }
    txn.commit();
    CHECK(db.queryInt64("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)").has_value());
    CHECK(db.queryText("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)") == "1,3");
}

TEST_CASE("a read-only open of a missing file fails with a clear message") {
    test::TempDir dir;
    OpenOptions options;
    options.readOnly = true;
    try {
        Database db((dir / "missing.db").string(), options);
        FAIL("expected failure");
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Sqlite);
        CHECK(std::string(e.what()).find("missing.db") != std::string::npos);
    }
}

TEST_CASE("a moved database keeps its cached statements working") {
    Database a = Database::memory();
    a.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)");
    { auto q = a.cached("SELECT x FROM t"); REQUIRE(q->step()); }
    Database b = std::move(a);
    auto q = b.cached("SELECT x FROM t");
    REQUIRE(q->step());
    CHECK(q->getInt(0) == 7);
    CHECK_THROWS_AS(b.prepare("SELECT nope FROM t"), Error);
}

TEST_CASE("a transaction inside a transaction nests as a savepoint") {
    Database db = Database::memory();
    db.exec("CREATE TABLE t (x INTEGER)");
    Transaction outer(db);
    {
        Transaction inner(db);
        db.exec("INSERT INTO t VALUES (1)");
        inner.commit();
    }
    {
        Transaction inner(db);
        db.exec("INSERT INTO t VALUES (2)");
        // not committed: only this unit rolls back
    }
    CHECK(db.inTransaction());
    outer.commit();
    CHECK(db.queryText("SELECT group_concat(x) FROM t") == "1");
}

TEST_CASE("a rederivable commit skips the disk wait for its transaction only, and never inside another") {
    test::TempDir dir;
    Database db((dir / "r.db").string());
    db.exec("CREATE TABLE t (x INTEGER)");
    REQUIRE(db.queryInt64("PRAGMA synchronous") == 2);
    {
        RederivableCommit rederivable(db);
        CHECK(db.queryInt64("PRAGMA synchronous") == 1); // NORMAL for this unit
        Transaction txn(db);
        db.exec("INSERT INTO t VALUES (1)");
        txn.commit();
    }
    CHECK(db.queryInt64("PRAGMA synchronous") == 2); // the connection's own setting is back
    {
        // Inside a caller's transaction the caller's commit decides: nothing changes.
        Transaction outer(db);
        RederivableCommit rederivable(db);
        CHECK(db.queryInt64("PRAGMA synchronous") == 2);
        db.exec("INSERT INTO t VALUES (2)");
        outer.commit();
    }
    CHECK(db.queryInt64("PRAGMA synchronous") == 2);
    {
        // An exception inside still restores the setting.
        try {
            RederivableCommit rederivable(db);
            Transaction txn(db);
            db.exec("INSERT INTO t VALUES (3)");
            throw std::runtime_error("interrupted");
        } catch (const std::runtime_error&) {
        }
    }
    CHECK(db.queryInt64("PRAGMA synchronous") == 2);
    CHECK(db.queryText("SELECT group_concat(x) FROM t") == "1,2");
}

namespace {
// Writes about `pages` WAL pages in transactions of ~100 pages (4 KiB pages, 3.5 KiB rows).
void writePages(Database& db, int pages, int from = 0) {
    db.exec("CREATE TABLE IF NOT EXISTS blob (id INTEGER PRIMARY KEY, body TEXT)");
    for (int t = 0; t < pages / 100; ++t) {
        Transaction txn(db);
        auto q = db.cached("INSERT INTO blob (id, body) VALUES (?1, ?2)");
        for (int i = 0; i < 100; ++i) {
            q->bind(1, int64_t{from} + t * 100 + i).bind(2, std::string(3500, static_cast<char>('a' + i % 26)));
            q->exec();
            q->reset();
        }
        txn.commit();
    }
}

bool waitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
}
} // namespace

TEST_CASE("a background checkpointer copies the WAL back on its own thread, and a moved database keeps it") {
    test::TempDir dir;
    const std::string path = (dir / "c.db").string();
    OpenOptions options;
    options.backgroundCheckpoint = true;
    {
        Database db(path, options);
        writePages(db, 1500);
        // The commits that passed 1,000 WAL pages woke the thread, which checkpointed.
        CHECK(waitFor([&] { return db.backgroundCheckpoints() >= 1; }));
        // The WAL hook points at the checkpointer, not the Database: a move keeps it working.
        Database moved = std::move(db);
        const uint64_t before = moved.backgroundCheckpoints();
        writePages(moved, 1500, 100000);
        CHECK(waitFor([&] { return moved.backgroundCheckpoints() > before; }));
        CHECK(moved.queryInt64("SELECT count(*) FROM blob") == 3000);
    }
    // Everything committed is in the file, whole, after the connection (and its thread) closed.
    Database reopened(path);
    CHECK(reopened.queryInt64("SELECT count(*) FROM blob") == 3000);
    CHECK(reopened.integrityCheck() == "ok");
    CHECK(reopened.backgroundCheckpoints() == 0); // off unless asked for
}

TEST_CASE("a database is made with the page size asked for; one that exists keeps its own") {
    test::TempDir dir;
    OpenOptions large;
    large.pageSizeBytes = 16384;
    {
        Database db((dir / "new.db").string(), large);
        CHECK(db.queryInt64("PRAGMA page_size") == 16384);
        CHECK(db.queryText("PRAGMA journal_mode") == "wal");
    }
    {
        Database old((dir / "old.db").string());
        CHECK(old.queryInt64("PRAGMA page_size") == 4096);
        old.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)");
    }
    Database reopened((dir / "old.db").string(), large);
    CHECK(reopened.queryInt64("PRAGMA page_size") == 4096);
    CHECK(reopened.queryInt64("SELECT sum(x) FROM t") == 3);
    CHECK(reopened.integrityCheck() == "ok");
    // A device database is made with 16 KiB pages.
    auto local = schema::openLocal((dir / "local.db").string());
    CHECK(local.queryInt64("PRAGMA page_size") == schema::kLocalPageBytes);
}

TEST_CASE("the background checkpointer counts the WAL in bytes, whatever the page size") {
    test::TempDir dir;
    OpenOptions options;
    options.backgroundCheckpoint = true;
    options.pageSizeBytes = 16384;
    Database db((dir / "c16.db").string(), options);
    // 1,500 rows of 3.5 KB: about 5 MB of WAL in some 400 pages of 16 KiB, past the 4 MB that
    // wakes the checkpointer and short of the 1,000 pages it once counted.
    writePages(db, 1500);
    CHECK(db.queryInt64("PRAGMA page_count") < 1000);
    CHECK(waitFor([&] { return db.backgroundCheckpoints() >= 1; }));
}

TEST_CASE("a database closes at once while its checkpointer is busy, and memory databases have none") {
    test::TempDir dir;
    OpenOptions options;
    options.backgroundCheckpoint = true;
    for (int round = 0; round < 3; ++round) {
        Database db((dir / ("d" + std::to_string(round) + ".db")).string(), options);
        writePages(db, 1100); // the last commits wake the thread; the destructor stops and joins it
    }
    Database memory(":memory:", options);
    writePages(memory, 1100);
    CHECK(memory.backgroundCheckpoints() == 0);
    for (int round = 0; round < 3; ++round) {
        Database db((dir / ("d" + std::to_string(round) + ".db")).string());
        CHECK(db.queryInt64("SELECT count(*) FROM blob") == 1100);
        CHECK(db.integrityCheck() == "ok");
    }
}

TEST_CASE("a value that decides a partial index is planned once when written into the text (sqlText)") {
    Database db = Database::memory();
    db.exec("CREATE TABLE r (c TEXT NOT NULL, k TEXT NOT NULL, v INTEGER);"
            "CREATE INDEX r_open ON r(k, v) WHERE c = 'referral' OR c = 'alert';"
            "INSERT INTO r VALUES ('referral', 'a', 1), ('alert', 'a', 2), ('it''s', 'a', 3), ('referral', 'b', 4);");
    auto reprepares = [&](const std::string& sql) {
        return sqlite3_stmt_status(db.cached(sql)->handle(), SQLITE_STMTSTATUS_REPREPARE, 0);
    };
    // Bound, the collection makes SQLite plan the statement again after each binding.
    const std::string bound = "SELECT count(*) FROM r INDEXED BY r_open WHERE c = ?1 AND k = ?2 AND (c = 'referral' OR c = 'alert')";
    for (int i = 0; i < 5; ++i) {
        auto q = db.cached(bound);
        q->bindAll("referral", "a");
        REQUIRE(q->step());
        CHECK(q->getInt64(0) == 1);
    }
    CHECK(reprepares(bound) >= 4);
    // In the text, it is planned once, whatever the other bindings.
    const std::string inText = "SELECT count(*) FROM r INDEXED BY r_open WHERE c = " + sqlText("referral") +
                               " AND k = ?1 AND (c = 'referral' OR c = 'alert')";
    for (int i = 0; i < 5; ++i) {
        auto q = db.cached(inText);
        q->bind(1, i % 2 ? "a" : "b");
        REQUIRE(q->step());
        CHECK(q->getInt64(0) == 1);
    }
    CHECK(reprepares(inText) == 0);
    // A quote in the value is written as SQL writes it, and matches the value stored.
    CHECK(sqlText("it's") == "'it''s'");
    CHECK(sqlText("") == "''");
    CHECK(db.queryInt64("SELECT v FROM r WHERE c = " + sqlText("it's")).value_or(0) == 3);
    CHECK(db.queryText("SELECT " + sqlText("'; DROP TABLE r; --")).value_or("") == "'; DROP TABLE r; --");
    CHECK(db.queryInt64("SELECT count(*) FROM r").value_or(0) == 4);
}

TEST_CASE("asking for a load's pages to be written out early changes nothing that is kept or taken back") {
    test::TempDir dir;
    const std::string path = (dir / "w.db").string();
    Database db(path, OpenOptions{.cacheSizeKiB = 64}); // a small cache: the load spills into the file
    db.exec("CREATE TABLE t (v TEXT NOT NULL)");
    const std::string text(4000, 'x');
    auto load = [&](int rows, bool keep) {
        ExclusiveLoad exclusive(db);
        Transaction txn(db);
        auto insert = db.prepare("INSERT INTO t VALUES (?1)");
        for (int i = 0; i < rows; ++i) {
            insert.bind(1, text + std::to_string(i));
            insert.exec();
            insert.reset();
            if (i % 500 == 0) db.startWriteback();
        }
        db.startWriteback();
        if (keep) txn.commit();
    };
    load(2000, true);
    load(3000, false); // spilled into the file, written out, and rolled back
    CHECK(db.queryInt64("SELECT count(*) FROM t") == 2000);
    CHECK(db.queryText("PRAGMA integrity_check") == "ok");
    Database reopened(path);
    CHECK(reopened.queryInt64("SELECT count(*) FROM t") == 2000);
    CHECK(reopened.queryInt64("SELECT count(DISTINCT v) FROM t") == 2000);
    Database memory(":memory:"); // nothing to write out
    memory.startWriteback();
}

TEST_CASE("an exclusive load writes with a rollback journal and goes back to WAL; it changes nothing when it cannot") {
    test::TempDir dir;
    const std::string path = (dir / "x.db").string();
    Database db(path);
    db.exec("CREATE TABLE t (v TEXT NOT NULL)");
    {
        ExclusiveLoad load(db);
        CHECK(load.active());
        CHECK(db.queryText("PRAGMA journal_mode") == "truncate");
        CHECK_FALSE(std::filesystem::exists(path + "-wal")); // checkpointed and gone
        {
            Transaction txn(db);
            db.exec("INSERT INTO t VALUES ('a')");
            txn.commit();
        }
        {
            Transaction failed(db);
            db.exec("INSERT INTO t VALUES ('b')");
            CHECK_THROWS_AS(db.exec("INSERT INTO t VALUES (NULL)"), Error);
        } // not committed: rolled back whole
    }
    CHECK(db.queryText("PRAGMA journal_mode") == "wal");
    CHECK(db.queryInt64("SELECT count(*) FROM t") == 1);
    {
        // Another connection has the file open (and has read it): the mode stays WAL, the load works.
        Database other(path);
        CHECK(other.queryInt64("SELECT count(*) FROM t") == 1);
        ExclusiveLoad load(db);
        CHECK_FALSE(load.active());
        CHECK(db.queryText("PRAGMA journal_mode") == "wal");
        db.exec("INSERT INTO t VALUES ('c')");
        CHECK(other.queryInt64("SELECT count(*) FROM t") == 2);
    }
    {
        Transaction txn(db); // inside a transaction the mode cannot change
        ExclusiveLoad load(db);
        CHECK_FALSE(load.active());
        txn.commit();
    }
    auto memory = Database::memory();
    CHECK_FALSE(ExclusiveLoad(memory).active());
    Database reopened(path);
    CHECK(reopened.queryInt64("SELECT count(*) FROM t") == 2);
    CHECK(reopened.integrityCheck() == "ok");
}

// ------------------------------------------------------------------------------ packed R*Tree

namespace {

// Boxes scattered over a region the size of England and Wales, a few of them points.
std::vector<RtreeBox> someBoxes(size_t n, uint64_t seed) {
    std::vector<RtreeBox> boxes;
    uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    auto unit = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    for (size_t i = 0; i < n; ++i) {
        const double lat = 50.0 + 5.5 * unit(), lon = -5.5 + 7.0 * unit();
        const double h = i % 7 == 0 ? 0.0 : 0.2 * unit(), w = i % 7 == 0 ? 0.0 : 0.3 * unit();
        boxes.push_back({static_cast<int64_t>(3 * i + 1 + (seed % 3)), lat, lat + h, lon, lon + w});
    }
    return boxes;
}

void makeTree(Database& db, const std::string& name) {
    db.exec("CREATE VIRTUAL TABLE " + name + " USING rtree(id, min_lat, max_lat, min_lon, max_lon)");
}

void insertRows(Database& db, const std::string& table, const std::vector<RtreeBox>& boxes) {
    auto insert = db.prepare("INSERT INTO " + table + " VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const auto& b : boxes) {
        insert.bindAll(b.id, b.min0, b.max0, b.min1, b.max1);
        insert.exec();
        insert.reset();
    }
}

std::string rowsOf(Database& db, const std::string& table) {
    return db
        .queryText("SELECT group_concat(r, ';') FROM (SELECT printf('%d %!.9g %!.9g %!.9g %!.9g', id, min_lat, "
                   "max_lat, min_lon, max_lon) AS r FROM " +
                   table + " ORDER BY id)")
        .value_or("");
}

// The ids each window finds, for windows from a point to most of the region.
std::vector<std::string> windowsOf(Database& db, const std::string& table) {
    std::vector<std::string> out;
    auto q = db.prepare("SELECT group_concat(id, ',') FROM (SELECT id FROM " + table +
                        " WHERE max_lat >= ?1 AND min_lat <= ?2 AND max_lon >= ?3 AND min_lon <= ?4 ORDER BY id)");
    for (const auto& w : someBoxes(60, 99)) {
        const double grow = static_cast<double>(w.id % 5) * 0.4;
        q.bindAll(w.min0 - grow, w.max0 + grow, w.min1 - grow, w.max1 + grow);
        q.step();
        out.push_back(q.isNull(0) ? "" : q.getText(0));
        q.reset();
    }
    return out;
}

} // namespace

TEST_CASE("an empty R*Tree packed in one pass holds, finds and takes changes as one filled row by row") {
    test::TempDir dir;
    Database db((dir / "geo.db").string());
    // No box, one, a root leaf full (51), one more (two levels), 1,500 (two), 6,000 (three).
    for (size_t n : {size_t{0}, size_t{1}, size_t{51}, size_t{52}, size_t{1500}, size_t{6000}}) {
        CAPTURE(n);
        db.exec("DROP TABLE IF EXISTS packed; DROP TABLE IF EXISTS rowwise");
        makeTree(db, "packed");
        makeTree(db, "rowwise");
        const auto boxes = someBoxes(n, n);
        {
            Transaction txn(db);
            CHECK(packRtree(db, "main", "packed", boxes));
            txn.commit();
        }
        insertRows(db, "rowwise", boxes);
        CHECK(db.queryText("SELECT rtreecheck('packed')") == "ok");
        CHECK(db.queryInt64("SELECT count(*) FROM packed") == static_cast<int64_t>(n));
        // Every coordinate stored as an INSERT stores it (rounded outwards to a float).
        CHECK(rowsOf(db, "packed") == rowsOf(db, "rowwise"));
        CHECK(windowsOf(db, "packed") == windowsOf(db, "rowwise"));
        const int64_t depth = db.queryInt64("SELECT rtreedepth(data) FROM packed_node WHERE nodeno = 1").value_or(-1);
        CHECK(depth == (n <= 51 ? 0 : n <= 45 * 51 ? 1 : 2));
        // Nodes hold 45 of the 51 cells they have room for: 6,000 boxes in 134 leaves, 3 nodes
        // above them and the root; row by row leaves them about two thirds full.
        if (n == 6000) {
            CHECK(db.queryInt64("SELECT count(*) FROM packed_node") == 134 + 3 + 1);
            CHECK(db.queryInt64("SELECT count(*) FROM rowwise_node") > 138);
        }

        // The module goes on from there: inserts, moves and deletes, in the same transaction and after.
        auto more = someBoxes(300, n + 7);
        for (auto& b : more)
            b.id = 1000000 + b.id;
        {
            Transaction txn(db);
            insertRows(db, "packed", more);
            insertRows(db, "rowwise", more);
            for (const char* table : {"packed", "rowwise"}) {
                db.exec(std::string("DELETE FROM ") + table + " WHERE id % 4 = 0");
                db.exec(std::string("UPDATE ") + table +
                        " SET min_lat = min_lat - 0.5, max_lat = max_lat + 0.1 WHERE id % 5 = 0");
            }
            txn.commit();
        }
        CHECK(db.queryText("SELECT rtreecheck('packed')") == "ok");
        CHECK(rowsOf(db, "packed") == rowsOf(db, "rowwise"));
        CHECK(windowsOf(db, "packed") == windowsOf(db, "rowwise"));
        // And another connection reads it as it finds it on disk.
        Database other((dir / "geo.db").string());
        CHECK(other.queryText("SELECT rtreecheck('packed')") == "ok");
        CHECK(windowsOf(other, "packed") == windowsOf(db, "rowwise"));
    }
}

TEST_CASE("packing an R*Tree refuses what is not an empty two-dimensional rtree, and bad boxes leave it empty") {
    test::TempDir dir;
    Database db((dir / "geo.db").string());
    makeTree(db, "geo");
    const auto boxes = someBoxes(500, 3);

    SUBCASE("a table that holds rows: false, and nothing changes") {
        insertRows(db, "geo", {boxes[0]});
        const std::string before = rowsOf(db, "geo");
        CHECK_FALSE(packRtree(db, "main", "geo", boxes));
        CHECK(rowsOf(db, "geo") == before);
        CHECK(db.queryText("SELECT rtreecheck('geo')") == "ok");
    }
    SUBCASE("not an rtree, integer coordinates, three dimensions, no such table: false") {
        db.exec("CREATE TABLE plain (id INTEGER PRIMARY KEY, a, b, c, d)");
        db.exec("CREATE VIRTUAL TABLE ints USING rtree_i32(id, a, b, c, d)");
        db.exec("CREATE VIRTUAL TABLE cube USING rtree(id, a, b, c, d, e, f)");
        for (const char* table : {"plain", "ints", "cube", "missing"}) {
            CAPTURE(table);
            CHECK_FALSE(packRtree(db, "main", table, boxes));
        }
        CHECK(db.queryInt64("SELECT count(*) FROM ints") == 0);
        CHECK(db.queryInt64("SELECT count(*) FROM cube") == 0);
    }
    SUBCASE("a repeated id, a minimum above its maximum, a coordinate that is no number: an error, the tree empty") {
        auto twice = boxes;
        twice.push_back(boxes[17]);
        auto inverted = boxes;
        std::swap(inverted[40].min1, inverted[40].max1);
        inverted[40].min1 += 1.0;
        auto nan = boxes;
        nan[300].max0 = std::numeric_limits<double>::quiet_NaN();
        auto inf = boxes;
        inf[2].min1 = -std::numeric_limits<double>::infinity();
        for (const auto* bad : {&twice, &inverted, &nan, &inf}) {
            Transaction txn(db);
            CHECK_THROWS_AS(packRtree(db, "main", "geo", *bad), Error);
            txn.commit();
            CHECK(db.queryInt64("SELECT count(*) FROM geo") == 0);
            CHECK(db.queryInt64("SELECT count(*) FROM geo_node") == 1);
            CHECK(db.queryText("SELECT rtreecheck('geo')") == "ok");
        }
        try {
            packRtree(db, "main", "geo", twice);
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("given twice") != std::string::npos);
        }
        CHECK(packRtree(db, "main", "geo", boxes)); // the good boxes still go in after
        CHECK(db.queryInt64("SELECT count(*) FROM geo") == 500);
    }
    SUBCASE("rolled back with the caller's transaction; emptied whole by clearRtree") {
        {
            Transaction txn(db);
            CHECK(packRtree(db, "main", "geo", boxes));
            CHECK(db.queryInt64("SELECT count(*) FROM geo") == 500);
        } // rolled back
        CHECK(db.queryInt64("SELECT count(*) FROM geo") == 0);
        CHECK(db.queryText("SELECT rtreecheck('geo')") == "ok");
        CHECK(packRtree(db, "main", "geo", boxes));
        clearRtree(db, "main", "geo");
        CHECK(db.queryInt64("SELECT count(*) FROM geo") == 0);
        CHECK(db.queryInt64("SELECT count(*) FROM geo_node") == 1);
        CHECK(db.queryText("SELECT rtreecheck('geo')") == "ok");
        insertRows(db, "geo", {boxes[3], boxes[4]}); // an ordinary empty tree again
        CHECK(db.queryInt64("SELECT count(*) FROM geo WHERE max_lat >= 0") == 2);
        CHECK(packRtree(db, "main", "geo", boxes) == false);
    }
    SUBCASE("in an attached database, named by its schema") {
        db.exec("ATTACH '" + (dir / "other.db").string() + "' AS other");
        db.exec("CREATE VIRTUAL TABLE other.geo USING rtree(id, a, b, c, d)");
        CHECK(packRtree(db, "other", "geo", boxes));
        CHECK(db.queryInt64("SELECT count(*) FROM other.geo") == 500);
        CHECK(db.queryInt64("SELECT count(*) FROM main.geo") == 0);
        CHECK(db.queryText("SELECT rtreecheck('other', 'geo')") == "ok");
    }
}

TEST_CASE("FTS5's own tokenizer splits text as an index with that tokenizer does") {
    db::Database db(":memory:");
    db.exec("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2', detail = column);"
            "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row');");
    db::FtsTokenizer tokenizer(db, "unicode61 remove_diacritics 2");
    // Latin with Welsh accents, punctuation FTS5 treats as a break though it sits between letters
    // (a full-width comma, a Greek ano teleia), a private-use mark (a letter to unicode61), digits.
    const std::vector<std::string> texts{"Tŷ Newydd, Caerdydd",
                                         "tenancy\uFF0Crescue arrears\u0387paperwork",
                                         "\uE001fhub in\uE001x",
                                         "Café-Crème 24/7",
                                         "  ",
                                         "ŴŶÂ ÔÊ"};
    for (const auto& text : texts) {
        CAPTURE(text);
        db.exec("DELETE FROM t");
        auto insert = db.prepare("INSERT INTO t (x) VALUES (?1)");
        insert.bind(1, text);
        insert.exec();
        std::vector<std::string> indexed;
        auto vocab = db.prepare("SELECT term FROM v ORDER BY term");
        while (vocab.step())
            indexed.push_back(vocab.getText(0));
        auto split = tokenizer.tokenize(text, db::FtsTokenizer::Purpose::Document);
        std::sort(split.begin(), split.end());
        split.erase(std::unique(split.begin(), split.end()), split.end());
        CHECK(split == indexed);
    }
    // Each token comes with where it ends in the text.
    std::vector<std::pair<std::string, size_t>> seen;
    tokenizer.forEachToken("Tŷ Newydd,", db::FtsTokenizer::Purpose::Query,
                           [&](std::string_view token, size_t end) { seen.emplace_back(token, end); });
    CHECK(seen == std::vector<std::pair<std::string, size_t>>{{"ty", 3}, {"newydd", 10}});
    // What the visitor throws comes out whole, and the tokenizer still works after it.
    CHECK_THROWS_WITH(tokenizer.forEachToken("one two", db::FtsTokenizer::Purpose::Query,
                                             [](std::string_view, size_t) { throw std::runtime_error("stop"); }),
                      "stop");
    CHECK(tokenizer.tokenize("one two", db::FtsTokenizer::Purpose::Query) == std::vector<std::string>{"one", "two"});
    // A tokenizer FTS5 does not have, or arguments it refuses, are errors.
    CHECK_THROWS_AS(db::FtsTokenizer(db, "nosuchtokenizer"), Error);
    CHECK_THROWS_AS(db::FtsTokenizer(db, "unicode61 remove_diacritics 9"), Error);
    CHECK_THROWS_AS(db::FtsTokenizer(db, ""), Error);
}
