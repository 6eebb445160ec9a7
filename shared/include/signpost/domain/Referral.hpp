#pragma once
// A referral of a person on probation to a provider's service (DOMAIN.md, "Referral lifecycle
// and records"). On the wire and on the device it is a sync record; this is its typed view, its
// validation, and what a provider may be shown of it.
#include "signpost/domain/Enums.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace signpost::domain {

struct NeedAssessment {
    std::string need;                 // need code (Needs.hpp)
    Complexity complexity = Complexity::Medium;
};

struct Referral {
    std::string id;
    // The person
    std::string crn;                  // case reference number, e.g. X123456
    std::string givenName;
    std::string familyName;
    std::string dateOfBirth;          // YYYY-MM-DD
    std::string gender;
    std::string preferredLanguage;    // ISO 639-1: "en", "cy" (Welsh) …
    std::string interpreterLanguage;  // empty: no interpreter needed
    std::string accessibilityNeeds;
    // Their order and whereabouts
    std::optional<SupervisionType> supervisionType;
    bool inCustody = false;
    std::string expectedReleaseDate;  // required while in custody
    // What the referral is for
    std::vector<NeedAssessment> needs;
    std::string desiredOutcomes;
    std::string reason;
    std::string riskSummary;          // written for sharing with the provider
    std::string unavailability;       // when the person cannot attend
    // Who and where
    std::string owner;                // responsible practitioner (user id)
    std::string area;                 // responsible PDU
    std::string organisationId;
    std::string serviceId;
    std::string completionDeadline;   // YYYY-MM-DD
    std::optional<int> maxEnforceableDays;
    std::string status = "draft";
};

struct FieldError {
    std::string field;
    std::string message;
};

// Drafts may be incomplete; from submission on, every required field must be present and valid.
enum class ValidationStage { Draft, Submit };
std::vector<FieldError> validateReferral(const Referral& referral, ValidationStage stage);
bool validCrn(std::string_view crn);

Referral referralFromFields(const std::string& id, const nlohmann::json& fields);
nlohmann::json referralFields(const Referral& referral);

// Fields that are never personal and always travel with a sent referral, whatever the ISA says:
// a provider needs them to act on it at all.
const std::vector<std::string>& referralOperationalFields();
// Fields an ISA may grant (the person's details and the sensitive narrative).
const std::vector<std::string>& referralShareableFields();

} // namespace signpost::domain
