#pragma once
// Who may read and write what. The server enforces these on every request; a device uses the
// same rules to offer only the actions that will be accepted.
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/sync/Collections.hpp"
#include "signpost/sync/Protocol.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace signpost::sync {

struct Principal {
    std::string userId;
    domain::Role role = domain::Role::Practitioner;
    std::vector<std::string> areas;     // PDUs or local authorities (or regions)
    std::string organisation;           // provider users: their organisation
};

// Two areas overlap when one is the other or contains it (a Gwent supervisor sees a Newport
// referral; a Newport practitioner sees a Gwent-wide one).
bool areasOverlap(const std::vector<std::string>& userAreas, std::string_view recordArea);

// Scope columns for a record from its fields (area, organisation_id, owner, sent_at, status).
void deriveScope(Record& record);

bool canRead(const Principal& who, const Record& record);

// Where the changes `who` may read lie, as ranges a store walks in seq order: every record of
// some collections, and the records of some areas, of one owner and of one organisation. It is
// a superset of canRead, which still decides each record; it lets a pull read the changes that
// may be the user's instead of every change since its cursor (docs/sync-protocol.md, scoped
// change scans).
struct ReadScope {
    bool everything = false;              // an admin: every change
    std::vector<std::string> collections; // every record of these
    std::vector<std::string> areas;       // records whose area is one of these
    std::string owner;                    // records this user owns ('' for none)
    std::string organisation;             // records of this organisation ('' for none)
};
ReadScope readScope(const Principal& who);
// Whether `record` lies in the scope's ranges (what a store's scoped scan returns).
bool inReadScope(const ReadScope& scope, const Record& record);

// What of a readable record `who` receives. Everyone gets it whole, except a provider reading a
// referral: its operational fields, and of the personal ones only those the organisation's
// Information Sharing Agreement grants (`isaGranted`; empty when no ISA is in force).
Record projectFor(const Principal& who, const Record& record, const std::set<std::string>& isaGranted);
// The fields an organisation record's ISA grants today (empty unless in force, started and unexpired).
std::set<std::string> isaGrantedFields(const nlohmann::json& organisationFields, const std::string& todayIso);
// Conditions a transition needs of the record itself, checked alike on the device (offline, to say
// so at once) and on the server: a referral is complete before it is submitted; an enforcement
// alert is closed only with the practitioner's decision recorded. nullopt when they hold.
std::optional<std::string> transitionBlockedReason(const Record& current, const std::string& to);
// nullopt when a referral may be sent to this organisation today; else why not, in words a
// practitioner understands. `organisationFields` is null when the organisation is not known.
std::optional<std::string> sendBlockedReason(const nlohmann::json* organisationFields, const std::string& todayIso);
// Exactly what a provider organisation would receive of a referral: its operational fields and the
// personal ones the ISA grants, in the order a person reads them (the "what will be shared" view).
struct SharePreview {
    std::vector<std::string> shared;     // field names that leave for the provider
    std::vector<std::string> withheld;   // filled-in fields that stay with probation
};
SharePreview sharePreview(const nlohmann::json& referralFields, const std::set<std::string>& isaGranted);

// nullopt when `who` may apply `op` to `current` (nullptr for a record that does not exist yet),
// else the reason to reject it with. State-machine checks on transitions happen separately
// (they depend on the status the server holds when the op arrives).
std::optional<std::string> checkWrite(const Principal& who, const CollectionSpec& spec, const Op& op,
                                      const Record* current);

} // namespace signpost::sync
