#include "Apply.hpp"
#include "signpost/Error.hpp"
#include "signpost/domain/Referral.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <algorithm>

namespace signpost::server {

using nlohmann::json;
using sync::Op;
using sync::OpResult;
using sync::OpStatus;
using sync::OpType;

namespace {

OpResult result(const Op& op, OpStatus status, std::string reason = {}, std::string conflictId = {}, int64_t seq = 0) {
    OpResult r;
    r.opId = op.opId;
    r.status = status;
    r.reason = std::move(reason);
    r.conflictId = std::move(conflictId);
    r.seq = seq;
    return r;
}

OpResult rejected(const Op& op, std::string reason) { return result(op, OpStatus::Rejected, std::move(reason)); }

json fieldOr(const json& fields, const std::string& name) {
    auto it = fields.find(name);
    return it == fields.end() ? json(nullptr) : *it;
}

// "user/device": who last wrote a field, and from which device.
std::string deviceOf(const std::string& writer) {
    auto slash = writer.find('/');
    return slash == std::string::npos ? std::string() : writer.substr(slash + 1);
}
std::string userOf(const std::string& writer) { return writer.substr(0, writer.find('/')); }

bool scopeDiffers(const sync::Record& a, const sync::Record& b) {
    return a.area != b.area || a.organisation != b.organisation || a.owner != b.owner || a.deleted != b.deleted;
}

// A tombstone keeps what scope checks read, never the person's details.
constexpr const char* kTombstoneFields[] = {"sent_at", "collection"};

json tombstoneFields(const json& fields) {
    json out = json::object();
    for (const char* keep : kTombstoneFields)
        if (fields.contains(keep)) out[keep] = fields[keep];
    return out;
}

// A record as it was, for what is read of it after it changes: its scope and status (scope
// exits), the tombstone's fields, and the fields named. Copying every field (and its history)
// for each op was a tenth of applying an edit.
sync::Record stateBefore(const sync::Record& r, const std::vector<std::string_view>& names) {
    sync::Record out{r.collection, r.id, r.seq, r.deleted, r.area, r.organisation, r.owner, r.status, json::object(), {}, {}, {}};
    auto keep = [&](std::string_view name) {
        if (auto it = r.fields.find(name); it != r.fields.end()) out.fields[std::string(name)] = *it;
    };
    for (const char* name : kTombstoneFields) keep(name);
    for (auto name : names) keep(name);
    return out;
}

} // namespace

OpResult OpApplier::apply(const Op& op) {
    m_opId = op.opId;
    const sync::CollectionSpec* spec = sync::findCollection(op.collection);
    if (!spec) return rejected(op, "\"" + op.collection + "\" is not a collection Signpost syncs");
    if (op.type == OpType::Resolve) return resolve(op);
    auto current = m_store.record(op.collection, op.recordId);
    switch (op.type) {
    case OpType::Create:
        if (current && !current->record.deleted) return update(op, *spec, std::move(*current));
        if (current) return rejected(op, "a record with this id was deleted; it cannot be created again");
        return create(op, *spec);
    case OpType::Update:
        if (!current) return rejected(op, "there is no such record (its creation may have been rejected)");
        return update(op, *spec, std::move(*current));
    case OpType::Transition:
        if (!current) return rejected(op, "there is no such record (its creation may have been rejected)");
        return transition(op, *spec, std::move(*current));
    case OpType::Delete:
        if (!current || current->record.deleted) return result(op, OpStatus::Applied);
        return remove(op, *spec, std::move(*current));
    case OpType::Resolve: break;
    }
    return rejected(op, "unknown op type");
}

OpResult OpApplier::create(const Op& op, const sync::CollectionSpec& spec) {
    if (auto why = sync::checkWrite(m_who, spec, op, nullptr)) return rejected(op, *why);
    StoredRecord s;
    sync::Record& r = s.record;
    r.collection = op.collection;
    r.id = op.recordId;
    for (const auto& [name, change] : op.fields) r.fields[name] = change.value;
    if (op.collection == "appointment") {
        // An appointment belongs to an accepted referral and is seen by whoever sees that.
        auto referralId = fieldOr(r.fields, "referral_id");
        auto referral = referralId.is_string() ? m_store.record("referral", referralId.get<std::string>()) : std::nullopt;
        if (!referral || referral->record.deleted || !sync::canRead(m_who, referral->record))
            return rejected(op, "the appointment's referral does not exist or is not shared with you");
        const auto& status = referral->record.status;
        if (status != "accepted" && status != "in_progress")
            return rejected(op, "appointments are booked once the provider has accepted the referral (it is " + status + ")");
        for (const char* scope : {"area", "organisation_id", "owner", "sent_at"})
            r.fields[scope] = fieldOr(referral->record.fields, scope);
    }
    if (op.collection == "referral" && op.fields.count("area") == 0)
        return rejected(op, "a referral needs its area (the responsible PDU)");
    if (op.collection == "referral" && op.fields.count("owner")) {
        const auto& owner = op.fields.at("owner").value;
        const auto& area = op.fields.at("area").value;
        if (owner.is_string() && !owner.get<std::string>().empty() && owner != json(m_who.userId))
            if (auto why = ownerProblem(owner.get<std::string>(), area.is_string() ? area.get<std::string>() : ""))
                return rejected(op, *why);
    }
    if ((spec.scope == sync::ScopeKind::Referral || spec.scope == sync::ScopeKind::Suggestion) &&
        (!r.fields.contains("owner") || !r.fields["owner"].is_string() || r.fields["owner"].get<std::string>().empty()))
        r.fields["owner"] = m_who.userId;
    if (spec.field("created_by")) r.fields["created_by"] = m_who.userId;
    if (spec.lifecycle) r.fields["status"] = std::string(spec.lifecycle->initial());
    r.seq = m_store.nextSeq();
    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
        r.versions[it.key()] = r.seq;
        s.writers[it.key()] = writerTag();
    }
    sync::deriveScope(r);
    m_store.saveRecord(s);
    return result(op, OpStatus::Applied, {}, {}, r.seq);
}

