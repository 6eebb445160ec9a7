#pragma once
// A device's view of the synced records, and the only way to change them locally: each write
// stores the record and its outbox op in one transaction, so a change is never saved without
// being queued for the server, nor queued without being saved (docs/sync-protocol.md).
#include "signpost/crypto/Vault.hpp"
#include "signpost/db/Database.hpp"
#include "signpost/sync/Access.hpp"
#include "signpost/sync/Protocol.hpp"
#include "signpost/util/Uuid.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace signpost::client {

struct OutboxEntry {
    int64_t seq = 0;
    std::string collection;
    std::string wire; // the op as the server reads it: JSON, personal values in clear
    int attempts = 0;
};

struct RejectedOp {
    std::string opId;
    std::string collection;
    std::string recordId;
    std::string reason;
    std::string at;
};

struct PullApplied {
    size_t records = 0;
    size_t removals = 0;
    size_t directory = 0; // directory records waiting to be materialised into search
};

class LocalStore {
public:
    // `clock` stamps ops and rows (informative only: device clocks order nothing); injectable so
    // tests can skew it by days.
    // `newId` makes record and op ids (default: time-ordered UUIDs, uuid::timeOrdered, so each
    // device's ops and records are appended to the indexes keyed by them); the simulation seeds it.
    explicit LocalStore(db::Database& db, std::function<std::time_t()> clock = {},
                        std::function<std::string()> newId = {});

    // --- personal data: sealed with the vault's key at rest (crypto/Vault.hpp) ---
    // Without an unlocked vault, anything that must read or write a person's details throws
    // Error{Auth, "Signpost is locked …"}; the directory works regardless.
    void setVault(const crypto::Vault* vault) { m_vault = vault; }
    bool unlocked() const { return m_vault != nullptr; }
    // Opens this device's vault with the passphrase, creating it on first use.
    crypto::Vault openVault(const std::string& passphrase, crypto::KdfCost cost = crypto::KdfCost::Interactive);

    // --- identity and session (sync_state) ---
    std::string deviceId();                       // generated once per database
    // The colleagues a supervisor may hand a referral to (GET /v1/colleagues), kept for offline use.
    struct Colleague {
        std::string id, name, role;
        std::vector<std::string> areas;
    };
    // Collections whose pulled records keep their fields as the page's text, for
    // sync::pullResponseFromText: the directory's are stored exactly as written, other records'
    // with their personal values sealed in the text. Not conflicts: which of their members are
    // personal depends on the field they are about.
    static bool storesFieldsAsText(std::string_view collection);
    // The server's list ([{id, display_name, role, areas}]); a wrong shape is a Parse error.
    static std::vector<Colleague> parseColleagues(const nlohmann::json& list);
    void setColleagues(const std::vector<Colleague>& colleagues);
    std::vector<Colleague> colleagues();
    std::optional<std::string> state(const std::string& key);
    void setState(const std::string& key, const std::string& value);
    void clearState(const std::string& key);
    // The signed-in user as the server described them, for offline checks and defaults.
    std::optional<sync::Principal> principal();
    void setPrincipal(const sync::Principal& who, const std::string& username);
    int64_t cursor();

    // --- reading ---
    std::optional<sync::Record> record(const std::string& collection, const std::string& id);
    // Reading a person's details to show them: recorded in the audit log.
    std::optional<sync::Record> view(const std::string& collection, const std::string& id);
    // Records an action outside the store (an export, a report) in the audit log.
    void audit(const std::string& action, const std::string& collection, const std::string& recordId,
               const std::string& detail);
    // `reveal`: open sealed personal fields (needs the vault). Lists, queues and reports leave them
    // sealed: they need no one's details, and work while Signpost is locked.
    std::vector<sync::Record> records(const std::string& collection, bool includeDeleted = false, bool reveal = true);
    // How many live records of a collection have this status (one index range, nothing read).
    size_t countWithStatus(const std::string& collection, const std::string& status);

    // --- local writes: row + outbox op, one transaction; validated offline where possible ---
    std::string create(const std::string& collection, const nlohmann::json& fields, std::string id = {});
    // `reason`: required to change a referral once it has been sent, and to move an appointment.
    void update(const std::string& collection, const std::string& id, const nlohmann::json& fields,
                const std::string& reason = {});
    void transition(const std::string& collection, const std::string& id, const std::string& to,
                    const std::string& reason = {});
    void remove(const std::string& collection, const std::string& id);
    void resolveConflict(const std::string& conflictId, const nlohmann::json& value);

    // --- the sync engine's side ---
    // Ops ready to send, oldest first. A referral's ops wait on the device while it is a draft
    // that has never left it: drafts stay here until submitted.
    std::vector<OutboxEntry> outbox(size_t limit);
    size_t heldDrafts();
    size_t outboxSize();
    // Records each result: acknowledged ops leave the outbox; rejected ones move to the visible
    // rejected list. Ops without a result stay, for the next attempt.
    void recordResults(const std::vector<sync::OpResult>& results, const std::string& at);
    void noteAttempt(const std::vector<OutboxEntry>& batch, const std::string& error);
    std::vector<RejectedOp> rejected();
    // Applies a pulled page and its cursor in one transaction. Pulled changes never enter the
    // outbox; fields with a local change still queued keep their local value.
    PullApplied applyPull(const sync::PullResponse& page);
    // Wipes synced data (records, the directory) for a resync; the outbox is kept.
    void wipeForResync();
    // Materialises pulled directory records into the search tables, in batches.
    size_t materialiseDirectory(size_t limit = SIZE_MAX);
    size_t pendingDirectory();

private:
    void enqueue(const sync::Op& op);
    // `serverCopy`: the server's version of the record (pulls pass it). `before`: the row as it
    // was, for a local write (kept as the server's copy if the row was exactly that).
    void save(const sync::Record& record, bool local, const sync::Record* serverCopy = nullptr,
              const sync::Record* before = nullptr);
    bool pendingFor(const std::string& collection, const std::string& recordId);
    void clearSynced();
    void materialiseNow(const sync::Record& record);
    std::string now() const;

    db::Database& m_db;
    nlohmann::json sealFields(const std::string& collection, const std::string& id, const nlohmann::json& fields) const;
    std::string sealedFieldsText(const std::string& collection, const std::string& id, const nlohmann::json& fields) const;
    // Pulled fields text with its personal values sealed (together, once); the members the row's own
    // columns come from are parsed into `derived`.
    std::string sealedFieldsFromText(const std::string& collection, const std::string& id, std::string_view text,
                                     nlohmann::json& derived) const;
    nlohmann::json revealFields(const std::string& collection, const std::string& id, nlohmann::json fields) const;
    std::string sealedRecordJson(const sync::Record& record) const;
    std::string sealedOpJson(const sync::Op& op) const;
    // A stored op's text with its sealed values opened: the op sealedOpJson sealed, as
    // sync::toJson writes it. The text is this device's own, already valid JSON.
    std::string revealedOpText(std::string_view body) const;
    sync::Record readRow(db::Statement& q) const;
    static std::optional<sync::Principal> principalFromText(std::string_view text);

    std::function<std::time_t()> m_clock;
    std::function<std::string()> m_newId;
    const crypto::Vault* m_vault = nullptr;
    // The signed-in user as last read, with the stored text it was read from (principal()).
    std::string m_principalText;
    std::optional<sync::Principal> m_principal;
    std::string newId() { return m_newId ? m_newId() : uuid::timeOrdered(); }
};

} // namespace signpost::client
