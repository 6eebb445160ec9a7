#include "signpost/client/Queues.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Time.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace signpost::client {

namespace {

using Statuses = std::vector<std::string>;

// Which record column a queue selects on (each has its own index, schema v5 and v12).
using Key = schema::QueueIndex;

struct QueueSpec {
    const char* name;
    const char* collection;
    Key key;
    Statuses statuses;
    bool oldestFirst;
};

const char* keyColumn(Key key) { return schema::queueIndexColumn(key); }

// Named outright: without statistics SQLite's planner prefers the (collection, id) primary key for
// `collection = ?` and would walk every record of the collection (EXPLAIN QUERY PLAN showed it).
const char* keyIndex(Key key) { return schema::queueIndexName(key); }

// Every area code a user bound to `areas` works in: the areas, the PDUs above them and the local
// authorities below them (the same overlap rule the server's access checks use).
std::vector<std::string> expandAreas(const std::vector<std::string>& areas) {
    std::set<std::string> out(areas.begin(), areas.end());
    for (const auto& area : domain::allAreas())
        if (sync::areasOverlap(areas, area.code)) out.insert(std::string(area.code));
    return {out.begin(), out.end()};
}

} // namespace

Queues::Queues(db::Database& db, std::function<std::time_t()> clock, QueueOptions options)
    : m_db(db), m_clock(clock ? std::move(clock) : [] { return std::time(nullptr); }), m_options(options) {}

namespace {

class Reader {
public:
    Reader(db::Database& db, std::time_t now, const QueueOptions& options) : m_db(db), m_options(options) {
        m_today = timeutil::daysSinceEpoch(now);
    }

    // `keys`: the values of the key column to match (one user id, several areas, one organisation).
    // `from`/`to`: an optional queue_at range [from, to).
    Queue read(const QueueSpec& spec, const std::vector<std::string>& keys, const std::string& from = {},
               const std::string& to = {}) {
        Queue q;
        q.name = spec.name;
        if (keys.empty()) return q;
        const std::string column = keyColumn(spec.key);
        // The device keeps the index once a queue of its key has been read (schema v12).
        schema::ensureQueueIndex(m_db, spec.key);
        // One ordered index range per (key, status), each cut at the limit, merged here: no query
        // ever sorts, and none reads more than `limit` entries (docs/benchmarks.md, queues).
        // The collection is written into the text (db::sqlText): bound, it made SQLite plan both
        // statements again at every step, as it does when a parameter decides whether a partial
        // index (these are) applies.
        const std::string source = std::string(" FROM record INDEXED BY ") + keyIndex(spec.key) +
                                   " WHERE collection = " + db::sqlText(spec.collection) + " AND " + column +
                                   " = ?1 AND status = ?2 AND " + schema::kQueueRows +
                                   " AND queue_at >= ?3 AND (?4 = '' OR queue_at < ?4)";
        const std::string order = spec.oldestFirst ? " ORDER BY queue_at ASC, id ASC" : " ORDER BY queue_at DESC, id DESC";
        for (const auto& key : keys)
            for (const auto& status : spec.statuses) {
                {
                    auto count = m_db.cached("SELECT count(*)" + source);
                    count->bindAll(key, status, from, to);
                    if (count->step()) q.total += static_cast<size_t>(count->getInt64(0));
                }
                auto rows = m_db.cached("SELECT id, status, area, organisation, owner, queue_at, local, link" + source +
                                        order + " LIMIT ?5");
                rows->bindAll(key, status, from, to, static_cast<int64_t>(m_options.limit));
                while (rows->step()) {
                    QueueItem item;
                    item.collection = spec.collection;
                    item.id = rows->getText(0);
                    item.status = rows->getText(1);
                    item.area = rows->getText(2);
                    item.organisation = rows->getText(3);
                    item.owner = rows->getText(4);
                    item.since = rows->getText(5);
                    item.pending = rows->getBool(6);
                    (item.collection == "referral" ? item.serviceId : item.referralId) = rows->getText(7);
                    q.items.push_back(std::move(item));
                }
            }
        auto before = [&](const QueueItem& x, const QueueItem& y) {
            if (x.since != y.since) return spec.oldestFirst ? x.since < y.since : x.since > y.since;
            return spec.oldestFirst ? x.id < y.id : x.id > y.id;
        };
        std::sort(q.items.begin(), q.items.end(), before);
        if (q.items.size() > m_options.limit) q.items.resize(m_options.limit);
        for (auto& item : q.items) {
            if (item.collection == "appointment") item.when = item.since;
            if (auto day = timeutil::parseIsoDate(item.since)) {
                item.daysWaiting = static_cast<int>(std::max<int64_t>(0, m_today - *day));
                item.abandoned = item.status == "draft" && item.daysWaiting > m_options.abandonedDraftDays;
            }
        }
        return q;
    }

private:
    db::Database& m_db;
    const QueueOptions& m_options;
    int64_t m_today = 0;
};

const Statuses kOpen{"approved", "sent", "accepted", "in_progress"};

} // namespace

