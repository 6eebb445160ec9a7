#pragma once
// Background sync for the client: SyncLoop rounds (client/core) on their own thread, with their
// own database connection and libcurl handle, built on that thread at the first round. The
// status bar polls status(); each finished round is handed to the UI thread through the UiQueue.
//
// Starting and stopping run on a control thread, in the order asked: stopping joins the round
// thread, and a round waiting on a slow network must not freeze the window (locking Signpost
// while a pull is under way returns at once; the round's key copy goes when the round ends).
#include "../model/Worker.hpp"

#include "signpost/client/CurlTransport.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/db/Database.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace signpost::app {

class SyncService {
public:
    explicit SyncService(UiQueue& ui);
    ~SyncService();
    SyncService(const SyncService&) = delete;
    SyncService& operator=(const SyncService&) = delete;

    // `onRound` runs on the UI thread after each round.
    void start(const std::string& dbPath, const std::string& serverUrl, std::shared_ptr<const crypto::Vault> vault,
               std::function<void(const client::SyncReport&)> onRound);
    void stop();
    void nudge();
    // Whether sync was asked to run (the status bar's view; the loop follows on its own thread).
    bool running() const { return m_wanted.load(); }
    client::SyncStatus status() const;
    // Waits until every start/stop asked so far has taken effect (tests, shutdown).
    void settle() { m_control.flush(); }

private:
    struct Engine {
        Engine(const std::string& dbPath, const std::string& url, const crypto::Vault* vault);
        db::Database db;
        client::CurlTransport transport;
        client::SyncEngine engine;
    };
    // What the control thread owns: the loop, the vault it syncs with, the round callback.
    struct Control {
        std::unique_ptr<client::SyncLoop> loop;
        std::shared_ptr<const crypto::Vault> vault;
        std::string dbPath, serverUrl;
        std::function<void(const client::SyncReport&)> onRound;
    };
    client::SyncReport round(Control& control);
    void stopOn(Control& control);

    UiQueue& m_ui;
    std::atomic<bool> m_wanted{false};
    mutable std::mutex m_mutex;      // guards m_engine and m_lastStatus
    std::unique_ptr<Engine> m_engine; // built by the round thread, read by status()
    client::SyncStatus m_lastStatus;
    Worker<Control> m_control;        // last: its thread starts after the members above exist
};

} // namespace signpost::app
