#include "AuditVerify.hpp"
#include "signpost/audit/AuditChain.hpp"

#include <algorithm>
#include <map>

namespace signpost::server {

std::vector<DeviceChain> verifyAuditChains(ServerStore& store) {
    std::map<std::string, std::vector<audit::AuditEntry>> byDevice;
    store.beginRead();
    std::vector<sync::Record> records;
    try {
        records = store.allRecords("audit");
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
    for (const auto& r : records) {
        const auto& f = r.fields;
        audit::AuditEntry e;
        e.seq = f.value("device_seq", int64_t{0});
        e.at = f.value("at", "");
        e.user = f.value("user", "");
        e.device = f.value("device", "");
        e.action = f.value("action", "");
        e.collection = f.value("target_collection", "");
        e.recordId = f.value("target_id", "");
        e.detail = f.value("detail", "");
        e.prevHash = f.value("prev_hash", "");
        e.hash = f.value("hash", "");
        byDevice[e.device].push_back(std::move(e));
    }
    std::vector<DeviceChain> out;
    for (auto& [device, entries] : byDevice) {
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
        auto v = audit::verifyChain(entries);
        out.push_back({device, entries.size(), v.ok, v.problem});
    }
    return out;
}

} // namespace signpost::server