std::vector<Queue> Queues::practitioner(const std::string& userId) {
    Reader reader(m_db, m_clock(), m_options);
    const std::vector<std::string> me{userId};
    return {
        reader.read({"drafts", "referral", Key::Owner, {"draft"}, false}, me),
        reader.read({"submitted", "referral", Key::Owner, {"submitted"}, false}, me),
        reader.read({"returned", "referral", Key::Owner, {"returned"}, false}, me),
        reader.read({"open", "referral", Key::Owner, kOpen, false}, me),
        reader.read({"alerts", "alert", Key::Owner, {"open"}, true}, me),
    };
}

std::vector<Queue> Queues::supervisor(const sync::Principal& who) {
    Reader reader(m_db, m_clock(), m_options);
    std::vector<std::string> areas;
    if (who.role == domain::Role::Admin) {
        for (const auto& area : domain::allAreas()) areas.emplace_back(area.code);
    } else {
        areas = expandAreas(who.areas);
    }
    return {
        reader.read({"awaiting_review", "referral", Key::Area, {"submitted"}, true}, areas),
        reader.read({"returned", "referral", Key::Area, {"returned"}, true}, areas),
        reader.read({"approved", "referral", Key::Area, {"approved"}, true}, areas),
        reader.read({"alerts", "alert", Key::Area, {"open"}, true}, areas),
    };
}

std::vector<Queue> Queues::provider(const sync::Principal& who) {
    const std::time_t now = m_clock();
    Reader reader(m_db, now, m_options);
    const std::vector<std::string> org{who.organisation};
    // "Today" is the UK civil day; appointment times are UTC.
    const bool bst = timeutil::ukLocalTime(now).summerTime;
    const int64_t offset = bst ? 3600 : 0;
    const int64_t localDay = timeutil::daysSinceEpoch(static_cast<std::time_t>(now + offset));
    const std::string from = timeutil::isoDateTimeUtc(static_cast<std::time_t>(localDay * 86400 - offset));
    const std::string to = timeutil::isoDateTimeUtc(static_cast<std::time_t>((localDay + 1) * 86400 - offset));
    return {
        reader.read({"new", "referral", Key::Organisation, {"sent"}, true}, org),
        reader.read({"my_cases", "referral", Key::Organisation, {"accepted", "in_progress"}, false}, org),
        reader.read({"today", "appointment", Key::Organisation,
                     {"scheduled", "attended", "late", "absent_acceptable", "absent_unacceptable", "did_not_happen"},
                     true},
                    org, from, to),
    };
}

schema::QueueIndex Queues::indexFor(domain::Role role) {
    switch (role) {
    case domain::Role::Practitioner: return Key::Owner;
    case domain::Role::Provider: return Key::Organisation;
    case domain::Role::Supervisor:
    case domain::Role::Admin: return Key::Area;
    }
    return Key::Owner;
}

std::vector<Queue> Queues::forPrincipal(const sync::Principal& who) {
    switch (who.role) {
    case domain::Role::Practitioner: return practitioner(who.userId);
    case domain::Role::Provider: return provider(who);
    case domain::Role::Supervisor:
    case domain::Role::Admin: return supervisor(who);
    }
    return {};
}

} // namespace signpost::client
