#include "signpost/directory/DirectoryStore.hpp"
#include "IndexBuild.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/Synonyms.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Uuid.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <system_error>

namespace signpost::directory {

using namespace signpost::domain;

namespace {

std::string joinCodes(const std::vector<std::string>& codes) { return text::join(codes, " "); }

std::string supervisionCodes(const std::vector<SupervisionType>& types) {
    std::vector<std::string> codes;
    for (auto type : types) codes.emplace_back(toCode(type));
    return joinCodes(codes);
}

std::vector<SupervisionType> parseSupervisionCodes(std::string_view s) {
    std::vector<SupervisionType> out;
    for (const auto& code : text::split(s, ' '))
        if (auto type = parseSupervisionType(code)) out.push_back(*type);
    return out;
}

// A service's own lists, kept in its row (local schema v14). Areas and needs: space-separated
// codes, sorted and unique. Contacts: a JSON array of objects (empty strings left out). Opening
// times: a JSON array of [weekday, opens, closes] with the note fourth when there is one, in
// day and time order; search's "open now" reads them with json_each.
std::string sortedCodes(std::vector<std::string> codes) {
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    return joinCodes(codes);
}

std::string contactsJson(const Service& s) {
    std::string out = "[";
    int n = 0;
    for (const auto& c : s.contacts) {
        if (n) out += ',';
        out += "{\"id\":";
        jsontext::appendQuoted(out, c.id.empty() ? uuid::fromName(s.id + "/contact/" + std::to_string(n)) : c.id);
        for (auto [name, value] : {std::pair<const char*, const std::string*>{"name", &c.name},
                                   {"title", &c.title}, {"phone", &c.phone}, {"email", &c.email}}) {
            if (value->empty()) continue;
            out += ",\"";
            out += name;
            out += "\":";
            jsontext::appendQuoted(out, *value);
        }
        if (c.sample) out += ",\"sample\":true";
        out += '}';
        ++n;
    }
    out += ']';
    return out;
}

bool isClock(std::string_view t) {
    return t.size() == 5 && t[0] >= '0' && t[0] <= '2' && t[1] >= '0' && t[1] <= '9' && t[2] == ':' && t[3] >= '0' &&
           t[3] <= '5' && t[4] >= '0' && t[4] <= '9';
}

std::string openingTimesJson(const Service& s) {
    std::vector<const OpeningTime*> times;
    for (const auto& t : s.openingTimes) {
        if (t.weekday < 1 || t.weekday > 7)
            throw Error::validation("service " + s.id + ": opening time on weekday " + std::to_string(t.weekday) +
                                    " (1 = Monday … 7 = Sunday)");
        if (!isClock(t.opens) || !isClock(t.closes))
            throw Error::validation("service " + s.id + ": opening time " + t.opens + "–" + t.closes +
                                    " is not HH:MM to HH:MM");
        times.push_back(&t);
    }
    std::stable_sort(times.begin(), times.end(), [](const OpeningTime* a, const OpeningTime* b) {
        return a->weekday != b->weekday ? a->weekday < b->weekday : a->opens < b->opens;
    });
    std::string out = "[";
    for (const OpeningTime* t : times) {
        if (out.size() > 1) out += ',';
        out += '[';
        out += static_cast<char>('0' + t->weekday);
        out += ",\"";
        out += t->opens; // checked above: digits and a colon
        out += "\",\"";
        out += t->closes;
        out += '"';
        if (!t->note.empty()) {
            out += ',';
            jsontext::appendQuoted(out, t->note);
        }
        out += ']';
    }
    out += ']';
    return out;
}

// A location given without an id gets one from its service's id and its place in the list.
std::string locationId(const std::string& serviceId, int position) {
    return uuid::fromName(serviceId + "/location/" + std::to_string(position));
}

std::string jsonString(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<Contact> parseContacts(std::string_view text) {
    std::vector<Contact> out;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_array()) return out;
    for (const auto& c : doc) {
        if (!c.is_object()) continue;
        auto sample = c.find("sample");
        out.push_back({jsonString(c, "id"), jsonString(c, "name"), jsonString(c, "title"), jsonString(c, "phone"),
                       jsonString(c, "email"), sample != c.end() && sample->is_boolean() && sample->get<bool>()});
    }
    return out;
}

std::vector<OpeningTime> parseOpeningTimes(std::string_view text) {
    std::vector<OpeningTime> out;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_array()) return out;
    for (const auto& t : doc) {
        if (!t.is_array() || t.size() < 3 || !t[0].is_number_integer() || !t[1].is_string() || !t[2].is_string())
            continue;
        out.push_back({t[0].get<int>(), t[1].get<std::string>(), t[2].get<std::string>(),
                       t.size() > 3 && t[3].is_string() ? t[3].get<std::string>() : std::string()});
    }
    return out;
}

} // namespace

// --------------------------------------------------------------------------------------- tags

namespace {
constexpr bool everyTagMarked() {
    for (std::string_view tag : {tags::kCovers, tags::kWithin, tags::kNeed, tags::kRoute, tags::kSupervision,
                                 tags::kAnySupervision, tags::kWomenOnly, tags::kHighRisk, tags::kWelsh, tags::kHub,
                                 tags::kCoLocated})
        if (tag.substr(0, kTagMark.size()) != kTagMark) return false;
    return true;
}
static_assert(everyTagMarked(), "every filter tag starts with the tag mark");
} // namespace

std::string tags::token(std::string_view prefix, std::string_view code) {
    std::string out(prefix);
    for (char c : code) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
        else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c + 32);
    }
    return out;
}

std::string tags::forService(const Service& service) {
    std::vector<std::string> out; // a dozen or so: sorted once, not kept in a tree
    out.reserve(16);
    for (const auto& area : service.areas) {
        out.push_back(token(kCovers, area));
        out.push_back(token(kWithin, area));
        for (auto ancestor : ancestorsOf(area))
            out.push_back(token(kWithin, ancestor));
    }
    for (const auto& need : service.needs) {
        out.push_back(token(kNeed, need));
        for (auto parent : needAncestors(need))
            out.push_back(token(kNeed, parent));
    }
    if (service.commissioningRoute) out.push_back(token(kRoute, toCode(*service.commissioningRoute)));
    if (service.supervisionTypes.empty()) out.emplace_back(kAnySupervision);
    for (auto type : service.supervisionTypes)
        out.push_back(token(kSupervision, toCode(type)));
    if (service.womenOnly) out.emplace_back(kWomenOnly);
    if (service.highRiskSuitable) out.emplace_back(kHighRisk);
    if (service.welshLanguage()) out.emplace_back(kWelsh);
    if (service.hub) out.emplace_back(kHub);
    if (service.coLocated) out.emplace_back(kCoLocated);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    size_t bytes = out.size();
    for (const auto& t : out)
        bytes += t.size();
    std::string joined;
    joined.reserve(bytes);
    for (const auto& t : out) {
        if (!joined.empty()) joined += ' ';
        joined += t;
    }
    return joined;
}

