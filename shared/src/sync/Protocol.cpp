#include "signpost/sync/Protocol.hpp"
#include "signpost/Error.hpp"
#include "signpost/util/JsonText.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace signpost::sync {

using nlohmann::json;

namespace {

// Reads a JSON object strictly: every member it is asked for must have the right type, and
// finish() refuses members nobody asked for (a typo in a field name is an error, not a no-op).
class Reader {
public:
    // `what` names the message in errors; `member`, when given, the member of it this object is
    // (composed only for an error: a push reads one Reader per field of every op).
    Reader(const json& j, std::string_view what, std::string_view member = {}) : m_j(j), m_what(what), m_member(member) {
        if (!j.is_object()) fail("", "must be a JSON object");
    }
    [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
        std::string where(m_what);
        if (!m_member.empty()) where.append(".").append(m_member);
        if (!key.empty()) where.append(".").append(key);
        throw Error(ErrorDomain::Parse, where + " " + problem);
    }
    const json* find(std::string_view key) {
        m_seen.push_back(key);
        auto it = m_j.find(key);
        return it == m_j.end() || it->is_null() ? nullptr : &*it;
    }
    std::string str(std::string_view key, bool required = true, size_t maxBytes = 64 * 1024) {
        const json* v = find(key);
        if (!v) {
            if (required) fail(key, "is required");
            return {};
        }
        if (!v->is_string()) fail(key, "must be a string");
        const auto& s = v->get_ref<const std::string&>();
        if (s.size() > maxBytes) fail(key, "is longer than " + std::to_string(maxBytes) + " bytes");
        return s;
    }
    int64_t integer(std::string_view key, bool required = true, int64_t fallback = 0) {
        const json* v = find(key);
        if (!v) {
            if (required) fail(key, "is required");
            return fallback;
        }
        if (!v->is_number_integer()) fail(key, "must be a whole number");
        return v->get<int64_t>();
    }
    bool boolean(std::string_view key, bool fallback = false) {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_boolean()) fail(key, "must be true or false");
        return v->get<bool>();
    }
    const json& array(std::string_view key, bool required = true) {
        static const json empty = json::array();
        const json* v = find(key);
        if (!v) {
            if (required) fail(key, "is required");
            return empty;
        }
        if (!v->is_array()) fail(key, "must be an array");
        return *v;
    }
    const json& object(std::string_view key, bool required = true) {
        static const json empty = json::object();
        const json* v = find(key);
        if (!v) {
            if (required) fail(key, "is required");
            return empty;
        }
        if (!v->is_object()) fail(key, "must be an object");
        return *v;
    }
    // A message has a dozen members at most: a list searched in order beats a set of copies.
    void finish() const {
        for (auto it = m_j.begin(); it != m_j.end(); ++it)
            if (std::find(m_seen.begin(), m_seen.end(), std::string_view(it.key())) == m_seen.end())
                fail(it.key(), "is not a field of this message");
    }

private:
    const json& m_j;
    std::string_view m_what;
    std::string_view m_member;
    std::vector<std::string_view> m_seen; // the names asked for (literals, or names in the message)
};

constexpr const char* kOpTypes[] = {"create", "update", "transition", "delete", "resolve"};
constexpr const char* kOpStatuses[] = {"applied", "duplicate", "conflict", "rejected"};

} // namespace

const char* toCode(OpType type) { return kOpTypes[static_cast<int>(type)]; }
const char* toCode(OpStatus status) { return kOpStatuses[static_cast<int>(status)]; }

std::optional<OpType> parseOpType(std::string_view code) {
    for (int i = 0; i < 5; ++i)
        if (code == kOpTypes[i]) return static_cast<OpType>(i);
    return std::nullopt;
}

std::optional<OpStatus> parseOpStatus(std::string_view code) {
    for (int i = 0; i < 4; ++i)
        if (code == kOpStatuses[i]) return static_cast<OpStatus>(i);
    return std::nullopt;
}

namespace {
constexpr const char* kNumberTooLarge = "the body is not valid JSON (a number is too large)";
}

json parseJson(std::string_view body) {
    try {
        return json::parse(body);
    } catch (const json::parse_error& e) {
        throw Error(ErrorDomain::Parse, std::string("the body is not valid JSON (byte ") + std::to_string(e.byte) + ")");
    } catch (const json::out_of_range&) {
        throw Error(ErrorDomain::Parse, kNumberTooLarge);
    }
}

// ------------------------------------------------------------------------------------- encode