OpResult OpApplier::update(const Op& op, const sync::CollectionSpec& spec, StoredRecord current) {
    if (current.record.deleted) {
        // Delete beats edit; the edit is kept in a conflict record so nothing is lost.
        std::string conflictId;
        for (const auto& [name, change] : op.fields)
            conflictId = createConflict(current, name, "deleted", change.baseValue, change.value, nullptr, "", true,
                                        "the record was deleted; this edit is kept here");
        return result(op, OpStatus::Conflict, "the record was deleted before this edit arrived", conflictId);
    }
    if (auto why = sync::checkWrite(m_who, spec, op, &current.record)) return rejected(op, *why);
    // What is read of the record as it was: the fields this op writes (amendments keep their old
    // values) and those the checks below compare with.
    std::vector<std::string_view> read{"area", "owner", "starts_at"};
    for (const auto& [name, change] : op.fields) read.push_back(name);
    const sync::Record before = stateBefore(current.record, read);
    // Once a referral has gone to a provider, every change needs a reason and keeps its old and
    // new values; so does moving an appointment.
    const bool amendment = op.collection == "referral" &&
                           (before.status == "sent" || before.status == "accepted" || before.status == "in_progress");
    const bool reschedule = op.collection == "appointment" && op.fields.count("starts_at") &&
                            op.fields.at("starts_at").value != fieldOr(before.fields, "starts_at");
    if ((amendment || reschedule) && op.reason.find_first_not_of(" \t\r\n") == std::string::npos)
        return rejected(op, amendment ? "changing a referral after it was sent needs a reason"
                                      : "moving an appointment needs a reason");
    if (op.collection == "referral" && op.fields.count("owner") &&
        op.fields.at("owner").value != fieldOr(before.fields, "owner")) {
        // Reassignment: the new owner must be someone who can work on it where it is (or where
        // this same op moves it).
        const auto& owner = op.fields.at("owner").value;
        const json area = op.fields.count("area") ? op.fields.at("area").value : fieldOr(before.fields, "area");
        if (!owner.is_string() || owner.get<std::string>().empty())
            return rejected(op, "a referral always has an owner: choose who takes it over");
        if (auto why = ownerProblem(owner.get<std::string>(), area.is_string() ? area.get<std::string>() : ""))
            return rejected(op, *why);
    }
    if (op.collection == "alert" && before.status != "open") return rejected(op, "this alert has already been decided");
    if (op.collection == "alert" && op.fields.count("decision")) {
        const auto& d = op.fields.at("decision").value;
        bool known = false;
        for (auto decision : domain::kAlertDecisions) known = known || (d.is_string() && d.get<std::string>() == decision);
        if (!known) return rejected(op, "the decision is one of no_action, warning, breach, recall_consideration");
    }
    std::vector<std::string> changed;
    std::string firstConflict;
    std::string conflictReason;
    for (const auto& [name, change] : op.fields) {
        static const json kAbsent;
        const auto found = current.record.fields.find(name);
        const json& currentValue = found == current.record.fields.end() ? kAbsent : *found; // read before it is written
        if (change.value == currentValue) continue; // already so: nothing to merge
        const int64_t currentVersion = current.record.versions.count(name) ? current.record.versions[name] : 0;
        const std::string writer = current.writers.count(name) ? current.writers[name] : std::string();
        // The device's own earlier edit moved the version on: sequential, not concurrent.
        const bool sameDevice = !writer.empty() && deviceOf(writer) == m_device;
        if (change.base == currentVersion || sameDevice) {
            current.record.fields[name] = change.value;
            changed.push_back(name);
            continue;
        }
        const sync::FieldSpec* field = spec.field(name);
        if (field && field->kind == sync::FieldKind::Text) {
            // Two people rewrote the same text: a person decides; the first to arrive stays.
            std::string id = createConflict(current, name, "text", change.baseValue, change.value, currentValue,
                                            userOf(writer), false, "");
            if (firstConflict.empty()) {
                firstConflict = id;
                conflictReason = "\"" + name + "\" was changed by someone else meanwhile; both versions are kept";
            }
        } else {
            // Server order wins; the value it replaced is recorded.
            std::string id = createConflict(current, name, "value", change.baseValue, change.value, currentValue,
                                            userOf(writer), true, "server order: the later change was kept");
            current.record.fields[name] = change.value;
            changed.push_back(name);
            if (firstConflict.empty()) {
                firstConflict = id;
                conflictReason = "\"" + name + "\" was changed meanwhile; this later change was kept and the "
                                 "earlier value recorded";
            }
        }
    }
    if ((amendment || reschedule) && !changed.empty()) {
        // The history says who changed which field, when and why; the old and new values go to
        // `amendments`, which is personal (sealed on devices, never projected to a provider),
        // since the field may be a person's details.
        // Appended in place: both lists grow with every amendment.
        json& history = current.record.fields["history"];
        if (!history.is_array()) history = json::array();
        json& amendments = current.record.fields["amendments"];
        if (!amendments.is_array()) amendments = json::array();
        for (const auto& name : changed) {
            history.push_back({{"field", name}, {"by", m_who.userId}, {"at", m_now}, {"reason", op.reason}});
            amendments.push_back({{"field", name}, {"old", fieldOr(before.fields, name)},
                                  {"new", current.record.fields[name]}, {"by", m_who.userId}, {"at", m_now},
                                  {"reason", op.reason}});
        }
        changed.push_back("history");
        changed.push_back("amendments");
    }
    commitChange(current, before, changed);
    if (op.collection == "organisation" &&
        std::any_of(changed.begin(), changed.end(), [](const std::string& f) { return f.rfind("isa_", 0) == 0; }))
        reshareReferrals(m_store, current.record.id);
    if (!firstConflict.empty()) return result(op, OpStatus::Conflict, conflictReason, firstConflict, current.record.seq);
    return result(op, OpStatus::Applied, {}, {}, changed.empty() ? 0 : current.record.seq);
}

