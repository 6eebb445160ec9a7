#include "signpost/client/LocalStore.hpp"
#include "signpost/client/AuditLog.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/domain/Referral.hpp"
#include "signpost/sync/DirectoryCodec.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace signpost::client {

using nlohmann::json;
using sync::Op;
using sync::OpType;
using sync::Record;

namespace {

json parseOr(std::string_view text, json fallback) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? fallback : j;
}

bool isDirectory(std::string_view collection) { return collection == "service" || collection == "organisation"; }

const sync::CollectionSpec& specOf(const std::string& collection) {
    const sync::CollectionSpec* spec = sync::findCollection(collection);
    if (!spec) throw Error::validation("\"" + collection + "\" is not a collection Signpost syncs");
    return *spec;
}

constexpr const char* kLocked = "Signpost is locked: sign in to work with people's details";

// A row as stored. Its versions are made whole with the fields the row shows: `expand` false
// leaves that to the caller, for a row whose sealed fields it opens first (their names are inside
// the seal, and a compact versions object gives each field it does not name its default).
Record rawRecord(db::Statement& q, bool expand = true) {
    Record r;
    r.collection = q.getText(0);
    r.id = q.getText(1);
    r.seq = q.getInt64(2);
    r.deleted = q.getBool(3);
    r.area = q.getText(4);
    r.organisation = q.getText(5);
    r.owner = q.getText(6);
    r.status = q.getText(7);
    r.fields = parseOr(q.getTextView(8), json::object());
    r.versions = sync::versionsFromText(q.getTextView(9));
    if (expand) sync::expandVersions(r.versions, r.fields);
    return r;
}

constexpr const char* kRecordColumns =
    "collection, id, seq, deleted, area, organisation, owner, status, fields, versions";

} // namespace

LocalStore::LocalStore(db::Database& db, std::function<std::time_t()> clock, std::function<std::string()> newId)
    : m_db(db), m_clock(std::move(clock)), m_newId(std::move(newId)) {}

// ------------------------------------------------------------------------- personal data

crypto::Vault LocalStore::openVault(const std::string& passphrase, crypto::KdfCost cost) {
    if (auto stored = state("vault")) {
        json j = parseOr(*stored, json::object());
        crypto::VaultParams params{j.value("salt", ""), j.value("check", ""), j.value("ops", 0ull),
                                   j.value("mem", size_t{0})};
        return crypto::Vault::unlock(passphrase, params);
    }
    crypto::VaultParams params;
    crypto::Vault vault = crypto::Vault::create(passphrase, params, cost);
    setState("vault", json{{"salt", params.salt}, {"check", params.check}, {"ops", params.opsLimit}, {"mem", params.memLimit}}.dump());
    return vault;
}

namespace {
// What personalField reads of a record's values for an op's change, which names its field only.
const json kNoFields = json::object();

// Which of a record's fields hold a person's details. A conflict is as personal as the field it
// is about; one about a whole record (a delete that won) holds the record's last values.
bool personalField(const std::string& collection, const json& fields, std::string_view name) {
    if (collection == "conflict") {
        if (name != "base" && name != "mine" && name != "theirs" && name != "resolution") return false;
        const sync::CollectionSpec* target = sync::findCollection(fields.value("collection", ""));
        const std::string field = fields.value("field", "");
        if (field.empty()) return target && target->scope == sync::ScopeKind::Referral;
        const sync::FieldSpec* f = target ? target->field(field) : nullptr;
        return f && f->personal;
    }
    const sync::CollectionSpec* spec = sync::findCollection(collection);
    const sync::FieldSpec* f = spec ? spec->field(name) : nullptr;
    return f && f->personal;
}
} // namespace

bool LocalStore::storesFieldsAsText(std::string_view collection) {
    // A conflict's personal members depend on what it is about (personalField), so it is read
    // into objects; every other collection's personal values are known by name and sealed in
    // the text (sealedFieldsFromText).
    return collection != "conflict";
}

namespace {
// Nothing in the collection is personal: its pulled fields are stored exactly as they arrived.
bool storedAsPulled(const std::string& collection) {
    if (!isDirectory(collection)) return false;
    const sync::CollectionSpec* spec = sync::findCollection(collection);
    return spec && std::none_of(spec->fields.begin(), spec->fields.end(), [](const sync::FieldSpec& f) { return f.personal; });
}

// The members a record's own columns are derived from (queueAt, the queue link), read from
// pulled text without reading the rest.
bool derivesColumns(std::string_view name) {
    return name == "history" || name == "starts_at" || name == "service_id" || name == "referral_id";
}

// The value of JSON text a page's parser has already accepted. A string (an id, a time) is read
// as a name is (jsontext::unquoteName: unescaped text taken as it is, without starting a parser);
// anything else is parsed.
json acceptedValue(std::string_view text) {
    if (!text.empty() && text.front() == '"') return json(jsontext::unquoteName(text));
    return sync::parseJson(text);
}

// What queueAt reads of a history's text: its last entry that records a transition (an object
// with "to"), as a one-entry array holding that entry's "to" and "at"; nothing else is built. A
// referral's history grows by one entry per step, and all of it was parsed for each pulled
// record. Text that is not an array is read as it is (queueAt then finds no transition in it).
json lastTransition(std::string_view history) {
    if (history.empty() || history.front() != '[') return sync::parseJson(history);
    std::vector<std::string_view> entries;
    jsontext::forEachElement(history, [&](std::string_view entry) { entries.push_back(entry); });
    for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
        if (e->empty() || e->front() != '{') continue;
        json entry = json::object();
        jsontext::forEachMember(*e, [&](std::string_view quoted, std::string_view value) {
            std::string name = jsontext::unquoteName(quoted);
            if (name == "to" || name == "at") entry[std::move(name)] = acceptedValue(value);
        });
        if (entry.contains("to")) return json::array({std::move(entry)});
    }
    return json::array();
}

// A record's personal values are sealed together, as one JSON object under this member with
// collection/id/$sealed as associated data: one seal per record rather than one per value (six
// for a referral), which was the largest part of storing a pulled referral. Rows written before
// hold each personal value sealed on its own (collection/id/name), and still open.
constexpr std::string_view kSealedMember = "$sealed";

std::string sealedContext(std::string_view collection, std::string_view id) {
    std::string context;
    context.reserve(collection.size() + id.size() + kSealedMember.size() + 2);
    context.append(collection).append("/").append(id).append("/").append(kSealedMember);
    return context;
}

