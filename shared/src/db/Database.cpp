#include "signpost/db/Database.hpp"
#include "signpost/db/Transaction.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace signpost::db {

// ------------------------------------------------------------------------------- Checkpointer

// Runs PASSIVE checkpoints for one database file on its own thread and connection, woken by the
// WAL hook of the connection that writes. PASSIVE never waits for readers or the writer: it copies
// what it can, and the WAL restarts from its beginning once every frame is back in the database.
class Checkpointer {
public:
    Checkpointer(std::string path, int64_t pageBytes)
        : m_path(std::move(path)), m_startPages(kCheckpointStartBytes / std::max<int64_t>(pageBytes, 512)),
          m_backstopPages(kCheckpointBackstopBytes / std::max<int64_t>(pageBytes, 512)) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        if (m_thread.joinable()) m_thread.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    void nudge() {
        {
            std::lock_guard lock(m_mutex);
            m_pending = true;
            // Started on first use: most connections (a CLI command, a test) never need it.
            if (!m_thread.joinable()) m_thread = std::thread([this] { run(); });
        }
        m_wake.notify_all();
    }
    uint64_t done() const { return m_done.load(); }

    static int walHook(void* self, sqlite3* db, const char* schema, int pages) {
        auto* checkpointer = static_cast<Checkpointer*>(self);
        if (pages >= checkpointer->m_backstopPages) {
            // The thread cannot keep up (a long reader holds old frames): checkpoint here, as
            // SQLite's own hook would, so the file stays bounded.
            sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        } else if (pages >= checkpointer->m_startPages) {
            checkpointer->nudge();
        }
        return SQLITE_OK;
    }

private:
    void run() {
        sqlite3* conn = nullptr;
        std::unique_lock lock(m_mutex);
        while (true) {
            m_wake.wait(lock, [this] { return m_stop || m_pending; });
            if (m_stop) break;
            m_pending = false;
            lock.unlock();
            if (!conn && sqlite3_open_v2(m_path.c_str(), &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                                         nullptr) != SQLITE_OK) {
                sqlite3_close_v2(conn); // a failed open still allocates; tried again next time
                conn = nullptr;
            }
            // A connection that has read nothing has not opened the WAL yet: SQLite then answers a
            // checkpoint with SQLITE_OK and copies nothing (it reports -1 frames, "not in WAL
            // mode"). One read opens it; until the ninth session every checkpoint here was that
            // no-op, and the commits' backstop did all the copying.
            if (conn && !m_walOpen)
                m_walOpen = sqlite3_exec(conn, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
            // Busy or interrupted is normal (a writer holds the lock): the next commit wakes it again.
            // Counted only when it copied something back.
            int walFrames = -1, copied = -1;
            if (conn && m_walOpen &&
                sqlite3_wal_checkpoint_v2(conn, "main", SQLITE_CHECKPOINT_PASSIVE, &walFrames, &copied) == SQLITE_OK &&
                copied > 0)
                ++m_done;
            lock.lock();
        }
        lock.unlock();
        // Not the last connection (the writer's is open until this thread has stopped), so
        // closing it neither checkpoints nor removes the WAL.
        if (conn) sqlite3_close_v2(conn);
    }

    std::string m_path;
    const int64_t m_startPages, m_backstopPages; // kCheckpoint…Bytes in this database's pages
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_pending = false;
    bool m_stop = false;
    bool m_walOpen = false; // the thread's connection has read, so it has the WAL open
    std::atomic<uint64_t> m_done{0};
    std::thread m_thread;
};

// ---------------------------------------------------------------------------------- Statement

Statement::Statement(Database& db, std::string_view sql) : m_conn(db.handle()) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &m_stmt, &tail);
    if (rc != SQLITE_OK) {
        std::string context = "preparing \"";
        context.append(sql.substr(0, 200));
        context += "\"";
        db.fail(rc, context);
    }
    if (!m_stmt) throw Error(ErrorDomain::Sqlite, SQLITE_MISUSE, "empty SQL statement");
}