OpResult OpApplier::transition(const Op& op, const sync::CollectionSpec& spec, StoredRecord current) {
    if (!spec.lifecycle) return rejected(op, "a " + op.collection + " has no status");
    if (current.record.deleted) {
        std::string id = createConflict(current, "status", "deleted", op.fromStatus, op.toStatus, nullptr, "", true,
                                        "the record was deleted; this status change is kept here");
        return result(op, OpStatus::Conflict, "the record was deleted before this status change arrived", id);
    }
    if (auto why = sync::checkWrite(m_who, spec, op, &current.record)) return rejected(op, *why);
    const std::string from = current.record.status;
    if (from == op.toStatus) return result(op, OpStatus::Applied); // someone already did it
    if (auto why = spec.lifecycle->check(from, op.toStatus, m_who.role, op.reason)) {
        if (!op.fromStatus.empty() && op.fromStatus != from) {
            // The status moved on while this device was offline: the server's order wins and
            // the losing change is recorded.
            std::string id = createConflict(current, "status", "status", op.fromStatus, op.toStatus, from,
                                            userOf(current.writers.count("status") ? current.writers["status"] : ""),
                                            true, "server order: the status had already become " + from);
            return result(op, OpStatus::Conflict,
                          "the status was already " + from + " when this change to " + op.toStatus + " arrived", id);
        }
        return rejected(op, *why);
    }
    if (auto why = transitionRules(op, current.record)) return rejected(op, *why);
    const sync::Record before = stateBefore(current.record, {});
    std::vector<std::string> changed{"status"};
    current.record.fields["status"] = op.toStatus;
    if (op.toStatus == "sent" && fieldOr(current.record.fields, "sent_at").is_null()) {
        current.record.fields["sent_at"] = m_now;
        changed.push_back("sent_at");
    }
    if (op.collection == "referral" && op.toStatus == "submitted") {
        current.record.fields["submitted_at"] = m_now;
        changed.push_back("submitted_at");
    }
    // Accepting a reported change applies it to the service where it can (same transaction).
    const json applied = op.collection == "suggestion" && op.toStatus == "accepted" ? applySuggestion(current.record)
                                                                                     : json();
    if (spec.field("history") || op.collection == "referral" || op.collection == "suggestion") {
        // Every transition records who, when and why.
        json& history = current.record.fields["history"]; // appended in place
        if (!history.is_array()) history = json::array();
        history.push_back({{"from", from}, {"to", op.toStatus}, {"by", m_who.userId}, {"at", m_now},
                           {"reason", op.reason}});
        if (!applied.is_null()) history.back()["applied"] = applied;
        changed.push_back("history");
    }
    commitChange(current, before, changed);
    if (op.collection == "appointment" && op.toStatus == "absent_unacceptable") raiseAlert(current.record);
    return result(op, OpStatus::Applied, {}, {}, current.record.seq);
}

