#include "signpost/sync/Collections.hpp"

#include <array>

namespace signpost::sync {

namespace {

constexpr FieldKind T = FieldKind::Text;
constexpr FieldKind V = FieldKind::Value;

constexpr std::array kOrganisation{
    FieldSpec{"name", T},       FieldSpec{"name_cy", T},    FieldSpec{"description", T}, FieldSpec{"website", V},
    FieldSpec{"email", V},      FieldSpec{"phone", V},      FieldSpec{"isa_status", V},  FieldSpec{"isa_from", V},
    FieldSpec{"isa_to", V},     FieldSpec{"isa_fields", V}, FieldSpec{"sample", V},
};

constexpr std::array kService{
    FieldSpec{"organisation_id", V}, FieldSpec{"name", T},          FieldSpec{"name_cy", T},
    FieldSpec{"description", T},     FieldSpec{"description_cy", T}, FieldSpec{"url", V},
    FieldSpec{"email", V},           FieldSpec{"status", V},        FieldSpec{"commissioning_route", V},
    FieldSpec{"areas", V},           FieldSpec{"needs", V},         FieldSpec{"supervision_types", V},
    FieldSpec{"min_age", V},         FieldSpec{"max_age", V},       FieldSpec{"women_only", V},
    FieldSpec{"high_risk_suitable", V}, FieldSpec{"hub", V},        FieldSpec{"co_located", V},
    FieldSpec{"languages", V},       FieldSpec{"eligibility", T},   FieldSpec{"keywords", T},
    FieldSpec{"locations", V},       FieldSpec{"contacts", V},      FieldSpec{"opening_times", V},
    FieldSpec{"last_verified", V},   FieldSpec{"sample", V},
};

constexpr std::array kSuggestion{
    FieldSpec{"service_id", V}, FieldSpec{"field", V}, FieldSpec{"proposed", V}, FieldSpec{"note", T},
    FieldSpec{"owner", V},      FieldSpec{"decision_note", T}, FieldSpec{"history", V},
};

// A referral (domain/Referral.hpp). Personal fields are sealed at rest on devices and reach a
// provider only as its ISA allows.
constexpr std::array kReferral{
    FieldSpec{"crn", V, true},                 FieldSpec{"given_name", T, true},
    FieldSpec{"family_name", T, true},         FieldSpec{"date_of_birth", V, true},
    FieldSpec{"gender", V, true},              FieldSpec{"preferred_language", V},
    FieldSpec{"interpreter_language", V},      FieldSpec{"accessibility_needs", T, true},
    FieldSpec{"supervision_type", V},          FieldSpec{"in_custody", V},
    FieldSpec{"expected_release_date", V},     FieldSpec{"needs", V},
    FieldSpec{"desired_outcomes", T},          FieldSpec{"reason", T},
    FieldSpec{"risk_summary", T, true},        FieldSpec{"unavailability", T},
    FieldSpec{"area", V},                      FieldSpec{"owner", V},
    FieldSpec{"organisation_id", V},           FieldSpec{"service_id", V},
    FieldSpec{"completion_deadline", V},       FieldSpec{"max_enforceable_days", V},
    FieldSpec{"notes", T, true},               FieldSpec{"outcomes", V},
    FieldSpec{"withdrawal_code", V},           FieldSpec{"sent_at", V},
    FieldSpec{"submitted_at", V},              FieldSpec{"created_by", V},
    FieldSpec{"history", V},                   FieldSpec{"amendments", V, true},
};

// An appointment with the provider; its scope is copied from its referral when it is made.
constexpr std::array kAppointment{
    FieldSpec{"referral_id", V},   FieldSpec{"starts_at", V},        FieldSpec{"location", V},
    FieldSpec{"session_notes", T, true}, FieldSpec{"reschedule_reason", T}, FieldSpec{"area", V},
    FieldSpec{"organisation_id", V}, FieldSpec{"owner", V},          FieldSpec{"sent_at", V},
    FieldSpec{"created_by", V},    FieldSpec{"history", V},          FieldSpec{"amendments", V, true},
};

// An enforcement alert: an unacceptable absence, for the responsible practitioner to decide on.
constexpr std::array kAlert{
    FieldSpec{"referral_id", V},  FieldSpec{"appointment_id", V}, FieldSpec{"kind", V},
    FieldSpec{"decision", V},     FieldSpec{"decision_note", T},  FieldSpec{"area", V},
    FieldSpec{"owner", V},        FieldSpec{"organisation_id", V}, FieldSpec{"created_by", V},
    FieldSpec{"history", V},
};

// One entry of a device's hash-chained audit log (client/core/AuditLog.hpp).
constexpr std::array kAudit{
    FieldSpec{"device", V}, FieldSpec{"device_seq", V}, FieldSpec{"at", V},     FieldSpec{"user", V},
    FieldSpec{"action", V}, FieldSpec{"target_collection", V}, FieldSpec{"target_id", V},
    FieldSpec{"detail", V}, FieldSpec{"prev_hash", V},  FieldSpec{"hash", V},
};

constexpr std::array kConflict{
    FieldSpec{"collection", V}, FieldSpec{"record_id", V}, FieldSpec{"field", V},     FieldSpec{"kind", V},
    FieldSpec{"base", V},       FieldSpec{"mine", V},      FieldSpec{"theirs", V},    FieldSpec{"mine_by", V},
    FieldSpec{"theirs_by", V},  FieldSpec{"resolution", V}, FieldSpec{"resolved_by", V},
    FieldSpec{"area", V},       FieldSpec{"organisation_id", V}, FieldSpec{"owner", V}, FieldSpec{"sent_at", V},
};

const std::array kCollections{
    CollectionSpec{"organisation", kOrganisation, nullptr, ScopeKind::Everyone},
    CollectionSpec{"service", kService, nullptr, ScopeKind::Everyone},
    CollectionSpec{"suggestion", kSuggestion, &domain::suggestionLifecycle(), ScopeKind::Suggestion},
    CollectionSpec{"referral", kReferral, &domain::referralLifecycle(), ScopeKind::Referral},
    CollectionSpec{"appointment", kAppointment, &domain::appointmentLifecycle(), ScopeKind::Referral},
    CollectionSpec{"alert", kAlert, &domain::alertLifecycle(), ScopeKind::Referral},
    CollectionSpec{"audit", kAudit, nullptr, ScopeKind::Audit},
    CollectionSpec{"conflict", kConflict, &domain::conflictLifecycle(), ScopeKind::Conflict},
};

} // namespace

const FieldSpec* CollectionSpec::field(std::string_view fieldName) const {
    for (const auto& f : fields)
        if (f.name == fieldName) return &f;
    return nullptr;
}

std::span<const CollectionSpec> collections() { return kCollections; }

const CollectionSpec* findCollection(std::string_view collectionName) {
    for (const auto& c : kCollections)
        if (c.name == collectionName) return &c;
    return nullptr;
}

} // namespace signpost::sync