json toJson(const Op& op) {
    json j{{"op_id", op.opId}, {"schema", op.schema}, {"type", toCode(op.type)}, {"collection", op.collection},
           {"id", op.recordId}};
    if (!op.fields.empty()) {
        json fields = json::object();
        for (const auto& [name, change] : op.fields) {
            json f{{"value", change.value}, {"base", change.base}};
            if (!change.baseValue.is_null()) f["base_value"] = change.baseValue;
            fields[name] = std::move(f);
        }
        j["fields"] = std::move(fields);
    }
    if (!op.toStatus.empty()) j["to"] = op.toStatus;
    if (!op.fromStatus.empty()) j["from"] = op.fromStatus;
    if (!op.reason.empty()) j["reason"] = op.reason;
    if (!op.conflictId.empty()) j["conflict_id"] = op.conflictId;
    if (op.baseSeq) j["base_seq"] = op.baseSeq;
    if (!op.clientTime.empty()) j["client_time"] = op.clientTime;
    return j;
}

json toJson(const OpResult& r) {
    json j{{"op_id", r.opId}, {"status", toCode(r.status)}};
    if (r.original) j["original"] = toCode(*r.original);
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (!r.conflictId.empty()) j["conflict_id"] = r.conflictId;
    if (r.seq) j["seq"] = r.seq;
    return j;
}

json toJson(const PushRequest& request) {
    json ops = json::array();
    for (const auto& op : request.ops) ops.push_back(toJson(op));
    return json{{"protocol", request.protocol}, {"device_id", request.deviceId}, {"ops", std::move(ops)}};
}

std::string pushRequestBody(const std::string& deviceId, const std::vector<std::string>& opsJson) {
    size_t size = 64 + deviceId.size();
    for (const auto& op : opsJson) size += op.size() + 1;
    std::string body;
    body.reserve(size);
    body += "{\"protocol\":" + std::to_string(ProtocolVersion) + ",\"device_id\":" + json(deviceId).dump() + ",\"ops\":[";
    for (size_t i = 0; i < opsJson.size(); ++i) {
        if (i) body += ',';
        body += opsJson[i];
    }
    body += "]}";
    return body;
}

json toJson(const PushResponse& response) {
    json results = json::array();
    for (const auto& r : response.results) results.push_back(toJson(r));
    return json{{"results", std::move(results)}};
}

json toJson(const Record& r) {
    json versions = json::object();
    for (const auto& [name, v] : r.versionsText.empty() ? r.versions : versionsFromText(r.versionsText)) versions[name] = v;
    json j{{"collection", r.collection}, {"id", r.id}, {"seq", r.seq}, {"fields", r.fields}, {"versions", versions}};
    if (r.deleted) j["deleted"] = true;
    if (!r.area.empty()) j["area"] = r.area;
    if (!r.organisation.empty()) j["organisation"] = r.organisation;
    if (!r.owner.empty()) j["owner"] = r.owner;
    if (!r.status.empty()) j["status"] = r.status;
    return j;
}

json toJson(const PullResponse& response) {
    json records = json::array();
    for (const auto& r : response.records) records.push_back(toJson(r));
    json removals = json::array();
    for (const auto& r : response.removals)
        removals.push_back(json{{"collection", r.collection}, {"id", r.id}, {"seq", r.seq}});
    json j{{"protocol", response.protocol}, {"records", std::move(records)}, {"removals", std::move(removals)},
           {"next_cursor", response.nextCursor}, {"has_more", response.hasMore}};
    if (response.horizon) j["horizon"] = response.horizon;
    if (response.resync) j["resync"] = true;
    if (!response.serverTime.empty()) j["server_time"] = response.serverTime;
    return j;
}

std::string versionsText(const std::map<std::string, int64_t>& versions) {
    std::string out;
    out.reserve(16 + versions.size() * 24);
    out += '{';
    for (const auto& [name, seq] : versions) {
        if (out.size() > 1) out += ',';
        jsontext::appendQuoted(out, name);
        out += ':';
        out += std::to_string(seq);
    }
    out += '}';
    return out;
}

std::map<std::string, int64_t> versionsFromText(std::string_view text) {
    std::map<std::string, int64_t> out;
    try {
        jsontext::forEachMember(text, [&](std::string_view name, std::string_view value) {
            int64_t v = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec == std::errc() && end == value.data() + value.size()) out.insert_or_assign(jsontext::unquoteName(name), v);
            else out.erase(jsontext::unquoteName(name)); // a later member that is not a number replaces it with nothing
        });
    } catch (const Error&) {
        out.clear();
    }
    return out;
}