size_t reshareReferrals(ServerStore& store, const std::string& organisationId) {
    size_t n = 0;
    for (const auto& id : store.idsSharedWith("referral", organisationId)) {
        auto stored = store.record("referral", id);
        if (!stored || stored->record.deleted) continue;
        stored->record.seq = store.nextSeq(); // no field changed: same versions, sent again
        store.saveRecord(*stored);
        ++n;
    }
    return n;
}

std::optional<std::string> OpApplier::ownerProblem(const std::string& ownerId, const std::string& area) {
    auto user = m_store.userById(ownerId);
    if (!user || user->disabled) return "there is no active user " + ownerId + " to hand this referral to";
    if (user->role != domain::Role::Practitioner && user->role != domain::Role::Supervisor)
        return "a referral is owned by a practitioner or a supervisor, not by a " + std::string(domain::toCode(user->role));
    if (!sync::areasOverlap(user->areas, area))
        return "the new owner does not work in " + (area.empty() ? std::string("the referral's area") : area) +
               ", so the referral cannot be handed to them";
    return std::nullopt;
}

std::optional<std::string> OpApplier::transitionRules(const Op& op, const sync::Record& current) {
    // A referral is complete before a supervisor sees it; an alert closes only with a decision.
    if (auto why = sync::transitionBlockedReason(current, op.toStatus)) return why;
    if (op.collection == "referral" && op.toStatus == "sent") {
        // Nothing leaves for an organisation without an Information Sharing Agreement in force.
        auto orgId = fieldOr(current.fields, "organisation_id");
        if (!orgId.is_string() || orgId.get<std::string>().empty()) return "choose the provider organisation first";
        auto org = m_store.record("organisation", orgId.get<std::string>());
        const bool known = org && !org->record.deleted;
        if (auto why = sync::sendBlockedReason(known ? &org->record.fields : nullptr, m_now)) return why;
    }
    return std::nullopt;
}

