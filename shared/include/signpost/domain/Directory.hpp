#pragma once
// The provider directory: organisations and the services they run, where, when, for whom.
// Shaped after Open Referral UK / HSDS 3.0 so import and export map field for field, plus the
// attributes probation needs that HSDS leaves to extensions (commissioning route, ISA status,
// eligibility by supervision type, suitability for high-risk people, hub / co-location).
#include "signpost/domain/Enums.hpp"

#include <optional>
#include <string>
#include <vector>

namespace signpost::domain {

struct Contact {
    std::string id;
    std::string name;
    std::string title;
    std::string phone;
    std::string email;
    // True when the details are placeholders, not a published fact (seed data): shown as such.
    bool sample = false;
};

struct OpeningTime {
    int weekday = 1;          // ISO: 1 = Monday … 7 = Sunday
    std::string opens;        // "HH:MM", UK local time
    std::string closes;       // "HH:MM"; closes > opens
    std::string note;
};

struct Location {
    std::string id;
    std::string name;
    std::string address;      // street lines, comma separated
    std::string city;
    std::string postcode;
    std::optional<double> latitude;
    std::optional<double> longitude;
};

struct Organisation {
    std::string id;
    std::string name;
    std::string nameCy;
    std::string description;
    std::string website;
    std::string email;
    std::string phone;
    IsaStatus isaStatus = IsaStatus::None;
    std::optional<std::string> isaFrom; // YYYY-MM-DD
    std::optional<std::string> isaTo;
    bool sample = false;
};

struct Service {
    std::string id;
    std::string organisationId;
    std::string name;
    std::string nameCy;
    std::string description;
    std::string descriptionCy;
    std::string url;
    std::string email;
    std::string status = "active"; // HSDS: active, inactive, defunct, temporarily closed
    std::optional<CommissioningRoute> commissioningRoute;
    std::vector<std::string> areas;  // area codes the service covers (any level)
    std::vector<std::string> needs;  // need codes
    std::vector<SupervisionType> supervisionTypes; // empty: open to every supervision type
    std::optional<int> minAge;
    std::optional<int> maxAge;
    bool womenOnly = false;
    bool highRiskSuitable = false;   // false means "not confirmed", the safe default
    bool hub = false;                // delivered at a hub (e.g. a Wellbeing Hub)
    bool coLocated = false;          // co-located with probation
    std::vector<std::string> languages; // ISO 639-1 ("cy" = Welsh)
    std::string eligibility;         // free text, as published
    std::string keywords;            // extra search words
    std::vector<Location> locations;
    std::vector<Contact> contacts;
    std::vector<OpeningTime> openingTimes;
    std::optional<std::string> lastVerified; // YYYY-MM-DD: when someone last confirmed the details
    std::string lastModified;                // ISO 8601
    std::string source;                      // "seed", "synthetic", "hsds:<file>", …
    bool sample = false;                     // contact details are sample data

    bool welshLanguage() const;
};

} // namespace signpost::domain