Statement::~Statement() {
    if (m_stmt) sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_stmt(other.m_stmt), m_conn(other.m_conn) {
    other.m_stmt = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_stmt) sqlite3_finalize(m_stmt);
        m_stmt = other.m_stmt;
        m_conn = other.m_conn;
        other.m_stmt = nullptr;
    }
    return *this;
}

void Statement::check(int rc) const {
    if (rc != SQLITE_OK) Database::failOn(m_conn, rc, sqlite3_sql(m_stmt) ? sqlite3_sql(m_stmt) : "statement");
}

Statement& Statement::bind(int index, std::nullptr_t) {
    check(sqlite3_bind_null(m_stmt, index));
    return *this;
}
Statement& Statement::bind(int index, int value) {
    check(sqlite3_bind_int(m_stmt, index, value));
    return *this;
}
Statement& Statement::bind(int index, int64_t value) {
    check(sqlite3_bind_int64(m_stmt, index, value));
    return *this;
}
Statement& Statement::bind(int index, double value) {
    check(sqlite3_bind_double(m_stmt, index, value));
    return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
    check(sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}
Statement& Statement::bindStatic(int index, std::string_view value) {
    check(sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
}
Statement& Statement::bindStaticTerminated(int index, const std::string& value) {
    // A negative length is how SQLite learns of the NUL (sqlite3VdbeMemSetStr sets MEM_Term then).
    if (value.size() >= static_cast<size_t>(std::numeric_limits<int>::max()) ||
        std::memchr(value.data(), 0, value.size()))
        return bindStatic(index, value);
    check(sqlite3_bind_text(m_stmt, index, value.c_str(), -1, SQLITE_STATIC));
    return *this;
}
Statement& Statement::bindBlob(int index, const void* data, size_t size) {
    check(sqlite3_bind_blob64(m_stmt, index, data, size, SQLITE_TRANSIENT));
    return *this;
}

int Statement::parameterIndex(const char* name) const {
    int index = sqlite3_bind_parameter_index(m_stmt, name);
    if (index == 0)
        throw Error(ErrorDomain::Sqlite, SQLITE_RANGE, std::string("no SQL parameter named ") + name);
    return index;
}

bool Statement::step() {
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // sqlite3_step's rc is the primary code; the connection holds the extended one.
    Database::failOn(m_conn, sqlite3_extended_errcode(m_conn), sqlite3_sql(m_stmt));
}

int Statement::exec() {
    while (step()) {
    }
    return sqlite3_changes(m_conn);
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

void Statement::resetKeepBindings() { sqlite3_reset(m_stmt); }

int Statement::columnCount() const { return sqlite3_column_count(m_stmt); }
const char* Statement::columnName(int col) const { return sqlite3_column_name(m_stmt, col); }
bool Statement::isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
int64_t Statement::getInt64(int col) const { return sqlite3_column_int64(m_stmt, col); }
double Statement::getDouble(int col) const { return sqlite3_column_double(m_stmt, col); }

std::string_view Statement::getTextView(int col) const {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    if (!text) return {};
    return {text, static_cast<size_t>(sqlite3_column_bytes(m_stmt, col))};
}

std::optional<std::string> Statement::getOptText(int col) const {
    if (isNull(col)) return std::nullopt;
    return getText(col);
}
std::optional<int64_t> Statement::getOptInt64(int col) const {
    if (isNull(col)) return std::nullopt;
    return getInt64(col);
}
std::optional<double> Statement::getOptDouble(int col) const {
    if (isNull(col)) return std::nullopt;
    return getDouble(col);
}

std::vector<uint8_t> Statement::getBlob(int col) const {
    auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(m_stmt, col));
    int size = sqlite3_column_bytes(m_stmt, col);
    if (!data || size <= 0) return {};
    return {data, data + size};
}

const char* Statement::sql() const { return sqlite3_sql(m_stmt); }

// ---------------------------------------------------------------------------- CachedStatement

CachedStatement::~CachedStatement() {
    if (m_stmt) m_stmt->reset();
    if (m_inUse) *m_inUse = false;
}

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : m_owned(std::move(other.m_owned)), m_stmt(other.m_stmt), m_inUse(other.m_inUse) {
    other.m_stmt = nullptr;
    other.m_inUse = nullptr;
}

// ----------------------------------------------------------------------------------- Database

void Database::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

namespace {
// Process-wide settings, made once before SQLite initialises. Its memory statistics (on by
// default) put every sqlite3_malloc and sqlite3_free, on every connection, behind one global
// mutex: with a connection per thread (the server's requests, a benchmark's 200 devices) threads
// queued on it. Nothing here reads those statistics.
void configureSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        // SQLITE_MISUSE if something in the process initialised SQLite first: the default then
        // stays, which is only slower.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_initialize();
    });
}
} // namespace