// ------------------------------------------------------------------------------------- decode

namespace {

// Reads an op; with `take` (the same object, writable), the fields' values are moved out of it
// rather than copied: they are most of a push's size.
Op readOp(const json& j, json* take) {
    Reader r(j, "op");
    Op op;
    op.opId = r.str("op_id", true, 64);
    if (op.opId.empty()) r.fail("op_id", "must not be empty");
    op.schema = static_cast<uint32_t>(r.integer("schema", false, 1));
    if (op.schema < 1 || op.schema > SchemaVersion)
        r.fail("schema", "is " + std::to_string(op.schema) + "; this server understands 1 to " + std::to_string(SchemaVersion));
    auto type = parseOpType(r.str("type", true, 32));
    if (!type) r.fail("type", "must be create, update, transition, delete or resolve");
    op.type = *type;
    op.collection = r.str("collection", true, 64);
    op.recordId = r.str("id", true, 64);
    if (op.recordId.empty()) r.fail("id", "must not be empty");
    const json& fields = r.object("fields", false);
    json* takeFields = take && !fields.empty() ? &(*take)["fields"] : nullptr; // `fields` is that member
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        Reader f(it.value(), "op.fields", it.key());
        FieldChange change;
        const json* value = f.find("value");
        change.base = f.integer("base", false, 0);
        if (change.base < 0) f.fail("base", "must not be negative");
        const json* baseValue = f.find("base_value");
        f.finish();
        if (takeFields) {
            json& member = (*takeFields)[it.key()];
            if (value) change.value = std::move(member["value"]);
            if (baseValue) change.baseValue = std::move(member["base_value"]);
        } else {
            if (value) change.value = *value;
            if (baseValue) change.baseValue = *baseValue;
        }
        op.fields.emplace_hint(op.fields.end(), it.key(), std::move(change));
    }
    op.toStatus = r.str("to", false, 64);
    op.fromStatus = r.str("from", false, 64);
    op.reason = r.str("reason", false, 4096);
    op.conflictId = r.str("conflict_id", false, 64);
    op.baseSeq = r.integer("base_seq", false, 0);
    op.clientTime = r.str("client_time", false, 64);
    r.finish();
    return op;
}

PushRequest readPushRequest(const json& j, json* take) {
    Reader r(j, "push");
    PushRequest request;
    request.protocol = static_cast<uint32_t>(r.integer("protocol"));
    request.deviceId = r.str("device_id", true, 64);
    const json& ops = r.array("ops");
    if (ops.size() > kMaxOpsPerPush)
        r.fail("ops", "holds " + std::to_string(ops.size()) + " ops; at most " + std::to_string(kMaxOpsPerPush) +
                          " go in one push");
    request.ops.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) request.ops.push_back(readOp(ops[i], take ? &(*take)["ops"][i] : nullptr));
    r.finish();
    return request;
}

} // namespace

Op opFromJson(const json& j) { return readOp(j, nullptr); }

OpResult opResultFromJson(const json& j) {
    Reader r(j, "result");
    OpResult result;
    result.opId = r.str("op_id", true, 64);
    auto status = parseOpStatus(r.str("status", true, 32));
    if (!status) r.fail("status", "must be applied, duplicate, conflict or rejected");
    result.status = *status;
    if (auto original = r.str("original", false, 32); !original.empty()) {
        result.original = parseOpStatus(original);
        if (!result.original) r.fail("original", "must be applied, duplicate, conflict or rejected");
    }
    result.reason = r.str("reason", false);
    result.conflictId = r.str("conflict_id", false, 64);
    result.seq = r.integer("seq", false, 0);
    r.finish();
    return result;
}

PushRequest pushRequestFromJson(const json& j) { return readPushRequest(j, nullptr); }

PushRequest pushRequestFromJson(json&& j) { return readPushRequest(j, &j); }

PushResponse pushResponseFromJson(const json& j) {
    Reader r(j, "push response");
    PushResponse response;
    for (const auto& result : r.array("results")) response.results.push_back(opResultFromJson(result));
    r.finish();
    return response;
}

