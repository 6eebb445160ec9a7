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

SyncService::SyncService(UiQueue& ui) : m_ui(ui), m_control([] { return std::make_unique<Control>(); }) {}

SyncService::~SyncService() {
    m_wanted = false;
    m_control.post([this](Control& c) { stopOn(c); });
    m_control.flush();
    m_control.stop();
}

void SyncService::start(const std::string& dbPath, const std::string& serverUrl,
                        std::shared_ptr<const crypto::Vault> vault,
                        std::function<void(const client::SyncReport&)> onRound) {
    m_wanted = true;
    m_control.post([this, dbPath, serverUrl, vault = std::move(vault), onRound = std::move(onRound)](Control& c) {
        stopOn(c);
        c.dbPath = dbPath;
        c.serverUrl = serverUrl;
        c.vault = vault;
        c.onRound = onRound;
        client::SyncLoop::Options options;
        options.interval = std::chrono::milliseconds(60'000);
        c.loop = std::make_unique<client::SyncLoop>([this, &c] { return round(c); }, options);
        c.loop->start();
    });
}

void SyncService::stop() {
    m_wanted = false;
    m_control.post([this](Control& c) { stopOn(c); });
}

void SyncService::stopOn(Control& c) {
    if (c.loop) c.loop->stop(); // joins: no round is running after this
    c.loop.reset();
    {
        std::lock_guard lock(m_mutex);
        if (m_engine) m_lastStatus = m_engine->engine.status();
        m_engine.reset();
    }
    c.vault.reset(); // the sync thread's share of the key
}

void SyncService::nudge() {
    m_control.post([](Control& c) {
        if (c.loop) c.loop->nudge();
    });
}

client::SyncStatus SyncService::status() const {
    std::lock_guard lock(m_mutex);
    if (m_engine) return m_engine->engine.status();
    return m_lastStatus;
}

client::SyncReport SyncService::round(Control& c) {
    client::SyncReport report;
    try {
        bool build = false;
        {
            std::lock_guard lock(m_mutex);
            build = !m_engine;
        }
        if (build) {
            auto engine = std::make_unique<Engine>(c.dbPath, c.serverUrl, c.vault.get());
            std::lock_guard lock(m_mutex);
            m_engine = std::move(engine);
        }
        m_ui.post([] {}); // wake the UI: "syncing" shows at once
        report = m_engine->engine.syncOnce();
    } catch (const std::exception& e) {
        client::FailureInfo failure = client::classifyFailure(e);
        report.error = client::describeFailure(failure);
        std::lock_guard lock(m_mutex);
        m_lastStatus.state = client::SyncStatus::State::Error;
        m_lastStatus.message = report.error;
        m_lastStatus.failure = failure.kind;
        m_lastStatus.detail = failure.detail;
    }
    auto done = c.onRound;
    m_ui.post([done, report] {
        if (done) done(report);
    });
    return report;
}

} // namespace signpost::app
