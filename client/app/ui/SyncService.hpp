#pragma once
// Background sync for the client: SyncLoop rounds (client/core) on their own thread, with their
// own database connection and libcurl handle, built on that thread at the first round. The
// status bar polls status(); each finished round is handed to the UI thread through the UiQueue.
#include "../model/Worker.hpp"

#include "signpost/client/CurlTransport.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/db/Database.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace signpost::app {

class SyncService {
public:
    explicit SyncService(UiQueue& ui) : m_ui(ui) {}
    ~SyncService() { stop(); }
    SyncService(const SyncService&) = delete;
    SyncService& operator=(const SyncService&) = delete;

    // `onRound` runs on the UI thread after each round.
    void start(const std::string& dbPath, const std::string& serverUrl, std::shared_ptr<const crypto::Vault> vault,
               std::function<void(const client::SyncReport&)> onRound);
    void stop();
    void nudge();
    bool running() const { return m_loop != nullptr; }
    client::SyncStatus status() const;
    const std::string& serverUrl() const { return m_serverUrl; }

private:
    client::SyncReport round();
    struct Engine {
        Engine(const std::string& dbPath, const std::string& url, const crypto::Vault* vault);
        db::Database db;
        client::CurlTransport transport;
        client::SyncEngine engine;
    };

    UiQueue& m_ui;
    std::string m_dbPath;
    std::string m_serverUrl;
    std::shared_ptr<const crypto::Vault> m_vault;
    std::function<void(const client::SyncReport&)> m_onRound;
    mutable std::mutex m_mutex;
    std::unique_ptr<Engine> m_engine;
    client::SyncStatus m_lastStatus;
    std::unique_ptr<client::SyncLoop> m_loop;
};

} // namespace signpost::app