namespace {

// Reads a record; with `take`, its fields are moved out of `j` rather than copied (a pulled page
// holds thousands of records, and their fields are most of its size).
Record readRecord(const json& j, json* take) {
    Reader r(j, "record");
    Record record;
    record.collection = r.str("collection", true, 64);
    record.id = r.str("id", true, 64);
    record.seq = r.integer("seq");
    record.deleted = r.boolean("deleted");
    record.area = r.str("area", false, 64);
    record.organisation = r.str("organisation", false, 64);
    record.owner = r.str("owner", false, 64);
    record.status = r.str("status", false, 64);
    const json& fields = r.object("fields");
    const json& versions = r.object("versions");
    for (auto it = versions.begin(); it != versions.end(); ++it) {
        if (!it.value().is_number_integer()) r.fail("versions." + it.key(), "must be a whole number");
        record.versions.emplace_hint(record.versions.end(), it.key(), it.value().get<int64_t>());
    }
    r.finish();
    if (take) record.fields = std::move((*take)["fields"]);
    else record.fields = fields;
    return record;
}

PullResponse readPullResponse(const json& j, json* take) {
    Reader r(j, "pull response");
    PullResponse response;
    response.protocol = static_cast<uint32_t>(r.integer("protocol"));
    const json& records = r.array("records");
    response.records.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i)
        response.records.push_back(readRecord(records[i], take ? &(*take)["records"][i] : nullptr));
    for (const auto& removal : r.array("removals")) {
        Reader rm(removal, "removal");
        response.removals.push_back({rm.str("collection", true, 64), rm.str("id", true, 64), rm.integer("seq")});
        rm.finish();
    }
    response.nextCursor = r.integer("next_cursor");
    response.hasMore = r.boolean("has_more");
    response.horizon = r.integer("horizon", false, 0);
    response.resync = r.boolean("resync");
    response.serverTime = r.str("server_time", false, 64);
    r.finish();
    return response;
}

} // namespace

Record recordFromJson(const json& j) { return readRecord(j, nullptr); }

PullResponse pullResponseFromJson(const json& j) { return readPullResponse(j, nullptr); }

PullResponse pullResponseFromJson(json&& j) { return readPullResponse(j, &j); }

namespace {

// Reads a pull page's text in one pass of nlohmann's SAX parser (so every check of the grammar
// stays the library's), for the page the server writes: each record's head goes straight into a
// Record, its `fields` object is cut from the text as it stands, and its `versions` object too
// when it is exactly what versionsText writes. The envelope (a few members a page) is built as
// JSON objects and read by readPullResponse.
//
// It reads only what it expects: anything else in a record (a member it does not know, one
// repeated, a null, a value of another type, a string over 64 bytes, a version that is not a
// whole number) or a syntax error stops it, and the page is read again as objects
// (readPullResponse), which accepts or refuses it with the usual messages. So the checks and the
// messages stay those of one reader; this one only skips building what a good page holds.
//
// Where an object starts and ends is taken from how far the parser has read: it calls
// start_object just after reading the `{`, and end_object just after the `}` (a number before it
// reads exactly that `}` ahead and holds it back). A cut is checked to begin with `{` and end
// with `}` regardless.
class PageReader {
public:
    PageReader(const char* const& readTo, const std::function<bool(std::string_view)>& keepText)
        : m_readTo(readTo), m_keepText(keepText) {}

    json root;
    std::vector<Record> records;
    bool expected = true; // false: stopped at something it does not read; read the page as objects

