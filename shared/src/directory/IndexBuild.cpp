#include "IndexBuild.hpp"
#include "signpost/directory/Marks.hpp"

#include "signpost/Error.hpp"
#include "signpost/db/RtreePack.hpp"

#include <sqlite3.h>

#include <atomic>
#include <string_view>
#include <unistd.h>

namespace signpost::directory {

// ------------------------------------------------------------------------------ IndexSpace

DirectoryStore::IndexSpace::IndexSpace(db::Database& db) : m_db(db) {
    if (db.inTransaction()) return;
    // A memdb database is shared by every connection of the process that opens the same name.
    static std::atomic<uint64_t> counter{0};
    m_uri = "file:/signpost-index-build-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "?vfs=memdb";
    try {
        auto attach = db.prepare(std::string("ATTACH ?1 AS ") + kSchema);
        attach.bind(1, m_uri);
        attach.exec();
        m_attached = true;
    } catch (const Error&) {
        // Another space on this connection, or no memdb: the load indexes as before.
    }
}

DirectoryStore::IndexSpace::~IndexSpace() {
    if (!m_attached || m_db.inTransaction()) return; // a caller's transaction: freed with the connection
    sqlite3_exec(m_db.handle(), (std::string("DETACH ") + kSchema).c_str(), nullptr, nullptr, nullptr);
}

namespace detail {

// ------------------------------------------------------------------------------ index rows

void insertIndexRows(db::Database& db, const DirectoryStore::IndexEntry& e) {
    insertTextRow(db, e);
    insertCardAndBox(db, e);
}

void insertTextRow(db::Database& db, const DirectoryStore::IndexEntry& e) {
    auto q = db.cached("INSERT INTO service_fts (rowid, name, description, organisation, keywords, tags) VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6)");
    q->bind(1, e.rowid);
    q->bindStaticTerminated(2, e.name).bindStaticTerminated(3, e.description).bindStaticTerminated(4, e.organisation);
    q->bindStaticTerminated(5, e.keywords).bindStaticTerminated(6, e.tags);
    q->exec();
}

void insertStagedText(db::Database& db, const DirectoryStore::IndexEntry& e) {
    static const std::string sql = std::string("INSERT INTO ") + IndexBuilder::kStage +
                                   " (id, c0, c1, c2, c3, c4) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    auto q = db.cached(sql);
    q->bind(1, e.rowid);
    q->bindStatic(2, e.name).bindStatic(3, e.description).bindStatic(4, e.organisation);
    q->bindStatic(5, e.keywords).bindStatic(6, e.tags);
    q->exec();
}

void insertCardAndBox(db::Database& db, const DirectoryStore::IndexEntry& e) {
    insertCard(db, e);
    insertBox(db, e);
}

void insertCard(db::Database& db, const DirectoryStore::IndexEntry& e) {
    {
        const auto& c = e.card;
        auto q = db.cached(R"sql(
INSERT INTO service_card (rowid, id, name, name_cy, organisation, organisation_cy, last_verified, welsh, women_only,
                          hub, co_located, high_risk_suitable, commissioning_route, town, postcode, areas, needs)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17))sql");
        q->bindAllStatic(e.rowid, c.id, c.name, c.nameCy, c.organisation, c.organisationCy, c.lastVerified, c.welsh,
                         c.womenOnly, c.hub, c.coLocated, c.highRisk, c.route, c.town, c.postcode, c.areas, c.needs);
        q->exec();
    }
}

namespace {
db::RtreeBox boxOf(const DirectoryStore::IndexEntry& e) {
    return {e.rowid, e.minLat, e.maxLat, e.minLon, e.maxLon};
}

void insertBoxRow(db::Database& db, const db::RtreeBox& b) {
    auto q = db.cached("INSERT INTO service_geo (id, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?3, ?4, ?5)");
    q->bindAll(b.id, b.min0, b.max0, b.min1, b.max1);
    q->exec();
}
} // namespace

void insertBox(db::Database& db, const DirectoryStore::IndexEntry& e) {
    if (e.located) insertBoxRow(db, boxOf(e));
}

void Boxes::add(const DirectoryStore::IndexEntry& e) {
    if (e.searchable && e.located) m_boxes.push_back(boxOf(e));
}

void Boxes::write(db::Database& db) {
    if (!db::packRtree(db, "main", "service_geo", m_boxes))
        for (const auto& b : m_boxes)
            insertBoxRow(db, b);
    m_boxes = {};
}

namespace {
// The dictionary, counted from the index: every word of the four text columns with
// how many services hold it (a service with the word in two columns counts twice: an estimate for
// IDF and completion order, never a filter). Tag tokens are not words anyone types, and are not
// read at all: they all begin with kTagMark, and fts5vocab reads only the terms within a range's
// bounds (the tags' long lists were an eighth of the count). Term '' holds the number of
// services indexed.
//
// The words before `split` are counted by the builder's thread, the rest by the writer's (see
// IndexBuilder::run and install); about half of English words begin before 'm'.
constexpr std::string_view kSplit = "m";

// Adds the words in [from, to) (to the end, if `to` is empty) with their counts to `out`.
void countWords(db::Database& db, std::string_view vocab, std::string_view from, std::string_view to,
                std::vector<std::pair<std::string, int64_t>>& out) {
    auto q = db.prepare("SELECT term, sum(doc) FROM " + std::string(vocab) + " WHERE term >= ?1" +
                        (to.empty() ? "" : " AND term < ?2") + " AND col <> 'tags' GROUP BY term");
    q.bind(1, from);
    if (!to.empty()) q.bind(2, to);
    while (q.step())
        out.emplace_back(q.getText(0), q.getInt64(1));
}

void insertWords(db::Database& db, std::string_view table, const std::vector<std::pair<std::string, int64_t>>& words) {
    auto insert = db.prepare("INSERT INTO " + std::string(table) + " (term, docs) VALUES (?1, ?2)");
    for (const auto& [term, docs] : words) {
        insert.bind(1, term).bind(2, docs);
        insert.exec();
        insert.reset();
    }
}
} // namespace

void rebuildTermDictionary(db::Database& db) {
    std::vector<std::pair<std::string, int64_t>> terms;
    countWords(db, "service_vocab", "", kTagMark, terms);
    countWords(db, "service_vocab", kAfterTagMarks, "", terms);
    terms.emplace_back("", db.queryInt64("SELECT count(*) FROM service_fts").value_or(0));
    db.exec("DELETE FROM search_term");
    insertWords(db, "search_term", terms);
}

// ------------------------------------------------------------------------------ IndexBuilder

namespace {
// What the builder makes of the index: the FTS table (with the shadow tables it keeps) and its
// vocabulary view, which the dictionary is counted from. The dictionary it counts into memory;
// the writer writes the cards and packs the boxes (Boxes).
constexpr const char* kBuiltTables[] = {"service_fts", "service_vocab"};
constexpr const char* kRebuiltTables[] = {"service_fts"};
constexpr size_t kHandOver = 256;                     // entries handed to the thread at a time
} // namespace

bool IndexBuilder::indexEmpty(db::Database& db, bool cards) {
    return db.queryInt64(std::string(cards ? "SELECT NOT EXISTS (SELECT 1 FROM main.service_card) AND " : "SELECT ") +
                         "NOT EXISTS (SELECT 1 FROM main.service_fts) AND NOT EXISTS (SELECT 1 FROM main.service_geo)")
               .value_or(0) != 0;
}

void IndexBuilder::dropStage(db::Database& db) {
    db.exec(std::string("DROP TABLE IF EXISTS ") + kStage);
}

bool IndexBuilder::stagedAll(db::Database& db) const {
    return db.queryInt64(std::string("SELECT count(*) FROM ") + kStage).value_or(-1) == m_rows;
}

void IndexBuilder::lockDirectory(db::Database& db) {
    // A statement that writes nothing still begins a write transaction, on main alone.
    db.cached("UPDATE main.meta SET value = value WHERE 0")->exec();
}

std::unique_ptr<IndexBuilder> IndexBuilder::start(db::Database& db, DirectoryStore::IndexSpace& space) {
    if (!space.available() || &space.m_db != &db || !db.inTransaction()) return nullptr;
    // A transaction begun IMMEDIATE holds the space's write lock too: the builder could not write.
    if (sqlite3_txn_state(db.handle(), DirectoryStore::IndexSpace::kSchema) != SQLITE_TXN_NONE) return nullptr;
    // The directory's write lock first, before anything is read, as BEGIN IMMEDIATE would take it.
    lockDirectory(db);
    if (!indexEmpty(db)) return nullptr;
    std::map<std::string, std::string> tables;
    std::string content;
    {
        auto q = db.prepare("SELECT name, sql FROM main.sqlite_schema WHERE name = ?1");
        for (const char* name : kBuiltTables) {
            q.bind(1, name);
            if (!q.step()) return nullptr;
            tables[name] = q.getText(1);
            q.reset();
        }
        q.bind(1, std::string(kContentTable));
        if (!q.step()) return nullptr;
        content = q.getText(1);
    }
    // The builder's FTS table keeps no copy of the text (content=''), only the index: the text
    // is the writer's to stage, in a table of the FTS content table's own definition.
    std::map<std::string, std::string> mainTables = tables;
    std::string& fts = tables.at("service_fts");
    const size_t close = fts.rfind(')');
    const size_t open = content.find('(');
    if (close == std::string::npos || open == std::string::npos) return nullptr;
    fts.insert(close, ", content = ''");
    dropStage(db);
    db.exec(std::string("CREATE TABLE ") + kStage + content.substr(open));
    space.m_used = true;
    return std::make_unique<IndexBuilder>(space.m_uri, std::move(tables), std::move(mainTables));
}

IndexBuilder::IndexBuilder(std::string uri, std::map<std::string, std::string> tables,
                           std::map<std::string, std::string> mainTables)
    : m_uri(std::move(uri)), m_tables(std::move(tables)), m_mainTables(std::move(mainTables)) {
    m_local.reserve(kHandOver);
    m_thread = std::thread([this] { run(); });
}

IndexBuilder::~IndexBuilder() {
    stop();
}

void IndexBuilder::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable()) m_thread.join();
}