json OpApplier::applySuggestion(const sync::Record& suggestion) {
    const json serviceId = fieldOr(suggestion.fields, "service_id");
    const json field = fieldOr(suggestion.fields, "field");
    const json proposed = fieldOr(suggestion.fields, "proposed");
    if (!serviceId.is_string() || !field.is_string()) return false;
    auto service = m_store.record("service", serviceId.get<std::string>());
    if (!service || service->record.deleted) return false;
    const std::string what = field.get<std::string>();
    const std::string proposal = proposed.is_string() ? std::string(text::trim(proposed.get<std::string>())) : std::string();
    std::string target;
    json value;
    if ((what == "description" || what == "eligibility") && !proposal.empty()) {
        target = what;
        value = proposal;
    } else if (what == "email" && proposal.find('@') != std::string::npos && proposal.find(' ') == std::string::npos) {
        target = "email";
        value = proposal;
    } else if (what == "closed") {
        target = "status";
        value = "inactive"; // HSDS: no longer delivered; it leaves the search, the record stays
    } else {
        return false; // phone, address, opening times, other: a person edits the structured fields
    }
    if (fieldOr(service->record.fields, target) == value) return target;
    const sync::Record before = service->record;
    service->record.fields[target] = value;
    commitChange(*service, before, {target});
    return target;
}

void OpApplier::raiseAlert(const sync::Record& appointment) {
    // An unacceptable absence reaches the responsible practitioner, who decides what to do.
    const std::string referralId = fieldOr(appointment.fields, "referral_id").is_string()
                                       ? appointment.fields["referral_id"].get<std::string>()
                                       : std::string();
    auto referral = m_store.record("referral", referralId);
    if (!referral) return;
    StoredRecord a;
    sync::Record& r = a.record;
    r.collection = "alert";
    r.id = uuid::fromName("alert:" + appointment.id + ":" + m_opId);
    r.fields = {{"referral_id", referralId},
                {"appointment_id", appointment.id},
                {"kind", "unacceptable_absence"},
                {"decision", ""},
                {"status", "open"},
                {"area", fieldOr(referral->record.fields, "area")},
                {"owner", fieldOr(referral->record.fields, "owner")},
                {"created_by", m_who.userId}};
    r.seq = m_store.nextSeq();
    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
        r.versions[it.key()] = r.seq;
        a.writers[it.key()] = writerTag();
    }
    sync::deriveScope(r);
    m_store.saveRecord(a);
}

OpResult OpApplier::remove(const Op& op, const sync::CollectionSpec& spec, StoredRecord current) {
    if (auto why = sync::checkWrite(m_who, spec, op, &current.record)) return rejected(op, *why);
    std::string conflictId;
    if (op.baseSeq && current.record.seq > op.baseSeq) {
        // Someone changed it after the deleting device last saw it: the delete wins, and the
        // record's last values are kept in a conflict record.
        conflictId = createConflict(current, "", "deleted", nullptr, "deleted", current.record.fields,
                                    "", true, "the delete won; the record's last values are kept here");
    }
    const sync::Record before = current.record;
    current.record.deleted = true;
    current.record.fields = tombstoneFields(current.record.fields);
    current.record.versions.clear();
    current.writers.clear();
    current.record.seq = m_store.nextSeq();
    m_store.saveRecord(current); // scope columns stay: pull uses them to tell who had it
    (void)before;
    if (op.collection == "organisation") reshareReferrals(m_store, current.record.id); // no organisation, no ISA
    return result(op, conflictId.empty() ? OpStatus::Applied : OpStatus::Conflict,
                  conflictId.empty() ? "" : "the record had changed since this device saw it; the delete won",
                  conflictId, current.record.seq);
}