Database::Database(const std::string& path, OpenOptions options) : m_path(path) {
    configureSqliteOnce();
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    flags |= options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (options.create && !options.readOnly) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    m_db.reset(raw);
    if (rc != SQLITE_OK) {
        std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        throw Error(ErrorDomain::Sqlite, rc, "cannot open database " + path + ": " + message);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, options.busyTimeoutMs);

    exec("PRAGMA foreign_keys = ON");
    // Before anything is written (journal_mode = WAL writes the header); a no-op on a database
    // that exists.
    if (options.pageSizeBytes > 0 && !options.readOnly)
        exec("PRAGMA page_size = " + std::to_string(options.pageSizeBytes));
    bool memory = path == ":memory:" || path.empty() || path.find("mode=memory") != std::string::npos;
    if (!options.readOnly && options.wal && !memory) {
        auto mode = queryText("PRAGMA journal_mode = WAL");
        if (!mode || *mode != "wal")
            throw Error(ErrorDomain::Sqlite, 0, "cannot switch " + path + " to WAL mode");
    }
    exec(options.synchronousFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec("PRAGMA temp_store = MEMORY");
    exec("PRAGMA cache_size = -" + std::to_string(options.cacheSizeKiB));
    if (options.mmapSizeBytes > 0 && !memory) exec("PRAGMA mmap_size = " + std::to_string(options.mmapSizeBytes));
    if (options.backgroundCheckpoint && !options.readOnly && options.wal && !memory) {
        m_checkpointer = std::make_unique<Checkpointer>(path, queryInt64("PRAGMA page_size").value_or(4096));
        // Replaces SQLite's autocheckpoint hook (which is itself a WAL hook).
        sqlite3_wal_hook(raw, &Checkpointer::walHook, m_checkpointer.get());
    }
}

void Database::stopCheckpointer() noexcept {
    if (!m_checkpointer) return;
    if (m_db) sqlite3_wal_hook(m_db.get(), nullptr, nullptr);
    m_checkpointer.reset(); // joins its thread, which closes its connection
}

uint64_t Database::cachedStatementReprepares() const {
    uint64_t n = 0;
    for (const auto& [sql, entry] : m_cache)
        n += static_cast<uint64_t>(sqlite3_stmt_status(entry->stmt->handle(), SQLITE_STMTSTATUS_REPREPARE, 0));
    return n;
}

uint64_t Database::backgroundCheckpoints() const { return m_checkpointer ? m_checkpointer->done() : 0; }

std::string sqlText(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    out += '\'';
    return out;
}

Database::~Database() {
    stopCheckpointer();
    m_cache.clear(); // finalize statements before the connection closes
}

Database::Database(Database&& other) noexcept
    : m_db(std::move(other.m_db)), m_path(std::move(other.m_path)), m_rollbacks(other.m_rollbacks),
      m_cache(std::move(other.m_cache)), m_checkpointer(std::move(other.m_checkpointer)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        stopCheckpointer();
        m_cache.clear();
        m_db = std::move(other.m_db);
        m_path = std::move(other.m_path);
        m_rollbacks = other.m_rollbacks;
        m_cache = std::move(other.m_cache);
        m_checkpointer = std::move(other.m_checkpointer);
    }
    return *this;
}

