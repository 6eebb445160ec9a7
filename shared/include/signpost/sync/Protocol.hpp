#pragma once
// The sync protocol between a device and signpost-server (docs/sync-protocol.md), shared by both
// ends. Plain structs and enums with a strict JSON codec: unknown fields, wrong types and missing
// members are errors (signpost::Error, domain Parse), never guesses.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::sync {

// Bumped when the wire format changes incompatibly. 1: every record's versions name every field.
// 2: a page's versions are compact (versionsText). The server reads pushes of every version from
// MinProtocolVersion and answers a pull in the version it asks for (`protocol=`, 1 if absent);
// it answers 426 to a later one.
inline constexpr uint32_t ProtocolVersion = 2;
inline constexpr uint32_t MinProtocolVersion = 1;
// The record schema ops are written against. Older clients' ops are up-migrated by the server
// (upgradeOp), never dropped. 1: the first referral record (one person_name field). 2: the full
// referral record (given_name and family_name).
inline constexpr uint32_t SchemaVersion = 2;

// Limits both ends enforce (the server rejects beyond them with 413 / 400).
inline constexpr size_t kMaxOpsPerPush = 500;
inline constexpr size_t kMaxRequestBytes = 8u * 1024 * 1024;       // compressed, on the wire
inline constexpr size_t kMaxDecodedBytes = 32u * 1024 * 1024;      // after gunzip
inline constexpr size_t kDefaultPullRows = 1000;
inline constexpr size_t kDefaultPullBytes = 4u * 1024 * 1024;

enum class OpType { Create, Update, Transition, Delete, Resolve };
enum class OpStatus { Applied, Duplicate, Conflict, Rejected };

const char* toCode(OpType type);
const char* toCode(OpStatus status);
std::optional<OpType> parseOpType(std::string_view code);
std::optional<OpStatus> parseOpStatus(std::string_view code);

// One field an op sets, with the server version of that field the client last saw (0: never).
struct FieldChange {
    nlohmann::json value;
    int64_t base = 0;
    // The value at `base`, as the device saw it: lets a conflict record show base / mine / theirs
    // without the server keeping every old value. Sent for text fields only.
    nlohmann::json baseValue;
};

// One intent a device queued while offline. op_id is generated on the device (UUID), so a
// replay is recognised and answered with the stored result.
struct Op {
    std::string opId;
    uint32_t schema = SchemaVersion;
    OpType type = OpType::Update;
    std::string collection;
    std::string recordId;
    std::map<std::string, FieldChange> fields;   // Create, Update
    std::string toStatus;                        // Transition
    std::string fromStatus;                      // Transition: the status the device saw
    std::string reason;                          // Transition, Delete: why (may be required)
    std::string conflictId;                      // Resolve: which conflict
    int64_t baseSeq = 0;                         // Delete: the record's seq as the device saw it
    std::string clientTime;                      // informative only: device clocks order nothing
};

struct OpResult {
    std::string opId;
    OpStatus status = OpStatus::Applied;
    // For a Duplicate: what the op's first arrival produced (applied, conflict or rejected).
    std::optional<OpStatus> original;
    std::string reason;      // Rejected: a sentence a person understands; Conflict: what clashed
    std::string conflictId;  // Conflict: the conflict record created
    int64_t seq = 0;         // the server sequence the op was applied at (0 if none)
};

struct PushRequest {
    uint32_t protocol = ProtocolVersion;
    std::string deviceId;
    std::vector<Op> ops;
};

struct PushResponse {
    std::vector<OpResult> results;
};

// A record as the server holds it, scoped and with per-field versions.
struct Record {
    std::string collection;
    std::string id;
    int64_t seq = 0;             // the server sequence of its latest change
    bool deleted = false;
    std::string area;            // scope: area code ('' = everyone)
    std::string organisation;    // scope: provider organisation ('' = none)
    std::string owner;           // scope: responsible user id ('' = none)
    std::string status;          // for collections with a lifecycle
    nlohmann::json fields = nlohmann::json::object();   // name → value
    std::map<std::string, int64_t> versions;            // name → seq of its last change
    // Set only by pullResponseFromText, for a collection it was asked to keep as text: the fields
    // exactly as the page wrote them (one JSON object), and `fields` is then left empty.
    // Both texts are views into the page's own text (PullResponse::text): a record that keeps
    // them must not outlive its page. Copying each out of the page was most of reading one.
    std::string_view fieldsText;
    // Set only by pullResponseFromText, when the page wrote the versions exactly as versionsText
    // writes them (as the server does): that text, and `versions` is then left empty. It may be
    // compact (a default under ""): read it with versionsOf, which knows the record's fields.
    std::string_view versionsText;
};

