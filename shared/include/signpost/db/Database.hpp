#pragma once
// RAII SQLite layer (after SQLiteCpp and couchbase-lite-core's SQLite_Internal): a Database owns
// the connection, Statements finalize themselves, cached statements come back reset and unbound,
// and every failure throws signpost::Error carrying SQLite's extended result code.
//
// One Database is used by one thread at a time (the connection is opened NOMUTEX); threads that
// need the same file each open their own connection, which WAL mode makes cheap.
#include "signpost/Error.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace signpost::db {

class Database;

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding: indexes are 1-based as in SQLite. Text is copied (SQLITE_TRANSIENT) unless
    // bindStatic is used for storage that outlives the step.
    Statement& bind(int index, std::nullptr_t);
    Statement& bind(int index, int value);
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, bool value) { return bind(index, value ? 1 : 0); }
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const char* value) { return value ? bind(index, std::string_view(value)) : bind(index, nullptr); }
    Statement& bindBlob(int index, const void* data, size_t size);
    Statement& bindStatic(int index, std::string_view value);
    // The same for a std::string, with SQLite told the text ends in a NUL (when it holds no other):
    // what reads the value as C text (FTS5 reads every column it indexes so) then takes it where
    // it is instead of copying it to add one (a sixth of a text index build's time).
    Statement& bindStaticTerminated(int index, const std::string& value);
    template <typename T> Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }
    Statement& bind(const char* name, auto&& value) { return bind(parameterIndex(name), value); }
    // bindAll(a, b, c) binds ?1, ?2, ?3.
    template <typename... Args> Statement& bindAll(Args&&... args) {
        int i = 0;
        (bind(++i, std::forward<Args>(args)), ...);
        return *this;
    }
    // The same, with text (std::string, optional or view) bound in place, not copied: for the
    // bulk paths, where every value outlives the statement's run. A copy per text value was a
    // malloc and a free each; a service row binds fifteen.
    template <typename... Args> Statement& bindAllStatic(const Args&... args) {
        int i = 0;
        (bindInPlace(++i, args), ...);
        return *this;
    }
    int parameterIndex(const char* name) const;
    Statement& bindInPlace(int index, const std::string& value) { return bindStatic(index, value); }
    Statement& bindInPlace(int index, std::string_view value) { return bindStatic(index, value); }
    Statement& bindInPlace(int index, const std::optional<std::string>& value) {
        return value ? bindStatic(index, *value) : bind(index, nullptr);
    }
    Statement& bindInPlace(int index, const std::optional<std::string_view>& value) {
        return value ? bindStatic(index, *value) : bind(index, nullptr);
    }
    template <typename T> Statement& bindInPlace(int index, const T& value) { return bind(index, value); }

    // step(): true when a row is ready, false when done. Throws on error.
    bool step();
    // exec(): run to completion; returns sqlite3_changes().
    int exec();
    void reset();          // reset and clear bindings
    void resetKeepBindings();

    int columnCount() const;
    const char* columnName(int col) const;
    bool isNull(int col) const;
    int64_t getInt64(int col) const;
    int getInt(int col) const { return static_cast<int>(getInt64(col)); }
    bool getBool(int col) const { return getInt64(col) != 0; }
    double getDouble(int col) const;
    // The view is valid until the next step/reset; getText copies.
    std::string_view getTextView(int col) const;
    std::string getText(int col) const { return std::string(getTextView(col)); }
    std::optional<std::string> getOptText(int col) const;
    std::optional<int64_t> getOptInt64(int col) const;
    std::optional<double> getOptDouble(int col) const;
    std::vector<uint8_t> getBlob(int col) const;

    sqlite3_stmt* handle() const { return m_stmt; }
    const char* sql() const;

private:
    void check(int rc) const;
    sqlite3_stmt* m_stmt = nullptr;
    sqlite3* m_conn = nullptr; // the connection, for error messages; outlives the statement

};

// `text` as an SQL string literal ('it''s'), for a value written into a statement's text rather
// than bound. Only for values from a small fixed set (a collection name): SQLite re-plans, on
// every step after a new binding, a statement whose parameter decides whether a partial index
// applies (`collection = ?1` against an index `WHERE collection = 'referral'`), so such a
// statement is parsed again on each use. With the value in its text, the plan is made once and
// each value keeps its own cached statement.
std::string sqlText(std::string_view text);

// A cached statement on loan: reset and unbound when the loan ends, so the next user starts
// clean whatever happened (exceptions included). If the same SQL is already on loan (re-entrant
// use), the loan gets its own fresh statement instead of trampling the first.
class CachedStatement {
public:
    CachedStatement(Statement* cached, bool* inUse) : m_stmt(cached), m_inUse(inUse) {}
    explicit CachedStatement(Statement owned) : m_owned(std::make_unique<Statement>(std::move(owned))), m_stmt(m_owned.get()) {}
    ~CachedStatement();
    CachedStatement(CachedStatement&& other) noexcept;
    CachedStatement(const CachedStatement&) = delete;
    CachedStatement& operator=(const CachedStatement&) = delete;
    CachedStatement& operator=(CachedStatement&&) = delete;

    Statement* operator->() const { return m_stmt; }
    Statement& operator*() const { return *m_stmt; }

private:
    std::unique_ptr<Statement> m_owned;
    Statement* m_stmt = nullptr;
    bool* m_inUse = nullptr;
};

