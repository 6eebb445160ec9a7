#pragma once
// This device's audit log: who did what to which record, when, and every time someone viewed a
// person's details. Append-only and hash-chained: each entry's hash covers the previous entry's
// hash and its own content, so editing or deleting an entry breaks every hash after it. Entries
// also go to the server (collection "audit"), which keeps them beyond the device's reach; an
// inspector reads them there. Entries never contain a person's details, only record ids.
#include "signpost/db/Database.hpp"

#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace signpost::client {

class LocalStore;

struct AuditEntry {
    int64_t seq = 0;              // this device's sequence, from 1
    std::string at;               // ISO time (device clock)
    std::string user;             // user id
    std::string device;
    std::string action;           // create, update, transition, delete, view, export, resolve, sign_in …
    std::string collection;
    std::string recordId;
    std::string detail;           // what: field names, "draft → submitted", "csv 2026-01-01..2026-03-31"
    std::string prevHash;
    std::string hash;
};

class AuditLog {
public:
    explicit AuditLog(db::Database& db, std::function<std::time_t()> clock = {}) : m_db(db), m_clock(std::move(clock)) {}

    // Appends an entry (in the caller's transaction if one is open) and queues it for the server
    // through `store` when given.
    AuditEntry record(const std::string& user, const std::string& device, const std::string& action,
                      const std::string& collection, const std::string& recordId, const std::string& detail,
                      LocalStore* store = nullptr);

    std::vector<AuditEntry> entries(const std::string& fromIso = {}, const std::string& toIso = {});

    struct Verification {
        bool ok = true;
        size_t checked = 0;
        std::string problem; // the first break, in words
    };
    Verification verify();
    // The entries between two dates as CSV (RFC 4180), for an inspection.
    std::string exportCsv(const std::string& fromIso, const std::string& toIso);

    static std::string hashOf(const AuditEntry& entry);

private:
    db::Database& m_db;
    std::function<std::time_t()> m_clock;
};

} // namespace signpost::client