// A member sealed with the others rather than kept in the clear: a personal value that is not
// null, or a member with the sealed member's own name (no collection has one; it must never pass
// for the sealed values).
bool sealedInRecord(const std::string& collection, const json& fields, const std::string& name, bool isNull) {
    return !isNull && (name == kSealedMember || personalField(collection, fields, name));
}

// A record's stored fields text: members in the clear as they come, the personal ones gathered
// into one object that finish() seals into the sealed member. That member goes where nlohmann's
// name order puts it (before the first clear name that sorts after it), so fields written from
// an object are exactly nlohmann's text for the object they hold, and fields pulled as text in
// that order come out the same.
class StoredFieldsText {
public:
    explicit StoredFieldsText(size_t size) {
        m_out.reserve(size + 128);
        m_out += '{';
    }
    // `quoted`: the name as JSON text; `value`: the value's JSON text.
    void clear(std::string_view name, std::string_view quoted, std::string_view value) {
        if (m_out.size() > 1) m_out += ',';
        if (m_at == std::string::npos && name > kSealedMember) m_at = m_out.size();
        m_out.append(quoted).append(":").append(value);
    }
    void personal(std::string_view quoted, std::string_view value) {
        m_personal += m_personal.empty() ? '{' : ',';
        m_personal.append(quoted).append(":").append(value);
    }
    std::string finish(const crypto::Vault* vault, std::string_view collection, std::string_view id) {
        if (!m_personal.empty()) {
            if (!vault) throw Error(ErrorDomain::Auth, kLocked);
            m_personal += '}';
            // A sealed value is the prefix and base64, which JSON never escapes: written as it is.
            std::string member = "\"";
            member.append(kSealedMember).append("\":\"");
            vault->sealTo(member, m_personal, sealedContext(collection, id));
            member += '"';
            if (m_at != std::string::npos) m_out.insert(m_at, member.append(","));
            else {
                if (m_out.size() > 1) m_out += ',';
                m_out += member;
            }
        }
        m_out += '}';
        return std::move(m_out);
    }

private:
    std::string m_out, m_personal;
    size_t m_at = std::string::npos; // where the sealed member goes; npos: at the end
};
} // namespace

json LocalStore::sealFields(const std::string& collection, const std::string& id, const json& fields) const {
    if (!fields.is_object()) return fields;
    // Records in memory always hold clear values, so every personal value is sealed, including
    // one a person typed that happens to begin like a sealed value.
    json out = json::object(), personal = json::object();
    for (auto it = fields.begin(); it != fields.end(); ++it)
        (sealedInRecord(collection, fields, it.key(), it->is_null()) ? personal : out)[it.key()] = *it;
    if (!personal.empty()) {
        if (!m_vault) throw Error(ErrorDomain::Auth, kLocked);
        out[std::string(kSealedMember)] = m_vault->seal(personal.dump(), sealedContext(collection, id));
    }
    return out;
}

namespace {
// An object's members written out as they stand, each value by `writeValue(name, value)` (name
// with its quotes, both as in the text), which appends it to `out`.
template <typename WriteValue>
void rewriteMembers(std::string& out, std::string_view object, WriteValue&& writeValue) {
    out += '{';
    const size_t start = out.size();
    jsontext::forEachMember(object, [&](std::string_view quoted, std::string_view value) {
        if (out.size() > start) out += ',';
        out += quoted;
        out += ':';
        writeValue(quoted, value);
    });
    out += '}';
}
} // namespace

std::string LocalStore::sealedFieldsText(const std::string& collection, const std::string& id, const json& fields) const {
    if (!fields.is_object()) return fields.dump();
    // Written straight out, as sealFields(...).dump() would write it, without copying the fields.
    // Most records pulled (the directory) hold nothing personal.
    StoredFieldsText out(0);
    std::string quoted;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        quoted.clear();
        jsontext::appendQuoted(quoted, it.key());
        if (sealedInRecord(collection, fields, it.key(), it->is_null())) out.personal(quoted, it->dump());
        else out.clear(it.key(), quoted, it->dump());
    }
    return out.finish(m_vault, collection, id);
}

std::string LocalStore::sealedFieldsFromText(const std::string& collection, const std::string& id, std::string_view text,
                                             json& derived) const {
    if (collection == "conflict") throw Error(ErrorDomain::Internal, "a conflict's fields are sealed from objects");
    // The members as the page wrote them, the personal values gathered and sealed once: the same
    // stored form as sealedFieldsText gives for the parsed object (what it holds, and for a page
    // in name order byte for byte but the seal), with no objects built, copied or written again.
    StoredFieldsText out(text.size());
    // A personal name given twice (the last wins in JSON) has its values split between the clear
    // and the sealed members if one is null: such text is read as the object it is instead.
    std::vector<std::string> personalNames;
    bool repeated = false;
    // What personalField says, with the collection looked up once for all its members (a
    // conflict, the one collection whose personal fields depend on its values, is not read here).
    const sync::CollectionSpec* spec = sync::findCollection(collection);
    std::string unescaped;
    jsontext::forEachMember(text, [&](std::string_view quoted, std::string_view value) {
        // The name as written, unless it holds an escape (then as JSON reads it).
        std::string_view name = quoted.substr(1, quoted.size() - 2);
        if (name.find('\\') != std::string_view::npos) name = unescaped = jsontext::unquoteName(quoted);
        // `derived` feeds only the row's columns (queueAt, link); a repeated name: the last wins.
        if (name == "history") derived[std::string(name)] = lastTransition(value);
        else if (derivesColumns(name)) derived[std::string(name)] = acceptedValue(value);
        const sync::FieldSpec* field = spec ? spec->field(name) : nullptr;
        if (name != kSealedMember && !(field && field->personal)) {
            out.clear(name, quoted, value);
            return;
        }
        const bool isNull = value == "null";
        if (std::find(personalNames.begin(), personalNames.end(), name) != personalNames.end()) repeated = true;
        personalNames.emplace_back(name);
        if (isNull) out.clear(personalNames.back(), quoted, value);
        else out.personal(quoted, value);
    });
    if (repeated) return sealedFieldsText(collection, id, sync::parseJson(text));
    return out.finish(m_vault, collection, id);
}

