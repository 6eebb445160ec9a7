#include "Names.hpp"

#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Text.hpp"

#include <utility>

namespace signpost::app {

namespace {
using Entry = std::pair<std::string_view, const char*>;

template <size_t N> const char* lookup(const Entry (&table)[N], std::string_view code) {
    for (const auto& [c, key] : table)
        if (c == code) return key;
    return nullptr;
}

constexpr Entry kStatuses[] = {
    {"draft", trKey("status.draft")},
    {"submitted", trKey("status.submitted")},
    {"returned", trKey("status.returned")},
    {"approved", trKey("status.approved")},
    {"sent", trKey("status.sent")},
    {"accepted", trKey("status.accepted")},
    {"declined", trKey("status.declined")},
    {"in_progress", trKey("status.in_progress")},
    {"completed", trKey("status.completed")},
    {"withdrawn", trKey("status.withdrawn")},
    {"cancelled", trKey("status.cancelled")},
    {"scheduled", trKey("status.scheduled")},
    {"attended", trKey("status.attended")},
    {"late", trKey("status.late")},
    {"absent_acceptable", trKey("status.absent_acceptable")},
    {"absent_unacceptable", trKey("status.absent_unacceptable")},
    {"did_not_happen", trKey("status.did_not_happen")},
    {"open", trKey("status.open")},
    {"decided", trKey("status.decided")},
    {"resolved", trKey("status.resolved")},
    {"rejected", trKey("status.rejected")},
};

constexpr Entry kSupervision[] = {
    {"custody", trKey("supervision.custody")},
    {"community_order", trKey("supervision.community_order")},
    {"suspended_sentence_order", trKey("supervision.suspended_sentence_order")},
    {"licence", trKey("supervision.licence")},
    {"post_sentence_supervision", trKey("supervision.post_sentence_supervision")},
};

constexpr Entry kRoutes[] = {
    {"dynamic_framework", trKey("route.dynamic_framework")},
    {"co_commissioned", trKey("route.co_commissioned")},
    {"grant_funded", trKey("route.grant_funded")},
    {"statutory", trKey("route.statutory")},
    {"informal", trKey("route.informal")},
};

constexpr Entry kComplexities[] = {
    {"low", trKey("complexity.low")},
    {"medium", trKey("complexity.medium")},
    {"high", trKey("complexity.high")},
};

constexpr Entry kQueues[] = {
    {"drafts", trKey("queue.drafts")},
    {"submitted", trKey("queue.submitted")},
    {"returned", trKey("queue.returned")},
    {"open", trKey("queue.open")},
    {"alerts", trKey("queue.alerts")},
    {"awaiting_review", trKey("queue.awaiting_review")},
    {"approved", trKey("queue.approved")},
    {"new", trKey("queue.new")},
    {"my_cases", trKey("queue.my_cases")},
    {"today", trKey("queue.today")},
};

constexpr Entry kFields[] = {
    {"crn", trKey("field.crn")},
    {"given_name", trKey("field.given_name")},
    {"family_name", trKey("field.family_name")},
    {"date_of_birth", trKey("field.date_of_birth")},
    {"gender", trKey("field.gender")},
    {"preferred_language", trKey("field.preferred_language")},
    {"interpreter_language", trKey("field.interpreter_language")},
    {"accessibility_needs", trKey("field.accessibility_needs")},
    {"supervision_type", trKey("field.supervision_type")},
    {"in_custody", trKey("field.in_custody")},
    {"expected_release_date", trKey("field.expected_release_date")},
    {"needs", trKey("field.needs")},
    {"desired_outcomes", trKey("field.desired_outcomes")},
    {"reason", trKey("field.reason")},
    {"risk_summary", trKey("field.risk_summary")},
    {"unavailability", trKey("field.unavailability")},
    {"area", trKey("field.area")},
    {"owner", trKey("field.owner")},
    {"organisation_id", trKey("field.organisation_id")},
    {"service_id", trKey("field.service_id")},
    {"completion_deadline", trKey("field.completion_deadline")},
    {"max_enforceable_days", trKey("field.max_enforceable_days")},
    {"status", trKey("field.status")},
    {"sent_at", trKey("field.sent_at")},
    {"history", trKey("field.history")},
    {"outcomes", trKey("field.outcomes")},
    {"notes", trKey("field.notes")},
    {"submitted_at", trKey("field.submitted_at")},
    {"created_by", trKey("field.created_by")},
    {"withdrawal_code", trKey("field.withdrawal_code")},
    {"amendments", trKey("field.amendments")},
};

constexpr Entry kDecisions[] = {
    {"no_action", trKey("decision.no_action")},
    {"warning", trKey("decision.warning")},
    {"breach", trKey("decision.breach")},
    {"recall_consideration", trKey("decision.recall_consideration")},
};

constexpr const char* kWeekdays[] = {trKey("weekday.1"), trKey("weekday.2"), trKey("weekday.3"), trKey("weekday.4"),
                                     trKey("weekday.5"), trKey("weekday.6"), trKey("weekday.7")};
} // namespace

std::string areaName(std::string_view code, Language language) {
    const auto* area = domain::areaByCode(code);
    if (!area) return std::string(code);
    return std::string(language == Language::Cy && !area->nameCy.empty() ? area->nameCy : area->nameEn);
}

std::string placeName(const std::string& place, Language language) {
    if (language != Language::Cy || place.empty()) return place;
    const auto* area = domain::findArea(place);
    if (!area || area->nameCy.empty() || !text::iequals(area->nameEn, place)) return place;
    return std::string(area->nameCy);
}

std::string needName(std::string_view code, Language language) {
    const auto* need = domain::needByCode(code);
    if (!need) return std::string(code);
    return std::string(language == Language::Cy && !need->nameCy.empty() ? need->nameCy : need->nameEn);
}

const char* statusKey(std::string_view s) { return lookup(kStatuses, s); }
const char* supervisionKey(std::string_view s) { return lookup(kSupervision, s); }
const char* routeKey(std::string_view s) { return lookup(kRoutes, s); }
const char* complexityKey(std::string_view s) { return lookup(kComplexities, s); }
const char* queueKey(std::string_view s) { return lookup(kQueues, s); }
const char* fieldKey(std::string_view s) { return lookup(kFields, s); }
const char* alertDecisionKey(std::string_view s) { return lookup(kDecisions, s); }
const char* weekdayKey(int isoWeekday) { return isoWeekday >= 1 && isoWeekday <= 7 ? kWeekdays[isoWeekday - 1] : nullptr; }

const char* roleKey(domain::Role role) {
    switch (role) {
    case domain::Role::Practitioner: return trKey("role.practitioner");
    case domain::Role::Supervisor: return trKey("role.supervisor");
    case domain::Role::Provider: return trKey("role.provider");
    case domain::Role::Admin: return trKey("role.admin");
    }
    return nullptr;
}

std::string labelFor(const char* key, std::string_view code) { return key ? std::string(tr(key)) : std::string(code); }

} // namespace signpost::app
