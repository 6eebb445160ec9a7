// The SQLite ServerStore: WAL mode, one connection per store object, portable SQL.
#include "ServerStore.hpp"
#include "signpost/db/Database.hpp"
#include "signpost/db/Migrations.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Text.hpp"

#include <array>
#include <cctype>

namespace signpost::server {

using nlohmann::json;

namespace {

void v1(db::Database& db) {
    db.exec(R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE app_user (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('practitioner', 'supervisor', 'provider', 'admin')),
    areas         TEXT NOT NULL DEFAULT '[]',
    organisation  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE TABLE auth_token (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES app_user(id),
    device_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_token_by_user ON auth_token(user_id);
CREATE TABLE seq_counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO seq_counter (name, value) VALUES ('change', 0);
CREATE TABLE record (
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    area         TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL,
    versions     TEXT NOT NULL,
    writers      TEXT NOT NULL,
    PRIMARY KEY (collection, id)
);
CREATE UNIQUE INDEX record_by_seq ON record(seq);
CREATE TABLE scope_exit (
    seq          INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    area         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    owner        TEXT NOT NULL,
    status       TEXT NOT NULL,
    fields       TEXT NOT NULL
);
CREATE TABLE applied_op (
    op_id       TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    conflict_id TEXT NOT NULL DEFAULT '',
    seq         INTEGER NOT NULL DEFAULT 0
);
)sql");
}

// v2: the change log is read from one covering index. A pull walks every change after its
// cursor and skips those outside the user's scope; with the scope columns in the index, a
// skipped change costs one index entry, and only the records sent are read from the table
// (their fields and versions, 1-3 KB each). It replaces record_by_seq: seq stays unique because
// one counter hands it out under the write lock, and (seq, collection, id) is unique with it.
void v2(db::Database& db) {
    db.exec(R"sql(
CREATE UNIQUE INDEX record_changes ON record(seq, collection, id, deleted, area, organisation, owner, status);
DROP INDEX record_by_seq;
)sql");
}

// v3: the records shared with an organisation, found without reading every record: when its
// Information Sharing Agreement changes, its referrals are sent to its devices again, projected
// under the new terms (OpApplier::reshare).
void v3(db::Database& db) {
    db.exec("CREATE INDEX record_by_organisation ON record(organisation, collection, id) WHERE organisation <> ''");
}

// v4: the change log by scope. A pull used to walk every change after its cursor and skip those
// outside its user's scope, so with many devices each pull read every device's changes (200
// clients in 10 areas: nine changes skipped for each one sent). Each index holds the changes of
// one kind of scope in seq order, covering what scope is decided by, and a pull merges the
// ranges of its user's scope (sync::readScope; scanChangesIn). Partial: a record is in the
// ranges it can be read through, and the audit trail (admins only) in none. v3's organisation
// index goes: changes_by_organisation answers its query (idsSharedWith) too.
void v4(db::Database& db) {
    db.exec(R"sql(
CREATE INDEX changes_by_area ON record(area, seq, collection, id, deleted, organisation, owner, status)
    WHERE area <> '';
CREATE INDEX changes_by_owner ON record(owner, seq, collection, id, deleted, area, organisation, status)
    WHERE owner <> '';
CREATE INDEX changes_by_organisation ON record(organisation, seq, collection, id, deleted, area, owner, status)
    WHERE organisation <> '';
CREATE INDEX changes_by_collection ON record(collection, seq, id, deleted, area, organisation, owner, status)
    WHERE collection = 'organisation' OR collection = 'service' OR collection = 'suggestion' OR collection = 'conflict';
DROP INDEX record_by_organisation;
)sql");
}

const std::array kMigrations{db::Migration{1, "server tables", v1}, db::Migration{2, "covering change index", v2},
                             db::Migration{3, "records by organisation", v3}, db::Migration{4, "change log by scope", v4}};

// A change-log row (collection, id, seq, deleted, area, organisation, owner, status) into `r`,
// its body not yet read.
void readChange(db::Statement& q, ServerStore::RawRecord& r) {
    r.meta.collection = q.getTextView(0);
    r.meta.id = q.getTextView(1);
    r.meta.seq = q.getInt64(2);
    r.meta.deleted = q.getBool(3);
    r.meta.area = q.getTextView(4);
    r.meta.organisation = q.getTextView(5);
    r.meta.owner = q.getTextView(6);
    r.meta.status = q.getTextView(7);
    r.rowid = q.getInt64(8);
    r.meta.fields = nlohmann::json();
    r.fields.clear();
    r.versions.clear();
    r.loaded = false;
}

json parseOr(std::string_view text, json fallback) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? fallback : j;
}

// A record's writers (field → "user/device" that last wrote it) are stored grouped by writer,
// {"user/device": ["field", …]}: most records have one or two writers, so this is a fifth of the
// field-by-field form and a fifth of the JSON read and written with every op that touches the
// record. Rows still in the field-by-field form (written before) are read as they are and take
// the grouped form when next saved. Like the versions (sync::versionsText), they are written and
// read as text (jsontext), not through a parsed document: that was a fifth of reading a record
// and a tenth of saving one.
std::string writersText(const std::map<std::string, std::string>& writers) {
    std::map<std::string_view, std::vector<std::string_view>> byWriter;
    for (const auto& [field, writer] : writers) byWriter[writer].push_back(field);
    std::string out = "{";
    for (const auto& [writer, fields] : byWriter) {
        if (out.size() > 1) out += ',';
        jsontext::appendQuoted(out, writer);
        out += ":[";
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i) out += ',';
            jsontext::appendQuoted(out, fields[i]);
        }
        out += ']';
    }
    out += '}';
    return out;
}

