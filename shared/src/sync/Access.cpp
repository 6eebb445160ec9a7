#include "signpost/sync/Access.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/domain/Referral.hpp"

#include <algorithm>
#include <set>

namespace signpost::sync {

using domain::Role;

namespace {

std::string text(const nlohmann::json& fields, const char* name) {
    auto it = fields.find(name);
    return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool isStaff(Role role) { return role == Role::Practitioner || role == Role::Supervisor; }

bool readsReferral(const Principal& who, const Record& r) {
    switch (who.role) {
    case Role::Admin: return true;
    case Role::Supervisor:
    case Role::Practitioner: return r.owner == who.userId || areasOverlap(who.areas, r.area);
    case Role::Provider:
        // Only referrals sent to their organisation: a draft or one under review is not theirs.
        return !who.organisation.empty() && r.organisation == who.organisation && !text(r.fields, "sent_at").empty();
    }
    return false;
}

} // namespace

bool areasOverlap(const std::vector<std::string>& userAreas, std::string_view recordArea) {
    if (recordArea.empty()) return false;
    for (const auto& area : userAreas) {
        if (area == recordArea) return true;
        auto up = domain::ancestorsOf(recordArea);
        if (std::find(up.begin(), up.end(), area) != up.end()) return true;
        auto down = domain::ancestorsOf(area);
        if (std::find(down.begin(), down.end(), recordArea) != down.end()) return true;
    }
    return false;
}

void deriveScope(Record& r) {
    const CollectionSpec* spec = findCollection(r.collection);
    if (!spec || spec->scope == ScopeKind::Everyone) {
        r.area.clear();
        r.organisation.clear();
        r.owner.clear();
    } else {
        r.area = text(r.fields, "area");
        r.organisation = text(r.fields, "organisation_id");
        r.owner = text(r.fields, "owner");
    }
    if (spec && spec->lifecycle) {
        auto it = r.fields.find("status");
        r.status = it != r.fields.end() && it->is_string() ? it->get<std::string>() : std::string(spec->lifecycle->initial());
    }
}

bool canRead(const Principal& who, const Record& r) {
    const CollectionSpec* spec = findCollection(r.collection);
    if (!spec) return false;
    switch (spec->scope) {
    case ScopeKind::Everyone: return true;
    case ScopeKind::Referral: return readsReferral(who, r);
    case ScopeKind::Suggestion:
        return who.role == Role::Admin || who.role == Role::Supervisor || r.owner == who.userId;
    case ScopeKind::Conflict: {
        // A conflict carries a copy of its record's scope. Referral conflicts hold what two
        // practitioners wrote, which no ISA granted: staff only. Appointment conflicts reach the
        // provider who records them. Directory conflicts are for its editors.
        const std::string about = text(r.fields, "collection");
        if (about == "referral") return who.role != Role::Provider && readsReferral(who, r);
        if (about == "appointment") return readsReferral(who, r);
        return who.role == Role::Admin || who.role == Role::Supervisor;
    }
    case ScopeKind::Audit: return who.role == Role::Admin;
    }
    return false;
}

ReadScope readScope(const Principal& who) {
    ReadScope scope;
    if (who.role == Role::Admin) {
        scope.everything = true;
        return scope;
    }
    // Each rule of canRead, as a range: keep the two in step (a test checks every rule).
    for (const auto& spec : collections()) {
        if (spec.scope == ScopeKind::Everyone) scope.collections.emplace_back(spec.name);
        // Supervisors read every suggestion, and the conflicts about the directory.
        if (who.role == Role::Supervisor && (spec.scope == ScopeKind::Suggestion || spec.scope == ScopeKind::Conflict))
            scope.collections.emplace_back(spec.name);
    }
    scope.owner = who.userId; // their referrals and suggestions, wherever they are
    if (isStaff(who.role)) {
        // areasOverlap: the area itself, the areas it lies in, and those within it.
        std::set<std::string> areas;
        for (const auto& area : who.areas) {
            if (area.empty()) continue;
            areas.insert(area);
            for (auto up : domain::ancestorsOf(area)) areas.insert(std::string(up));
            for (auto down : domain::descendantsOf(area)) areas.insert(std::string(down));
        }
        scope.areas.assign(areas.begin(), areas.end());
    }
    if (who.role == Role::Provider) scope.organisation = who.organisation;
    return scope;
}

bool inReadScope(const ReadScope& scope, const Record& r) {
    if (scope.everything) return true;
    auto has = [](const std::vector<std::string>& list, const std::string& value) {
        return std::find(list.begin(), list.end(), value) != list.end();
    };
    return has(scope.collections, r.collection) || (!r.area.empty() && has(scope.areas, r.area)) ||
           (!r.owner.empty() && r.owner == scope.owner) || (!r.organisation.empty() && r.organisation == scope.organisation);
}

Record projectFor(const Principal& who, const Record& record, const std::set<std::string>& isaGranted) {
    if (who.role != Role::Provider || record.collection != "referral") return record;
    const auto& operational = domain::referralOperationalFields();
    const auto& shareable = domain::referralShareableFields();
    Record out = record;
    out.fields = nlohmann::json::object();
    out.versions.clear();
    for (auto it = record.fields.begin(); it != record.fields.end(); ++it) {
        const std::string& name = it.key();
        bool share = std::find(operational.begin(), operational.end(), name) != operational.end() ||
                     (isaGranted.count(name) && std::find(shareable.begin(), shareable.end(), name) != shareable.end());
        if (!share) continue;
        if (name == "history" && it.value().is_array()) {
            // Transitions travel whole (a provider needs to know a referral was withdrawn, and
            // why). An amendment says which field changed, when and by whom, but its reason is
            // free text about the person: it travels only if the field itself is shared.
            nlohmann::json history = nlohmann::json::array();
            for (const auto& entry : it.value()) {
                if (!entry.is_object() || !entry.contains("field")) {
                    history.push_back(entry);
                    continue;
                }
                const std::string field = entry.value("field", "");
                const bool fieldShared =
                    std::find(operational.begin(), operational.end(), field) != operational.end() ||
                    (isaGranted.count(field) && std::find(shareable.begin(), shareable.end(), field) != shareable.end());
                if (!fieldShared) continue;
                history.push_back(entry);
            }
            out.fields[name] = std::move(history);
        } else {
            out.fields[name] = it.value();
        }
        if (auto v = record.versions.find(name); v != record.versions.end()) out.versions[name] = v->second;
    }
    return out;
}

std::set<std::string> isaGrantedFields(const nlohmann::json& f, const std::string& todayIso) {
    std::set<std::string> out;
    if (!f.is_object() || f.value("isa_status", "") != "in_force") return out;
    if (auto to = f.find("isa_to"); to != f.end() && to->is_string() && !to->get<std::string>().empty() &&
                                    to->get<std::string>() < todayIso.substr(0, 10))
        return out; // expired
    if (auto from = f.find("isa_from"); from != f.end() && from->is_string() && !from->get<std::string>().empty() &&
                                        from->get<std::string>() > todayIso.substr(0, 10))
        return out; // not started: the same terms sendBlockedReason applies
    if (auto fields = f.find("isa_fields"); fields != f.end() && fields->is_array())
        for (const auto& name : *fields)
            if (name.is_string()) out.insert(name.get<std::string>());
    return out;
}

std::optional<std::string> transitionBlockedReason(const Record& current, const std::string& to) {
    if (current.collection == "referral" && to == "submitted") {
        auto errors = domain::validateReferral(domain::referralFromFields(current.id, current.fields),
                                               domain::ValidationStage::Submit);
        if (!errors.empty()) {
            std::string why = "the referral is not complete:";
            for (const auto& e : errors) why += " " + e.message;
            return why;
        }
    }
    if (current.collection == "alert" && to == "decided") {
        auto decision = current.fields.find("decision");
        if (decision == current.fields.end() || !decision->is_string() || decision->get<std::string>().empty())
            return std::string("record the decision (no action, warning, breach or recall consideration) first");
        const auto& value = decision->get_ref<const std::string&>();
        if (std::find(std::begin(domain::kAlertDecisions), std::end(domain::kAlertDecisions), value) ==
            std::end(domain::kAlertDecisions))
            return "\"" + decision->get<std::string>() +
                   "\" is not a decision: choose no_action, warning, breach or recall_consideration";
    }
    return std::nullopt;
}

std::optional<std::string> sendBlockedReason(const nlohmann::json* f, const std::string& todayIso) {
    if (!f || !f->is_object()) return std::string("the provider organisation is not in the directory");
    const std::string name = f->value("name", std::string("the organisation"));
    if (f->value("isa_status", "") != "in_force")
        return name + " has no Information Sharing Agreement in force, so nothing can be shared with it";
    if (auto to = f->find("isa_to"); to != f->end() && to->is_string() && !to->get<std::string>().empty() &&
                                    to->get<std::string>() < todayIso.substr(0, 10))
        return name + "'s Information Sharing Agreement expired on " + to->get<std::string>();
    if (auto from = f->find("isa_from"); from != f->end() && from->is_string() && !from->get<std::string>().empty() &&
                                        from->get<std::string>() > todayIso.substr(0, 10))
        return name + "'s Information Sharing Agreement starts on " + from->get<std::string>();
    return std::nullopt;
}

SharePreview sharePreview(const nlohmann::json& fields, const std::set<std::string>& isaGranted) {
    SharePreview out;
    const auto& operational = domain::referralOperationalFields();
    const auto& shareable = domain::referralShareableFields();
    auto filled = [&](const std::string& name) {
        auto it = fields.find(name);
        if (it == fields.end() || it->is_null()) return false;
        if (it->is_string()) return !it->get_ref<const std::string&>().empty();
        if (it->is_array() || it->is_object()) return !it->empty();
        return true;
    };
    for (const auto& name : operational)
        if (filled(name)) out.shared.push_back(name);
    for (const auto& name : shareable) {
        if (!filled(name)) continue;
        (isaGranted.count(name) ? out.shared : out.withheld).push_back(name);
    }
    if (const auto* spec = findCollection("referral"))
        for (const auto& f : spec->fields) {
            const std::string name(f.name);
            if (!filled(name) || std::find(operational.begin(), operational.end(), name) != operational.end() ||
                std::find(shareable.begin(), shareable.end(), name) != shareable.end())
                continue;
            out.withheld.push_back(name); // notes, amendments, …: never shared
        }
    return out;
}

std::optional<std::string> checkWrite(const Principal& who, const CollectionSpec& spec, const Op& op,
                                      const Record* current) {
    for (const auto& [name, change] : op.fields) {
        (void)change;
        if (name == "status") return "status changes through a transition, not a field edit";
        if (!spec.field(name)) return "\"" + name + "\" is not a field of a " + std::string(spec.name);
        for (auto serverOnly : kServerFields)
            if (name == serverOnly) return "\"" + name + "\" is set by the server";
    }
    if (current && !canRead(who, *current)) return "you do not have access to this record";

    switch (spec.scope) {
    case ScopeKind::Everyone:
        if (who.role != Role::Admin && who.role != Role::Supervisor)
            return "only admins and supervisors edit the directory; send a \"report a change\" instead";
        return std::nullopt;
    case ScopeKind::Suggestion:
        if (op.type == OpType::Create) return std::nullopt;
        if (op.type == OpType::Transition) return std::nullopt; // the lifecycle says who
        if (current && current->owner == who.userId && current->status == "open") return std::nullopt;
        if (who.role == Role::Admin) return std::nullopt;
        return "only the author can change an open suggestion";
    case ScopeKind::Conflict:
        if (op.type != OpType::Resolve) return "conflicts change only by being resolved";
        return std::nullopt;
    case ScopeKind::Audit:
        if (op.type != OpType::Create) return "the audit log is append-only";
        return std::nullopt;
    case ScopeKind::Referral: {
        if (op.type == OpType::Transition || op.type == OpType::Resolve) return std::nullopt; // lifecycle roles decide
        if (spec.name == "appointment") {
            // Providers and outreach staff book and record appointments (the server checks the
            // referral they belong to).
            if (op.type == OpType::Delete) return "appointments are not deleted; record that it did not happen";
            return std::nullopt;
        }
        if (spec.name == "alert") {
            if (op.type != OpType::Update) return "alerts are raised by the server and only decided on";
            if (who.role == Role::Provider) return "the responsible practitioner decides on an alert";
            for (const auto& [name, change] : op.fields) {
                (void)change;
                if (name != "decision" && name != "decision_note") return "only the decision can be recorded on an alert";
            }
            return std::nullopt;
        }
        if (who.role == Role::Provider)
            return "providers record appointments and attendance; they do not edit the referral";
        if (!isStaff(who.role) && who.role != Role::Admin) return "not allowed";
        if (op.type == OpType::Create) {
            auto area = op.fields.find("area");
            std::string target = area != op.fields.end() && area->second.value.is_string()
                                     ? area->second.value.get<std::string>()
                                     : std::string();
            if (target.empty()) return "a referral needs its area (the responsible PDU)";
            if (who.role != Role::Admin && !areasOverlap(who.areas, target))
                return "you can only create referrals in your own areas";
        }
        if (op.type == OpType::Delete && current && current->status != "draft" && who.role != Role::Admin)
            return "only a draft can be deleted; withdraw or cancel a referral instead";
        if (op.fields.count("owner") && who.role == Role::Practitioner && current &&
            op.fields.at("owner").value != nlohmann::json(who.userId))
            return "only a supervisor can reassign a referral to another practitioner";
        return std::nullopt;
    }
    }
    return "not allowed";
}

} // namespace signpost::sync