void IndexBuilder::offer(const DirectoryStore::IndexEntry& entry) {
    if (m_givenUp) return;
    if (m_offered > 0 && entry.rowid <= m_lastRowid) {
        m_givenUp = true;
        m_local.clear();
        stop();
        return;
    }
    m_lastRowid = entry.rowid;
    ++m_offered;
    m_local.push_back(&entry);
    if (m_local.size() >= kHandOver) flush();
}

void IndexBuilder::flush() {
    if (m_local.empty()) return;
    {
        std::lock_guard lock(m_mutex);
        m_queue.insert(m_queue.end(), m_local.begin(), m_local.end());
    }
    m_local.clear();
    m_wake.notify_one();
}

void IndexBuilder::close() {
    if (m_givenUp) return;
    flush();
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    m_wake.notify_one();
}

bool IndexBuilder::tablesBuilt() {
    if (m_givenUp) return false;
    close();
    std::unique_lock lock(m_mutex);
    m_built.wait(lock, [&] { return m_state != State::Building; });
    return m_state == State::TablesBuilt;
}

namespace {

// An import's entries are offered in rowid order, not the order the reading threads made them
// in, so each one's text (about 700 bytes in five strings) is somewhere else in a heap of 100 MB
// and no longer in any cache: FTS5 waited on memory for every row. The text of the row eight ahead
// is asked for while this one is tokenized (an import 0.96x, docs/benchmarks.md).
constexpr size_t kPrefetchAhead = 8;

void prefetchText(const DirectoryStore::IndexEntry& entry) {
    for (const std::string* text : {&entry.name, &entry.description, &entry.organisation, &entry.keywords, &entry.tags})
        for (size_t at = 0; at < text->size(); at += 64) // a cache line
            __builtin_prefetch(text->data() + at);
}

} // namespace

