#pragma once
#include "signpost/db/Database.hpp"

namespace signpost::db {

// Rolls back in its destructor unless commit() was called: an exception anywhere between
// begin and commit leaves the database exactly as it was. Inside an open transaction it nests as a
// savepoint, so a unit of work (one local write) composes into a caller's batch.
class Transaction {
public:
    enum class Mode { Deferred, Immediate, Exclusive };
    explicit Transaction(Database& db, Mode mode = Mode::Immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();
    void rollback();
    bool active() const { return m_active; }

private:
    Database& m_db;
    bool m_active = false;
    bool m_nested = false;
};

// A nested unit inside a transaction: release() keeps it, anything else rolls it back. The sync
// server applies each pushed op in one so a bad op never half-applies nor spoils its batch.
class Savepoint {
public:
    Savepoint(Database& db, std::string name = "sp");
    ~Savepoint();
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;

    void release();
    void rollback();

private:
    Database& m_db;
    std::string m_name;
    bool m_active = false;
};

// For a transaction whose whole content the device can fetch again (a pulled page with its
// cursor, the server's answers to a push): its commit does not wait for the disk (WAL with
// `synchronous = NORMAL`). A power cut can drop such a transaction, never tear it, and never one
// committed after it that did wait: the next sync simply fetches it again. Local writes keep the
// connection's own setting. Takes effect only outside a transaction (inside, the caller's commit
// decides) and restores the setting when it goes out of scope.
class RederivableCommit {
public:
    explicit RederivableCommit(Database& db);
    ~RederivableCommit();
    RederivableCommit(const RederivableCommit&) = delete;
    RederivableCommit& operator=(const RederivableCommit&) = delete;

private:
    Database& m_db;
    int64_t m_previous = -1;
};

// For a load that writes far more than it reads, run by a tool that has the database to itself
// (signpost-cli seed, import, bench): a rollback journal for the length of the load. In WAL mode
// every page of a 100,000-service load is written twice, to the WAL at commit and back into the
// database by the checkpoint, and every read looks the page up in the WAL first; with a
// rollback journal a new page is written once. Readers on other connections would wait for the
// load instead of reading beside it, so the client never uses this. It changes nothing when
// the mode cannot change (another connection has the file open, the database is in memory, a
// transaction is open): the load then runs in WAL mode as usual. Back to WAL when it goes out
// of scope; the load's own transaction must end first.
class ExclusiveLoad {
public:
    explicit ExclusiveLoad(Database& db);
    ~ExclusiveLoad();
    ExclusiveLoad(const ExclusiveLoad&) = delete;
    ExclusiveLoad& operator=(const ExclusiveLoad&) = delete;
    bool active() const { return m_active; }

private:
    Database& m_db;
    bool m_active = false;
};

} // namespace signpost::db
