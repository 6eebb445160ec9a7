#pragma once
// The server's storage, behind an interface so a PostgreSQL backend can follow the SQLite one.
// Every statement the SQLite implementation runs is portable SQL (INSERT … ON CONFLICT, no
// SQLite-only functions in queries, JSON kept as text), so a second backend is a translation of
// placeholders and DDL, not a redesign.
//
// One ServerStore is one connection, used by one thread at a time. Writes happen inside
// begin()/commit(); a push applies each op inside savepoint()/release().
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/sync/Access.hpp"
#include "signpost/sync/Protocol.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace signpost::server {

struct User {
    std::string id;
    std::string username;
    std::string displayName;
    domain::Role role = domain::Role::Practitioner;
    std::vector<std::string> areas;
    std::string organisation;
    std::string passwordHash; // libsodium crypto_pwhash_str (Argon2id)
    bool disabled = false;
    std::string createdAt;
};

struct Token {
    std::string hash;     // SHA-256 of the bearer token; the token itself is never stored
    std::string userId;
    std::string deviceId;
    int64_t expiresAt = 0; // unix seconds
    bool revoked = false;
};

// A record's scope before a change took it away from some readers (pull turns it into removals).
struct ScopeExit {
    int64_t seq = 0;
    sync::Record before; // collection, id, area, organisation, owner, status, and fields that scope reads
};

struct StoredRecord {
    sync::Record record;
    std::map<std::string, std::string> writers; // field → device that last wrote it
};

class ServerStore {
public:
    virtual ~ServerStore() = default;

    virtual void begin() = 0;      // a write transaction
    virtual void beginRead() = 0;  // a read transaction: one consistent snapshot for a pull
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual void savepoint() = 0;
    virtual void release() = 0;
    virtual void rollbackToSavepoint() = 0;
    // Housekeeping kept off the request path (SQLite: copy the WAL back into the database file).
    // The service calls it from its maintenance thread on a store of its own.
    virtual void maintain() {}

    // Users and tokens
    virtual std::optional<User> userByName(const std::string& username) = 0;
    virtual std::optional<User> userById(const std::string& id) = 0;
    virtual void saveUser(const User& user) = 0;
    virtual std::vector<User> users() = 0;
    virtual void saveToken(const Token& token) = 0;
    virtual std::optional<Token> token(const std::string& hash) = 0;
    virtual void revokeToken(const std::string& hash) = 0;
    virtual void revokeUserTokens(const std::string& userId) = 0;
    virtual int64_t activeTokens(int64_t now) = 0;

    // Ops: exactly-once by op id
    virtual std::optional<sync::OpResult> opResult(const std::string& opId) = 0;
    virtual void saveOpResult(const std::string& opId, const std::string& userId, const std::string& deviceId,
                              const sync::OpResult& result) = 0;
    virtual int64_t opCount() = 0;

    // Records
    virtual int64_t nextSeq() = 0;
    virtual int64_t maxSeq() = 0;
    virtual std::optional<StoredRecord> record(const std::string& collection, const std::string& id) = 0;
    virtual void saveRecord(const StoredRecord& record) = 0;
    virtual void saveScopeExit(const ScopeExit& exit) = 0;
    // Records changed after `cursor`, oldest first, at most `limit`.
    virtual std::vector<sync::Record> changesAfter(int64_t cursor, size_t limit) = 0;
    // The same, with fields and versions left as the stored JSON text: a pull can send most
    // records without parsing and re-serialising them.
    struct RawRecord {
        sync::Record meta;    // everything but fields and versions
        std::string fields;   // empty until loadBody()
        std::string versions;
        bool loaded = false;
        int64_t rowid = 0;    // the store's own handle on the row, for loadBody (SQLite: its rowid)
    };
    // Streams them to `visit` until it returns false (the page is full) or `limit` rows passed.
    // The scan reads only what scope is decided by; `visit` calls loadBody() for the records it
    // sends (or must look inside), so changes outside a user's scope cost next to nothing.
    virtual void scanChanges(int64_t cursor, size_t limit, const std::function<bool(RawRecord&)>& visit) = 0;
    // The same, only the changes in `scope`'s ranges (a superset of what its user may read),
    // each once, oldest first: a pull reads its user's changes, not every change since its cursor.
    // Returns true when the ranges ran out before `limit` rows or `visit` stopping.
    virtual bool scanChangesIn(const sync::ReadScope& scope, int64_t cursor, size_t limit,
                               const std::function<bool(RawRecord&)>& visit) = 0;
    virtual void loadBody(RawRecord& record) = 0;
    virtual std::vector<ScopeExit> scopeExits(int64_t after, int64_t upTo) = 0;
    virtual std::vector<sync::Record> allRecords(const std::string& collection) = 0;
    // Live records of a collection shared with an organisation (its scope column), by id.
    virtual std::vector<std::string> idsSharedWith(const std::string& collection, const std::string& organisation) = 0;

    // Tombstones older than `beforeSeq` go; clients whose cursor is older must resync.
    // Small named values the service keeps beside the data (which lapsed agreements were re-shared).
    virtual std::optional<std::string> metaValue(const std::string& key) = 0;
    virtual void setMetaValue(const std::string& key, const std::string& value) = 0;
    virtual int64_t purgedThrough() = 0;
    virtual size_t purgeTombstones(int64_t beforeSeq) = 0;
    virtual std::string integrityCheck() = 0;
};

// Opens (creating and migrating) the SQLite store in `dataDir`/signpost-server.db, WAL mode.
std::unique_ptr<ServerStore> openSqliteStore(const std::string& path);
// The SQL the SQLite store runs for scanChangesIn (tests check its plan); '' for an empty scope.
// `keys`, if given, receives the values to bind from ?3 on, in order.
std::string scopedScanSql(const sync::ReadScope& scope, std::vector<std::string>* keys = nullptr);

} // namespace signpost::server