void IndexBuilder::run() {
    try {
        db::OpenOptions options;
        options.wal = false;
        options.synchronousFull = false;
        options.cacheSizeKiB = 8 * 1024; // the database is in memory already
        db::Database db(m_uri, options);
        // Nothing here is ever rolled back: a failed build is dropped whole.
        db.exec("PRAGMA journal_mode = OFF");
        for (const char* name : kBuiltTables)
            db.exec(m_tables.at(name));
        // As BulkWrite::finish sets them for a large load: segments merged once, at the end.
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('automerge', 0)");
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('hashsize', " + std::to_string(kBulkHashBytes) +
                ")");
        db.exec("BEGIN");
        std::vector<const DirectoryStore::IndexEntry*> batch;
        for (;;) {
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return !m_queue.empty() || m_closed || m_stopped; });
                if (m_stopped) { // given up: the open transaction goes with the connection
                    m_state = State::Failed;
                    return;
                }
                if (m_queue.empty()) break; // closed, and everything offered is indexed
                batch.swap(m_queue);
            }
            for (size_t i = 0; i < batch.size(); ++i) {
                if (i + kPrefetchAhead < batch.size()) prefetchText(*batch[i + kPrefetchAhead]);
                const auto* entry = batch[i];
                if (!entry->searchable) continue;
                insertTextRow(db, *entry);
                ++m_rows;
            }
            batch.clear();
        }
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('optimize')");
        db.exec("COMMIT");
        setState(State::TablesBuilt);
        // The dictionary's first words are counted here (reading only) while the writer copies
        // the tables; it counts the rest from its copy (install).
        std::vector<std::pair<std::string, int64_t>> terms;
        countWords(db, "service_vocab", "", kSplit, terms);
        terms.emplace_back("", m_rows); // the number of services (a contentless table cannot count)
        m_terms = std::move(terms);
        m_termsCounted = true;
    } catch (const std::exception&) {
        setState(State::Failed); // no effect once the tables are built: the writer counts the words
    }
}