OpResult OpApplier::resolve(const Op& op) {
    auto conflict = m_store.record("conflict", op.conflictId.empty() ? op.recordId : op.conflictId);
    if (!conflict || conflict->record.deleted) return rejected(op, "there is no such conflict");
    if (!sync::canRead(m_who, conflict->record)) return rejected(op, "you do not have access to this conflict");
    auto chosen = op.fields.find("value");
    if (chosen == op.fields.end()) return rejected(op, "a resolution needs the chosen value");
    if (conflict->record.status == "resolved") {
        // Someone settled it first. The same choice is simply done; a different one is refused,
        // so the device puts back the value the server kept (its record may not change again).
        if (conflict->record.fields.value("resolution", json()) == chosen->second.value) return result(op, OpStatus::Applied);
        return rejected(op, "this clash was already resolved by someone else; their choice was kept");
    }
    const std::string collection = fieldOr(conflict->record.fields, "collection").get<std::string>();
    const std::string recordId = fieldOr(conflict->record.fields, "record_id").get<std::string>();
    const std::string field = fieldOr(conflict->record.fields, "field").is_string()
                                  ? conflict->record.fields["field"].get<std::string>()
                                  : std::string();
    if (auto target = m_store.record(collection, recordId); target && !target->record.deleted && !field.empty()) {
        const sync::Record before = target->record;
        target->record.fields[field] = chosen->second.value;
        commitChange(*target, before, {field});
    }
    const sync::Record before = conflict->record;
    conflict->record.fields["status"] = "resolved";
    conflict->record.fields["resolution"] = chosen->second.value;
    conflict->record.fields["resolved_by"] = m_who.userId;
    commitChange(*conflict, before, {"status", "resolution", "resolved_by"});
    return result(op, OpStatus::Applied, {}, {}, conflict->record.seq);
}

void OpApplier::commitChange(StoredRecord& s, const sync::Record& before, const std::vector<std::string>& changed) {
    if (changed.empty()) return;
    sync::Record& r = s.record;
    r.seq = m_store.nextSeq();
    for (const auto& name : changed) {
        r.versions[name] = r.seq;
        s.writers[name] = writerTag();
    }
    sync::deriveScope(r);
    if (scopeDiffers(before, r)) {
        ScopeExit exit;
        exit.seq = r.seq;
        exit.before = before;
        exit.before.fields = tombstoneFields(before.fields);
        m_store.saveScopeExit(exit);
    }
    m_store.saveRecord(s);
}

std::string OpApplier::createConflict(const StoredRecord& target, const std::string& field, const std::string& kind,
                                      const json& base, const json& mine, const json& theirs,
                                      const std::string& theirsBy, bool autoResolved, const std::string& resolution) {
    StoredRecord c;
    sync::Record& r = c.record;
    r.collection = "conflict";
    // Derived from the op that caused it: deterministic, and unique per op, record and field.
    r.id = uuid::fromName("conflict:" + m_opId + ":" + target.record.collection + "/" + target.record.id + ":" + field);
    r.fields = {{"collection", target.record.collection}, {"record_id", target.record.id}, {"field", field},
                {"kind", kind}, {"base", base}, {"mine", mine}, {"theirs", theirs}, {"mine_by", m_who.userId},
                {"theirs_by", theirsBy}, {"status", autoResolved ? "resolved" : "open"}};
    if (autoResolved) r.fields["resolution"] = resolution;
    // The conflict is readable by whoever may read its record.
    r.fields["area"] = target.record.area;
    r.fields["organisation_id"] = target.record.organisation;
    r.fields["owner"] = target.record.owner;
    if (target.record.fields.contains("sent_at")) r.fields["sent_at"] = target.record.fields["sent_at"];
    r.seq = m_store.nextSeq();
    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) {
        r.versions[it.key()] = r.seq;
        c.writers[it.key()] = writerTag();
    }
    sync::deriveScope(r);
    m_store.saveRecord(c);
    ++m_conflicts;
    return r.id;
}

} // namespace signpost::server