    bool null() { return m_record ? m_skip > 0 || stop() : value(nullptr); }
    bool boolean(bool v) {
        if (!m_record) return value(v);
        if (m_skip || m_member != Member::Deleted) return m_skip > 0 || stop();
        m_head.deleted = v;
        return true;
    }
    bool number_integer(json::number_integer_t v) { return m_record ? whole(v) : value(v); }
    bool number_unsigned(json::number_unsigned_t v) {
        if (!m_record) return value(v);
        if (m_skip) return true;
        // readRecord takes a whole number as int64_t: one beyond it is left to that reading.
        return v > static_cast<json::number_unsigned_t>(INT64_MAX) ? stop() : whole(static_cast<int64_t>(v));
    }
    bool number_float(json::number_float_t v, const std::string&) { return m_record ? m_skip > 0 || stop() : value(v); }
    bool string(std::string& v) {
        if (!m_record) return value(std::move(v));
        if (m_skip) return true;
        std::string* to = headString();
        if (!to || v.size() > 64) return stop();
        *to = std::move(v);
        return true;
    }
    bool binary(json::binary_t&) { return m_record ? m_skip > 0 || stop() : true; }
    bool key(std::string& k) {
        if (!m_record) {
            m_keys.back() = std::move(k);
            return true;
        }
        if (m_skip) return true;
        if (m_inVersions) return versionName(k);
        m_member = memberOf(k);
        if (m_member == Member::Other || (m_seen & bitOf(m_member))) return stop(); // unknown or repeated
        m_seen |= bitOf(m_member);
        return true;
    }
    bool start_object(std::size_t) {
        if (m_record) {
            if (m_skip) return ++m_skip, true;
            if (m_inVersions) return stop();
            if (m_member == Member::Fields) {
                m_skip = 1;
                m_cutFrom = m_readTo - 1;
                return true;
            }
            if (m_member != Member::Versions) return stop();
            m_inVersions = true;
            m_cutFrom = m_readTo - 1;
            m_versionCount = 0;
            m_versionBytes = 0;
            m_canonical = true;
            m_lastName.clear();
            return true;
        }
        if (inRecords()) {
            m_record = true;
            m_head = Record{};
            m_seen = 0;
            return true;
        }
        return open(json::object());
    }
    bool start_array(std::size_t) {
        if (m_record) return m_skip ? (++m_skip, true) : stop();
        if (m_stack.size() == 1 && m_keys[0] == "records" && !m_recordsOpen) {
            // The records themselves are read into `records`; the envelope keeps an empty array.
            if (m_sawRecords) return stop();
            m_sawRecords = m_recordsOpen = true;
            place(json::array());
            return true;
        }
        if (inRecords()) return stop(); // an array where a record should be
        return open(json::array());
    }
    bool end_object() {
        if (!m_record) return close();
        if (m_skip) {
            if (--m_skip == 0) m_head.fieldsText = cut();
            return true;
        }
        if (m_inVersions) {
            m_inVersions = false;
            const std::string_view text = cut();
            // Exactly what versionsText writes (compact, names in order, each once, as written):
            // stored as it is. Anything else equal in meaning is read into the map.
            const size_t canonical = 2 + m_versionBytes + (m_versionCount ? m_versionCount - 1 : 0);
            if (m_canonical && text.size() == canonical) m_head.versionsText = text;
            else m_head.versions = versionsFromText(text);
            return true;
        }
        // The record is complete: what readRecord requires is here, each with its type.
        for (Member m : {Member::Collection, Member::Id, Member::Seq, Member::Fields, Member::Versions})
            if (!(m_seen & bitOf(m))) return stop();
        if (!m_keepText || !m_keepText(m_head.collection)) {
            m_head.fields = json::parse(m_head.fieldsText);
            m_head.fieldsText.clear();
        }
        records.push_back(std::move(m_head));
        m_record = false;
        return true;
    }
    bool end_array() {
        if (m_record) return --m_skip, true; // only inside fields: any other array stopped the reading
        if (m_recordsOpen && m_stack.size() == 1) {
            m_recordsOpen = false;
            return true;
        }
        return close();
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return stop(); }

private:
    enum class Member : unsigned { Collection, Id, Seq, Deleted, Area, Organisation, Owner, Status, Fields, Versions, Other };
    static constexpr unsigned bitOf(Member m) { return 1u << static_cast<unsigned>(m); }
    static Member memberOf(std::string_view k) {
        static constexpr std::pair<std::string_view, Member> names[] = {
            {"collection", Member::Collection}, {"id", Member::Id},       {"seq", Member::Seq},
            {"deleted", Member::Deleted},       {"area", Member::Area},   {"organisation", Member::Organisation},
            {"owner", Member::Owner},           {"status", Member::Status}, {"fields", Member::Fields},
            {"versions", Member::Versions}};
        for (const auto& [name, member] : names)
            if (k == name) return member;
        return Member::Other;
    }
    std::string* headString() {
        switch (m_member) {
        case Member::Collection: return &m_head.collection;
        case Member::Id: return &m_head.id;
        case Member::Area: return &m_head.area;
        case Member::Organisation: return &m_head.organisation;
        case Member::Owner: return &m_head.owner;
        case Member::Status: return &m_head.status;
        default: return nullptr;
        }
    }
    bool whole(int64_t v) {
        if (m_skip) return true;
        if (m_inVersions) {
            char digits[24];
            m_versionBytes += static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, v).ptr - digits);
            return true;
        }
        if (m_member != Member::Seq) return stop();
        m_head.seq = v;
        return true;
    }
    // A versions member's name: counted as versionsText would write it, if it writes it as it
    // stands (no escapes) and after the name before it.
    bool versionName(std::string& name) {
        const bool plain = std::none_of(name.begin(), name.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\' || c == 0x7f;
        });
        if (!plain || (m_versionCount > 0 && !(m_lastName < name))) m_canonical = false;
        m_versionBytes += name.size() + 3; // quotes and colon
        ++m_versionCount;
        m_lastName.swap(name);
        return true;
    }
    std::string_view cut() {
        const std::string_view text(m_cutFrom, static_cast<size_t>(m_readTo - m_cutFrom));
        if (text.size() < 2 || text.front() != '{' || text.back() != '}')
            throw Error(ErrorDomain::Internal, "a pulled record's fields could not be cut from the page");
        return text;
    }
    bool stop() {
        expected = false;
        return false;
    }
    // Directly inside the top-level `records` array.
    bool inRecords() const { return m_recordsOpen && m_stack.size() == 1; }
    json* place(json&& v) {
        if (m_stack.empty()) {
            root = std::move(v);
            return &root;
        }
        json& top = *m_stack.back();
        if (top.is_array()) {
            top.push_back(std::move(v));
            return &top.back();
        }
        json& slot = top[m_keys.back()];
        slot = std::move(v);
        return &slot;
    }
    bool value(json&& v) {
        if (inRecords()) return stop(); // a record that is not an object
        place(std::move(v));
        return true;
    }
    bool open(json&& container) {
        m_stack.push_back(place(std::move(container)));
        m_keys.emplace_back();
        return true;
    }
    bool close() {
        m_stack.pop_back();
        m_keys.pop_back();
        return true;
    }

    const char* const& m_readTo;
    const std::function<bool(std::string_view)>& m_keepText;
    // The envelope, built as objects.
    std::vector<json*> m_stack;      // open containers, outermost first
    std::vector<std::string> m_keys; // the current member name of each (unused for arrays)
    bool m_sawRecords = false, m_recordsOpen = false;
    // The record being read.
    bool m_record = false;
    Record m_head;
    Member m_member = Member::Other;
    unsigned m_seen = 0;          // the members read so far, by bitOf
    int m_skip = 0;               // depth inside its fields (0: not in them)
    const char* m_cutFrom = nullptr;
    bool m_inVersions = false;
    size_t m_versionCount = 0, m_versionBytes = 0;
    bool m_canonical = true;
    std::string m_lastName;
};

