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

namespace {
// A JSON value as nlohmann's dump() writes it; a string without the copy.
void appendValue(std::string& out, const json& value) {
    if (value.is_string()) jsontext::appendQuoted(out, value.get_ref<const std::string&>());
    else out += value.dump();
}
} // namespace

std::string opText(const Op& op, const OpPartWriter& part) {
    // Members in name order, as a json object (a std::map) keeps them.
    std::string out;
    out.reserve(256);
    bool first = true;
    auto name = [&](std::string_view key) {
        out += first ? "{\"" : ",\"";
        first = false;
        out += key;
        out += "\":";
    };
    auto text = [&](std::string_view key, const std::string& value) {
        name(key);
        jsontext::appendQuoted(out, value);
    };
    if (op.baseSeq) {
        name("base_seq");
        out += std::to_string(op.baseSeq);
    }
    if (!op.clientTime.empty()) text("client_time", op.clientTime);
    text("collection", op.collection);
    if (!op.conflictId.empty()) text("conflict_id", op.conflictId);
    if (!op.fields.empty()) {
        name("fields");
        out += '{';
        bool firstField = true;
        for (const auto& [field, change] : op.fields) {
            if (!firstField) out += ',';
            firstField = false;
            jsontext::appendQuoted(out, field);
            out += ":{\"base\":";
            out += std::to_string(change.base);
            auto write = [&](std::string_view which, const json& value) {
                if (part) part(out, field, which, value);
                else appendValue(out, value);
            };
            if (!change.baseValue.is_null()) {
                out += ",\"base_value\":";
                write("base_value", change.baseValue);
            }
            out += ",\"value\":";
            write("value", change.value);
            out += '}';
        }
        out += '}';
    }
    if (!op.fromStatus.empty()) text("from", op.fromStatus);
    text("id", op.recordId);
    text("op_id", op.opId);
    if (!op.reason.empty()) text("reason", op.reason);
    name("schema");
    out += std::to_string(op.schema);
    if (!op.toStatus.empty()) text("to", op.toStatus);
    name("type");
    jsontext::appendQuoted(out, toCode(op.type));
    out += '}';
    return out;
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
    for (const auto& [name, v] : versionsOf(r)) versions[name] = v;
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

std::string versionsText(const std::map<std::string, int64_t>& versions, const json& fields) {
    if (!fields.is_object() || fields.size() < 2) return versionsText(versions);
    // The commonest version among the fields' (the latest of equals), if two or more share it.
    std::vector<int64_t> held;
    held.reserve(fields.size());
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (auto v = versions.find(it.key()); v != versions.end() && v->second != 0) held.push_back(v->second);
    std::sort(held.begin(), held.end());
    int64_t common = 0;
    size_t best = 1;
    for (size_t i = 0; i < held.size();) {
        size_t j = i;
        while (j < held.size() && held[j] == held[i]) ++j;
        if (j - i >= best && j - i >= 2) {
            best = j - i;
            common = held[i];
        }
        i = j;
    }
    if (common == 0) return versionsText(versions);
    // The rest by name, in name order: fields at another version or none (0), and names that are
    // not fields.
    std::vector<std::pair<std::string_view, int64_t>> named;
    for (const auto& [name, v] : versions)
        if (!name.empty() && (v != common || !fields.contains(name))) named.emplace_back(name, v);
    bool unversioned = false;
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (!versions.count(it.key())) {
            named.emplace_back(it.key(), 0);
            unversioned = true;
        }
    std::sort(named.begin(), named.end());
    std::string out;
    out.reserve(16 + named.size() * 24);
    out += "{\"\":";
    out += std::to_string(common);
    for (const auto& [name, v] : named) {
        out += ',';
        jsontext::appendQuoted(out, name);
        out += ':';
        out += std::to_string(v);
    }
    out += '}';
    // Each field at the common version is a member saved for the one "" costs, but each field
    // with no version costs a member it did not have: then the shorter.
    if (unversioned)
        if (std::string plain = versionsText(versions); plain.size() <= out.size()) return plain;
    return out;
}

namespace {
// Gives each name `forEachName` visits the "" member's version if it has none, then drops "" and
// every 0.
template <typename ForEachName>
void expandWith(std::map<std::string, int64_t>& versions, ForEachName&& forEachName) {
    if (auto d = versions.find(""); d != versions.end()) {
        const int64_t common = d->second;
        versions.erase(d);
        forEachName([&](std::string name) { versions.try_emplace(std::move(name), common); });
    }
    std::erase_if(versions, [](const auto& v) { return v.second == 0; });
}
} // namespace

void expandVersions(std::map<std::string, int64_t>& versions, const json& fields) {
    expandWith(versions, [&](auto&& add) {
        if (fields.is_object())
            for (auto it = fields.begin(); it != fields.end(); ++it) add(it.key());
    });
}

void expandVersions(std::map<std::string, int64_t>& versions, FieldsText fields) {
    expandWith(versions, [&](auto&& add) {
        try {
            jsontext::forEachMember(fields.text, [&](std::string_view name, std::string_view) {
                if (name.find('\\') == std::string_view::npos) add(std::string(name.substr(1, name.size() - 2)));
                else add(jsontext::unquoteName(name));
            });
        } catch (const Error&) {
            // Fields that are not one object name no fields.
        }
    });
}

std::map<std::string, int64_t> versionsFromText(std::string_view text, const json& fields) {
    auto versions = versionsFromText(text);
    expandVersions(versions, fields);
    return versions;
}

std::map<std::string, int64_t> versionsFromText(std::string_view text, FieldsText fields) {
    auto versions = versionsFromText(text);
    expandVersions(versions, fields);
    return versions;
}

std::map<std::string, int64_t> versionsOf(const Record& r) {
    if (r.versionsText.empty()) return r.versions;
    return r.fieldsText.empty() ? versionsFromText(r.versionsText, r.fields)
                                : versionsFromText(r.versionsText, FieldsText{r.fieldsText});
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

PushAnswer pushAnswerFromText(std::string body) {
    // The members before the page are written out again and read as objects (they are a few
    // results). The page, most of the answer, is its last member: it runs to the answer's closing
    // brace and is not scanned here. Its own reader checks it, so an answer with anything after
    // the page is refused there, never misread.
    const size_t close = body.find_last_not_of(" \t\r\n");
    std::string rest = "{";
    size_t pageAt = std::string::npos, pageEnd = 0;
    const size_t end = jsontext::walkObject(body, 0, [&](std::string_view quoted, size_t at) {
        const bool escaped = quoted.find('\\') != std::string_view::npos;
        if ((escaped ? jsontext::unquoteName(quoted) : quoted.substr(1, quoted.size() - 2)) == "pull") {
            if (close == std::string::npos || close <= at || body[close] != '}')
                throw Error(ErrorDomain::Parse, "the push's answer does not end its object after the pull page");
            pageAt = at;
            pageEnd = body.find_last_not_of(" \t\r\n", close - 1) + 1; // at <= it < close
            return close;
        }
        const size_t valueEnd = jsontext::valueEnd(body, at);
        if (rest.size() > 1) rest += ',';
        rest.append(quoted).append(":").append(body, at, valueEnd - at);
        return valueEnd;
    });
    if (body.find_first_not_of(" \t\r\n", end) != std::string::npos)
        throw Error(ErrorDomain::Parse, "the push's answer has text after its object (byte " + std::to_string(end) + ")");
    rest += '}';
    PushAnswer answer;
    answer.response = pushResponseFromJson(parseJson(rest));
    if (pageAt != std::string::npos) {
        body.resize(pageEnd);
        body.erase(0, pageAt);
        answer.pullPage = std::move(body);
    }
    return answer;
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
    expandVersions(record.versions, fields);
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

// Something a reader of text as a device or the server writes it leaves to the reading as objects.
struct Unexpected {};

// What `read` gives from text jsontext::surelyValid accepts, or nullopt: text the quick check
// leaves to the library, or that `read` leaves to the objects reader (Unexpected), or that is not
// the shape the grammar check promised (the full parse then decides). With `checkWhole` false,
// `read` checks the text itself, piece by piece (PageReader).
template <typename T, typename Read>
std::optional<T> readQuickly(std::string_view body, Read&& read, bool checkWhole = true) {
    if (checkWhole && !jsontext::surelyValid(body)) return std::nullopt;
    try {
        return read();
    } catch (const Unexpected&) {
        return std::nullopt;
    } catch (const Error&) {
        return std::nullopt;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

// The whole number `text` is, all of it; anything else is Unexpected (a fraction, an exponent, a
// number beyond int64_t: the objects reader decides).
int64_t wholeNumber(std::string_view text) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) throw Unexpected{};
    return v;
}

// Reads a pull page's text as the server writes it, without building objects for its records:
// each record's head goes straight into a Record, its `fields` object is cut from the text as it
// stands, and its `versions` object too when it is exactly what versionsText writes. The
// envelope (a few members a page) is read as JSON objects by readPullResponse.
//
// Only text jsontext::surelyValid accepts is read this way (the grammar is SQLite's check, and
// what nlohmann refuses beyond it is refused here too), so the members are found by their shape.
// The page is checked in pieces, each record's text as it is read and then the envelope with its
// records array emptied: the walkers check what lies between them (JSON's spaces, commas and
// brackets, nothing else), so every byte is checked once, as one check of the whole page would.
// One check of a whole page made SQLite copy it twice and build its tokens in arrays of about
// its size, fresh memory for every page: a sixth of a device's CPU in the 200-client run.
// And it reads only what it expects: anything else (a member it does not know, one repeated or
// spelt with an escape, a null, a value of another type, a string over 64 bytes, a version that
// is not a whole number) and it gives up, and the page is read again as objects
// (readPullResponse), which accepts or refuses it with the usual messages. So the checks and the
// messages stay those of one reader; this one only skips building what a good page holds.
class PageReader {
public:
    explicit PageReader(const std::function<bool(std::string_view)>& keepText) : m_keepText(keepText) {}

    // The page, or nullopt: read it as objects.
    std::optional<PullResponse> read(std::string_view body) {
        return readQuickly<PullResponse>(body, [&] {
            json root = json::object();
            std::vector<Record> records;
            bool sawRecords = false;
            size_t recordsAt = 0, recordsEnd = 0;
            const size_t end = jsontext::walkObject(body, 0, [&](std::string_view name, size_t at) {
                if (name.find('\\') != std::string_view::npos) throw Unexpected{};
                if (name == "\"records\"") {
                    if (sawRecords || body[at] != '[') throw Unexpected{};
                    sawRecords = true;
                    root["records"] = json::array(); // the envelope's: the records themselves go to `records`
                    recordsAt = at;
                    recordsEnd = jsontext::walkArray(body, at, [&](size_t record) { return readRecord(body, record, records); });
                    return recordsEnd;
                }
                const size_t valueEnd = jsontext::valueEnd(body, at);
                root[std::string(name.substr(1, name.size() - 2))] = json::parse(body.substr(at, valueEnd - at));
                return valueEnd;
            });
            if (body.find_first_not_of(" \t\r\n", end) != std::string_view::npos) throw Unexpected{};
            // The envelope, its records (each checked as it was read) left out.
            const bool envelopeValid =
                sawRecords ? jsontext::surelyValid(std::string(body.substr(0, recordsAt)).append("[]").append(body.substr(recordsEnd)))
                           : jsontext::surelyValid(body);
            if (!envelopeValid) throw Unexpected{};
            PullResponse page = readPullResponse(root, nullptr); // the envelope: its records array is empty
            page.records = std::move(records);
            return page;
        }, false);
    }

private:
    enum class Member : unsigned { Collection, Id, Seq, Deleted, Area, Organisation, Owner, Status, Fields, Versions, Other };
    static constexpr unsigned bitOf(Member m) { return 1u << static_cast<unsigned>(m); }
    // By the name as written, quotes and all: one spelt with an escape is not one of these.
    static Member memberOf(std::string_view name) {
        static constexpr std::pair<std::string_view, Member> names[] = {
            {"\"collection\"", Member::Collection},
            {"\"id\"", Member::Id},
            {"\"seq\"", Member::Seq},
            {"\"deleted\"", Member::Deleted},
            {"\"area\"", Member::Area},
            {"\"organisation\"", Member::Organisation},
            {"\"owner\"", Member::Owner},
            {"\"status\"", Member::Status},
            {"\"fields\"", Member::Fields},
            {"\"versions\"", Member::Versions}};
        for (const auto& [text, member] : names)
            if (name == text) return member;
        return Member::Other;
    }
    static std::string* headString(Record& r, Member m) {
        switch (m) {
        case Member::Collection: return &r.collection;
        case Member::Id: return &r.id;
        case Member::Area: return &r.area;
        case Member::Organisation: return &r.organisation;
        case Member::Owner: return &r.owner;
        case Member::Status: return &r.status;
        default: return nullptr;
        }
    }
    // A versions object: as its text when that is exactly what versionsText writes (compact,
    // names in order, each once, as written, each number as it writes it), else as the map. One
    // that is not all whole numbers is left to the reading as objects.
    static void readVersions(std::string_view text, Record& r) {
        bool canonical = true;
        size_t count = 0, bytes = 0;
        std::string_view last;
        jsontext::forEachMember(text, [&](std::string_view name, std::string_view value) {
            const int64_t v = wholeNumber(value);
            char digits[24];
            const auto written = static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, v).ptr - digits);
            const std::string_view plain = name.substr(1, name.size() - 2);
            if (written != value.size() || plain.find('\\') != std::string_view::npos ||
                plain.find('\x7f') != std::string_view::npos || (count > 0 && !(last < plain)))
                canonical = false;
            bytes += name.size() + 1 + value.size();
            last = plain;
            ++count;
        });
        if (canonical && text.size() == 2 + bytes + (count ? count - 1 : 0)) r.versionsText = text;
        else r.versions = versionsFromText(text);
    }
    // The record at body[at]; returns the index just past it.
    size_t readRecord(std::string_view body, size_t at, std::vector<Record>& records) const {
        if (body[at] != '{') throw Unexpected{};
        Record r;
        unsigned seen = 0;
        const size_t end = jsontext::walkObject(body, at, [&](std::string_view name, size_t from) {
            const Member m = memberOf(name);
            if (m == Member::Other || (seen & bitOf(m))) throw Unexpected{}; // unknown or repeated
            seen |= bitOf(m);
            const size_t to = jsontext::valueEnd(body, from);
            const std::string_view value = body.substr(from, to - from);
            switch (m) {
            case Member::Seq: r.seq = wholeNumber(value); break;
            case Member::Deleted:
                if (value != "true" && value != "false") throw Unexpected{};
                r.deleted = value == "true";
                break;
            case Member::Fields:
                if (value.front() != '{') throw Unexpected{};
                r.fieldsText = value;
                break;
            case Member::Versions:
                if (value.front() != '{') throw Unexpected{};
                readVersions(value, r);
                break;
            default: {
                if (value.front() != '"') throw Unexpected{};
                std::string text = jsontext::unquoteName(value);
                if (text.size() > 64) throw Unexpected{};
                *headString(r, m) = std::move(text);
            }
            }
            return to;
        });
        // What readRecord requires is here, each with its type, in text that is JSON.
        for (Member m : {Member::Collection, Member::Id, Member::Seq, Member::Fields, Member::Versions})
            if (!(seen & bitOf(m))) throw Unexpected{};
        if (!jsontext::surelyValid(body.substr(at, end - at))) throw Unexpected{};
        if (r.versionsText.empty()) expandVersions(r.versions, FieldsText{r.fieldsText}); // read as the map: made whole here
        if (!m_keepText || !m_keepText(r.collection)) {
            r.fields = json::parse(r.fieldsText);
            r.fieldsText = {};
        }
        records.push_back(std::move(r));
        return end;
    }

    const std::function<bool(std::string_view)>& m_keepText;
};

} // namespace