json LocalStore::revealFields(const std::string& collection, const std::string& id, json fields) const {
    if (!fields.is_object()) return fields;
    // A row written before one seal per record: each personal value sealed on its own. Only
    // personal fields are ever sealed; any other text is what it says.
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (!it->is_string() || !crypto::Vault::isSealed(it->get_ref<const std::string&>()) ||
            !personalField(collection, fields, it.key()))
            continue;
        if (!m_vault) throw Error(ErrorDomain::Auth, kLocked);
        *it = json::parse(m_vault->open(it->get_ref<const std::string&>(), collection + "/" + id + "/" + it.key()));
    }
    // The record's personal values, sealed together (opened after the loop above, so a value a
    // person typed that looks like a sealed one is never taken for one).
    auto sealed = fields.find(kSealedMember);
    if (sealed == fields.end() || !sealed->is_string() || !crypto::Vault::isSealed(sealed->get_ref<const std::string&>()))
        return fields;
    if (!m_vault) throw Error(ErrorDomain::Auth, kLocked);
    json personal = json::parse(m_vault->open(sealed->get_ref<const std::string&>(), sealedContext(collection, id)),
                                nullptr, false);
    if (!personal.is_object()) throw Error(ErrorDomain::Auth, "a protected value is damaged");
    fields.erase(sealed);
    for (auto it = personal.begin(); it != personal.end(); ++it) fields[it.key()] = std::move(*it);
    return fields;
}

std::string LocalStore::sealedRecordJson(const Record& r) const {
    json j = sync::toJson(r);
    j["fields"] = sealFields(r.collection, r.id, r.fields);
    return j.dump();
}

std::string LocalStore::sealedOpJson(const Op& op) const {
    // Written as text (sync::opText), each personal value sealed where it stands: building the
    // op's objects to write them out was most of queueing a change.
    const bool resolve = op.type == OpType::Resolve;
    return sync::opText(op, [&](std::string& out, const std::string& field, std::string_view, const json& value) {
        if (value.is_null() || (!resolve && !personalField(op.collection, kNoFields, field))) {
            if (value.is_string()) jsontext::appendQuoted(out, value.get_ref<const std::string&>());
            else out += value.dump();
            return;
        }
        if (!m_vault) throw Error(ErrorDomain::Auth, kLocked);
        // A sealed value is the prefix and base64: nothing in it needs escaping.
        out += '"';
        m_vault->sealTo(out, value.dump(), op.collection + "/" + op.recordId + "/" + field);
        out += '"';
    });
}

std::string LocalStore::revealedOpText(std::string_view body) const {
    // The members as stored, each sealed personal value replaced by the JSON text it seals
    // (what sealedOpJson sealed is `value.dump()`): the op as sync::toJson wrote it before it was
    // sealed, without parsing, copying and writing the whole op again.
    // The record's collection, id and type name each value's context, and they follow `fields`
    // in the stored text (its members are in name order): read them first.
    std::string collection, id;
    bool resolve = false;
    std::string_view fields;
    jsontext::forEachMember(body, [&](std::string_view quoted, std::string_view value) {
        const std::string name = jsontext::unquoteName(quoted);
        if (name == "fields") fields = value;
        else if (name == "collection" || name == "id" || name == "type") {
            const json v = sync::parseJson(value);
            if (!v.is_string()) return;
            if (name == "collection") collection = v.get<std::string>();
            else if (name == "id") id = v.get<std::string>();
            else resolve = v.get<std::string>() == sync::toCode(OpType::Resolve);
        }
    });
    if (fields.empty()) return std::string(body);
    std::string out;
    out.reserve(body.size() + 256);
    rewriteMembers(out, body, [&](std::string_view, std::string_view value) {
        if (value.data() != fields.data()) {
            out += value;
            return;
        }
        rewriteMembers(out, fields, [&](std::string_view quotedField, std::string_view change) {
            const std::string field = jsontext::unquoteName(quotedField);
            // What sealedOpJson sealed, and nothing else: other text is what it says.
            if ((!resolve && !personalField(collection, kNoFields, field)) || change.empty() || change[0] != '{') {
                out += change;
                return;
            }
            rewriteMembers(out, change, [&](std::string_view quotedPart, std::string_view part) {
                const std::string name = jsontext::unquoteName(quotedPart);
                // A sealed value is the prefix and base64 in quotes: nothing in it is escaped.
                const bool sealed = (name == "value" || name == "base_value") && part.size() >= 2 &&
                                    part.front() == '"' && part.back() == '"' &&
                                    crypto::Vault::isSealed(part.substr(1, part.size() - 2));
                if (!sealed) {
                    out += part;
                    return;
                }
                if (!m_vault) throw Error(ErrorDomain::Auth, kLocked);
                out += m_vault->open(part.substr(1, part.size() - 2), collection + "/" + id + "/" + field);
            });
        });
    });
    return out;
}

Record LocalStore::readRow(db::Statement& q) const {
    Record r = rawRecord(q, false);
    r.fields = revealFields(r.collection, r.id, std::move(r.fields));
    sync::expandVersions(r.versions, r.fields);
    return r;
}

std::string LocalStore::now() const { return timeutil::isoDateTimeUtc(m_clock ? m_clock() : std::time(nullptr)); }

// ----------------------------------------------------------------------------------- state

std::optional<std::string> LocalStore::state(const std::string& key) {
    auto q = m_db.cached("SELECT value FROM sync_state WHERE key = ?1");
    q->bind(1, key);
    if (!q->step()) return std::nullopt;
    return q->getText(0);
}