std::map<std::string, std::string> writersFromText(std::string_view text) {
    std::map<std::string, std::string> out;
    try {
        jsontext::forEachMember(text, [&](std::string_view name, std::string_view value) {
            if (value.empty()) return;
            if (value.front() == '"') { // field-by-field, as first stored
                out[jsontext::unquoteName(name)] = jsontext::unquoteName(value);
            } else if (value.front() == '[') {
                const std::string writer = jsontext::unquoteName(name);
                jsontext::forEachElement(value, [&](std::string_view field) {
                    if (!field.empty() && field.front() == '"') out[jsontext::unquoteName(field)] = writer;
                });
            }
        });
    } catch (const Error&) {
        out.clear();
    }
    return out;
}

class SqliteServerStore final : public ServerStore {
public:
    explicit SqliteServerStore(const std::string& path) : m_db(path, options()) {
        db::migrate(m_db, kMigrations);
        // Checkpoints run on the service's maintenance thread (maintain()), so a request does not
        // pay for copying the WAL back into the database. A request connection still checkpoints
        // if the WAL outgrows ~32 MB (no maintenance thread, or one that cannot keep up).
        m_db.exec("PRAGMA wal_autocheckpoint = 8000");
    }

    void maintain() override { m_db.exec("PRAGMA wal_checkpoint(PASSIVE)"); }

    static db::OpenOptions options() {
        db::OpenOptions o;
        o.busyTimeoutMs = 30000; // writers queue behind each other under load
        // Pulls read the change log and records through a map rather than a read() per page
        // missed: +5 % on a first sync in alternating runs (docs/benchmarks.md).
        o.mmapSizeBytes = int64_t{1} << 30;
        return o;
    }

    void begin() override {
        m_db.cached("BEGIN IMMEDIATE")->exec();
        m_seq.reset();
        m_writing = true;
    }
    void beginRead() override { m_db.cached("BEGIN DEFERRED")->exec(); }
    void commit() override {
        if (m_seq) { // the last sequence handed out, written once with the transaction
            auto q = m_db.cached("UPDATE seq_counter SET value = ?1 WHERE name = 'change'");
            q->bind(1, *m_seq);
            q->exec();
        }
        m_db.cached("COMMIT")->exec(); // if it fails, the caller rolls back (or commits again)
        m_seq.reset();
        m_writing = false;
    }
    void rollback() override {
        m_seq.reset();
        m_writing = false;
        if (m_db.inTransaction()) m_db.cached("ROLLBACK")->exec();
    }
    void savepoint() override { m_db.cached("SAVEPOINT op")->exec(); }
    void release() override { m_db.cached("RELEASE op")->exec(); }
    void rollbackToSavepoint() override {
        m_db.cached("ROLLBACK TO op")->exec();
        m_db.cached("RELEASE op")->exec();
    }