void Database::failOn(sqlite3* conn, int rc, std::string_view context) {
    std::string message(context);
    message += ": ";
    const char* text = conn ? sqlite3_errmsg(conn) : nullptr;
    message += (text && rc == sqlite3_extended_errcode(conn)) ? text : sqlite3_errstr(rc);
    throw Error(ErrorDomain::Sqlite, rc, message);
}

void Database::exec(std::string_view sql) {
    std::string copy(sql); // sqlite3_exec needs a terminated string
    char* err = nullptr;
    int rc = sqlite3_exec(m_db.get(), copy.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string message = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw Error(ErrorDomain::Sqlite, sqlite3_extended_errcode(m_db.get()),
                    message + " (in: " + copy.substr(0, 120) + ")");
    }
}

CachedStatement Database::cached(std::string_view sql) {
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        auto entry = std::make_unique<CacheEntry>();
        entry->stmt = std::make_unique<Statement>(*this, sql);
        it = m_cache.emplace(std::string(sql), std::move(entry)).first;
    }
    CacheEntry& entry = *it->second;
    if (entry.inUse) return CachedStatement(Statement(*this, sql));
    entry.inUse = true;
    return CachedStatement(entry.stmt.get(), &entry.inUse);
}

int64_t Database::lastInsertRowid() const { return sqlite3_last_insert_rowid(m_db.get()); }
void Database::setLastInsertRowid(int64_t rowid) {
    sqlite3_set_last_insert_rowid(m_db.get(), rowid);
}
int Database::changes() const { return sqlite3_changes(m_db.get()); }
bool Database::inTransaction() const { return sqlite3_get_autocommit(m_db.get()) == 0; }

int Database::userVersion() { return static_cast<int>(queryInt64("PRAGMA user_version").value_or(0)); }

void Database::setUserVersion(int version) { exec("PRAGMA user_version = " + std::to_string(version)); }

bool Database::tableExists(std::string_view name) {
    auto stmt = cached("SELECT 1 FROM sqlite_schema WHERE name = ?1");
    stmt->bind(1, name);
    return stmt->step();
}

std::string Database::integrityCheck() {
    Statement stmt(*this, "PRAGMA integrity_check");
    std::string result;
    while (stmt.step()) {
        if (!result.empty()) result += "\n";
        result += stmt.getText(0);
    }
    return result;
}

// Through the statement cache: these are asked on every sync round and status refresh (outbox
// size, records waiting for indexing), and parsing their SQL each time was a measurable share.
std::optional<int64_t> Database::queryInt64(std::string_view sql) {
    auto stmt = cached(sql);
    if (!stmt->step() || stmt->isNull(0)) return std::nullopt;
    return stmt->getInt64(0);
}

std::optional<std::string> Database::queryText(std::string_view sql) {
    auto stmt = cached(sql);
    if (!stmt->step() || stmt->isNull(0)) return std::nullopt;
    return stmt->getText(0);
}

// -------------------------------------------------------------------------------- Transaction

Transaction::Transaction(Database& db, Mode mode) : m_db(db) {
    if (db.inTransaction()) {
        m_nested = true;
        m_db.cached("SAVEPOINT nested_txn")->exec();
        m_active = true;
        return;
    }
    // Cached, as savepoints are: a device opens and commits a transaction for every local write.
    switch (mode) {
    case Mode::Deferred: db.cached("BEGIN DEFERRED")->exec(); break;
    case Mode::Immediate: db.cached("BEGIN IMMEDIATE")->exec(); break;
    case Mode::Exclusive: db.cached("BEGIN EXCLUSIVE")->exec(); break;
    }
    m_active = true;
}