void LocalStore::setState(const std::string& key, const std::string& value) {
    auto q = m_db.cached("INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    q->bind(1, key).bind(2, value);
    q->exec();
}

void LocalStore::clearState(const std::string& key) {
    auto q = m_db.cached("DELETE FROM sync_state WHERE key = ?1");
    q->bind(1, key);
    q->exec();
}

std::string LocalStore::deviceId() {
    if (auto id = state("device_id")) return *id;
    std::string id = newId();
    setState("device_id", id);
    return id;
}

std::optional<sync::Principal> LocalStore::principal() {
    auto user = state("user");
    if (!user) return std::nullopt;
    // Every local write checks it: the stored text is read each time (another store on this
    // database may sign someone else in), and parsed again only when it changed.
    if (!m_principalText.empty() && *user == m_principalText) return m_principal;
    m_principal = principalFromText(*user);
    m_principalText = std::move(*user);
    return m_principal;
}

std::optional<sync::Principal> LocalStore::principalFromText(std::string_view text) {
    json j = parseOr(text, json::object());
    sync::Principal p;
    p.userId = j.value("id", "");
    p.role = domain::parseRole(j.value("role", "")).value_or(domain::Role::Practitioner);
    for (const auto& a : j.value("areas", json::array()))
        if (a.is_string()) p.areas.push_back(a.get<std::string>());
    p.organisation = j.value("organisation", "");
    if (p.userId.empty()) return std::nullopt;
    return p;
}

void LocalStore::setPrincipal(const sync::Principal& who, const std::string& username) {
    setState("user", json{{"id", who.userId}, {"username", username}, {"role", domain::toCode(who.role)},
                          {"areas", who.areas}, {"organisation", who.organisation}}
                         .dump());
}

int64_t LocalStore::cursor() {
    auto c = state("cursor");
    return c ? std::stoll(*c) : 0;
}

// --------------------------------------------------------------------------------- reading

std::optional<Record> LocalStore::record(const std::string& collection, const std::string& id) {
    auto q = m_db.cached(std::string("SELECT ") + kRecordColumns + " FROM record WHERE collection = ?1 AND id = ?2");
    q->bind(1, collection).bind(2, id);
    if (!q->step()) return std::nullopt;
    return readRow(*q);
}

std::vector<Record> LocalStore::records(const std::string& collection, bool includeDeleted, bool reveal) {
    auto q = m_db.cached(std::string("SELECT ") + kRecordColumns +
                         " FROM record WHERE collection = ?1 AND (deleted = 0 OR ?2) ORDER BY id");
    q->bind(1, collection).bind(2, includeDeleted);
    std::vector<Record> out;
    while (q->step()) out.push_back(reveal ? readRow(*q) : rawRecord(*q));
    return out;
}

void LocalStore::setColleagues(const std::vector<Colleague>& colleagues) {
    json list = json::array();
    for (const auto& c : colleagues)
        list.push_back(json{{"id", c.id}, {"display_name", c.name}, {"role", c.role}, {"areas", c.areas}});
    setState("colleagues", list.dump());
}

std::vector<LocalStore::Colleague> LocalStore::parseColleagues(const json& list) {
    if (!list.is_array()) throw Error(ErrorDomain::Parse, "the list of colleagues is not a JSON array");
    auto text = [](const json& c, const char* key) {
        auto it = c.find(key);
        return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::vector<Colleague> out;
    for (const auto& c : list) {
        if (!c.is_object() || text(c, "id").empty())
            throw Error(ErrorDomain::Parse, "a colleague in the list has no id");
        Colleague col{text(c, "id"), text(c, "display_name"), text(c, "role"), {}};
        if (auto areas = c.find("areas"); areas != c.end() && areas->is_array())
            for (const auto& a : *areas)
                if (a.is_string()) col.areas.push_back(a.get<std::string>());
        out.push_back(std::move(col));
    }
    return out;
}

std::vector<LocalStore::Colleague> LocalStore::colleagues() {
    return parseColleagues(parseOr(state("colleagues").value_or("[]"), json::array()));
}

size_t LocalStore::countWithStatus(const std::string& collection, const std::string& status) {
    // The collection in the text, not bound: see db::sqlText (this runs at the end of every sync).
    auto q = m_db.cached("SELECT count(*) FROM record WHERE collection = " + db::sqlText(collection) +
                         " AND status = ?1 AND deleted = 0");
    q->bind(1, status);
    return q->step() ? static_cast<size_t>(q->getInt64(0)) : 0;
}

std::optional<Record> LocalStore::view(const std::string& collection, const std::string& id) {
    db::Transaction txn(m_db);
    auto r = record(collection, id);
    if (r) audit("view", collection, id, "opened the record");
    txn.commit();
    return r;
}

void LocalStore::audit(const std::string& action, const std::string& collection, const std::string& recordId,
                       const std::string& detail) {
    if (collection == "audit") return; // the log's own entries are not logged again
    auto who = principal();
    AuditLog(m_db, m_clock).record(who ? who->userId : std::string(), deviceId(), action, collection, recordId, detail,
                                   this);
}

namespace {
std::string fieldNames(const json& fields) {
    std::string out;
    for (auto it = fields.begin(); it != fields.end(); ++it) out += (out.empty() ? "" : ",") + it.key();
    return out;
}
} // namespace

// ---------------------------------------------------------------------------- local writes

namespace {
// The time a queue orders this record by (schema v5): an appointment's start; else when it entered
// its status: the server's last transition for that status, or this write when the status is a
// local change (or the record has no transitions yet and is being written here). Empty: keep what
// the row had.
std::string queueAt(const Record& r, const json& fields, bool local, const std::string& now) {
    if (r.collection == "appointment") {
        auto it = fields.find("starts_at");
        return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
    }
    if (auto h = fields.find("history"); h != fields.end() && h->is_array())
        for (auto e = h->rbegin(); e != h->rend(); ++e)
            if (e->is_object() && e->contains("to")) {
                if (e->value("to", "") == r.status && (*e)["at"].is_string()) return (*e)["at"].get<std::string>();
                break;
            }
    return local ? now : std::string();
}
} // namespace

void LocalStore::save(const Record& r, bool local, const Record* serverCopy, const Record* before) {
    // `base` holds the server's copy for falling back on: 'same' while the row is exactly it (the
    // usual case: no second copy stored), the copy itself once a local change is layered on top,
    // 'null' for a record created here and not yet pulled.
    std::optional<std::string> base;
    if (serverCopy) base = local ? sealedRecordJson(*serverCopy) : std::string("same");
    // A pulled record brings its fields as the page's text (storesFieldsAsText): the directory's
    // are stored as they are, anything else with its personal values sealed in the text.
    std::string sealed;
    json derived; // null (no allocation) unless a pulled text has members the columns come from
    const json* fields = &r.fields;
    if (r.fieldsText.empty()) sealed = sealedFieldsText(r.collection, r.id, r.fields);
    else if (!storedAsPulled(r.collection)) {
        sealed = sealedFieldsFromText(r.collection, r.id, r.fieldsText, derived);
        fields = &derived;
    }
    // A pulled record's versions arrive as the text the row stores (sync::Record::versionsText).
    const std::string versions = r.versionsText.empty() ? sync::versionsText(r.versions) : std::string();
    const std::string at = now();
    // (Declared after the texts it binds without copying, so it is reset before they go.)
    auto q = m_db.cached(R"sql(
INSERT INTO record (collection, id, seq, deleted, area, organisation, owner, status, fields, versions, local, reindex,
                    updated_at, base, queue_at, link)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, coalesce(?14, 'null'), coalesce(nullif(?16, ''), ?13), ?17)
ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, area = excluded.area,
    organisation = excluded.organisation, owner = excluded.owner, status = excluded.status, fields = excluded.fields,
    versions = excluded.versions, local = excluded.local, reindex = excluded.reindex, updated_at = excluded.updated_at,
    base = coalesce(?14, CASE WHEN base = 'same' THEN ?15 ELSE base END),
    revert = CASE WHEN excluded.local = 0 THEN 0 ELSE revert END,
    queue_at = CASE WHEN ?16 <> '' OR record.status <> excluded.status THEN excluded.queue_at ELSE record.queue_at END,
    link = excluded.link)sql");
    q->bindAll(r.collection, r.id, r.seq, r.deleted, r.area, r.organisation, r.owner, r.status);
    // The row's two large texts are bound where they stand (a pulled page's, or the ones above).
    q->bindStatic(9, sealed.empty() ? std::string_view(r.fieldsText) : std::string_view(sealed));
    q->bindStatic(10, r.versionsText.empty() ? std::string_view(versions) : std::string_view(r.versionsText));
    q->bind(11, local).bind(12, !local && isDirectory(r.collection)).bind(13, at);
    if (base) q->bind(14, *base);
    else q->bind(14, nullptr);
    // A first local change on a row that was the server's copy (its base is 'same'): keep that
    // copy. Sealing and writing out a whole record was most of a local edit, so only then.
    bool keepCopy = false;
    if (before) {
        auto same = m_db.cached("SELECT 1 FROM record WHERE collection = ?1 AND id = ?2 AND base = 'same'");
        same->bind(1, r.collection).bind(2, r.id);
        keepCopy = same->step();
    }
    if (keepCopy) q->bind(15, sealedRecordJson(*before));
    else q->bind(15, "same"); // not read: the row is new, or keeps the copy (or null) it has
    q->bind(16, queueAt(r, *fields, local, at));
    {
        // What a queue line shows beside the record (schema v5): a referral's service, else its referral.
        auto link = fields->find(r.collection == "referral" ? "service_id" : "referral_id");
        q->bind(17, link != fields->end() && link->is_string() ? link->get<std::string>() : std::string());
    }
    q->exec();
}

void LocalStore::enqueue(const Op& op) {
    auto q = m_db.cached("INSERT INTO outbox (op_id, collection, record_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    q->bindAll(op.opId, op.collection, op.recordId, sealedOpJson(op), now());
    q->exec();
}

void LocalStore::materialiseNow(const Record& r) {
    directory::DirectoryStore dir(m_db);
    if (r.collection == "organisation") {
        if (!r.deleted) dir.upsertOrganisation(sync::organisationFromFields(r.id, r.fields));
    } else if (r.collection == "service") {
        if (r.deleted) dir.deleteService(r.id);
        else {
            auto s = sync::serviceFromFields(r.id, r.fields);
            if (!s.organisationId.empty() && !dir.organisation(s.organisationId)) s.organisationId.clear();
            dir.upsertService(s);
        }
    }
}

std::string LocalStore::create(const std::string& collection, const json& fields, std::string id) {
    const auto& spec = specOf(collection);
    if (!fields.is_object()) throw Error::validation("fields must be an object");
    Op op;
    op.opId = newId();
    op.type = OpType::Create;
    op.collection = collection;
    op.recordId = id.empty() ? newId() : std::move(id);
    op.clientTime = now();
    for (auto it = fields.begin(); it != fields.end(); ++it) op.fields[it.key()] = {it.value(), 0, nullptr};
    auto who = principal();
    if (who)
        if (auto why = sync::checkWrite(*who, spec, op, nullptr)) throw Error(ErrorDomain::Forbidden, *why);
    Record r;
    r.collection = collection;
    r.id = op.recordId;
    r.fields = fields;
    if (collection == "appointment") {
        // As on the server: an appointment belongs to an accepted referral and takes its scope.
        const std::string referralId = fields.value("referral_id", "");
        auto referral = referralId.empty() ? std::nullopt : record("referral", referralId);
        if (!referral || referral->deleted)
            throw Error::validation("the appointment's referral is not on this device (sync, then try again)");
        if (referral->status != "accepted" && referral->status != "in_progress")
            throw Error::validation("appointments are booked once the provider has accepted the referral (it is " +
                                    referral->status + ")");
        for (const char* scope : {"area", "organisation_id", "owner", "sent_at"})
            r.fields[scope] = referral->fields.contains(scope) ? referral->fields[scope] : json();
    }
    if (who && (spec.scope == sync::ScopeKind::Referral || spec.scope == sync::ScopeKind::Suggestion) &&
        (!r.fields.contains("owner") || r.fields["owner"] == ""))
        r.fields["owner"] = who->userId;
    if (spec.lifecycle) r.fields["status"] = std::string(spec.lifecycle->initial());
    sync::deriveScope(r);
    db::Transaction txn(m_db);
    if (collection == "audit") {
        // The device's chain lives in audit_log; the server keeps the copies. Only the op goes.
        enqueue(op);
        txn.commit();
        return r.id;
    }
    if (record(collection, r.id)) throw Error(ErrorDomain::Conflict, "a " + collection + " with this id already exists");
    save(r, true);
    enqueue(op);
    if (isDirectory(collection)) materialiseNow(r);
    audit("create", collection, r.id, fieldNames(fields));
    txn.commit();
    return r.id;
}

void LocalStore::update(const std::string& collection, const std::string& id, const json& fields,
                        const std::string& reason) {
    const auto& spec = specOf(collection);
    db::Transaction txn(m_db);
    auto r = record(collection, id);
    if (!r || r->deleted) throw Error::notFound("there is no such " + collection);
    const Record before = *r;
    Op op;
    op.opId = newId();
    op.type = OpType::Update;
    op.collection = collection;
    op.recordId = id;
    op.clientTime = now();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        const json current = r->fields.contains(it.key()) ? r->fields[it.key()] : json(nullptr);
        if (current == it.value()) continue;
        sync::FieldChange change;
        change.value = it.value();
        change.base = r->versions.count(it.key()) ? r->versions[it.key()] : 0;
        const sync::FieldSpec* field = spec.field(it.key());
        if (field && field->kind == sync::FieldKind::Text) change.baseValue = current;
        op.fields[it.key()] = std::move(change);
        r->fields[it.key()] = it.value();
    }
    if (op.fields.empty()) return; // nothing changed
    op.reason = reason;
    const bool blank = reason.find_first_not_of(" \t\r\n") == std::string::npos;
    if (blank && collection == "referral" &&
        (before.status == "sent" || before.status == "accepted" || before.status == "in_progress"))
        throw Error::validation("changing a referral after it was sent needs a reason");
    if (blank && collection == "appointment" && op.fields.count("starts_at"))
        throw Error::validation("moving an appointment needs a reason");
    if (auto who = principal())
        if (auto why = sync::checkWrite(*who, spec, op, &*r)) throw Error(ErrorDomain::Forbidden, *why);
    sync::deriveScope(*r);
    save(*r, true, nullptr, &before);
    enqueue(op);
    if (isDirectory(collection)) materialiseNow(*r);
    json changed = json::object();
    for (const auto& [name, change] : op.fields) changed[name] = nullptr;
    audit("update", collection, id, fieldNames(changed));
    txn.commit();
}

void LocalStore::transition(const std::string& collection, const std::string& id, const std::string& to,
                            const std::string& reason) {
    const auto& spec = specOf(collection);
    if (!spec.lifecycle) throw Error::validation("a " + collection + " has no status");
    db::Transaction txn(m_db);
    auto r = record(collection, id);
    if (!r || r->deleted) throw Error::notFound("there is no such " + collection);
    auto who = principal();
    if (who)
        if (auto why = spec.lifecycle->check(r->status, to, who->role, reason)) throw Error::validation(*why);
    // The same preconditions the server checks (completeness, an alert's decision), offline.
    if (auto why = sync::transitionBlockedReason(*r, to)) throw Error::validation(*why);
    if (collection == "referral" && to == "sent") {
        // The server refuses it too; saying so offline saves a round trip and a rejected op.
        const std::string orgId = r->fields.value("organisation_id", "");
        if (orgId.empty()) throw Error::validation("choose the provider organisation first");
        auto org = record("organisation", orgId);
        if (auto why = sync::sendBlockedReason(org && !org->deleted ? &org->fields : nullptr, now()))
            throw Error::validation(*why);
    }
    Op op;
    op.opId = newId();
    op.type = OpType::Transition;
    op.collection = collection;
    op.recordId = id;
    op.fromStatus = r->status;
    op.toStatus = to;
    op.reason = reason;
    op.clientTime = now();
    if (who)
        if (auto why = sync::checkWrite(*who, spec, op, &*r)) throw Error(ErrorDomain::Forbidden, *why);
    const Record before = *r;
    r->fields["status"] = to;
    r->status = to;
    save(*r, true, nullptr, &before);
    enqueue(op);
    audit("transition", collection, id, op.fromStatus + " -> " + to);
    txn.commit();
}

void LocalStore::remove(const std::string& collection, const std::string& id) {
    const auto& spec = specOf(collection);
    db::Transaction txn(m_db);
    auto r = record(collection, id);
    if (!r || r->deleted) return;
    if (collection == "referral" && r->status == "draft") {
        auto q = m_db.cached("SELECT base FROM record WHERE collection = ?1 AND id = ?2");
        q->bind(1, collection).bind(2, id);
        if (q->step() && q->getTextView(0) == "null") {
            q->reset();
            // A draft that never left this device: it is simply gone, ops and all.
            auto drop = m_db.cached("DELETE FROM outbox WHERE collection = ?1 AND record_id = ?2");
            drop->bind(1, collection).bind(2, id);
            drop->exec();
            auto row = m_db.cached("DELETE FROM record WHERE collection = ?1 AND id = ?2");
            row->bind(1, collection).bind(2, id);
            row->exec();
            audit("delete", collection, id, "draft discarded on this device");
            txn.commit();
            return;
        }
    }
    Op op;
    op.opId = newId();
    op.type = OpType::Delete;
    op.collection = collection;
    op.recordId = id;
    op.baseSeq = r->seq;
    op.clientTime = now();
    if (auto who = principal())
        if (auto why = sync::checkWrite(*who, spec, op, &*r)) throw Error(ErrorDomain::Forbidden, *why);
    const Record before = *r;
    r->deleted = true;
    save(*r, true, nullptr, &before);
    enqueue(op);
    if (isDirectory(collection)) materialiseNow(*r);
    audit("delete", collection, id, "");
    txn.commit();
}

void LocalStore::resolveConflict(const std::string& conflictId, const json& value) {
    db::Transaction txn(m_db);
    auto c = record("conflict", conflictId);
    if (!c || c->deleted) throw Error::notFound("there is no such conflict");
    if (c->status == "resolved") return;
    Op op;
    op.opId = newId();
    op.type = OpType::Resolve;
    op.collection = "conflict";
    op.recordId = conflictId;
    op.conflictId = conflictId;
    op.fields["value"] = {value, 0, nullptr};
    op.clientTime = now();
    const Record conflictBefore = *c;
    c->fields["status"] = "resolved";
    c->fields["resolution"] = value;
    c->status = "resolved";
    save(*c, true, nullptr, &conflictBefore);
    // The chosen value shows at once on the record it is about; the server confirms it.
    const std::string collection = c->fields.value("collection", ""), recordId = c->fields.value("record_id", ""),
                      field = c->fields.value("field", "");
    if (auto target = record(collection, recordId); target && !target->deleted && !field.empty()) {
        const Record targetBefore = *target;
        target->fields[field] = value;
        save(*target, true, nullptr, &targetBefore);
    }
    enqueue(op);
    audit("resolve", "conflict", conflictId, collection + "." + field);
    txn.commit();
}

// ------------------------------------------------------------------------- the engine's side

// A referral that is a draft and has never left the device (no server copy) keeps its ops here.
static constexpr const char* kHeld = "EXISTS (SELECT 1 FROM record r WHERE r.collection = 'referral' AND "
                                     "r.collection = o.collection AND r.id = o.record_id AND r.status = 'draft' AND "
                                     "r.base = 'null')";

size_t LocalStore::heldDrafts() {
    return static_cast<size_t>(m_db.queryInt64(std::string("SELECT count(DISTINCT o.record_id) FROM outbox o WHERE ") + kHeld)
                                   .value_or(0));
}

std::vector<OutboxEntry> LocalStore::outbox(size_t limit) {
    auto q = m_db.cached(std::string("SELECT op_seq, body, attempts, collection FROM outbox o WHERE NOT ") + kHeld +
                         " ORDER BY op_seq LIMIT ?1");
    q->bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    std::vector<OutboxEntry> out;
    while (q->step()) {
        OutboxEntry e;
        e.seq = q->getInt64(0);
        // An op with nothing sealed in it (most: audit entries, directory and status changes) goes
        // out as stored; one with protected values is opened for the (TLS) request.
        const std::string_view body = q->getTextView(1);
        if (body.find(crypto::Vault::kSealedPrefix) == std::string_view::npos) e.wire = body;
        else e.wire = revealedOpText(body);
        e.attempts = q->getInt(2);
        e.collection = q->getText(3);
        out.push_back(std::move(e));
    }
    return out;
}

size_t LocalStore::outboxSize() {
    return static_cast<size_t>(m_db.queryInt64(std::string("SELECT count(*) FROM outbox o WHERE NOT ") + kHeld).value_or(0));
}

void LocalStore::recordResults(const std::vector<sync::OpResult>& results, const std::string& at) {
    db::RederivableCommit rederivable(m_db); // a lost commit only means the server answers "duplicate" next time
    db::Transaction txn(m_db);
    std::set<std::pair<std::string, std::string>> touched;
    for (const auto& r : results) {
        const sync::OpStatus effective = r.status == sync::OpStatus::Duplicate && r.original ? *r.original : r.status;
        if (effective == sync::OpStatus::Rejected) {
            auto move = m_db.cached("INSERT OR IGNORE INTO rejected_op (op_id, collection, record_id, body, reason, at) "
                                    "SELECT op_id, collection, record_id, body, ?2, ?3 FROM outbox WHERE op_id = ?1");
            move->bind(1, r.opId).bind(2, r.reason.empty() ? std::string("rejected") : r.reason).bind(3, at);
            move->exec();
        }
        auto del = m_db.cached("DELETE FROM outbox WHERE op_id = ?1 RETURNING collection, record_id");
        del->bind(1, r.opId);
        std::string collection, recordId;
        if (del->step()) {
            collection = del->getText(0);
            recordId = del->getText(1);
        }
        del->reset();
        if (collection.empty()) continue;
        std::vector<std::pair<std::string, std::string>> records{{collection, recordId}};
        // A resolution also showed its value at once on the record the conflict is about, with
        // no op of that record's own: it is settled with the resolution. Left marked as a local
        // change, it would outlive a resync even after the server deleted the record.
        if (collection == "conflict")
            if (auto c = record("conflict", recordId)) {
                const std::string target = c->fields.value("collection", ""), targetId = c->fields.value("record_id", "");
                if (!target.empty() && !targetId.empty()) records.emplace_back(target, targetId);
            }
        for (const auto& [name, id] : records) {
            if (effective == sync::OpStatus::Rejected || effective == sync::OpStatus::Conflict) {
                // The server did not take (all of) this change: once nothing else is queued for
                // the record, show the server's copy again (a pull would not: the server's
                // record may not have changed at all).
                auto mark = m_db.cached("UPDATE record SET revert = 1 WHERE collection = ?1 AND id = ?2");
                mark->bind(1, name).bind(2, id);
                mark->exec();
            }
            touched.emplace(name, id);
        }
    }
    for (const auto& [collection, recordId] : touched) {
        if (pendingFor(collection, recordId)) continue;
        auto local = m_db.cached("SELECT revert, base FROM record WHERE collection = ?1 AND id = ?2");
        local->bind(1, collection).bind(2, recordId);
        if (!local->step()) continue;
        const bool revert = local->getBool(0);
        const bool same = local->getTextView(1) == "same";
        // The server's copy is read only when it is needed: when the server refused the change.
        const json base = !revert || same ? json(nullptr) : parseOr(local->getTextView(1), json(nullptr));
        local->reset();
        if (!revert || same) {
            auto clear = m_db.cached("UPDATE record SET local = 0, revert = 0 WHERE collection = ?1 AND id = ?2");
            clear->bind(1, collection).bind(2, recordId);
            clear->exec();
            continue;
        }
        if (base.is_null()) {
            // Created here and refused by the server: it never existed there.
            auto drop = m_db.cached("DELETE FROM record WHERE collection = ?1 AND id = ?2");
            drop->bind(1, collection).bind(2, recordId);
            drop->exec();
            if (isDirectory(collection)) {
                Record gone;
                gone.collection = collection;
                gone.id = recordId;
                gone.deleted = true;
                materialiseNow(gone);
            }
            continue;
        }
        Record server = sync::recordFromJson(base);
        server.fields = revealFields(server.collection, server.id, std::move(server.fields));
        save(server, false, &server);
        auto done = m_db.cached("UPDATE record SET revert = 0 WHERE collection = ?1 AND id = ?2");
        done->bind(1, collection).bind(2, recordId);
        done->exec();
        if (isDirectory(collection)) materialiseNow(server);
    }
    txn.commit();
}

bool LocalStore::pendingFor(const std::string& collection, const std::string& recordId) {
    auto q = m_db.cached("SELECT 1 FROM outbox WHERE collection = ?1 AND record_id = ?2 LIMIT 1");
    q->bind(1, collection).bind(2, recordId);
    return q->step();
}

void LocalStore::noteAttempt(const std::vector<OutboxEntry>& batch, const std::string& error) {
    db::Transaction txn(m_db);
    auto q = m_db.cached("UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE op_seq = ?1");
    for (const auto& e : batch) {
        q->bind(1, e.seq).bind(2, error);
        q->exec();
        q->reset();
    }
    txn.commit();
}

std::vector<RejectedOp> LocalStore::rejected() {
    std::vector<RejectedOp> out;
    auto q = m_db.cached("SELECT op_id, collection, record_id, reason, at FROM rejected_op ORDER BY at, op_id");
    while (q->step()) out.push_back({q->getText(0), q->getText(1), q->getText(2), q->getText(3), q->getText(4)});
    return out;
}

PullApplied LocalStore::applyPull(const sync::PullResponse& page) {
    PullApplied applied;
    db::RederivableCommit rederivable(m_db); // a lost page is pulled again: its cursor goes with it
    db::Transaction txn(m_db);
    const int64_t current = cursor();
    if (page.nextCursor < current)
        throw Error(ErrorDomain::Internal, "the server's cursor went backwards (" + std::to_string(page.nextCursor) +
                                               " < " + std::to_string(current) + "); the page was not applied");
    if (current == 0) {
        // A chain from 0 (a new device, or a resync) rebuilds the whole view: drop everything
        // not waiting to be sent, including rows the server acknowledged but this device never
        // pulled (they may since have been deleted and purged), then take what the server has.
        clearSynced();
    }
    auto pendingOps = m_db.cached("SELECT body FROM outbox WHERE collection = ?1 AND record_id = ?2 ORDER BY op_seq");
    // With nothing queued (a first sync, most pulls) no record needs looking up in the outbox.
    const bool outboxEmpty = !m_db.queryInt64("SELECT 1 FROM outbox LIMIT 1");
    for (const auto& incoming : page.records) {
        std::set<std::string> pendingFields;
        bool pendingStatus = false, pendingDelete = false, pending = false;
        if (!outboxEmpty) pendingOps->bind(1, incoming.collection).bind(2, incoming.id);
        while (!outboxEmpty && pendingOps->step()) {
            pending = true;
            Op op = sync::opFromJson(json::parse(pendingOps->getTextView(0)));
            for (const auto& [name, change] : op.fields) {
                (void)change;
                pendingFields.insert(name);
            }
            if (op.type == OpType::Transition) pendingStatus = true;
            if (op.type == OpType::Delete) pendingDelete = true;
        }
        pendingOps->reset();
        if (!pending) {
            save(incoming, false, &incoming);
        } else {
            // Local changes still queued win locally until the server has them; the rest of the
            // record takes the server's values and versions.
            Record server = incoming;
            if (!server.fieldsText.empty()) {
                server.fields = json::parse(server.fieldsText);
                server.fieldsText = {};
            }
            if (!server.versionsText.empty()) {
                server.versions = sync::versionsOf(server);
                server.versionsText = {};
            }
            Record merged = server;
            if (auto local = record(incoming.collection, incoming.id)) {
                for (const auto& name : pendingFields) {
                    if (local->fields.contains(name)) merged.fields[name] = local->fields[name];
                    if (local->versions.count(name)) merged.versions[name] = local->versions[name];
                    else merged.versions.erase(name);
                }
                if (pendingStatus) {
                    merged.fields["status"] = local->fields.value("status", merged.status);
                    merged.status = local->status;
                }
                if (pendingDelete) merged.deleted = true;
            }
            sync::deriveScope(merged);
            save(merged, true, &server);
        }
        ++applied.records;
        if (isDirectory(incoming.collection)) ++applied.directory;
    }
    auto removal = m_db.cached("DELETE FROM record WHERE collection = ?1 AND id = ?2");
    for (const auto& r : page.removals) {
        removal->bind(1, r.collection).bind(2, r.id);
        removal->exec();
        removal->reset();
        ++applied.removals;
    }
    setState("cursor", std::to_string(page.nextCursor));
    txn.commit();
    return applied;
}

void LocalStore::clearSynced() {
    // A row is kept only for what is still waiting to be sent: a change shown here whose op has
    // gone (a resolution's value on its record) is the server's to confirm, and the server's
    // record may be gone.
    m_db.exec("DELETE FROM record WHERE local = 0 OR NOT EXISTS (SELECT 1 FROM outbox o WHERE "
              "o.collection = record.collection AND o.record_id = record.id); "
              "DELETE FROM service; DELETE FROM organisation; DELETE FROM location;");
    directory::DirectoryStore(m_db).clearIndex();
    // Directory changes made here and not yet sent go back into the search tables.
    m_db.exec("UPDATE record SET reindex = 1 WHERE local = 1 AND collection IN ('service', 'organisation')");
}

void LocalStore::wipeForResync() {
    db::Transaction txn(m_db);
    clearSynced();
    setState("cursor", "0");
    txn.commit();
}

size_t LocalStore::pendingDirectory() {
    return static_cast<size_t>(m_db.queryInt64("SELECT count(*) FROM record WHERE reindex = 1").value_or(0));
}

size_t LocalStore::materialiseDirectory(size_t limit) {
    db::RederivableCommit rederivable(m_db); // the search tables are rebuilt from `record` (reindex = 1)
    db::Transaction txn(m_db);
    directory::DirectoryStore dir(m_db);
    directory::DirectoryStore::BulkWrite bulk(dir);
    // Organisations first, so services find theirs.
    auto q = m_db.cached("SELECT collection, id, deleted, fields FROM record WHERE reindex = 1 "
                         "ORDER BY collection = 'organisation' DESC, seq LIMIT ?1");
    q->bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    // Kept as text and parsed one at a time: only the fields are needed, and each record's
    // objects are freed before the next is built.
    struct Waiting {
        std::string collection, id;
        bool deleted;
        std::string fields;
    };
    std::vector<Waiting> batch;
    while (q->step()) batch.push_back({q->getText(0), q->getText(1), q->getBool(2), q->getText(3)});
    q->reset();
    auto done = m_db.cached("UPDATE record SET reindex = 0 WHERE collection = ?1 AND id = ?2");
    size_t n = 0;
    for (const auto& w : batch) {
        Record r;
        r.collection = w.collection;
        r.id = w.id;
        r.deleted = w.deleted;
        if (!r.deleted) r.fields = revealFields(r.collection, r.id, parseOr(w.fields, json::object()));
        bool complete = true;
        if (r.collection == "organisation") {
            if (!r.deleted) dir.upsertOrganisation(sync::organisationFromFields(r.id, r.fields));
        } else if (r.collection == "service") {
            if (r.deleted) {
                dir.deleteService(r.id);
            } else {
                auto s = sync::serviceFromFields(r.id, r.fields);
                if (!s.organisationId.empty() && !dir.organisation(s.organisationId)) {
                    // Its organisation has not arrived yet: index it without, and again later.
                    s.organisationId.clear();
                    complete = false;
                }
                dir.upsertService(s);
            }
        }
        if (complete) {
            done->bind(1, r.collection).bind(2, r.id);
            done->exec();
            done->reset();
        }
        ++n;
    }
    bulk.finish();
    txn.commit();
    return n;
}

} // namespace signpost::client
