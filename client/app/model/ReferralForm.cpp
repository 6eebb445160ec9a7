#include "ReferralForm.hpp"
#include "I18n.hpp"

#include "signpost/domain/Areas.hpp"
#include "signpost/sync/Access.hpp"

#include <algorithm>

namespace signpost::app {

namespace {
constexpr const char* kStepKeys[] = {trKey("step.person"), trKey("step.order"), trKey("step.needs"),
                                     trKey("step.provider"), trKey("step.review")};

// Fields whose "missing" message waits until they were touched or the review is shown;
// everything else (a malformed value) shows at once.
bool missingMessage(const domain::Referral& r, const std::string& field) {
    if (field == "crn") return r.crn.empty();
    if (field == "date_of_birth") return r.dateOfBirth.empty();
    if (field == "expected_release_date") return false; // required only in custody: a real error at once
    if (field == "needs") return r.needs.empty();
    if (field == "area") return r.area.empty();
    return true; // given_name, family_name, supervision_type, reason, risk_summary, service_id
}
} // namespace

const char* messageKey(std::string_view f, bool format) {
    struct Entry {
        std::string_view field;
        const char* missing;
        const char* malformed;
    };
    static constexpr Entry kMessages[] = {
        {"crn", trKey("msg.crn_missing"), trKey("msg.crn_format")},
        {"given_name", trKey("msg.given_name_missing"), nullptr},
        {"family_name", trKey("msg.family_name_missing"), nullptr},
        {"date_of_birth", trKey("msg.date_of_birth_missing"), trKey("msg.date_format")},
        {"supervision_type", trKey("msg.supervision_type_missing"), nullptr},
        {"expected_release_date", trKey("msg.release_date_missing"), trKey("msg.date_format")},
        {"needs", trKey("msg.needs_missing"), trKey("msg.needs_unknown")},
        {"reason", trKey("msg.reason_missing"), nullptr},
        {"risk_summary", trKey("msg.risk_summary_missing"), nullptr},
        {"area", trKey("msg.area_missing"), trKey("msg.area_unknown")},
        {"service_id", trKey("msg.service_missing"), nullptr},
        {"completion_deadline", nullptr, trKey("msg.date_format")},
        {"max_enforceable_days", nullptr, trKey("msg.max_days_range")},
        {"preferred_language", nullptr, trKey("msg.language_code")},
    };
    for (const auto& e : kMessages)
        if (e.field == f) return format ? e.malformed : e.missing;
    return nullptr;
}

const char* stepKey(Step step) { return kStepKeys[static_cast<int>(step)]; }

Step stepOfField(std::string_view f) {
    if (f == "crn" || f == "given_name" || f == "family_name" || f == "date_of_birth" || f == "gender" ||
        f == "preferred_language" || f == "interpreter_language" || f == "accessibility_needs")
        return Step::Person;
    if (f == "supervision_type" || f == "in_custody" || f == "expected_release_date" || f == "unavailability")
        return Step::Order;
    if (f == "needs" || f == "desired_outcomes" || f == "reason" || f == "risk_summary") return Step::Needs;
    if (f == "service_id" || f == "organisation_id" || f == "area" || f == "completion_deadline" ||
        f == "max_enforceable_days")
        return Step::Provider;
    return Step::Review;
}

FormCheck checkForm(const domain::Referral& r, const std::set<std::string>& touched, bool showAll) {
    FormCheck out;
    auto submitErrors = domain::validateReferral(r, domain::ValidationStage::Submit);
    out.submittable = submitErrors.empty();
    auto draftErrors = domain::validateReferral(r, domain::ValidationStage::Draft);
    auto isDraftError = [&](const domain::FieldError& e) {
        return std::any_of(draftErrors.begin(), draftErrors.end(),
                           [&](const auto& d) { return d.field == e.field && d.message == e.message; });
    };
    for (const auto& e : submitErrors) {
        const bool show = isDraftError(e) || showAll || touched.count(e.field) || !missingMessage(r, e.field);
        if (!show || out.messages.count(e.field)) continue;
        // In custody without a release date is "missing" in words but shows at once.
        const bool format = isDraftError(e) && !(e.field == "expected_release_date" && r.expectedReleaseDate.empty());
        out.messages.emplace(e.field, FieldMessage{messageKey(e.field, format), e.message});
        ++out.perStep[static_cast<size_t>(stepOfField(e.field))];
    }
    return out;
}

SharePreview sharePreview(const nlohmann::json& referralFields, const nlohmann::json& organisation,
                          const std::string& todayIso) {
    SharePreview out;
    const bool known = organisation.is_object();
    out.blocked = sync::sendBlockedReason(known ? &organisation : nullptr, todayIso);
    if (known)
        if (auto to = organisation.find("isa_to"); to != organisation.end() && to->is_string()) out.isaTo = *to;
    const auto granted = sync::isaGrantedFields(organisation, todayIso);
    auto preview = sync::sharePreview(referralFields, granted);
    out.shared = std::move(preview.shared);
    out.withheld = std::move(preview.withheld);
    // Bookkeeping the provider receives but a person need not be asked about.
    std::erase_if(out.shared, [](const std::string& f) { return f == "status" || f == "history" || f == "sent_at"; });
    return out;
}

domain::Referral newReferral(const std::string& serviceId, const std::string& organisationId, const std::string& area,
                             const std::string& owner) {
    domain::Referral r;
    r.serviceId = serviceId;
    r.organisationId = organisationId;
    r.area = area;
    r.owner = owner;
    r.preferredLanguage = "en";
    return r;
}

std::string defaultPdu(const std::vector<std::string>& areas) {
    for (const auto& a : areas)
        if (const auto* area = domain::areaByCode(a); area && area->kind == domain::AreaKind::Pdu) return a;
    for (const auto& a : areas)
        if (auto pdu = domain::pduOf(a); !pdu.empty()) return std::string(pdu);
    return areas.empty() ? std::string() : areas.front();
}

} // namespace signpost::app