struct OpenOptions {
    bool readOnly = false;
    bool create = true;
    // WAL lets readers (the UI thread) run while a writer (sync, import) commits.
    bool wal = true;
    // FULL: a commit is on disk before we tell anyone (a referral draft or a queued op must
    // survive a power cut). Bulk loads are one transaction, so the cost is per load, not per row.
    bool synchronousFull = true;
    int busyTimeoutMs = 5000;
    // Page cache per connection. Bulk loads (seed, import, a first sync) touch far more than
    // SQLite's 2 MB default and would spill dirty pages to the WAL and read them back.
    int cacheSizeKiB = 64 * 1024;
    // Bytes of the file read through a memory map instead of read() calls (0: none). A type-ahead
    // query walks FTS5 doclists and result cards spread across the whole directory; through the
    // page cache alone every page it missed was a system call and a copy, which set the slowest
    // queries' time (docs/benchmarks.md). SQLite still writes with write(), and reads with read()
    // wherever a map cannot be made.
    int64_t mmapSizeBytes = 0;
    // Page size of a database made by this open (0: SQLite's, 4 KiB); a database that exists
    // keeps the one it was made with.
    int pageSizeBytes = 0;
    // WAL checkpoints on a thread of their own (file databases in WAL mode only). SQLite's
    // default copies the WAL back into the database inside whichever commit passes 1,000 pages,
    // so that commit (a sync round's results, a page pulled) pays for everyone's writes and an
    // fsync of the database file. Here the commit only wakes the checkpointer; a commit still
    // checkpoints itself if the WAL grows past kCheckpointBackstopBytes (the thread kept from
    // it by long readers), so the file stays bounded.
    bool backgroundCheckpoint = false;
};

// WAL bytes after which a commit wakes the background checkpointer, and after which the commit
// checkpoints itself (OpenOptions::backgroundCheckpoint): 1,000 and 16,000 pages of 4 KiB.
inline constexpr int64_t kCheckpointStartBytes = int64_t{1000} * 4096;
inline constexpr int64_t kCheckpointBackstopBytes = int64_t{16000} * 4096;

class Checkpointer;

class Database {
public:
    explicit Database(const std::string& path, OpenOptions options = {});
    static Database memory() { return Database(":memory:"); }
    ~Database();
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more SQL statements with no parameters and no results.
    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    CachedStatement cached(std::string_view sql);

    int64_t lastInsertRowid() const;
    // Sets what lastInsertRowid() answers until the next insert: 0 before an upsert tells an
    // insert (which sets it) from an update (which leaves it).
    void setLastInsertRowid(int64_t rowid);
    int changes() const;
    int userVersion();
    void setUserVersion(int version);
    bool inTransaction() const;
    bool tableExists(std::string_view name);
    std::string integrityCheck();

    // Convenience: first column of the first row, or nullopt when there is no row. The statement
    // is kept in the cache: these run on every sync round (outbox size, pending indexing).
    std::optional<int64_t> queryInt64(std::string_view sql);
    std::optional<std::string> queryText(std::string_view sql);

    const std::string& path() const { return m_path; }
    sqlite3* handle() const { return m_db.get(); }
    // Checkpoints the background checkpointer has run that copied pages back (0 without one): for
    // tests and benchmarks.
    uint64_t backgroundCheckpoints() const;
    // How many times SQLite has prepared the cached statements again since they were first
    // prepared (SQLITE_STMTSTATUS_REPREPARE, summed): a statement in steady use should not be.
    uint64_t cachedStatementReprepares() const;
    // Asks the system to start writing what has been written to the database file out to disk
    // now, and returns without waiting: a large load's commit then finds most of it on disk
    // already (writing 270 MB out was most of a 100,000-service import's commit). A hint only:
    // where the system has no such call, or the database is in memory, nothing happens.
    void startWriteback();
    // Whether SQLite counts a deferred foreign key broken in this transaction so far. While it
    // does, every row inserted into a parent table is looked for in its children (the count may
    // fall); while it does not, SQLite skips that search.
    bool deferredForeignKeysPending() const;
    // How many transactions and savepoints have been rolled back on this connection through
    // Transaction and Savepoint: what a caller read inside a transaction stays true until this
    // moves (a cache of rows it wrote itself, say).
    uint64_t rollbacks() const { return m_rollbacks; }
    void countRollback() { ++m_rollbacks; }

    // Throws signpost::Error{Sqlite, extended code, "<context>: <sqlite message>"}.
    [[noreturn]] void fail(int rc, std::string_view context) const { failOn(m_db.get(), rc, context); }
    [[noreturn]] static void failOn(sqlite3* conn, int rc, std::string_view context);
    void check(int rc, std::string_view context) const {
        if (rc != 0 /*SQLITE_OK*/) fail(rc, context);
    }

private:
    struct Closer {
        void operator()(sqlite3* db) const noexcept;
    };
    std::unique_ptr<sqlite3, Closer> m_db;
    std::string m_path;
    uint64_t m_rollbacks = 0;
    struct CacheEntry {
        std::unique_ptr<Statement> stmt;
        bool inUse = false;
    };
    // Looked up by the caller's text as it is (no std::string built per call: a pulled record's
    // save asks for a 900-character statement thousands of times a second).
    struct SqlHash {
        using is_transparent = void;
        size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
    };
    // Declared after m_db so statements finalize before the connection closes.
    std::unordered_map<std::string, std::unique_ptr<CacheEntry>, SqlHash, std::equal_to<>> m_cache;
    // Heap-held so the WAL hook's pointer survives a move; stopped before the connection closes.
    std::unique_ptr<Checkpointer> m_checkpointer;
    void stopCheckpointer() noexcept;
};

} // namespace signpost::db
