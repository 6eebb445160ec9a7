#include "signpost/audit/AuditChain.hpp"

#include <sodium.h>

namespace signpost::audit {

std::string hashOf(const AuditEntry& e) {
    // Unambiguous: every part is length-prefixed, so no choice of text can collide two entries.
    std::string canonical;
    for (const std::string& part : {std::to_string(e.seq), e.at, e.user, e.device, e.action, e.collection, e.recordId,
                                    e.detail, e.prevHash}) {
        canonical += std::to_string(part.size());
        canonical += ':';
        canonical += part;
    }
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(),
                       reinterpret_cast<const unsigned char*>("signpost.audit.v1"), 17);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

Verification verifyChain(const std::vector<AuditEntry>& entries, int64_t firstSeq, const std::string& previousHash) {
    Verification v;
    std::string previous = previousHash;
    int64_t expected = firstSeq;
    for (const auto& e : entries) {
        if (e.seq != expected) {
            v.ok = false;
            v.problem = "entry " + std::to_string(expected) + (e.seq > expected ? " is missing" : " is duplicated");
            return v;
        }
        if (e.prevHash != previous) {
            v.ok = false;
            v.problem = "entry " + std::to_string(e.seq) + " does not follow entry " + std::to_string(e.seq - 1) +
                        " (one of them was altered or removed)";
            return v;
        }
        if (hashOf(e) != e.hash) {
            v.ok = false;
            v.problem = "entry " + std::to_string(e.seq) + " was altered after it was written";
            return v;
        }
        previous = e.hash;
        ++expected;
        ++v.checked;
    }
    return v;
}

} // namespace signpost::audit
