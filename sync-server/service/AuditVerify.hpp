#pragma once
// Verifies the audit logs devices have sent: each device's entries, in its own sequence, must form
// an unbroken hash chain from its first entry (shared/audit/AuditChain.hpp). A device's log that
// was edited before it synced, or an entry altered in the server's database, shows up here.
#include "store/ServerStore.hpp"

#include <string>
#include <vector>

namespace signpost::server {

struct DeviceChain {
    std::string device;
    size_t entries = 0;
    bool ok = true;
    std::string problem;
};

std::vector<DeviceChain> verifyAuditChains(ServerStore& store);

} // namespace signpost::server
