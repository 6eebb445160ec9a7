#pragma once
// The search index's rows, written by DirectoryStore and by the builder that makes them on a
// second connection during a large load (docs/search.md, "The index built beside the rows").
#include "signpost/db/RtreePack.hpp"
#include "signpost/directory/DirectoryStore.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace signpost::directory::detail {

// FTS5's in-memory index size for a large load (its default is 1 MiB): room for about 140,000
// services, so such a load writes one segment and merges nothing (BulkWrite::finish).
inline constexpr int64_t kBulkHashBytes = 64 * 1024 * 1024;

// What search keeps for one entry: its FTS row (insertTextRow), result card and location box
// (insertCardAndBox); insertIndexRows writes all three.
void insertIndexRows(db::Database& db, const DirectoryStore::IndexEntry& entry);
void insertTextRow(db::Database& db, const DirectoryStore::IndexEntry& entry);
// The FTS row's text into the builder's stage (IndexBuilder::kStage), for install() to make the
// FTS table's content.
void insertStagedText(db::Database& db, const DirectoryStore::IndexEntry& entry);
void insertCardAndBox(db::Database& db, const DirectoryStore::IndexEntry& entry);
void insertCard(db::Database& db, const DirectoryStore::IndexEntry& entry);
void insertBox(db::Database& db, const DirectoryStore::IndexEntry& entry);

// A large load's location boxes, gathered and then written at once: packed into the R*Tree in
// one pass if it is empty (db::packRtree: a tenth of the time of 90,000 inserts), or inserted row
// by row if it is not.
class Boxes {
public:
    void add(const DirectoryStore::IndexEntry& entry); // a searchable entry with a location
    void write(db::Database& db);                      // and forgets them

private:
    std::vector<db::RtreeBox> m_boxes;
};

// search_term (the dictionary type-ahead completes against) from the FTS index, in one pass.
void rebuildTermDictionary(db::Database& db);

// Builds the index of a load on a thread and connection of its own, into the attached
// IndexSpace, from the entries the writer queues (DirectoryStore::m_pending, whose elements
// never move). The writer offers each entry as it queues it; the first that is not above the
// last one's rowid ends the build (FTS5 takes rows in rowid order, and a repeated rowid would
// need the earlier one removed), and the load goes back to indexing from the queue.
//
// It builds the FTS table as entries are offered, while the writer writes each entry's result
// card (and, for install(), its text) and gathers its box (Boxes) for one packed R*Tree at the
// end: a seed offers entries as it queues them (in rowid order already), an import once its
// entries are sorted at its end. Once the tables are committed, it counts the dictionary into
// memory while the writer copies them (install()).
//
// The FTS table it builds keeps no copy of the text (content = ''): only the index, which is
// the same bytes either way. The writer stages each entry's text, as it writes its card, in a
// table of the FTS content table's own definition (kStage, in the directory's database), and
// install() renames that into place: the text (80 MB for 100,000 services) is written once,
// where the builder wrote it and the writer copied it again.
class IndexBuilder {
public:
    static constexpr const char* kStage = "main.signpost_fts_staged";
    static constexpr const char* kContentTable = "service_fts_content";
    // Null unless `space` is available, no transaction holds it, and `db`'s index is empty.
    // Takes `db`'s write lock (its transaction must have begun, DEFERRED).
    static std::unique_ptr<IndexBuilder> start(db::Database& db, DirectoryStore::IndexSpace& space);
    // Takes the write lock of `db`'s main database alone, as BEGIN IMMEDIATE would take it for
    // every attached one: a DEFERRED transaction that will write calls this before it reads.
    static void lockDirectory(db::Database& db);
    IndexBuilder(std::string uri, std::map<std::string, std::string> tables,
                 std::map<std::string, std::string> mainTables);
    ~IndexBuilder(); // stops and joins the thread; what it built is left for the space to drop
    IndexBuilder(const IndexBuilder&) = delete;
    IndexBuilder& operator=(const IndexBuilder&) = delete;

    // The writer's thread.
    void offer(const DirectoryStore::IndexEntry& entry);
    // Nothing more will be offered; the thread goes on with what it has.
    void close();
    // Waits for the thread to have built and committed the tables of everything offered (it then
    // counts the dictionary, which install() waits for). True if it did, with nothing given up.
    bool tablesBuilt();
    size_t offered() const { return m_offered; }
    // Whether an entry out of order ended the build (the writer's thread; does not wait).
    bool givenUp() const { return m_givenUp; }
    // Replaces `db`'s empty FTS table and dictionary with the ones
    // built, inside `db`'s transaction (the dictionary last, once the thread has counted it):
    // the virtual tables are dropped and made again, so no state a connection cached of the
    // empty ones outlives them, and the shadow tables the builder wrote are copied under them
    // (the same SQLite, the same definitions: the same format). Only after tablesBuilt().
    void install(db::Database& db);

    // Whether the stage holds a row for each one built (after tablesBuilt()).
    bool stagedAll(db::Database& db) const;
    // Drops the stage: a load that indexes from its queue after all (start() makes it).
    static void dropStage(db::Database& db);

    // Whether `db`'s search index holds nothing (but for the result cards, with `cards` false).
    static bool indexEmpty(db::Database& db, bool cards = true);

private:
    void run();
    void flush();
    void stop();

    std::string m_uri;
    std::map<std::string, std::string> m_tables;     // name -> CREATE statement, as the builder makes it
    std::map<std::string, std::string> m_mainTables; // … as `db` has it
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<const DirectoryStore::IndexEntry*> m_queue; // guarded by m_mutex
    bool m_closed = false;                                  // guarded by m_mutex
    bool m_stopped = false;                                 // guarded by m_mutex
    enum class State { Building, TablesBuilt, Failed };
    void setState(State state);
    State m_state = State::Building; // guarded by m_mutex
    std::condition_variable m_built;
    // Set by the thread before it ends: the dictionary (term, services).
    std::vector<std::pair<std::string, int64_t>> m_terms;
    bool m_termsCounted = false;
    int64_t m_rows = 0; // FTS rows written (the thread's, read after tablesBuilt())
    // The writer's side.
    std::vector<const DirectoryStore::IndexEntry*> m_local;
    size_t m_offered = 0;
    int64_t m_lastRowid = 0;
    bool m_givenUp = false;
};

} // namespace signpost::directory::detail
