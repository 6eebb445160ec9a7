#pragma once
// The work queues each role sees (issue 4): read straight from the device's record table through
// its queue indexes, so they answer offline and fast (docs/benchmarks.md: ≤ 20 ms with 50,000
// referrals). Items carry no one's personal details: a queue shows status, service, dates and
// ages; opening an item goes through LocalStore::view, which is audited.
#include "signpost/db/Database.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/Access.hpp"

#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace signpost::client {

struct QueueItem {
    std::string collection;   // "referral", "appointment" or "alert"
    std::string id;
    std::string status;
    std::string area;
    std::string organisation; // organisation id (referral's provider)
    std::string owner;        // responsible practitioner (user id)
    std::string serviceId;    // referral: the chosen service (empty for appointments and alerts)
    std::string referralId;   // appointment/alert: the referral it belongs to
    std::string since;        // when it entered its current state (ISO 8601 UTC), best known
    std::string when;         // appointment: its start time; else empty
    int daysWaiting = 0;      // whole days since `since`
    bool abandoned = false;   // a draft untouched for longer than the configured age
    bool pending = false;     // has local changes not yet accepted by the server
};

struct Queue {
    std::string name;              // "drafts", "awaiting_review", … (a key into assets/lang)
    size_t total = 0;              // every item in the queue
    std::vector<QueueItem> items;  // the first `limit` of them, in the queue's order
};

struct QueueOptions {
    size_t limit = 200;            // items returned per queue (totals always count all)
    int abandonedDraftDays = 14;   // drafts untouched this long are flagged, never deleted
};

class Queues {
public:
    explicit Queues(db::Database& db, std::function<std::time_t()> clock = {}, QueueOptions options = {});

    // practitioner: drafts, submitted, returned, open (approved … in progress), alerts (open
    // enforcement alerts on their referrals). Newest change first, alerts oldest first.
    std::vector<Queue> practitioner(const std::string& userId);
    // supervisor: awaiting_review (submitted referrals in their areas, oldest first with days
    // waiting), then returned and approved-not-yet-sent for their areas.
    std::vector<Queue> supervisor(const sync::Principal& who);
    // provider: new (sent to their organisation, not yet accepted or declined), my_cases
    // (accepted / in progress), today (appointments scheduled today, by time).
    std::vector<Queue> provider(const sync::Principal& who);
    // Whichever of the above the principal's role sees (admins see the supervisor view of all areas).
    std::vector<Queue> forPrincipal(const sync::Principal& who);
    // The queue index a role's queues read: the one a device keeps for a user of that role
    // (schema::ensureQueueIndex; SyncEngine makes it at sign-in, before records arrive).
    static schema::QueueIndex indexFor(domain::Role role);

private:
    db::Database& m_db;
    std::function<std::time_t()> m_clock;
    QueueOptions m_options;
};

} // namespace signpost::client
