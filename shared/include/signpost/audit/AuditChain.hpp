#pragma once
// The hash chain under every device's audit log (client/core/AuditLog.hpp), shared so the server
// can verify the copies devices send it (`signpost-server audit verify`) by the same rule.
// Each entry's hash covers its content and the previous entry's hash: editing or deleting an
// entry breaks the chain at that point.
#include <cstdint>
#include <string>
#include <vector>

namespace signpost::audit {

inline constexpr const char* kGenesis = "genesis";

struct AuditEntry {
    int64_t seq = 0;              // the device's sequence, from 1
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

// BLAKE2b-256 (libsodium generichash, keyed by a domain tag) of a length-prefixed encoding.
std::string hashOf(const AuditEntry& entry);

struct Verification {
    bool ok = true;
    size_t checked = 0;
    std::string problem; // the first break, in words
};
// `entries` in sequence order, from seq 1 (a whole chain) or from `firstSeq` after `previousHash`.
Verification verifyChain(const std::vector<AuditEntry>& entries, int64_t firstSeq = 1,
                         const std::string& previousHash = kGenesis);

} // namespace signpost::audit
