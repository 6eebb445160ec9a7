#pragma once
// The referral editor's logic without the widgets: which step each field is on, the messages
// to show as the person types (validateReferral's, per field), whether a step is done, and what
// a provider will be shown once the referral is sent (its ISA).
#include "signpost/domain/Referral.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::app {

enum class Step { Person, Order, Needs, Provider, Review };
inline constexpr int kStepCount = 5;
const char* stepKey(Step step); // language key of the step's title

// The step a referral field is entered on (Review for anything else).
Step stepOfField(std::string_view field);

struct FieldMessage {
    const char* key = nullptr;  // language key of the message (nullptr: use `text`)
    std::string text;           // validateReferral's English sentence
};
// The language key for a validateReferral message about `field`: `format` for a malformed
// value, else the one for a missing value.
const char* messageKey(std::string_view field, bool format);

struct FormCheck {
    // First message per field, in the order validateReferral gives them.
    std::map<std::string, FieldMessage> messages;
    std::array<int, kStepCount> perStep{};  // how many fields on each step have a message
    bool submittable = false;               // no message at the submit stage
};

// Draft-stage messages (format errors) always; submit-stage ones (missing fields) for the
// fields in `touched` and, when `showAll`, for every field (the review step, a submit attempt).
FormCheck checkForm(const domain::Referral& referral, const std::set<std::string>& touched, bool showAll);

// What a provider organisation will see of this referral once sent (sync::sharePreview: its
// operational fields and the personal ones the organisation's Information Sharing Agreement
// grants), what stays with probation, and whether it can be sent there at all.
struct SharePreview {
    std::optional<std::string> blocked;  // sync::sendBlockedReason (English), nullopt when it can go
    std::string isaTo;                   // when the ISA ends ("" open-ended or none)
    std::vector<std::string> shared;     // filled-in fields that leave for the provider
    std::vector<std::string> withheld;   // filled-in fields that stay with probation
};
// `organisation`: the organisation record's fields (isa_status, isa_to, isa_fields), or null when
// this device holds no record for it. `todayIso`: YYYY-MM-DD.
SharePreview sharePreview(const nlohmann::json& referralFields, const nlohmann::json& organisation,
                          const std::string& todayIso);

// Fields a new referral starts with: the chosen service and its organisation, the principal's
// PDU, and the person's language default.
domain::Referral newReferral(const std::string& serviceId, const std::string& organisationId, const std::string& area,
                             const std::string& owner);

// The PDU to file a referral under for a user's areas: the first PDU, or the PDU of the first
// local authority, else the first area.
std::string defaultPdu(const std::vector<std::string>& userAreas);

} // namespace signpost::app
