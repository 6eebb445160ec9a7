// The device's sync engine against the real SyncService on a SQLite file, with no sockets: what
// a round does when a person keeps working while it runs.
#include "SyncSimulation.hpp"
#include "TestSupport.hpp"

#include "service/SyncService.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/domain/Directory.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/DirectoryCodec.hpp"
#include "store/ServerStore.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace signpost;
using nlohmann::json;

namespace {

// Hands each request to the service after a pause, and notes whether two threads ever used it at
// once: the product's CurlTransport is one libcurl handle, which two threads must never share.
class WatchedTransport final : public client::HttpTransport {
public:
    explicit WatchedTransport(server::SyncService& service) : m_service(service) {}
    std::atomic<bool> overlapped{false};
    std::atomic<int> requests{0};

    client::TransportResponse send(const client::TransportRequest& request) override {
        if (m_inFlight.fetch_add(1) > 0) overlapped = true;
        ++requests;
        // Long enough that a second thread reaching the transport meanwhile is certain to be seen.
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        const server::HttpResponse out = m_service.handle(sim::serverRequest(request, "127.0.0.1"));
        m_inFlight.fetch_sub(1);
        return {out.status, out.headers, out.body};
    }

private:
    server::SyncService& m_service;
    std::atomic<int> m_inFlight{0};
};

} // namespace

TEST_CASE("a change written while a push is answered goes in the same round, and the transport is never shared") {
    test::TempDir dir;
    const std::string serverPath = (dir / "server.db").string();
    server::SyncService service([&] { return server::openSqliteStore(serverPath); });
    {
        auto store = server::openSqliteStore(serverPath);
        store->begin();
        domain::Service svc;
        svc.id = "svc-1";
        svc.organisationId = "org-1";
        svc.name = "Gwent Money Advice";
        svc.description = "Debt and budgeting help";
        svc.areas = {"PDU-GWENT"};
        svc.needs = {"finance"};
        server::StoredRecord r;
        r.record.collection = "service";
        r.record.id = svc.id;
        r.record.fields = sync::serviceFields(svc);
        r.record.seq = store->nextSeq();
        for (auto it = r.record.fields.begin(); it != r.record.fields.end(); ++it) r.record.versions[it.key()] = r.record.seq;
        store->saveRecord(r);
        server::User admin;
        admin.id = "user-admin";
        admin.username = "admin";
        admin.role = domain::Role::Admin;
        admin.passwordHash = "not-used-here";
        admin.createdAt = "2026-11-23T00:00:00Z";
        store->saveUser(admin);
        store->saveToken({server::tokenHash("token-admin"), admin.id, "device-1", INT64_MAX / 2, false});
        store->commit();
    }

    auto local = schema::openLocal((dir / "device.db").string());
    client::LocalStore device(local);
    auto vault = device.openVault("a device passphrase", crypto::KdfCost::Minimum);
    device.setVault(&vault);
    device.setState("device_id", "device-1");
    device.setState("token", "token-admin");
    device.setPrincipal(sync::Principal{"user-admin", domain::Role::Admin, {}, ""}, "admin");

    WatchedTransport transport(service);
    client::EngineOptions options;
    options.vault = &vault;
    client::SyncEngine engine(local, transport, options);
    REQUIRE(engine.syncOnce().complete);
    REQUIRE(device.record("service", "svc-1").has_value());

    // The admin edits the description and syncs; while the server's answer is on its way back,
    // they change the name too (the GUI writes on its own connection while the sync thread runs).
    device.update("service", "svc-1", json{{"description", "Debt, budgeting and benefits help"}});
    size_t queued = device.outboxSize(); // each edit and its audit entry
    int answered = 0;
    engine.afterPushAnswered = [&] {
        if (answered++ > 0) return;
        const size_t before = device.outboxSize();
        device.update("service", "svc-1", json{{"name", "Gwent Money and Debt Advice"}});
        queued += device.outboxSize() - before;
    };
    const client::SyncReport report = engine.syncOnce();
    CHECK(report.complete);
    CHECK_FALSE(transport.overlapped.load());
    CHECK(answered == 2); // the second edit went in this round, in a batch of its own
    CHECK(queued == 4);
    CHECK(report.pushed == queued);
    CHECK(report.applied == queued);
    CHECK(device.outboxSize() == 0);

    auto store = server::openSqliteStore(serverPath);
    store->beginRead();
    const auto onServer = store->record("service", "svc-1");
    store->rollback();
    REQUIRE(onServer.has_value());
    CHECK(onServer->record.fields["name"] == "Gwent Money and Debt Advice");
    CHECK(onServer->record.fields["description"] == "Debt, budgeting and benefits help");
    // The page fetched ahead of the second batch was dropped; the one after it is what the device
    // applied, so the device holds the server's versions of both fields.
    const auto mine = device.record("service", "svc-1");
    REQUIRE(mine.has_value());
    CHECK(mine->versions == onServer->record.versions);
}
