#include "signpost/client/AuditLog.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/util/Csv.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"


namespace signpost::client {

namespace {
using audit::kGenesis;


AuditEntry readEntry(db::Statement& q) {
    return {q.getInt64(0), q.getText(1), q.getText(2), q.getText(3), q.getText(4),
            q.getText(5), q.getText(6), q.getText(7), q.getText(8), q.getText(9)};
}

constexpr const char* kColumns = "seq, at, user, device, action, collection, record_id, detail, prev_hash, hash";
} // namespace

AuditEntry AuditLog::record(const std::string& user, const std::string& device, const std::string& action,
                            const std::string& collection, const std::string& recordId, const std::string& detail,
                            LocalStore* store) {
    AuditEntry e;
    {
        auto q = m_db.cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        if (q->step()) {
            e.seq = q->getInt64(0) + 1;
            e.prevHash = q->getText(1);
        } else {
            e.seq = 1;
            e.prevHash = kGenesis;
        }
    }
    const std::time_t at = m_clock ? m_clock() : std::time(nullptr);
    e.at = timeutil::isoDateTimeUtc(at);
    e.user = user;
    e.device = device;
    e.action = action;
    e.collection = collection;
    e.recordId = recordId;
    e.detail = detail;
    e.hash = hashOf(e);
    auto q = m_db.cached(std::string("INSERT INTO audit_log (") + kColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    q->bindAll(e.seq, e.at, e.user, e.device, e.action, e.collection, e.recordId, e.detail, e.prevHash, e.hash);
    q->exec();
    if (store) {
        nlohmann::json fields{{"device", e.device},    {"device_seq", e.seq},   {"at", e.at},
                              {"user", e.user},        {"action", e.action},    {"target_collection", e.collection},
                              {"target_id", e.recordId}, {"detail", e.detail}, {"prev_hash", e.prevHash},
                              {"hash", e.hash}};
        // Derived from the device's entry (one id per entry) and led by its time, so a device's
        // entries are appended to the record indexes rather than scattered over them.
        store->create("audit", fields,
                      uuid::fromName("audit:" + e.device + ":" + std::to_string(e.seq), static_cast<int64_t>(at) * 1000));
    }
    return e;
}

std::vector<AuditEntry> AuditLog::entries(const std::string& from, const std::string& to) {
    auto q = m_db.cached(std::string("SELECT ") + kColumns +
                         " FROM audit_log WHERE (?1 = '' OR at >= ?1) AND (?2 = '' OR at < ?2) ORDER BY seq");
    q->bind(1, from).bind(2, to);
    std::vector<AuditEntry> out;
    while (q->step()) out.push_back(readEntry(*q));
    return out;
}

AuditLog::Verification AuditLog::verify() {
    return audit::verifyChain(entries());
}

std::string AuditLog::exportCsv(const std::string& from, const std::string& to) {
    std::string out = "seq,at,user,device,action,collection,record_id,detail,prev_hash,hash\r\n";
    for (const auto& e : entries(from, to)) {
        out += std::to_string(e.seq) + "," + csv::field(e.at) + "," + csv::field(e.user) + "," + csv::field(e.device) + "," +
               csv::field(e.action) + "," + csv::field(e.collection) + "," + csv::field(e.recordId) + "," + csv::field(e.detail) +
               "," + e.prevHash + "," + e.hash + "\r\n";
    }
    return out;
}

} // namespace signpost::client