    // ------------------------------------------------------------------------------- users
    std::optional<User> userByName(const std::string& username) override {
        return loadUser("SELECT id, username, display_name, role, areas, organisation, password_hash, disabled, "
                        "created_at FROM app_user WHERE username = ?1",
                        username);
    }
    std::optional<User> userById(const std::string& id) override {
        return loadUser("SELECT id, username, display_name, role, areas, organisation, password_hash, disabled, "
                        "created_at FROM app_user WHERE id = ?1",
                        id);
    }
    void saveUser(const User& u) override {
        auto q = m_db.cached(R"sql(
INSERT INTO app_user (id, username, display_name, role, areas, organisation, password_hash, disabled, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
    role = excluded.role, areas = excluded.areas, organisation = excluded.organisation,
    password_hash = excluded.password_hash, disabled = excluded.disabled)sql");
        q->bindAll(u.id, u.username, u.displayName, domain::toCode(u.role), json(u.areas).dump(), u.organisation,
                   u.passwordHash, u.disabled, u.createdAt);
        q->exec();
    }
    std::vector<User> users() override {
        std::vector<User> out;
        auto q = m_db.cached("SELECT id FROM app_user ORDER BY username");
        std::vector<std::string> ids;
        while (q->step()) ids.push_back(q->getText(0));
        for (const auto& id : ids)
            if (auto u = userById(id)) out.push_back(*u);
        return out;
    }
    void saveToken(const Token& t) override {
        auto q = m_db.cached("INSERT INTO auth_token (token_hash, user_id, device_id, expires_at, revoked) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)");
        q->bindAll(t.hash, t.userId, t.deviceId, t.expiresAt, t.revoked);
        q->exec();
    }
    std::optional<Token> token(const std::string& hash) override {
        auto q = m_db.cached("SELECT user_id, device_id, expires_at, revoked FROM auth_token WHERE token_hash = ?1");
        q->bind(1, hash);
        if (!q->step()) return std::nullopt;
        return Token{hash, q->getText(0), q->getText(1), q->getInt64(2), q->getBool(3)};
    }
    void revokeToken(const std::string& hash) override {
        auto q = m_db.cached("UPDATE auth_token SET revoked = 1 WHERE token_hash = ?1");
        q->bind(1, hash);
        q->exec();
    }
    void revokeUserTokens(const std::string& userId) override {
        auto q = m_db.cached("UPDATE auth_token SET revoked = 1 WHERE user_id = ?1");
        q->bind(1, userId);
        q->exec();
    }
    int64_t activeTokens(int64_t now) override {
        auto q = m_db.cached("SELECT count(*) FROM auth_token WHERE revoked = 0 AND expires_at > ?1");
        q->bind(1, now);
        q->step();
        return q->getInt64(0);
    }

    // --------------------------------------------------------------------------------- ops
    std::optional<sync::OpResult> opResult(const std::string& opId) override {
        auto q = m_db.cached("SELECT status, reason, conflict_id, seq FROM applied_op WHERE op_id = ?1");
        q->bind(1, opId);
        if (!q->step()) return std::nullopt;
        sync::OpResult r;
        r.opId = opId;
        r.status = sync::parseOpStatus(q->getTextView(0)).value_or(sync::OpStatus::Applied);
        r.reason = q->getText(1);
        r.conflictId = q->getText(2);
        r.seq = q->getInt64(3);
        return r;
    }
    void saveOpResult(const std::string& opId, const std::string& userId, const std::string& deviceId,
                      const sync::OpResult& r) override {
        auto q = m_db.cached("INSERT INTO applied_op (op_id, user_id, device_id, status, reason, conflict_id, seq) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        q->bindAll(opId, userId, deviceId, sync::toCode(r.status), r.reason, r.conflictId, r.seq);
        q->exec();
    }
    int64_t opCount() override { return m_db.queryInt64("SELECT count(*) FROM applied_op").value_or(0); }

    // ----------------------------------------------------------------------------- records
    // Inside a write transaction (begin() … commit()) sequences are counted here and the counter
    // row is written once, at commit: one UPDATE per op was a fifth of creating a record. An op
    // rolled back to its savepoint leaves a gap, never a reuse; a rolled-back transaction hands
    // out its numbers again, as the row did. Outside one, each call updates the row itself.
    int64_t nextSeq() override {
        if (m_writing) {
            if (!m_seq) m_seq = readCounter();
            return ++*m_seq;
        }
        auto q = m_db.cached("UPDATE seq_counter SET value = value + 1 WHERE name = 'change' RETURNING value");
        if (!q->step()) throw Error(ErrorDomain::Internal, "the change counter is missing");
        return q->getInt64(0);
    }
    int64_t maxSeq() override { return m_seq ? *m_seq : readCounter(); }
    std::optional<StoredRecord> record(const std::string& collection, const std::string& id) override {
        auto q = m_db.cached("SELECT collection, id, seq, deleted, area, organisation, owner, status, fields, versions, "
                             "writers FROM record WHERE collection = ?1 AND id = ?2");
        q->bind(1, collection).bind(2, id);
        if (!q->step()) return std::nullopt;
        StoredRecord s;
        s.record = readRow(*q);
        s.writers = writersFromText(q->getTextView(10));
        return s;
    }
    void saveRecord(const StoredRecord& s) override {
        const auto& r = s.record;
        auto q = m_db.cached(R"sql(
INSERT INTO record (collection, id, seq, deleted, area, organisation, owner, status, fields, versions, writers)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, area = excluded.area,
    organisation = excluded.organisation, owner = excluded.owner, status = excluded.status,
    fields = excluded.fields, versions = excluded.versions, writers = excluded.writers)sql");
        q->bindAll(r.collection, r.id, r.seq, r.deleted, r.area, r.organisation, r.owner, r.status, r.fields.dump(),
                   sync::versionsText(r.versions, r.fields), writersText(s.writers));
        q->exec();
    }
    std::vector<std::string> idsSharedWith(const std::string& collection, const std::string& organisation) override {
        if (organisation.empty()) return {};
        auto q = m_db.cached("SELECT id FROM record WHERE organisation = ?1 AND organisation <> '' AND collection = ?2 "
                             "AND deleted = 0");
        q->bind(1, organisation).bind(2, collection);
        std::vector<std::string> out;
        while (q->step()) out.push_back(q->getText(0));
        return out;
    }
    void saveScopeExit(const ScopeExit& e) override {
        auto q = m_db.cached("INSERT INTO scope_exit (seq, collection, id, area, organisation, owner, status, fields) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        const auto& b = e.before;
        q->bindAll(e.seq, b.collection, b.id, b.area, b.organisation, b.owner, b.status, b.fields.dump());
        q->exec();
    }
    std::vector<sync::Record> changesAfter(int64_t cursor, size_t limit) override {
        auto q = m_db.cached("SELECT collection, id, seq, deleted, area, organisation, owner, status, fields, versions "
                             "FROM record WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        q->bind(1, cursor).bind(2, static_cast<int64_t>(limit));
        std::vector<sync::Record> out;
        while (q->step()) out.push_back(readRow(*q));
        return out;
    }
    void scanChanges(int64_t cursor, size_t limit, const std::function<bool(RawRecord&)>& visit) override {
        auto q = m_db.cached("SELECT collection, id, seq, deleted, area, organisation, owner, status, rowid "
                             "FROM record WHERE seq > ?1 ORDER BY seq LIMIT ?2"); // covered by record_changes
        q->bind(1, cursor).bind(2, static_cast<int64_t>(limit));
        RawRecord r;
        while (q->step()) {
            readChange(*q, r);
            if (!visit(r)) return;
        }
    }
    bool scanChangesIn(const sync::ReadScope& scope, int64_t cursor, size_t limit,
                       const std::function<bool(RawRecord&)>& visit) override {
        if (scope.everything) {
            size_t rows = 0;
            bool stopped = false;
            scanChanges(cursor, limit, [&](RawRecord& r) {
                ++rows;
                stopped = !visit(r);
                return !stopped;
            });
            return !stopped && rows < limit;
        }
        std::vector<std::string> keys;
        const std::string sql = scopedScanSql(scope, &keys);
        if (sql.empty()) return true;
        auto q = m_db.cached(sql);
        q->bind(1, cursor).bind(2, static_cast<int64_t>(limit));
        for (size_t i = 0; i < keys.size(); ++i) q->bind(static_cast<int>(i) + 3, keys[i]);
        RawRecord r;
        size_t rows = 0;
        while (q->step()) {
            ++rows;
            readChange(*q, r);
            if (!visit(r)) {
                q->reset();
                return false;
            }
        }
        return rows < limit;
    }
    void loadBody(RawRecord& r) override {
        if (r.loaded) return;
        // By the rowid the scan read from its index (one b-tree descent, not two): the scan and
        // this read are in one transaction, so it is the same row.
        auto q = m_db.cached("SELECT fields, versions FROM record WHERE rowid = ?1");
        q->bind(1, r.rowid);
        if (!q->step()) throw Error(ErrorDomain::Internal, "a change in the log has no record");
        r.fields = q->getTextView(0);
        r.versions = q->getTextView(1);
        q->reset();
        r.loaded = true;
    }
    std::vector<ScopeExit> scopeExits(int64_t after, int64_t upTo) override {
        auto q = m_db.cached("SELECT seq, collection, id, area, organisation, owner, status, fields FROM scope_exit "
                             "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq");
        q->bind(1, after).bind(2, upTo);
        std::vector<ScopeExit> out;
        while (q->step()) {
            ScopeExit e;
            e.seq = q->getInt64(0);
            e.before.collection = q->getText(1);
            e.before.id = q->getText(2);
            e.before.area = q->getText(3);
            e.before.organisation = q->getText(4);
            e.before.owner = q->getText(5);
            e.before.status = q->getText(6);
            e.before.fields = parseOr(q->getTextView(7), json::object());
            out.push_back(std::move(e));
        }
        return out;
    }
    std::vector<sync::Record> allRecords(const std::string& collection) override {
        auto q = m_db.cached("SELECT collection, id, seq, deleted, area, organisation, owner, status, fields, versions "
                             "FROM record WHERE collection = ?1 ORDER BY id");
        q->bind(1, collection);
        std::vector<sync::Record> out;
        while (q->step()) out.push_back(readRow(*q));
        return out;
    }

    std::optional<std::string> metaValue(const std::string& key) override {
        auto q = m_db.cached("SELECT value FROM meta WHERE key = ?1");
        q->bind(1, key);
        return q->step() ? std::optional<std::string>(q->getText(0)) : std::nullopt;
    }
    void setMetaValue(const std::string& key, const std::string& value) override {
        auto q = m_db.cached("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2");
        q->bind(1, key).bind(2, value);
        q->exec();
    }
    int64_t purgedThrough() override {
        auto q = m_db.cached("SELECT value FROM meta WHERE key = 'purged_through'");
        return q->step() ? std::stoll(q->getText(0)) : 0;
    }
    size_t purgeTombstones(int64_t beforeSeq) override {
        auto d = m_db.cached("DELETE FROM record WHERE deleted = 1 AND seq < ?1");
        d->bind(1, beforeSeq);
        size_t n = static_cast<size_t>(d->exec());
        auto e = m_db.cached("DELETE FROM scope_exit WHERE seq < ?1");
        e->bind(1, beforeSeq);
        e->exec();
        auto m = m_db.cached("INSERT INTO meta (key, value) VALUES ('purged_through', ?1) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        m->bind(1, std::to_string(beforeSeq));
        m->exec();
        return n;
    }
    std::string integrityCheck() override { return m_db.integrityCheck(); }

private:
    std::optional<User> loadUser(const char* sql, const std::string& key) {
        auto q = m_db.cached(sql);
        q->bind(1, key);
        if (!q->step()) return std::nullopt;
        User u;
        u.id = q->getText(0);
        u.username = q->getText(1);
        u.displayName = q->getText(2);
        u.role = domain::parseRole(q->getTextView(3)).value_or(domain::Role::Practitioner);
        json areas = parseOr(q->getTextView(4), json::array());
        for (const auto& a : areas)
            if (a.is_string()) u.areas.push_back(a.get<std::string>());
        u.organisation = q->getText(5);
        u.passwordHash = q->getText(6);
        u.disabled = q->getBool(7);
        u.createdAt = q->getText(8);
        return u;
    }
    static sync::Record readRow(db::Statement& q) {
        sync::Record r;
        r.collection = q.getText(0);
        r.id = q.getText(1);
        r.seq = q.getInt64(2);
        r.deleted = q.getBool(3);
        r.area = q.getText(4);
        r.organisation = q.getText(5);
        r.owner = q.getText(6);
        r.status = q.getText(7);
        r.fields = parseOr(q.getTextView(8), json::object());
        r.versions = sync::versionsFromText(q.getTextView(9), r.fields);
        return r;
    }

    int64_t readCounter() {
        auto q = m_db.cached("SELECT value FROM seq_counter WHERE name = 'change'");
        if (!q->step()) throw Error(ErrorDomain::Internal, "the change counter is missing");
        return q->getInt64(0);
    }

    db::Database m_db;
    bool m_writing = false;       // inside begin() … commit()/rollback()
    std::optional<int64_t> m_seq; // the write transaction's last sequence, not yet in seq_counter
};

} // namespace

// One merged, ordered scan of a scope's ranges: one arm per range, each read in seq order from
// its index, merged (and repeats removed) by SQLite's UNION merge, so nothing is sorted and the
// LIMIT stops the walk. Values are bound: ?1 cursor, ?2 limit, ?3… the scope's keys in order.
// Collection names are the spec's own (literals: a literal collection lets the planner use the
// partial collection index).
std::string scopedScanSql(const sync::ReadScope& scope, std::vector<std::string>* keys) {
    std::vector<std::string> unused;
    if (!keys) keys = &unused;
    // Every index holds the rowid, so the arms stay covering with it.
    const std::string columns =
        "SELECT collection, id, seq, deleted, area, organisation, owner, status, rowid FROM record WHERE ";
    std::string sql;
    auto arm = [&](const std::string& where) {
        if (!sql.empty()) sql += " UNION ";
        sql += columns + where + " AND seq > ?1";
    };
    // A key's arm and its place among the bound values, set in one place.
    auto keyed = [&](const char* column, const std::string& key) {
        keys->push_back(key);
        const std::string param = "?" + std::to_string(keys->size() + 2); // ?3 for the first
        arm(std::string(column) + " = " + param + " AND " + column + " <> ''");
    };
    for (const auto& c : scope.collections) {
        for (char ch : c)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
                throw Error(ErrorDomain::Internal, "a collection name is not a plain word: " + c);
        arm("collection = '" + c + "'");
    }
    for (const auto& area : scope.areas) keyed("area", area);
    if (!scope.owner.empty()) keyed("owner", scope.owner);
    if (!scope.organisation.empty()) keyed("organisation", scope.organisation);
    if (sql.empty()) return {};
    return sql + " ORDER BY seq LIMIT ?2";
}

std::unique_ptr<ServerStore> openSqliteStore(const std::string& path) {
    return std::make_unique<SqliteServerStore>(path);
}

} // namespace signpost::server
