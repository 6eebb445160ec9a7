#pragma once
// Who is using Signpost on this device, and whether people's details are open.
//
//  - First sign-in (nothing on this device yet, or another person): against the server with the
//    person's username and password (SyncEngine::signIn, as `signpost-cli sync` does), then the
//    device passphrase opens (or creates) the vault that seals people's details at rest.
//  - Afterwards, offline: the passphrase alone unlocks the vault (LocalStore::openVault); a wrong
//    one says so plainly.
//  - Idle for the configured minutes: lock. Sync stops and the vault is dropped (its key is
//    wiped); the window shows the unlock screen until the passphrase is given again.
// Everything slow (Argon2id, the network) runs on the worker; the UI thread only sees states.
#include "../model/Worker.hpp"
#include "SyncService.hpp"
#include "WorkerState.hpp"

#include "signpost/crypto/Vault.hpp"
#include "signpost/sync/Access.hpp"

#include <functional>
#include <optional>
#include <string>

namespace signpost::app {

enum class SessionState {
    Opening,      // reading the device database
    FirstSignIn,  // no one has signed in on this device: server sign-in needed
    Locked,       // someone has: the passphrase unlocks
    Working,      // signing in / deriving the key
    Unlocked,
    Failed,       // the database could not be opened (message says why)
};

class Session {
public:
    Session(AppWorker& worker, UiQueue& ui, SyncService& sync, std::string dbPath, crypto::KdfCost cost)
        : m_worker(worker), m_ui(ui), m_sync(sync), m_dbPath(std::move(dbPath)), m_cost(cost) {}

    // Reads who signed in here before (no secrets). Call once at start.
    void begin();
    void signIn(const std::string& serverUrl, const std::string& username, const std::string& password,
                const std::string& passphrase);
    void unlock(const std::string& passphrase);
    void lock(bool idle = false);
    // The first sign-in form even though someone signed in before (another person).
    void switchUser();
    void nudgeSync() { m_sync.nudge(); }
    // Restart sync against a new server URL (settings) when running.
    void restartSync(const std::string& serverUrl);

    SessionState state() const { return m_state; }
    bool unlocked() const { return m_state == SessionState::Unlocked; }
    // Language key or text of the last problem ("" none). Keys start with "signin.".
    const std::string& message() const { return m_message; }
    bool messageIsKey() const { return m_messageIsKey; }
    const std::optional<sync::Principal>& principal() const { return m_principal; }
    const std::string& username() const { return m_username; }
    domain::Role role() const { return m_principal ? m_principal->role : domain::Role::Practitioner; }
    std::string userId() const { return m_principal ? m_principal->userId : std::string(); }
    bool hasServerSession() const { return m_hasToken; }
    SyncService& sync() { return m_sync; }

    // Called on the UI thread when the session unlocks (start loading) and when it locks.
    std::function<void()> onUnlocked;
    std::function<void()> onLocked;
    // Called on each finished sync round (UI thread).
    std::function<void(const client::SyncReport&)> onSyncRound;
    std::string serverUrl; // where sync goes (from settings)

private:
    void finishUnlock(std::shared_ptr<const crypto::Vault> vault, std::optional<sync::Principal> who,
                      std::string username, bool token);
    void fail(std::string message, bool isKey, SessionState back);

    AppWorker& m_worker;
    UiQueue& m_ui;
    SyncService& m_sync;
    std::string m_dbPath;
    crypto::KdfCost m_cost;
    SessionState m_state = SessionState::Opening;
    std::string m_message;
    bool m_messageIsKey = false;
    std::optional<sync::Principal> m_principal;
    std::string m_username;
    bool m_hasToken = false;
    std::shared_ptr<const crypto::Vault> m_vault; // also held by the worker and the sync thread
};

} // namespace signpost::app
