#include "SyncService.hpp"

#include "signpost/schema/LocalSchema.hpp"

namespace signpost::app {

namespace {
client::EngineOptions engineOptions(const crypto::Vault* vault) {
    client::EngineOptions options;
    options.vault = vault;
    return options;
}

client::CurlOptions curlOptions() {
    client::CurlOptions options;
    options.connectTimeoutMs = 5'000;
    if (const char* ca = std::getenv("SIGNPOST_CA_FILE"); ca && *ca) options.caFile = ca;
    return options;
}
} // namespace

SyncService::Engine::Engine(const std::string& dbPath, const std::string& url, const crypto::Vault* vault)
    : db(schema::openLocal(dbPath)), transport(url, curlOptions()), engine(db, transport, engineOptions(vault)) {}

void SyncService::start(const std::string& dbPath, const std::string& serverUrl,
                        std::shared_ptr<const crypto::Vault> vault,
                        std::function<void(const client::SyncReport&)> onRound) {
    stop();
    m_dbPath = dbPath;
    m_serverUrl = serverUrl;
    m_vault = std::move(vault);
    m_onRound = std::move(onRound);
    client::SyncLoop::Options options;
    options.interval = std::chrono::milliseconds(60'000);
    m_loop = std::make_unique<client::SyncLoop>([this] { return round(); }, options);
    m_loop->start();
}

void SyncService::stop() {
    if (m_loop) m_loop->stop(); // joins: no round is running after this
    m_loop.reset();
    std::lock_guard lock(m_mutex);
    if (m_engine) m_lastStatus = m_engine->engine.status();
    m_engine.reset();
    m_vault.reset();
}

void SyncService::nudge() {
    if (m_loop) m_loop->nudge();
}

client::SyncStatus SyncService::status() const {
    std::lock_guard lock(m_mutex);
    if (m_engine) return m_engine->engine.status();
    return m_lastStatus;
}

client::SyncReport SyncService::round() {
    client::SyncReport report;
    try {
        bool build = false;
        {
            std::lock_guard lock(m_mutex);
            build = !m_engine;
        }
        if (build) {
            auto engine = std::make_unique<Engine>(m_dbPath, m_serverUrl, m_vault.get());
            std::lock_guard lock(m_mutex);
            m_engine = std::move(engine);
        }
        m_ui.post([] {}); // wake the UI: "syncing" shows at once
        report = m_engine->engine.syncOnce();
    } catch (const std::exception& e) {
        report.error = client::describeFailure(e);
        std::lock_guard lock(m_mutex);
        m_lastStatus.state = client::SyncStatus::State::Error;
        m_lastStatus.message = report.error;
    }
    auto done = m_onRound;
    m_ui.post([done, report] {
        if (done) done(report);
    });
    return report;
}

} // namespace signpost::app
