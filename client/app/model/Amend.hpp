#pragma once
// Changes after the fact: amending a sent referral (with a reason), its amendment history,
// moving an appointment (with a reason), and the directory's reported changes (suggestions)
// that supervisors and admins accept or reject. Pure functions, testable without a window.
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/sync/Protocol.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::app {

// True when `reason` holds something other than blanks (what LocalStore::update asks for).
bool hasReason(std::string_view reason);

// A referral in this status can only be changed with a reason (LocalStore::update refuses
// otherwise): it has been sent to the provider.
bool amendmentNeedsReason(std::string_view referralStatus);

// The referral fields a practitioner may amend from the referral view once it was sent: free
// text and dates, never the provider or the person's identity.
inline constexpr std::string_view kAmendableFields[] = {"reason", "risk_summary", "unavailability",
                                                        "desired_outcomes", "completion_deadline"};

// What is wrong with an amendment, as a language key, or nullopt when it can be saved:
// an unknown field, no change, no reason while one is required.
std::optional<const char*> amendmentProblem(std::string_view status, const nlohmann::json& fields,
                                            std::string_view field, const std::string& value,
                                            std::string_view reason);

struct AmendmentEntry {
    std::string field, at, by, reason;
    bool hasValues = false;                  // old/new known (the personal `amendments` field)
    nlohmann::json oldValue, newValue;
};

// The referral's amendments, newest first: the `history` entries that name a field (who, when,
// why), with old and new values from `amendments` where the record was viewed with them.
std::vector<AmendmentEntry> amendmentHistory(const nlohmann::json& fields);

// "YYYY-MM-DD HH:MM" (UTC) as the appointment's `starts_at` ("YYYY-MM-DDTHH:MM:00Z"), or nullopt
// when it is not a real date and time.
std::optional<std::string> appointmentStartsAt(std::string_view when);

// Reported changes: the panel is for supervisors and admins (who decide suggestions).
bool suggestionsVisibleFor(domain::Role role);
// The open suggestions, oldest first (server sequence; ones not yet synced last), then by id.
std::vector<sync::Record> openSuggestions(std::vector<sync::Record> suggestions);

} // namespace signpost::app
