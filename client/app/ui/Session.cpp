#include "Session.hpp"
#include "../model/Format.hpp"

#include "signpost/Error.hpp"
#include "signpost/client/CurlTransport.hpp"
#include "signpost/client/SyncEngine.hpp"

#include <nlohmann/json.hpp>

namespace signpost::app {

namespace {
std::string usernameOf(client::LocalStore& store) {
    auto user = store.state("user");
    if (!user) return {};
    auto j = nlohmann::json::parse(*user, nullptr, false);
    return j.is_object() ? j.value("username", "") : std::string();
}
} // namespace

void Session::begin() {
    m_state = SessionState::Opening;
    m_worker.post([this](WorkerState& w) {
        auto who = w.store.principal();
        std::string username = usernameOf(w.store);
        const bool vault = w.store.state("vault").has_value();
        const bool token = w.store.state("token").has_value();
        m_ui.post([this, who, username, vault, token] {
            m_principal = who;
            m_username = username;
            m_hasToken = token;
            m_state = who && vault ? SessionState::Locked : SessionState::FirstSignIn;
        });
    });
}

void Session::fail(std::string message, bool isKey, SessionState back) {
    m_message = std::move(message);
    m_messageIsKey = isKey;
    m_state = back;
}

void Session::signIn(const std::string& url, const std::string& username, const std::string& password,
                     const std::string& passphrase) {
    if (url.empty() || username.empty() || password.empty()) {
        fail("signin.fill_all", true, SessionState::FirstSignIn);
        return;
    }
    if (passphrase.size() < 8) {
        fail("signin.passphrase_short", true, SessionState::FirstSignIn);
        return;
    }
    m_state = SessionState::Working;
    m_message.clear();
    const auto cost = m_cost;
    m_worker.post([this, url, username, password, passphrase, cost](WorkerState& w) {
        try {
            client::CurlOptions options;
            options.connectTimeoutMs = 5'000;
            if (const char* ca = std::getenv("SIGNPOST_CA_FILE"); ca && *ca) options.caFile = ca;
            client::CurlTransport transport(url, options);
            client::SyncEngine engine(w.db, transport);
            engine.signIn(username, password);
            auto vault = std::make_shared<const crypto::Vault>(w.store.openVault(passphrase, cost));
            w.vault = vault;
            w.store.setVault(vault.get());
            auto who = w.store.principal();
            m_ui.post([this, vault, who, username] { finishUnlock(vault, who, username, true); });
        } catch (const Error& e) {
            if (e.domain() == ErrorDomain::Auth) {
                m_ui.post([this] { fail("signin.wrong_passphrase", true, SessionState::FirstSignIn); });
            } else {
                // Said in the person's language, on the UI thread.
                auto failure = client::classifyFailure(e);
                m_ui.post([this, failure] { fail(failureSentence(failure), false, SessionState::FirstSignIn); });
            }
        } catch (const std::exception& e) {
            auto failure = client::classifyFailure(e);
            m_ui.post([this, failure] { fail(failureSentence(failure), false, SessionState::FirstSignIn); });
        }
    });
}

void Session::unlock(const std::string& passphrase) {
    if (passphrase.empty()) {
        fail("signin.passphrase_empty", true, SessionState::Locked);
        return;
    }
    m_state = SessionState::Working;
    m_message.clear();
    const auto cost = m_cost;
    m_worker.post([this, passphrase, cost](WorkerState& w) {
        try {
            auto vault = std::make_shared<const crypto::Vault>(w.store.openVault(passphrase, cost));
            w.vault = vault;
            w.store.setVault(vault.get());
            auto who = w.store.principal();
            const std::string username = usernameOf(w.store);
            const bool token = w.store.state("token").has_value();
            m_ui.post([this, vault, who, username, token] { finishUnlock(vault, who, username, token); });
        } catch (const Error& e) {
            const bool wrong = e.domain() == ErrorDomain::Auth;
            std::string message = wrong ? "signin.wrong_passphrase" : e.what();
            m_ui.post([this, message, wrong] { fail(message, wrong, SessionState::Locked); });
        }
    });
}

void Session::finishUnlock(std::shared_ptr<const crypto::Vault> vault, std::optional<sync::Principal> who,
                           std::string username, bool token) {
    m_vault = std::move(vault);
    m_principal = std::move(who);
    m_username = std::move(username);
    m_hasToken = token;
    m_state = SessionState::Unlocked;
    m_message.clear();
    if (m_hasToken && !serverUrl.empty())
        m_sync.start(m_dbPath, serverUrl, m_vault, [this](const client::SyncReport& r) {
            if (onSyncRound) onSyncRound(r);
        });
    if (onUnlocked) onUnlocked();
}

void Session::restartSync(const std::string& url) {
    serverUrl = url;
    if (!unlocked() || !m_hasToken) return;
    m_sync.start(m_dbPath, serverUrl, m_vault, [this](const client::SyncReport& r) {
        if (onSyncRound) onSyncRound(r);
    });
}

void Session::lock(bool idle) {
    if (m_state != SessionState::Unlocked) return;
    m_sync.stop();     // joins the sync thread: it holds the vault no longer
    m_vault.reset();
    m_worker.post([](WorkerState& w) {
        w.store.setVault(nullptr);
        w.vault.reset(); // the last owner: the key is wiped
    });
    m_state = SessionState::Locked;
    m_message = idle ? "signin.locked_idle" : "signin.locked";
    m_messageIsKey = true;
    if (onLocked) onLocked();
}

void Session::switchUser() {
    m_state = SessionState::FirstSignIn;
    m_message.clear();
}

} // namespace signpost::app