// A character iterator that leaves where the parser has read to in `readTo`.
struct TrackingIterator {
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;
    const char* at;
    const char** readTo;
    reference operator*() const { return *at; }
    TrackingIterator& operator++() {
        *readTo = ++at;
        return *this;
    }
    TrackingIterator operator++(int) {
        TrackingIterator before = *this;
        ++*this;
        return before;
    }
    bool operator==(const TrackingIterator& o) const { return at == o.at; }
    bool operator!=(const TrackingIterator& o) const { return at != o.at; }
};

} // namespace

PullResponse pullResponseFromText(std::string_view body, const std::function<bool(std::string_view)>& keepText) {
    {
        const char* readTo = body.data();
        PageReader reader(readTo, keepText);
        const bool read = json::sax_parse(TrackingIterator{body.data(), &readTo},
                                          TrackingIterator{body.data() + body.size(), &readTo}, &reader);
        if (read && reader.expected) {
            PullResponse page = readPullResponse(reader.root, nullptr); // the envelope: its records array is empty
            page.records = std::move(reader.records);
            return page;
        }
    }
    // Not a page as the server writes it: read as objects, which gives the usual messages. Kept
    // collections still get their fields as text.
    json parsed = parseJson(body);
    PullResponse page = readPullResponse(parsed, &parsed);
    for (Record& r : page.records)
        if (keepText && keepText(r.collection)) {
            r.fieldsText = r.fields.dump();
            r.fields = json::object();
        }
    return page;
}

Op upgradeOp(Op op) {
    // Each step takes an op one schema forward, so an op queued on an old device for days lands.
    if (op.schema < 2 && op.collection == "referral") {
        // 1 → 2: person_name became given_name + family_name (split at the last space).
        if (auto it = op.fields.find("person_name"); it != op.fields.end()) {
            FieldChange change = it->second;
            op.fields.erase(it);
            std::string full = change.value.is_string() ? change.value.get<std::string>() : std::string();
            auto space = full.find_last_of(' ');
            std::string given = space == std::string::npos ? full : full.substr(0, space);
            std::string family = space == std::string::npos ? std::string() : full.substr(space + 1);
            op.fields["given_name"] = FieldChange{given, 0, nullptr};
            op.fields["family_name"] = FieldChange{family, 0, nullptr};
        }
    }
    op.schema = SchemaVersion;
    return op;
}

} // namespace signpost::sync