// The block of rowids a new service takes: its most specific known area's position in the area
// table (which lists areas in geographic order), or 0 when it names none we know.
uint32_t areaSlot(const std::vector<std::string>& areas) {
    const auto all = allAreas();
    uint32_t best = 0;
    int bestDepth = -1;
    for (const auto& code : areas) {
        const Area* area = areaByCode(code);
        if (!area) continue;
        int depth = 0; // how many areas contain it
        for (const Area* up = area; up && !up->parent.empty(); up = areaByCode(up->parent))
            ++depth;
        if (depth > bestDepth) {
            bestDepth = depth;
            best = static_cast<uint32_t>(area - all.data()) + 1;
        }
    }
    return best;
}

// ------------------------------------------------------------------------------ organisations

void DirectoryStore::upsertOrganisation(const Organisation& org, std::optional<std::string_view> extra) {
    // Within a load into an empty directory, an organisation this load has neither written nor
    // been asked for by a service is not there, and no service names it: nothing to read back.
    deferLoadIndexes();
    const bool cachesValid = loadCachesValid();
    const uint64_t idHash = util::IdMap<OrganisationNames>::hashOf(org.id);
    const bool unseen = cachesValid && loadBeganEmpty() && !m_loadOrganisations.contains(org.id, idHash);
    m_loadOrganisations.erase(org.id, idHash);
    // A new row settles the services naming it: SQLite looks for them by organisation.
    if (m_db.deferredForeignKeysPending()) restoreLoadIndexes();
    std::optional<db::Savepoint> sp; // none in an all-or-nothing load
    if (!m_writeWithoutSavepoint) sp.emplace(m_db, "org");
    std::optional<std::pair<std::string, std::string>> previous;
    if (!unseen) {
        auto q = m_db.cached("SELECT name, name_cy FROM organisation WHERE id = ?1");
        q->bind(1, org.id);
        if (q->step()) previous = std::pair{q->getText(0), q->getText(1)};
    }
    {
        // The extra (?12) is written when the caller gave one (?13); else the stored one stays.
        auto q = m_db.cached(R"sql(
INSERT INTO organisation (id, name, name_cy, description, website, email, phone, isa_status, isa_from, isa_to, sample,
                          extra)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, name_cy = excluded.name_cy, description = excluded.description,
    website = excluded.website, email = excluded.email, phone = excluded.phone,
    isa_status = excluded.isa_status, isa_from = excluded.isa_from, isa_to = excluded.isa_to,
    sample = excluded.sample, extra = CASE WHEN ?13 THEN excluded.extra ELSE extra END)sql");
        std::optional<std::string_view> extraText; // none: NULL
        if (extra && !extra->empty()) extraText = *extra;
        q->bindAllStatic(org.id, org.name, org.nameCy, org.description, org.website, org.email, org.phone,
                         toCode(org.isaStatus), org.isaFrom, org.isaTo, org.sample, extraText, extra.has_value());
        q->exec();
    }
    // Services may have arrived first (or the name changed): their index carries the org name.
    if (!unseen && (!previous || previous->first != org.name || previous->second != org.nameCy)) {
        restoreLoadIndexes();
        std::vector<int64_t> rowids;
        auto q = m_db.cached("SELECT rowid FROM service WHERE organisation_id = ?1");
        q->bind(1, org.id);
        while (q->step()) rowids.push_back(q->getInt64(0));
        for (auto rowid : rowids) reindexService(rowid);
    }
    if (sp) sp->release();
    // A load's services find the names they are indexed with here, not by reading the row back
    // (a seed writes its 25,000 organisations before their services).
    if (loadCachesValid()) {
        OrganisationNames names{org.name, org.nameCy, organisationColumn(org.name, org.nameCy)};
        if (OrganisationNames* stored = m_loadOrganisations.find(org.id, idHash))
            *stored = std::move(names); // a reindex above read them meanwhile
        else
            m_loadOrganisations.tryEmplace(org.id, idHash, std::move(names));
    }
}

bool DirectoryStore::loadBeganEmpty() {
    // After a rollback the load's caches no longer hold all it wrote (loadCachesValid).
    if (!m_bulk || !m_db.inTransaction() || m_db.rollbacks() != m_loadRollbacksAtStart) return false;
    if (!m_loadBeganEmpty)
        m_loadBeganEmpty =
            m_db.queryInt64("SELECT NOT EXISTS (SELECT 1 FROM service) AND NOT EXISTS (SELECT 1 FROM organisation)")
                .value_or(0) != 0;
    return *m_loadBeganEmpty;
}

void DirectoryStore::deferLoadIndexes() {
    if (!m_bulk || m_loadIndexesDecided) return;
    m_loadIndexesDecided = true;
    if (!loadBeganEmpty()) return;
    struct Deferred {
        std::string name, create, drop;
    };
    std::vector<Deferred> indexes;
    for (const char* table : {"service", "service_location"}) {
        auto q = m_db.prepare("SELECT l.name, s.sql, printf('DROP INDEX main.\"%w\"', l.name) "
                              "FROM pragma_index_list(?1, 'main') AS l "
                              "JOIN main.sqlite_schema AS s ON s.type = 'index' AND s.name = l.name "
                              "WHERE l.origin = 'c' AND NOT l.\"unique\" AND s.sql IS NOT NULL");
        q.bind(1, std::string_view(table));
        while (q.step())
            indexes.push_back({q.getText(0), q.getText(1), q.getText(2)});
    }
    for (auto& index : indexes) {
        m_db.exec(index.drop);
        // Each as it goes: a failure leaves none lost.
        m_deferredIndexes.emplace_back(std::move(index.name), std::move(index.create));
    }
}