Transaction::~Transaction() {
    if (m_active) {
        m_db.countRollback();
        // Never throw from a destructor; a failed rollback leaves SQLite to roll back on close.
        sqlite3_exec(m_db.handle(), m_nested ? "ROLLBACK TO nested_txn; RELEASE nested_txn" : "ROLLBACK", nullptr,
                     nullptr, nullptr);
    }
}

void Transaction::commit() {
    if (!m_active) throw Error(ErrorDomain::Internal, "commit of a transaction that is not active");
    m_db.cached(m_nested ? "RELEASE nested_txn" : "COMMIT")->exec();
    m_active = false;
}

void Transaction::rollback() {
    if (!m_active) return;
    m_active = false;
    m_db.countRollback();
    m_db.exec(m_nested ? "ROLLBACK TO nested_txn; RELEASE nested_txn" : "ROLLBACK");
}

RederivableCommit::RederivableCommit(Database& db) : m_db(db) {
    if (m_db.inTransaction()) return;
    m_previous = m_db.queryInt64("PRAGMA synchronous").value_or(-1);
    if (m_previous > 1) m_db.cached("PRAGMA synchronous = NORMAL")->exec();
    else m_previous = -1;
}

RederivableCommit::~RederivableCommit() {
    if (m_previous < 0) return;
    std::string sql = "PRAGMA synchronous = " + std::to_string(m_previous);
    sqlite3_exec(m_db.handle(), sql.c_str(), nullptr, nullptr, nullptr);
}

ExclusiveLoad::ExclusiveLoad(Database& db) : m_db(db) {
    if (m_db.inTransaction() || m_db.queryText("PRAGMA journal_mode").value_or("") != "wal") return;
    // Leaving WAL mode needs the only connection to the file: with another one open SQLite
    // refuses (SQLITE_BUSY or SQLITE_LOCKED), and the load simply stays in WAL mode.
    int rc = sqlite3_exec(m_db.handle(), "PRAGMA journal_mode = TRUNCATE", nullptr, nullptr, nullptr);
    m_active = rc == SQLITE_OK && m_db.queryText("PRAGMA journal_mode").value_or("") == "truncate";
}

ExclusiveLoad::~ExclusiveLoad() {
    if (!m_active) return;
    sqlite3_exec(m_db.handle(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
}

void Database::startWriteback() {
#ifdef SYNC_FILE_RANGE_WRITE
    const char* path = sqlite3_db_filename(handle(), "main");
    if (!path || !*path) return;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    ::close(fd);
#endif
}

bool Database::deferredForeignKeysPending() const {
    int current = 0, highest = 0;
    if (sqlite3_db_status(m_db.get(), SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highest, 0) != SQLITE_OK)
        return true; // unknown: as if broken, the careful answer
    return current != 0;
}

// Savepoints open and close once per record on bulk paths, so their statements are cached
// rather than parsed each time.
Savepoint::Savepoint(Database& db, std::string name) : m_db(db), m_name(std::move(name)) {
    m_db.cached("SAVEPOINT \"" + m_name + "\"")->exec();
    m_active = true;
}

Savepoint::~Savepoint() {
    if (m_active) {
        m_db.countRollback();
        std::string sql = "ROLLBACK TO \"" + m_name + "\"; RELEASE \"" + m_name + "\"";
        sqlite3_exec(m_db.handle(), sql.c_str(), nullptr, nullptr, nullptr);
    }
}

void Savepoint::release() {
    if (!m_active) return;
    m_db.cached("RELEASE \"" + m_name + "\"")->exec();
    m_active = false;
}

void Savepoint::rollback() {
    if (!m_active) return;
    m_active = false;
    m_db.countRollback();
    m_db.exec("ROLLBACK TO \"" + m_name + "\"; RELEASE \"" + m_name + "\"");
}

} // namespace signpost::db
