#pragma once
// This device's audit log: who did what to which record, when, and every time someone viewed a
// person's details. Append-only and hash-chained: each entry's hash covers the previous entry's
// hash and its own content, so editing or deleting an entry breaks every hash after it. Entries
// also go to the server (collection "audit"), which keeps them beyond the device's reach; an
// inspector reads them there. Entries never contain a person's details, only record ids.
#include "signpost/audit/AuditChain.hpp"
#include "signpost/db/Database.hpp"

#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace signpost::client {

class LocalStore;

using audit::AuditEntry;

class AuditLog {
public:
    explicit AuditLog(db::Database& db, std::function<std::time_t()> clock = {}) : m_db(db), m_clock(std::move(clock)) {}

    // Appends an entry (in the caller's transaction if one is open) and queues it for the server
    // through `store` when given.
    AuditEntry record(const std::string& user, const std::string& device, const std::string& action,
                      const std::string& collection, const std::string& recordId, const std::string& detail,
                      LocalStore* store = nullptr);

    std::vector<AuditEntry> entries(const std::string& fromIso = {}, const std::string& toIso = {});

    using Verification = audit::Verification;
    Verification verify();
    // The entries between two dates as CSV (RFC 4180), for an inspection.
    std::string exportCsv(const std::string& fromIso, const std::string& toIso);

    static std::string hashOf(const AuditEntry& entry) { return audit::hashOf(entry); }

private:
    db::Database& m_db;
    std::function<std::time_t()> m_clock;
};

} // namespace signpost::client