// A record's versions as stored beside it (a JSON object of whole numbers), written and read as
// text: both ends do this for every record they read or write.
//
// The compact form (protocol 2) writes the commonest version of the record's fields once, under
// the name "" (never a field's name), and only the versions that differ by name: a field in
// `fields` with no member of its own has that version, one with no version is written as 0. Most
// records were written by one op, so their versions are `{"":seq}` in place of a member per field.
// Names that are not fields are always written by name. Without `fields` (or when no version is
// shared by two fields) every version is written by name, the form of protocol 1.
std::string versionsText(const std::map<std::string, int64_t>& versions);
std::string versionsText(const std::map<std::string, int64_t>& versions, const nlohmann::json& fields);
// The members as written ("" included). Reading skips members that are not whole numbers; text
// that is not one object reads as no versions; a repeated name keeps its last value, as a JSON
// reader does.
std::map<std::string, int64_t> versionsFromText(std::string_view text);
// Versions as read (either form) made whole for the record's fields, given as the object or as
// its JSON text: each field with no member of its own takes the "" member's version, then "" and
// every 0 ("no version") go. The result names exactly the versioned names, as protocol 1 did.
// (FieldsText names the text form: a JSON library object converts from a string too.)
struct FieldsText {
    std::string_view text;
};
void expandVersions(std::map<std::string, int64_t>& versions, const nlohmann::json& fields);
void expandVersions(std::map<std::string, int64_t>& versions, FieldsText fields);
std::map<std::string, int64_t> versionsFromText(std::string_view text, const nlohmann::json& fields);
std::map<std::string, int64_t> versionsFromText(std::string_view text, FieldsText fields);
// A record's whole versions, whichever way it holds them (versions, or versionsText with its
// fields or fieldsText).
std::map<std::string, int64_t> versionsOf(const Record& record);

struct Removal {
    std::string collection;
    std::string id;
    int64_t seq = 0;
};

struct PullResponse {
    uint32_t protocol = ProtocolVersion;
    std::vector<Record> records;
    std::vector<Removal> removals;  // left the user's scope: delete locally
    int64_t nextCursor = 0;
    bool hasMore = false;
    // Tombstones below this seq have been purged. A device remembers the horizon its cursor chain
    // began under and sends it back; if a later purge passed its cursor, it must resync.
    int64_t horizon = 0;
    // A purge removed tombstones this device had not seen: push the outbox, wipe the synced
    // collections and pull again from 0.
    bool resync = false;
    std::string serverTime;
    // What the records' fieldsText and versionsText are views into (pullResponseFromText).
    std::shared_ptr<const std::string> text;
};

nlohmann::json toJson(const Op& op);
// A field change's value or base_value (`part`) written into an op's text. How a device seals
// personal values on their way into its outbox.
using OpPartWriter =
    std::function<void(std::string& out, const std::string& field, std::string_view part, const nlohmann::json& value)>;
// The same text as toJson(op).dump(), written without building the objects (a device writes one
// for every change a person makes). `part`, if given, writes each field's value and base_value
// in place of their plain JSON text.
std::string opText(const Op& op, const OpPartWriter& part = {});
nlohmann::json toJson(const OpResult& result);
nlohmann::json toJson(const PushRequest& request);
// The same request written from ops already in wire form (each a JSON object as toJson(Op) gives):
// a device's outbox keeps its ops as text, and most go out exactly as stored.
std::string pushRequestBody(const std::string& deviceId, const std::vector<std::string>& opsJson);
nlohmann::json toJson(const PushResponse& response);
nlohmann::json toJson(const Record& record);
nlohmann::json toJson(const PullResponse& response);

Op opFromJson(const nlohmann::json& j);
OpResult opResultFromJson(const nlohmann::json& j);
PushRequest pushRequestFromJson(const nlohmann::json& j);
// The same, moving the ops' field values out of `j` rather than copying them.
PushRequest pushRequestFromJson(nlohmann::json&& j);
// A push read from its text in one pass, with the same checks and errors as above: the
// server's share of a push was largely building the body's objects and copying the ops out of
// them. A push with anything a device does not write (a member repeated or spelt with an escape,
// a null, a number that is not a plain whole number, a value out of range) is read as objects
// instead, so every message is theirs. `readAsText`, if given, says which way it was read.
PushRequest pushRequestFromText(std::string_view body, bool* readAsText = nullptr);
PushResponse pushResponseFromJson(const nlohmann::json& j);
// A push's answer: its results, and the pull page a push asked for with `pull=1` if the server
// sent one (member "pull", always the answer's last, holding the text GET /v1/pull would have
// answered; docs/sync-protocol.md).
struct PushAnswer {
    PushResponse response;
    std::optional<std::string> pullPage;
};
// Read from its text: the results as pushResponseFromJson reads them, the page left as text for
// pullResponseFromText (`body` becomes it, unparsed and uncopied). Throws signpost::Error
// {Parse} as parseJson does.
PushAnswer pushAnswerFromText(std::string body);
Record recordFromJson(const nlohmann::json& j);
PullResponse pullResponseFromJson(const nlohmann::json& j);
PullResponse pullResponseFromJson(nlohmann::json&& j); // the same, moving the records' fields out of j
// A pull page read from its text in one pass, with the same checks and errors as above. A record
// whose collection `keepText` accepts keeps its fields as the page's own JSON text (fieldsText)
// and is never built into JSON objects: a first sync is mostly directory records, stored as they
// arrive, and building then re-writing their objects was most of a device's time. Versions
// written as versionsText writes them stay text too (versionsText). A page with anything the
// server does not write is read as objects instead, so the checks and messages are those above.
// The page keeps `body` (PullResponse::text) for the records' texts to stay views into it.
PullResponse pullResponseFromText(std::string body, const std::function<bool(std::string_view)>& keepText);

// Brings an op written against an older record schema up to SchemaVersion.
Op upgradeOp(Op op);

// Parses a JSON body, turning a syntax error into signpost::Error{Parse} with the position.
nlohmann::json parseJson(std::string_view body);

} // namespace signpost::sync
