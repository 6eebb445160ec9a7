#pragma once
// Applies one pushed op to the server's records: the merge rules of docs/sync-protocol.md.
// The caller wraps each call in a savepoint and stores the result under the op id.
#include "store/ServerStore.hpp"
#include "signpost/sync/Access.hpp"

#include <string>

namespace signpost::server {

// An organisation's ISA changed, lapsed, or the organisation went: every referral shared with
// it gets a new sequence, so its devices pull them again, projected under the terms now in force.
// A narrowed ISA withdraws the fields it no longer grants; a widened one sends the newly granted
// ones. Nothing in the referrals changes. Returns how many were re-shared.
size_t reshareReferrals(ServerStore& store, const std::string& organisationId);

class OpApplier {
public:
    OpApplier(ServerStore& store, const sync::Principal& who, std::string deviceId, std::string serverTime)
        : m_store(store), m_who(who), m_device(std::move(deviceId)), m_now(std::move(serverTime)) {}

    sync::OpResult apply(const sync::Op& op);
    size_t conflictsCreated() const { return m_conflicts; }

private:
    sync::OpResult create(const sync::Op& op, const sync::CollectionSpec& spec);
    sync::OpResult update(const sync::Op& op, const sync::CollectionSpec& spec, StoredRecord current);
    sync::OpResult transition(const sync::Op& op, const sync::CollectionSpec& spec, StoredRecord current);
    sync::OpResult remove(const sync::Op& op, const sync::CollectionSpec& spec, StoredRecord current);
    sync::OpResult resolve(const sync::Op& op);
    // Collection rules a lifecycle table cannot express (completeness, ISA, alert decisions).
    std::optional<std::string> transitionRules(const sync::Op& op, const sync::Record& current);
    // Why `ownerId` cannot own a referral in `area`, if it cannot: a referral belongs to an
    // active practitioner or supervisor who works there (its details reach its owner).
    std::optional<std::string> ownerProblem(const std::string& ownerId, const std::string& area);

    void raiseAlert(const sync::Record& appointment);
    // An accepted "report a change": the proposal goes into the service where it maps onto one
    // field (description, eligibility, email; "closed" makes the service inactive). Returns the
    // service field changed, or false when the proposal needs a person to edit the service.
    nlohmann::json applySuggestion(const sync::Record& suggestion);

    // Saves a changed record at a new seq, logging a scope exit if its readers may have changed.
    void commitChange(StoredRecord& record, const sync::Record& before, const std::vector<std::string>& changed);
    std::string createConflict(const StoredRecord& target, const std::string& field, const std::string& kind,
                               const nlohmann::json& base, const nlohmann::json& mine, const nlohmann::json& theirs,
                               const std::string& theirsBy, bool autoResolved, const std::string& resolution);
    std::string writerTag() const { return m_who.userId + "/" + m_device; }

    ServerStore& m_store;
    const sync::Principal& m_who;
    std::string m_device;
    std::string m_now;
    std::string m_opId;
    size_t m_conflicts = 0;
};

} // namespace signpost::server