void DirectoryStore::restoreLoadIndexes() {
    if (m_deferredIndexes.empty()) return;
    auto exists = m_db.cached("SELECT 1 FROM main.sqlite_schema WHERE type = 'index' AND name = ?1");
    while (!m_deferredIndexes.empty()) {
        const auto& [name, sql] = m_deferredIndexes.back();
        exists->bind(1, name);
        const bool there = exists->step(); // a rollback past the drop brought it back
        exists->reset();
        if (!there) m_db.exec(sql);
        m_deferredIndexes.pop_back();
    }
}

std::pair<std::string, std::string> DirectoryStore::organisationNames(const std::string& id) {
    auto q = m_db.cached("SELECT name, name_cy FROM organisation WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return {};
    return {q->getText(0), q->getText(1)};
}

std::optional<Organisation> DirectoryStore::organisation(std::string_view id) {
    auto q = m_db.cached(
        "SELECT id, name, name_cy, description, website, email, phone, isa_status, isa_from, isa_to, sample "
        "FROM organisation WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    Organisation org;
    org.id = q->getText(0);
    org.name = q->getText(1);
    org.nameCy = q->getText(2);
    org.description = q->getText(3);
    org.website = q->getText(4);
    org.email = q->getText(5);
    org.phone = q->getText(6);
    org.isaStatus = parseIsaStatus(q->getTextView(7)).value_or(IsaStatus::None);
    org.isaFrom = q->getOptText(8);
    org.isaTo = q->getOptText(9);
    org.sample = q->getBool(10);
    return org;
}

// ----------------------------------------------------------------------------------- services

DirectoryStore::PreparedService DirectoryStore::prepare(Service&& service) {
    PreparedService p;
    p.supervision = supervisionCodes(service.supervisionTypes);
    p.languages = joinCodes(service.languages);
    p.areas = sortedCodes(service.areas);
    p.needs = sortedCodes(service.needs);
    p.contacts = contactsJson(service);
    p.openingTimes = openingTimesJson(service);
    p.slot = areaSlot(service.areas);
    p.entry = entryFor(service);
    for (size_t i = 0; i < service.locations.size(); ++i)
        if (service.locations[i].id.empty()) service.locations[i].id = locationId(service.id, static_cast<int>(i));
    p.service = std::move(service);
    return p;
}

int64_t DirectoryStore::upsertPrepared(PreparedService&& prepared, bool* inserted) {
    const Service& s = prepared.service;
    deferLoadIndexes();
    std::optional<db::Savepoint> sp; // none in an all-or-nothing load
    if (!m_writeWithoutSavepoint) sp.emplace(m_db, "svc");
    int64_t rowid = 0;
    if (!prepared.isNew) {
        auto q = m_db.cached("SELECT rowid FROM service WHERE id = ?1");
        q->bind(1, s.id);
        if (q->step()) rowid = q->getInt64(0);
    }
    // Text is bound in place (the service outlives each statement's run), not copied.
    auto bindAll = [&](db::Statement& q) {
        q.bindStatic(1, s.id);
        if (s.organisationId.empty())
            q.bind(2, nullptr);
        else
            q.bindStatic(2, s.organisationId);
        q.bindStaticTerminated(3, s.name); // CHECK (length(name) > 0) reads it as C text: no copy
        q.bindStatic(4, s.nameCy);
        q.bindStatic(5, s.description);
        q.bindStatic(6, s.descriptionCy);
        q.bindStatic(7, s.url);
        q.bindStatic(8, s.email);
        q.bindStatic(9, s.status);
        if (s.commissioningRoute)
            q.bindStatic(10, toCode(*s.commissioningRoute));
        else
            q.bind(10, nullptr);
        q.bind(11, s.minAge);
        q.bind(12, s.maxAge);
        q.bind(13, s.womenOnly);
        q.bind(14, s.highRiskSuitable);
        q.bind(15, s.hub);
        q.bind(16, s.coLocated);
        q.bindStatic(17, prepared.supervision);
        q.bindStatic(18, prepared.languages);
        q.bindStatic(19, s.eligibility);
        q.bindStatic(20, s.keywords);
        q.bindInPlace(21, s.lastVerified);
        q.bindStatic(22, s.lastModified);
        q.bindStatic(23, s.source);
        q.bind(24, s.sample);
        q.bindStatic(26, prepared.areas);
        q.bindStatic(27, prepared.needs);
        q.bindStatic(28, prepared.contacts);
        q.bindStatic(29, prepared.openingTimes);
    };
    auto bindExtra = [&](db::Statement& q) {
        if (prepared.extra && !prepared.extra->empty())
            q.bindStatic(30, *prepared.extra);
        else
            q.bind(30, nullptr);
    };
    const bool created = rowid == 0;
    std::vector<int64_t> unlinked; // an update: the locations it linked before
    if (created) {
        // Rowids are clustered by the service's primary area (docs/search.md): an area-filtered
        // search then intersects doclists over a narrow rowid range, and FTS5's doclist index lets
        // it skip the pages in between.
        const int64_t slot = static_cast<int64_t>(prepared.slot) << 32;
        const bool cache = loadCachesValid();
        auto known = cache ? m_loadNextRowid.find(prepared.slot) : m_loadNextRowid.end();
        if (known != m_loadNextRowid.end()) {
            rowid = known->second;
        } else {
            auto next = m_db.cached("SELECT coalesce(max(rowid), ?1) + 1 FROM service WHERE rowid BETWEEN ?1 AND ?2");
            next->bind(1, slot).bind(2, static_cast<int64_t>(slot + 0xFFFFFFFF));
            next->step();
            rowid = next->getInt64(0);
        }
        auto q = m_db.cached(R"sql(
INSERT INTO service (rowid, id, organisation_id, name, name_cy, description, description_cy, url, email, status,
    commissioning_route, min_age, max_age, women_only, high_risk_suitable, hub, co_located, supervision_types,
    languages, eligibility, keywords, last_verified, last_modified, source, sample, areas, needs, contacts, opening_times,
    extra)
VALUES (?25, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
        ?26, ?27, ?28, ?29, ?30)
)sql");
        bindAll(*q);
        bindExtra(*q);
        q->bind(25, rowid);
        q->exec();
        if (cache) m_loadNextRowid[prepared.slot] = rowid + 1; // if this one rolls back, so does the cache
    } else {
        // The extra (?30) is written when the caller set one (?31); else the stored one stays.
        auto q = m_db.cached(R"sql(
UPDATE service SET organisation_id = ?2, name = ?3, name_cy = ?4, description = ?5, description_cy = ?6,
    url = ?7, email = ?8, status = ?9, commissioning_route = ?10, min_age = ?11, max_age = ?12,
    women_only = ?13, high_risk_suitable = ?14, hub = ?15, co_located = ?16, supervision_types = ?17,
    languages = ?18, eligibility = ?19, keywords = ?20, last_verified = ?21, last_modified = ?22,
    source = ?23, sample = ?24, areas = ?26, needs = ?27, contacts = ?28, opening_times = ?29,
    extra = CASE WHEN ?31 THEN ?30 ELSE extra END
WHERE id = ?1)sql");
        bindAll(*q);
        bindExtra(*q);
        q->bind(31, prepared.extra.has_value());
        q->exec();
        unlinked = linkedLocations(rowid);
        auto d = m_db.cached("DELETE FROM service_location WHERE service_rowid = ?1");
        d->bind(1, rowid);
        d->exec();
    }
    writeLocations(rowid, s, prepared.locationExtras);
    dropUnlinkedLocations(unlinked); // a location the service no longer has, if no other has it
    index(rowid, s.organisationId, std::move(prepared.entry), created);
    if (sp) sp->release();
    if (inserted) *inserted = created;
    return rowid;
}

void DirectoryStore::writeLocations(int64_t rowid, const Service& s,
                                    const std::vector<std::optional<std::string>>& extras) {
    // One upsert, whose insert leaves its rowid as the last inserted (an update leaves it
    // alone: 0, set first), rather than a lookup before each write (0.11 s of a 100,000-service
    // import). Not RETURNING, which SQLite runs through a table of its own for the returned rows
    // (0.3 s more for a 100,000-service seed: docs/benchmarks.md). The extra (?8) is written when
    // the caller set one (?9); else the stored one stays.
    auto upsert = m_db.cached(R"sql(
INSERT INTO location (id, name, address, city, postcode, latitude, longitude, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, city = excluded.city,
    postcode = excluded.postcode, latitude = excluded.latitude, longitude = excluded.longitude,
    extra = CASE WHEN ?9 THEN excluded.extra ELSE extra END)sql");
    auto link = m_db.cached(
        "INSERT OR IGNORE INTO service_location (service_rowid, location_rowid, position) VALUES (?1, ?2, ?3)");
    int position = 0;
    for (const auto& l : s.locations) {
        const std::string id = l.id.empty() ? locationId(s.id, position) : l.id; // prepare() fills it in
        const size_t at = static_cast<size_t>(position);
        const bool setExtra = at < extras.size() && extras[at];
        std::optional<std::string_view> extraText; // none: NULL
        if (setExtra && !extras[at]->empty()) extraText = *extras[at];
        m_db.setLastInsertRowid(0);
        upsert->bindAllStatic(id, l.name, l.address, l.city, l.postcode, l.latitude, l.longitude, extraText, setExtra);
        upsert->exec();
        upsert->reset();
        int64_t locRowid = m_db.lastInsertRowid();
        if (locRowid == 0) { // updated
            auto find = m_db.cached("SELECT rowid FROM location WHERE id = ?1");
            find->bind(1, id);
            if (!find->step()) throw Error(ErrorDomain::Internal, "location " + id + " was neither inserted nor found");
            locRowid = find->getInt64(0);
        }
        link->bindAll(rowid, locRowid, position);
        link->exec();
        link->reset();
        ++position;
    }
}

std::vector<int64_t> DirectoryStore::linkedLocations(int64_t serviceRowid) {
    std::vector<int64_t> out;
    auto q = m_db.cached("SELECT location_rowid FROM service_location WHERE service_rowid = ?1");
    q->bind(1, serviceRowid);
    while (q->step())
        out.push_back(q->getInt64(0));
    return out;
}

void DirectoryStore::dropUnlinkedLocations(const std::vector<int64_t>& locations) {
    if (locations.empty()) return;
    restoreLoadIndexes(); // looked for by location, and deleting one deletes its links by location
    auto d = m_db.cached("DELETE FROM location WHERE rowid = ?1 AND NOT EXISTS "
                         "(SELECT 1 FROM service_location WHERE location_rowid = ?1)");
    for (int64_t location : locations) {
        d->bind(1, location);
        d->exec();
        d->reset();
    }
}

DirectoryStore::IndexEntry DirectoryStore::entryFor(const Service& s) {
    IndexEntry entry;
    // Only services a practitioner can refer to are searchable.
    entry.searchable = s.status == "active";
    if (entry.searchable) {
        entry.name = s.nameCy.empty() ? s.name : s.name + " " + s.nameCy;
        entry.description = s.description;
        if (!s.descriptionCy.empty()) entry.description += "\n" + s.descriptionCy;
        if (!s.eligibility.empty()) entry.description += "\n" + s.eligibility;
        // Keywords: the publisher's, plus the names of the needs and areas in both languages,
        // so "debt bolton" or "llety caerdydd" finds services without knowing our codes.
        entry.keywords = s.keywords;
        for (const auto& code : s.needs) {
            if (const Need* need = needByCode(code)) {
                entry.keywords += ' ';
                entry.keywords += need->nameEn;
                entry.keywords += ' ';
                entry.keywords += need->nameCy;
            }
        }
        for (const auto& code : s.areas) {
            if (const Area* area = areaByCode(code)) {
                entry.keywords += ' ';
                entry.keywords += area->nameEn;
                if (area->nameCy != area->nameEn) {
                    entry.keywords += ' ';
                    entry.keywords += area->nameCy;
                }
            }
        }
        // Each column also carries the concept tokens of the synonym groups its words belong to
        // (Synonyms.hpp). A mark in the publisher's text is not one of ours and goes (Marks.hpp).
        for (std::string* column : {&entry.name, &entry.description, &entry.keywords}) {
            if (hasIndexMark(*column)) *column = withoutIndexMarks(*column);
            *column += conceptsIn(*column);
        }
        entry.tags = tags::forService(s);
        auto& card = entry.card;
        card.id = s.id;
        card.name = s.name;
        card.nameCy = s.nameCy;
        card.lastVerified = s.lastVerified;
        if (s.commissioningRoute) card.route = std::string(toCode(*s.commissioningRoute));
        if (!s.locations.empty()) {
            card.town = s.locations.front().city;
            card.postcode = s.locations.front().postcode;
        }
        card.welsh = s.welshLanguage();
        card.womenOnly = s.womenOnly;
        card.hub = s.hub;
        card.coLocated = s.coLocated;
        card.highRisk = s.highRiskSuitable;
        card.areas = sortedCodes(s.areas);
        card.needs = sortedCodes(s.needs);
        entry.minLat = entry.minLon = 1e9;
        entry.maxLat = entry.maxLon = -1e9;
        for (const auto& l : s.locations) {
            if (!l.latitude || !l.longitude) continue;
            entry.located = true;
            entry.minLat = std::min(entry.minLat, *l.latitude);
            entry.maxLat = std::max(entry.maxLat, *l.latitude);
            entry.minLon = std::min(entry.minLon, *l.longitude);
            entry.maxLon = std::max(entry.maxLon, *l.longitude);
        }
    }
    return entry;
}

DirectoryStore::DirectoryStore(db::Database& db) : m_db(db) {}

DirectoryStore::~DirectoryStore() = default;

const std::string& DirectoryStore::organisationColumn(const std::string& name, const std::string& nameCy) {
    std::string key = name;
    key += '\0';
    key += nameCy;
    auto it = m_organisationColumns.find(key);
    if (it != m_organisationColumns.end()) return it->second;
    if (m_organisationColumns.size() >= 100000) m_organisationColumns.clear(); // bounded
    std::string column = nameCy.empty() || nameCy == name ? name : name + " " + nameCy;
    if (hasIndexMark(column)) column = withoutIndexMarks(column);
    column += conceptsIn(column);
    return m_organisationColumns.emplace(std::move(key), std::move(column)).first->second;
}

bool DirectoryStore::loadCachesValid() {
    if (m_bulk && m_db.inTransaction() && m_db.rollbacks() == m_loadRollbacks) return true;
    m_loadOrganisations.clear();
    m_loadNextRowid.clear();
    m_loadRollbacks = m_db.rollbacks();
    return m_bulk && m_db.inTransaction();
}

void DirectoryStore::index(int64_t rowid, const std::string& organisationId, IndexEntry entry, bool created) {
    entry.rowid = rowid;
    entry.created = created;
    setOrganisation(entry, organisationId);
    if (!m_bulk) {
        applyIndex(entry, true);
        return;
    }
    m_pending.push_back(std::move(entry));
    if (m_builder) {
        m_builder->offer(m_pending.back());
        // Its result card and staged text now, while the builder takes the FTS index; its box is
        // packed with the others at finish() (which drops all three if the queue indexes the
        // load after all).
        if (!m_builder->givenUp() && m_pending.back().searchable) {
            detail::insertCard(m_db, m_pending.back());
            detail::insertStagedText(m_db, m_pending.back());
        }
    }
}

void DirectoryStore::setOrganisation(IndexEntry& entry, const std::string& organisationId) {
    entry.organisation.clear();
    entry.card.organisation.clear();
    entry.card.organisationCy.clear();
    if (entry.searchable && !organisationId.empty()) {
        if (loadCachesValid()) {
            const uint64_t idHash = util::IdMap<OrganisationNames>::hashOf(organisationId);
            const OrganisationNames* names = m_loadOrganisations.find(organisationId, idHash);
            if (!names) {
                auto [name, nameCy] = organisationNames(organisationId);
                std::string column = organisationColumn(name, nameCy);
                names = m_loadOrganisations
                            .tryEmplace(organisationId, idHash,
                                        OrganisationNames{std::move(name), std::move(nameCy), std::move(column)})
                            .first;
            }
            entry.organisation = names->column;
            entry.card.organisation = names->name;
            entry.card.organisationCy = names->nameCy;
        } else {
            auto [name, nameCy] = organisationNames(organisationId);
            entry.organisation = organisationColumn(name, nameCy);
            entry.card.organisation = std::move(name);
            entry.card.organisationCy = std::move(nameCy);
        }
    }
}

void DirectoryStore::removeFromIndex(int64_t rowid, bool maintainTerms) {
    if (maintainTerms) {
        auto old = m_db.cached("SELECT name, description, organisation, keywords FROM service_fts WHERE rowid = ?1");
        old->bind(1, rowid);
        if (old->step()) {
            std::string text;
            for (int c = 0; c < 4; ++c) {
                text += old->getTextView(c);
                text += '\n';
            }
            countTerms(text, -1);
        }
    }
    for (const char* sql : {"DELETE FROM service_fts WHERE rowid = ?1", "DELETE FROM service_geo WHERE id = ?1",
                            "DELETE FROM service_card WHERE rowid = ?1"}) {
        auto d = m_db.cached(sql);
        d->bind(1, rowid);
        d->exec();
    }
}

void DirectoryStore::applyIndex(const IndexEntry& e, bool maintainTerms) {
    if (!e.created) removeFromIndex(e.rowid, maintainTerms);
    if (!e.searchable) return;
    detail::insertIndexRows(m_db, e);
    if (maintainTerms) countTerms(e.name + '\n' + e.description + '\n' + e.organisation + '\n' + e.keywords, +1);
}

const db::FtsTokenizer& DirectoryStore::tokenizer() {
    if (!m_tokenizer) m_tokenizer = std::make_unique<db::FtsTokenizer>(m_db, schema::kServiceTextTokenizer);
    return *m_tokenizer;
}

void DirectoryStore::countTerms(std::string_view text, int delta) {
    // The words FTS5 indexed, as the one-pass rebuild reads them from it (its vocabulary).
    auto tokens = tokenizer().tokenize(text, db::FtsTokenizer::Purpose::Document);
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    tokens.emplace_back(); // '' counts searchable services
    auto q = m_db.cached("INSERT INTO search_term (term, docs) VALUES (?1, max(0, ?2)) "
                         "ON CONFLICT (term) DO UPDATE SET docs = max(0, docs + ?2)");
    for (const auto& token : tokens) {
        q->bind(1, token).bind(2, delta);
        q->exec();
        q->resetKeepBindings();
    }
}

void DirectoryStore::rebuildTermDictionary() {
    detail::rebuildTermDictionary(m_db);
}

namespace {
constexpr int64_t kDefaultHashBytes = 1024 * 1024; // FTS5's own default
// From how many entries a load sorted at its end has its text index built beside (below, a
// thread and an in-memory database cost more than they save).
constexpr size_t kTextBesideFrom = 2000;
} // namespace

DirectoryStore::BulkWrite::BulkWrite(DirectoryStore& store, IndexSpace* space, Arrival arrival) : m_store(store) {
    if (m_store.m_bulk) throw Error(ErrorDomain::Internal, "nested DirectoryStore::BulkWrite");
    if (space && arrival == Arrival::RowidOrder) {
        m_store.m_builder = detail::IndexBuilder::start(m_store.m_db, *space);
    } else if (space && space->available() && m_store.m_db.inTransaction()) {
        // Kept for finish(); the write lock now, before the load reads anything.
        detail::IndexBuilder::lockDirectory(m_store.m_db);
        m_space = space;
    }
    m_store.m_bulk = true;
    m_store.m_loadBeganEmpty.reset();
    m_store.m_loadRollbacksAtStart = m_store.m_db.rollbacks();
    m_store.m_loadOrganisations.clear();
    m_store.m_loadNextRowid.clear();
    m_store.m_loadRollbacks = m_rollbacksAtStart = m_store.m_db.rollbacks();
    m_store.m_loadDeletes = 0;
    m_store.m_loadIndexesDecided = false;
    m_store.m_deferredIndexes.clear();
}

DirectoryStore::BulkWrite::~BulkWrite() {
    try {
        m_store.restoreLoadIndexes(); // none, unless finish() was not reached or failed
    } catch (const std::exception&) {
        // The connection refuses (its transaction failed): the rollback brings them back.
    }
    if (m_active) {
        m_store.m_bulk = false;
        if (m_store.m_builder) { // unfinished (an exception): its stage goes, whatever the caller commits
            try {
                detail::IndexBuilder::dropStage(m_store.m_db);
            } catch (const std::exception&) {
                // The connection refuses (its transaction failed): the rollback takes the stage.
            }
        }
        m_store.m_builder.reset(); // before the entries it reads
        m_store.m_pending.clear();
        m_store.m_loadOrganisations.clear();
        m_store.m_loadNextRowid.clear();
        m_store.m_writeWithoutSavepoint = false;
    }
}

// 100,000 queued entries took the writer 0.1 s to free; a thread of its own frees them while
// the load commits (joined when the BulkWrite goes).
void DirectoryStore::BulkWrite::releasePending() {
    auto& pending = m_store.m_pending;
    if (pending.size() >= 1000) {
        try {
            m_freeing = std::jthread([entries = std::move(pending)]() mutable { auto freed = std::move(entries); });
        } catch (const std::system_error&) {
            // No thread: the entries the lambda held are freed here.
        }
    }
    pending = {};
}

// The index built beside the rows (IndexBuild.hpp) goes in if it holds exactly what the queue
// would write: the builder indexed every entry (all in rowid order, none repeated), the index
// it replaces is still empty but for the cards written as entries were queued, and every entry's
// row is still there (none rolled back since).
bool DirectoryStore::BulkWrite::installBuilt() {
    auto builder = std::move(m_store.m_builder);
    auto& db = m_store.m_db;
    const auto& entries = m_store.m_pending;
    // After a rollback an entry may name an organisation as it was inside it: the queue's path
    // reads the names again.
    if (builder->givenUp() || builder->offered() != entries.size() || db.rollbacks() != m_rollbacksAtStart ||
        !detail::IndexBuilder::indexEmpty(db, false))
        return false;
    // Rows go only by deleteService (or a rollback, above): with none deleted, all are there
    // (looking each up took 0.04 s of a 100,000-service seed).
    if (m_store.m_loadDeletes > 0) {
        auto exists = db.cached("SELECT 1 FROM service WHERE rowid = ?1");
        for (const auto& entry : entries) {
            exists->bind(1, entry.rowid);
            const bool present = exists->step();
            exists->reset();
            if (!present) return false;
        }
    }
    // The boxes, packed while the thread finishes the text index.
    detail::Boxes boxes;
    for (const auto& entry : entries)
        boxes.add(entry);
    boxes.write(db);
    m_store.restoreLoadIndexes(); // while the thread finishes
    if (!builder->tablesBuilt() || !builder->stagedAll(db)) {
        db::clearRtree(db, "main", "service_geo"); // the queue writes them again
        return false;
    }
    builder->install(db);
    return true;
}

void DirectoryStore::BulkWrite::finish(bool fullRebuild) {
    if (!m_active) return;
    m_store.m_bulk = false;
    m_active = false;
    m_store.m_writeWithoutSavepoint = false;
    m_store.m_loadOrganisations.clear();
    m_store.m_loadNextRowid.clear();
    const bool cardsAsQueued = m_store.m_builder != nullptr;
    if (m_store.m_builder && installBuilt()) {
        m_builtBeside = true;
        releasePending();
        return;
    }
    auto& db = m_store.m_db;
    // The cards and text written beside a builder are this load's own (it began on an empty
    // index): the queue writes them again.
    if (cardsAsQueued) {
        db.exec("DELETE FROM main.service_card");
        detail::IndexBuilder::dropStage(db);
    }
    const size_t pending = m_store.m_pending.size();
    // A large load rebuilds the word dictionary in one pass; a small one keeps it in step
    // entry by entry.
    const int64_t indexed = db.queryInt64("SELECT docs FROM search_term WHERE term = ''").value_or(0);
    const bool rebuild = fullRebuild || (pending >= 1000 && static_cast<int64_t>(pending) * 20 >= indexed);
    if (rebuild) {
        // FTS5 merges segments as it goes; for a large load it is cheaper to let level-0
        // segments pile up and merge once at the end.
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('automerge', 0)");
        // FTS5 writes its in-memory index out as a segment whenever it passes `hashsize` (1 MiB
        // by default), and every segment must then be merged into the others: a 100,000-service
        // load wrote about 100 of them, and merging them cost more than building them. With room
        // for the whole load in memory (about 45 MB for 100,000 services) there is one segment
        // and nothing to merge. Set back to the default below, inside the same transaction.
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('hashsize', " + std::to_string(detail::kBulkHashBytes) + ")");
    }
    // Applied outside any per-record savepoint so FTS5 builds its segments in large batches.
    // An entry whose record was rolled back after it was queued (a caller's savepoint) has no
    // row any more and is skipped; if its rowid was reused, the later entry lands last and wins.
    // In rowid order: FTS5 flushes its pending in-memory index to a new segment whenever a rowid
    // arrives below the last one written, and rowids are clustered by area, not by arrival. In
    // arrival order a 20,000-service load wrote a segment for nearly every service (76 µs per
    // FTS row against 12 µs in order). Of several entries for one rowid only the last (in arrival
    // order) counts. A row new when its entry was made has nothing indexed to remove, unless an
    // earlier entry for the rowid was not new (the service was there before this load and was
    // deleted during it). The entries stay where they are (a deque: queuing never moves them);
    // their positions are sorted.
    auto& pendingEntries = m_store.m_pending;
    std::vector<std::pair<int64_t, size_t>> order(pendingEntries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = {pendingEntries[i].rowid, i};
    std::sort(order.begin(), order.end()); // by rowid, then arrival: the same as a stable sort
    // Something rolled back during the load (a caller's savepoint): an entry queued inside it
    // may carry an organisation's names as they were there (a rename reindexes the
    // organisation's services, whose rows stay), so every entry takes them afresh.
    const bool rolledBack = db.rollbacks() != m_rollbacksAtStart;
    // Rows go only by deleteService or a rollback: with neither, every entry's row is there
    // (looking each up took 0.035 s of a 100,000-service import).
    const bool allPresent = !rolledBack && m_store.m_loadDeletes == 0;
    auto exists = db.cached(rolledBack ? "SELECT organisation_id FROM service WHERE rowid = ?1"
                                       : "SELECT 1 FROM service WHERE rowid = ?1");
    // Into an empty index, a large load's FTS rows and dictionary are built on a second thread
    // (IndexBuilder) while this one writes the cards and packs the boxes. It starts now and takes
    // each entry as the walk below finds it there (in rowid order), rather than after the walk.
    // Nothing is indexed, so nothing is removed.
    std::unique_ptr<detail::IndexBuilder> builder;
    if (rebuild && m_space && order.size() >= kTextBesideFrom) builder = detail::IndexBuilder::start(db, *m_space);
    // For each rowid its last entry, if the row is still there; a row gone that was indexed
    // before the load has its index rows removed.
    std::vector<IndexEntry*> applied;
    std::vector<int64_t> removed;
    applied.reserve(order.size());
    for (size_t i = 0; i < order.size();) {
        size_t last = i;
        bool created = pendingEntries[order[i].second].created;
        while (last + 1 < order.size() && order[last + 1].first == order[i].first) {
            ++last;
            created = created && pendingEntries[order[last].second].created;
        }
        IndexEntry& entry = pendingEntries[order[last].second];
        entry.created = created;
        bool present = allPresent;
        if (!allPresent) {
            exists->bind(1, entry.rowid);
            present = exists->step();
            if (present && rolledBack) m_store.setOrganisation(entry, exists->getText(0));
            exists->reset();
        }
        if (present) {
            applied.push_back(&entry);
            if (builder && entry.searchable) builder->offer(entry);
        } else if (!created) {
            removed.push_back(entry.rowid);
        }
        i = last + 1;
    }
    if (builder) {
        builder->close();
        db.startWriteback(); // the load's rows, while the builder works
        detail::Boxes boxes;
        for (const IndexEntry* entry : applied)
            if (entry->searchable) {
                detail::insertCard(db, *entry);
                detail::insertStagedText(db, *entry);
                boxes.add(*entry);
            }
        boxes.write(db);
        m_store.restoreLoadIndexes(); // while the builder works
        db.startWriteback();          // and its cards, text and indexes
        if (builder->tablesBuilt() && builder->stagedAll(db)) {
            builder->install(db);
            m_textBuiltBeside = true;
            releasePending();
            return;
        }
        detail::IndexBuilder::dropStage(db);
        for (const IndexEntry* entry : applied) // the builder failed: the text rows here
            if (entry->searchable) detail::insertTextRow(db, *entry);
    } else {
        for (IndexEntry* entry : applied)
            m_store.applyIndex(*entry, !rebuild);
        for (int64_t rowid : removed)
            m_store.removeFromIndex(rowid, !rebuild);
    }
    releasePending();
    if (rebuild) {
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('hashsize', " + std::to_string(kDefaultHashBytes) + ")");
        db.exec("INSERT INTO service_fts (service_fts, rank) VALUES ('automerge', 4)");
        db.exec("INSERT INTO service_fts (service_fts) VALUES ('optimize')");
        m_store.rebuildTermDictionary();
    }
    m_store.restoreLoadIndexes(); // without a builder to wait for, here
}

void DirectoryStore::reindexService(int64_t rowid) {
    if (auto s = serviceByRowid(rowid)) index(rowid, s->organisationId, entryFor(*s), false);
}

void DirectoryStore::clearIndex() {
    m_db.exec("DELETE FROM service_fts; DELETE FROM service_geo; DELETE FROM service_card; DELETE FROM search_term;");
}

void DirectoryStore::reindexAll() {
    db::Savepoint sp(m_db, "reindex");
    clearIndex();
    std::vector<int64_t> rowids;
    {
        db::Statement q(m_db, "SELECT rowid FROM service ORDER BY rowid");
        while (q.step()) rowids.push_back(q.getInt64(0));
    }
    {
        BulkWrite bulk(*this);
        for (auto rowid : rowids)
            if (auto s = serviceByRowid(rowid)) index(rowid, s->organisationId, entryFor(*s), true); // cleared above
        bulk.finish(true);
    }
    sp.release();
}

bool DirectoryStore::deleteService(std::string_view id) {
    m_loadNextRowid.clear(); // the next new row in the slot takes what SQLite gives, as outside a load
    db::Savepoint sp(m_db, "svcdel");
    auto q = m_db.cached("SELECT rowid FROM service WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return false;
    int64_t rowid = q->getInt64(0);
    if (m_bulk) ++m_loadDeletes;
    removeFromIndex(rowid, true);
    const auto locations = linkedLocations(rowid);
    {
        auto d = m_db.cached("DELETE FROM service WHERE rowid = ?1"); // and its links (ON DELETE CASCADE)
        d->bind(1, rowid);
        d->exec();
    }
    dropUnlinkedLocations(locations); // locations no other service uses go with it
    sp.release();
    return true;
}

std::optional<Service> DirectoryStore::service(std::string_view id) {
    int64_t rowid;
    {
        auto q = m_db.cached("SELECT rowid FROM service WHERE id = ?1");
        q->bind(1, id);
        if (!q->step()) return std::nullopt;
        rowid = q->getInt64(0);
    }
    return serviceByRowid(rowid);
}

std::optional<Service> DirectoryStore::serviceByRowid(int64_t rowid) {
    Service s;
    {
        auto q = m_db.cached(R"sql(
SELECT id, organisation_id, name, name_cy, description, description_cy, url, email, status, commissioning_route,
       min_age, max_age, women_only, high_risk_suitable, hub, co_located, supervision_types, languages,
       eligibility, keywords, last_verified, last_modified, source, sample, areas, needs, contacts, opening_times
FROM service WHERE rowid = ?1)sql");
        q->bind(1, rowid);
        if (!q->step()) return std::nullopt;
        s.id = q->getText(0);
        s.organisationId = q->getOptText(1).value_or("");
        s.name = q->getText(2);
        s.nameCy = q->getText(3);
        s.description = q->getText(4);
        s.descriptionCy = q->getText(5);
        s.url = q->getText(6);
        s.email = q->getText(7);
        s.status = q->getText(8);
        if (!q->isNull(9)) s.commissioningRoute = parseCommissioningRoute(q->getTextView(9));
        if (!q->isNull(10)) s.minAge = q->getInt(10);
        if (!q->isNull(11)) s.maxAge = q->getInt(11);
        s.womenOnly = q->getBool(12);
        s.highRiskSuitable = q->getBool(13);
        s.hub = q->getBool(14);
        s.coLocated = q->getBool(15);
        s.supervisionTypes = parseSupervisionCodes(q->getTextView(16));
        s.languages = text::split(q->getTextView(17), ' ');
        s.eligibility = q->getText(18);
        s.keywords = q->getText(19);
        s.lastVerified = q->getOptText(20);
        s.lastModified = q->getText(21);
        s.source = q->getText(22);
        s.sample = q->getBool(23);
        s.areas = text::split(q->getTextView(24), ' ');
        s.needs = text::split(q->getTextView(25), ' ');
        s.contacts = parseContacts(q->getTextView(26));
        s.openingTimes = parseOpeningTimes(q->getTextView(27));
    }
    {
        auto q = m_db.cached(R"sql(
SELECT l.id, l.name, l.address, l.city, l.postcode, l.latitude, l.longitude
FROM service_location sl JOIN location l ON l.rowid = sl.location_rowid
WHERE sl.service_rowid = ?1 ORDER BY sl.position)sql");
        q->bind(1, rowid);
        while (q->step()) {
            Location l;
            l.id = q->getText(0);
            l.name = q->getText(1);
            l.address = q->getText(2);
            l.city = q->getText(3);
            l.postcode = q->getText(4);
            l.latitude = q->getOptDouble(5);
            l.longitude = q->getOptDouble(6);
            s.locations.push_back(std::move(l));
        }
    }
    return s;
}

std::vector<std::string> DirectoryStore::serviceIds() {
    std::vector<std::string> ids;
    db::Statement q(m_db, "SELECT id FROM service ORDER BY id");
    while (q.step()) ids.push_back(q.getText(0));
    return ids;
}

std::vector<std::string> DirectoryStore::organisationIds() {
    std::vector<std::string> ids;
    db::Statement q(m_db, "SELECT id FROM organisation ORDER BY id");
    while (q.step()) ids.push_back(q.getText(0));
    return ids;
}

int64_t DirectoryStore::serviceCount() { return m_db.queryInt64("SELECT count(*) FROM service").value_or(0); }
int64_t DirectoryStore::organisationCount() { return m_db.queryInt64("SELECT count(*) FROM organisation").value_or(0); }

namespace {
std::string readExtra(db::Database& db, const char* sql, std::string_view id) {
    auto q = db.cached(sql);
    q->bind(1, id);
    if (!q->step() || q->isNull(0)) return {};
    return q->getText(0);
}
void writeExtra(db::Database& db, const char* sql, std::string_view id, std::string_view json) {
    auto q = db.cached(sql);
    if (json.empty()) q->bind(1, nullptr);
    else q->bind(1, json);
    q->bind(2, id);
    q->exec();
}
} // namespace

std::string DirectoryStore::serviceExtra(std::string_view id) {
    return readExtra(m_db, "SELECT extra FROM service WHERE id = ?1", id);
}
std::string DirectoryStore::organisationExtra(std::string_view id) {
    return readExtra(m_db, "SELECT extra FROM organisation WHERE id = ?1", id);
}
std::string DirectoryStore::locationExtra(std::string_view id) {
    return readExtra(m_db, "SELECT extra FROM location WHERE id = ?1", id);
}
void DirectoryStore::setServiceExtra(std::string_view id, std::string_view json) {
    writeExtra(m_db, "UPDATE service SET extra = ?1 WHERE id = ?2", id, json);
}
void DirectoryStore::setOrganisationExtra(std::string_view id, std::string_view json) {
    writeExtra(m_db, "UPDATE organisation SET extra = ?1 WHERE id = ?2", id, json);
}
void DirectoryStore::setLocationExtra(std::string_view id, std::string_view json) {
    writeExtra(m_db, "UPDATE location SET extra = ?1 WHERE id = ?2", id, json);
}

// ---------------------------------------------------------------------------------- postcodes

std::string normalisePostcode(std::string_view postcode) {
    std::string compact;
    for (char c : postcode) {
        if (c == ' ' || c == '\t') continue;
        compact += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    }
    // A full postcode ends in digit + two letters (the inward code); put the space back.
    if (compact.size() >= 5 && std::isdigit(static_cast<unsigned char>(compact[compact.size() - 3])) &&
        std::isalpha(static_cast<unsigned char>(compact[compact.size() - 2])) &&
        std::isalpha(static_cast<unsigned char>(compact.back())))
        return compact.substr(0, compact.size() - 3) + " " + compact.substr(compact.size() - 3);
    return compact;
}

std::string postcodeDistrictOf(std::string_view postcode) {
    std::string normal = normalisePostcode(postcode);
    auto space = normal.find(' ');
    return space == std::string::npos ? normal : normal.substr(0, space);
}

void DirectoryStore::upsertPostcodeDistrict(std::string_view district, double lat, double lon, std::string_view areaCode) {
    auto q = m_db.cached(
        "INSERT OR REPLACE INTO postcode_district (district, latitude, longitude, area_code) VALUES (?1, ?2, ?3, ?4)");
    q->bind(1, postcodeDistrictOf(district)).bind(2, lat).bind(3, lon);
    if (areaCode.empty()) q->bind(4, nullptr);
    else q->bind(4, areaCode);
    q->exec();
}

std::optional<DirectoryStore::Centroid> DirectoryStore::postcodeDistrict(std::string_view postcodeOrDistrict) {
    auto q = m_db.cached("SELECT latitude, longitude, coalesce(area_code, '') FROM postcode_district WHERE district = ?1");
    q->bind(1, postcodeDistrictOf(postcodeOrDistrict));
    if (!q->step()) return std::nullopt;
    return Centroid{q->getDouble(0), q->getDouble(1), q->getText(2)};
}

} // namespace signpost::directory