PullResponse pullResponseFromText(std::string body, const std::function<bool(std::string_view)>& keepText) {
    auto text = std::make_shared<const std::string>(std::move(body));
    if (auto page = PageReader(keepText).read(*text)) {
        page->text = std::move(text);
        return std::move(*page);
    }
    // Not a page as the server writes it: read as objects, which gives the usual messages. Kept
    // collections still get their fields as text: written out into one text the page keeps.
    json parsed = parseJson(*text);
    PullResponse page = readPullResponse(parsed, &parsed);
    std::string written;
    std::vector<std::pair<size_t, size_t>> spans(page.records.size(), {0, 0});
    for (size_t i = 0; i < page.records.size(); ++i)
        if (keepText && keepText(page.records[i].collection)) {
            const size_t from = written.size();
            written += page.records[i].fields.dump();
            spans[i] = {from, written.size() - from};
            page.records[i].fields = json::object();
        }
    page.text = std::make_shared<const std::string>(std::move(written));
    const std::string_view all = *page.text;
    for (size_t i = 0; i < page.records.size(); ++i)
        if (spans[i].second) page.records[i].fieldsText = all.substr(spans[i].first, spans[i].second);
    return page;
}

namespace {

// Reads a push as a device writes it (see pushRequestFromText). Like PageReader: only text
// jsontext::surelyValid accepts, and only what it expects, each check of readOp made here as a
// condition for reading on; anything else is Unexpected and the push is read as objects.
class PushReader {
public:
    std::optional<PushRequest> read(std::string_view body) {
        m_body = body;
        return readQuickly<PushRequest>(body, [&] {
            PushRequest request;
            unsigned seen = 0;
            const size_t end = jsontext::walkObject(body, 0, [&](std::string_view name, size_t at) {
                if (name == "\"ops\"") { // walked once, not measured first
                    once(seen, 4);
                    if (body[at] != '[') throw Unexpected{};
                    return jsontext::walkArray(body, at, [&](size_t op) {
                        if (request.ops.size() == kMaxOpsPerPush) throw Unexpected{}; // the objects say how many
                        return readOp(op, request.ops.emplace_back());
                    });
                }
                const size_t to = jsontext::valueEnd(body, at);
                const std::string_view value = body.substr(at, to - at);
                if (name == "\"protocol\"") {
                    once(seen, 1);
                    request.protocol = static_cast<uint32_t>(wholeNumber(value));
                } else if (name == "\"device_id\"") {
                    once(seen, 2);
                    request.deviceId = text(value, 64);
                } else {
                    throw Unexpected{};
                }
                return to;
            });
            if (seen != 7 || body.find_first_not_of(" \t\r\n", end) != std::string_view::npos) throw Unexpected{};
            return request;
        });
    }

private:
    static void once(unsigned& seen, unsigned bit) {
        if (seen & bit) throw Unexpected{};
        seen |= bit;
    }
    // A string of at most `maxBytes` (as readOp allows); a null or another type is Unexpected.
    static std::string text(std::string_view value, size_t maxBytes) {
        if (value.front() != '"') throw Unexpected{};
        std::string s = value.find('\\') == std::string_view::npos ? std::string(value.substr(1, value.size() - 2))
                                                                    : json::parse(value).get<std::string>();
        if (s.size() > maxBytes) throw Unexpected{};
        return s;
    }
    // A field's value, as the library would hold it.
    static json valueOf(std::string_view value) {
        if (value.front() == '"' && value.find('\\') == std::string_view::npos)
            return json(std::string(value.substr(1, value.size() - 2)));
        return json::parse(value);
    }
    // The op at m_body[at] into `op`; returns the index just past it.
    size_t readOp(size_t at, Op& op) const {
        if (m_body[at] != '{') throw Unexpected{};
        op.schema = 1; // as readOp: an op that names no schema was written against the first
        unsigned seen = 0;
        bool sawType = false;
        const size_t end = jsontext::walkObject(m_body, at, [&](std::string_view name, size_t from) {
            if (name == "\"fields\"") { // walked once, not measured first
                once(seen, 1u << 5);
                return readFields(from, op);
            }
            const size_t to = jsontext::valueEnd(m_body, from);
            const std::string_view value = m_body.substr(from, to - from);
            static constexpr std::string_view names[] = {"\"op_id\"", "\"schema\"", "\"type\"", "\"collection\"",
                                                         "\"id\"", "\"fields\"", "\"to\"", "\"from\"",
                                                         "\"reason\"", "\"conflict_id\"", "\"base_seq\"",
                                                         "\"client_time\""};
            const auto which = static_cast<unsigned>(std::find(std::begin(names), std::end(names), name) - std::begin(names));
            if (which == std::size(names)) throw Unexpected{}; // unknown, or spelt with an escape
            once(seen, 1u << which);
            switch (which) {
            case 0: op.opId = text(value, 64); break;
            case 1: op.schema = static_cast<uint32_t>(wholeNumber(value)); break;
            case 2: {
                auto type = parseOpType(text(value, 32));
                if (!type) throw Unexpected{};
                op.type = *type;
                sawType = true;
                break;
            }
            case 3: op.collection = text(value, 64); break;
            case 4: op.recordId = text(value, 64); break;
            case 6: op.toStatus = text(value, 64); break;
            case 7: op.fromStatus = text(value, 64); break;
            case 8: op.reason = text(value, 4096); break;
            case 9: op.conflictId = text(value, 64); break;
            case 10: op.baseSeq = wholeNumber(value); break;
            case 11: op.clientTime = text(value, 64); break;
            default: throw Unexpected{}; // fields: read above
            }
            return to;
        });
        // What readOp requires, within its ranges (a schema beyond them is its message to give).
        if (!(seen & 1u) || op.opId.empty() || !sawType || !(seen & 8u) || !(seen & 16u) || op.recordId.empty() ||
            op.schema < 1 || op.schema > SchemaVersion)
            throw Unexpected{};
        return end;
    }
    // The fields object at m_body[at] into op.fields; returns the index just past it.
    size_t readFields(size_t at, Op& op) const {
        if (m_body[at] != '{') throw Unexpected{};
        return jsontext::walkObject(m_body, at, [&](std::string_view quoted, size_t from) {
            if (m_body[from] != '{' || quoted.find('\\') != std::string_view::npos) throw Unexpected{};
            std::string field(quoted.substr(1, quoted.size() - 2));
            if (op.fields.count(field)) throw Unexpected{}; // repeated: the objects keep the last
            FieldChange change;
            unsigned seen = 0;
            const size_t end = jsontext::walkObject(m_body, from, [&](std::string_view name, size_t v) {
                const size_t to = jsontext::valueEnd(m_body, v);
                const std::string_view value = m_body.substr(v, to - v);
                if (name == "\"value\"") {
                    once(seen, 1);
                    change.value = valueOf(value);
                } else if (name == "\"base\"") {
                    once(seen, 2);
                    change.base = wholeNumber(value);
                    if (change.base < 0) throw Unexpected{};
                } else if (name == "\"base_value\"") {
                    once(seen, 4);
                    change.baseValue = valueOf(value);
                } else {
                    throw Unexpected{};
                }
                return to;
            });
            op.fields.emplace(std::move(field), std::move(change));
            return end;
        });
    }

    std::string_view m_body;
};

} // namespace

PushRequest pushRequestFromText(std::string_view body, bool* readAsText) {
    auto request = PushReader().read(body);
    if (readAsText) *readAsText = request.has_value();
    if (request) return std::move(*request);
    return pushRequestFromJson(parseJson(body));
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