void IndexBuilder::setState(State state) {
    {
        std::lock_guard lock(m_mutex);
        if (m_state == State::Building) m_state = state;
    }
    m_built.notify_all();
}

void IndexBuilder::install(db::Database& db) {
    const std::string space = DirectoryStore::IndexSpace::kSchema;
    auto shadowTables =
        db.prepare("SELECT name FROM " + space +
                   ".sqlite_schema WHERE type = 'table' AND substr(name, 1, length(?1) + 1) = ?1 || '_' "
                   "AND name <> ?1 || '_config' ORDER BY name");
    for (const char* table : kRebuiltTables) {
        db.exec(std::string("DROP TABLE main.") + table);
        db.exec(m_mainTables.at(table));              // unqualified: made in main
        if (std::string_view(table) == "service_fts") // the text the writer staged, renamed in place
            db.exec(std::string("DROP TABLE main.") + kContentTable + "; ALTER TABLE " + kStage + " RENAME TO " +
                    kContentTable);
        std::vector<std::string> names;
        shadowTables.bind(1, table);
        while (shadowTables.step())
            names.push_back(shadowTables.getText(0));
        shadowTables.reset();
        for (const auto& name : names)
            db.exec("DELETE FROM main." + name + "; INSERT INTO main." + name + " SELECT * FROM " + space + "." + name);
    }
    // The dictionary: the words from the split on counted here from the copy, the first ones by
    // the thread meanwhile (or here too, if it could not).
    std::vector<std::pair<std::string, int64_t>> rest;
    countWords(db, "main.service_vocab", kSplit, kTagMark, rest);
    countWords(db, "main.service_vocab", kAfterTagMarks, "", rest);
    if (m_thread.joinable()) m_thread.join();
    if (!m_termsCounted) {
        rebuildTermDictionary(db);
        return;
    }
    db.exec("DELETE FROM main.search_term");
    insertWords(db, "main.search_term", m_terms);
    insertWords(db, "main.search_term", rest);
}

} // namespace detail
} // namespace signpost::directory
