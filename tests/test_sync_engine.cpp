// The device's sync engine against the real SyncService on a SQLite file, with no sockets: what
// a round does when a person keeps working while it runs.
#include "SyncSimulation.hpp"
#include "TestSupport.hpp"

#include "service/SyncService.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/domain/Directory.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/DirectoryCodec.hpp"
#include "signpost/sync/Gzip.hpp"
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
    std::atomic<int> getsBeforeOutage{-1}; // when >= 0: that many more GETs pass, then one fails
    // Set before a sync, read after it: changes each answer, and the query of every pull asked for
    // (only one thread sends at a time, which `overlapped` checks).
    std::function<void(client::TransportResponse&)> alter;
    std::vector<std::string> pulls;
    std::vector<std::string> requests; // "METHOD path" of every request, in order

    client::TransportResponse send(const client::TransportRequest& request) override {
        if (request.method == "GET" && getsBeforeOutage.load() >= 0 && getsBeforeOutage.fetch_sub(1) == 0)
            throw client::TransportError("the connection dropped");
        if (m_inFlight.fetch_add(1) > 0) overlapped = true;
        // Long enough that a second thread reaching the transport meanwhile is certain to be seen.
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        const server::HttpResponse out = m_service.handle(sim::serverRequest(request, "127.0.0.1"));
        client::TransportResponse response{out.status, out.headers, out.body};
        if (request.path.rfind("/v1/pull", 0) == 0) pulls.push_back(request.path);
        requests.push_back(request.method + " " + request.path);
        if (alter) alter(response);
        m_inFlight.fetch_sub(1);
        return response;
    }

private:
    server::SyncService& m_service;
    std::atomic<int> m_inFlight{0};
};

// A server on a SQLite file with its users, and the devices that sync with it.
struct Server {
    test::TempDir dir;
    std::string path = (dir / "server.db").string();
    server::SyncService service{[p = path] { return server::openSqliteStore(p); }};

    sync::Principal addUser(const std::string& name, domain::Role role, std::vector<std::string> areas,
                            const std::string& password = "") {
        server::User u;
        u.id = "user-" + name;
        u.username = name;
        u.role = role;
        u.areas = areas;
        u.passwordHash = password.empty() ? "not-used-here" : server::hashPassword(password);
        u.createdAt = "2026-11-23T00:00:00Z";
        auto store = server::openSqliteStore(path);
        store->begin();
        store->saveUser(u);
        store->saveToken({server::tokenHash("token-" + name), u.id, "device-" + name, INT64_MAX / 2, false});
        store->commit();
        return sync::Principal{u.id, role, areas, ""};
    }
    // Services "svc-0" … named "Service 0" …, in Gwent, for finance.
    void saveServices(int count) {
        for (int i = 0; i < count; ++i) {
            domain::Service svc;
            svc.id = "svc-" + std::to_string(i);
            svc.organisationId = "org-1";
            svc.name = "Service " + std::to_string(i);
            svc.areas = {"PDU-GWENT"};
            svc.needs = {"finance"};
            save("service", svc.id, sync::serviceFields(svc));
        }
    }
    void save(const std::string& collection, const std::string& id, json fields) {
        auto store = server::openSqliteStore(path);
        store->begin();
        server::StoredRecord r;
        r.record.collection = collection;
        r.record.id = id;
        r.record.fields = std::move(fields);
        r.record.seq = store->nextSeq();
        for (auto it = r.record.fields.begin(); it != r.record.fields.end(); ++it) r.record.versions[it.key()] = r.record.seq;
        sync::deriveScope(r.record);
        store->saveRecord(r);
        store->commit();
    }
};

// One device: its own database file, vault, transport and engine, signed in as `name`.
struct Device {
    db::Database db;
    client::LocalStore store{db};
    crypto::Vault vault;
    WatchedTransport transport;
    client::SyncEngine engine;

    static client::EngineOptions options(const crypto::Vault* vault, size_t pullLimit) {
        client::EngineOptions o;
        o.vault = vault;
        o.pullLimit = pullLimit;
        return o;
    }
    Device(Server& server, const std::string& name, const sync::Principal& who, size_t pullLimit = 500)
        : db(schema::openLocal((server.dir / (name + ".db")).string())),
          vault(store.openVault("a device passphrase", crypto::KdfCost::Minimum)), transport(server.service),
          engine(db, transport, options(&vault, pullLimit)) {
        store.setVault(&vault);
        store.setState("device_id", "device-" + name);
        store.setState("token", "token-" + name);
        store.setPrincipal(who, name);
    }
    std::string field(const std::string& collection, const std::string& id, const std::string& name) {
        auto r = store.record(collection, id);
        return r && r->fields.contains(name) && r->fields[name].is_string() ? r->fields[name].get<std::string>() : "";
    }
};

} // namespace

TEST_CASE("a resolution made after someone else's reached the server is refused, and the device shows theirs") {
    Server server;
    const auto prac = server.addUser("prac", domain::Role::Practitioner, {"PDU-GWENT"});
    const auto sup = server.addUser("sup", domain::Role::Supervisor, {"PDU-GWENT"});
    server.save("referral", "ref-1",
                {{"area", "PDU-GWENT"}, {"owner", prac.userId}, {"created_by", prac.userId}, {"status", "submitted"},
                 {"organisation_id", "org-1"}, {"reason", "Rent arrears"}});
    Device a(server, "prac", prac);
    Device b(server, "sup", sup, 1); // one record a page: a dropped connection can stop a pull between two
    REQUIRE(a.engine.syncOnce().complete);
    REQUIRE(b.engine.syncOnce().complete);

    // Both change the reason while apart: the supervisor's edit reaches the server second and
    // becomes a clash that both see.
    a.store.update("referral", "ref-1", json{{"reason", "Rent arrears and a court date"}});
    b.store.update("referral", "ref-1", json{{"reason", "Arrears; eviction risk"}});
    REQUIRE(a.engine.syncOnce().complete);
    REQUIRE(b.engine.syncOnce().conflicts == 1);
    REQUIRE(a.engine.syncOnce().complete);
    const auto clashes = a.store.records("conflict");
    REQUIRE(clashes.size() == 1);
    const std::string clash = clashes.front().id;
    REQUIRE(b.store.record("conflict", clash).has_value());

    // The practitioner settles it: the server changes the referral, then the conflict.
    const std::string theirs = "Rent arrears; a court date and eviction risk";
    a.store.resolveConflict(clash, theirs);
    REQUIRE(a.engine.syncOnce().complete);
    // The supervisor's connection drops after the referral's page and before the conflict's.
    b.transport.getsBeforeOutage = 1;
    CHECK_FALSE(b.engine.syncOnce().complete);
    b.transport.getsBeforeOutage = -1;
    REQUIRE(b.field("referral", "ref-1", "reason") == theirs);
    REQUIRE(b.store.record("conflict", clash)->status == "open");

    SUBCASE("a different choice is refused and put back") {
        b.store.resolveConflict(clash, json("Eviction risk first"));
        CHECK(b.field("referral", "ref-1", "reason") == "Eviction risk first"); // shown at once
        const auto report = b.engine.syncOnce();
        CHECK(report.complete);
        CHECK(report.rejected == 1);
        const auto refused = b.store.rejected();
        REQUIRE(refused.size() == 1);
        CHECK(refused.front().reason.find("already resolved") != std::string::npos);
        // The referral did not change on the server again: the device put its copy back.
        CHECK(b.field("referral", "ref-1", "reason") == theirs);
        CHECK(b.store.record("conflict", clash)->status == "resolved");
        CHECK(b.db.queryInt64("SELECT count(*) FROM record WHERE local = 1").value_or(-1) == 0);
    }
    SUBCASE("the same choice is simply done") {
        b.store.resolveConflict(clash, json(theirs));
        const auto report = b.engine.syncOnce();
        CHECK(report.complete);
        CHECK(report.applied == report.pushed);
        CHECK(b.store.rejected().empty());
        CHECK(b.field("referral", "ref-1", "reason") == theirs);
        CHECK(b.store.record("conflict", clash)->status == "resolved");
    }
}

TEST_CASE("a change written while a push is answered goes in the same round, and the transport is never shared") {
    Server server;
    domain::Service svc;
    svc.id = "svc-1";
    svc.organisationId = "org-1";
    svc.name = "Gwent Money Advice";
    svc.description = "Debt and budgeting help";
    svc.areas = {"PDU-GWENT"};
    svc.needs = {"finance"};
    server.save("service", svc.id, sync::serviceFields(svc));
    Device admin(server, "admin", server.addUser("admin", domain::Role::Admin, {}));
    auto& device = admin.store;
    auto& engine = admin.engine;
    auto& transport = admin.transport;
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

    auto store = server::openSqliteStore(server.path);
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

TEST_CASE("pull pages are asked for ahead by their headers, each once; missing or wrong headers change nothing applied") {
    Server server;
    server.saveServices(12); // svc-0 … svc-11 in Gwent
    const sync::Principal who = server.addUser("reader", domain::Role::Practitioner, {"PDU-GWENT"});
    auto cursorOf = [](const std::string& path) {
        const auto at = path.find("cursor=") + 7;
        return std::stoll(path.substr(at, path.find('&', at) - at));
    };
    auto pulledAll = [](Device& d) {
        for (int i = 0; i < 12; ++i)
            if (d.field("service", "svc-" + std::to_string(i), "name") != "Service " + std::to_string(i)) return false;
        return true;
    };

    // The server's answer names its next page in headers, the same values as its body.
    Device first(server, "reader", who, 2);
    size_t answers = 0;
    first.transport.alter = [&](client::TransportResponse& r) {
        if (r.status != 200 || !r.headers.count("x-signpost-next-cursor")) return;
        const bool gzipped = r.headers.count("content-encoding") && r.headers.at("content-encoding") == "gzip";
        const json body = json::parse(gzipped ? sync::gzipDecompress(r.body, sync::kMaxDecodedBytes) : r.body);
        CHECK(r.headers.at("x-signpost-next-cursor") == std::to_string(body["next_cursor"].get<int64_t>()));
        CHECK(r.headers.at("x-signpost-has-more") == (body["has_more"].get<bool>() ? "1" : "0"));
        CHECK(r.headers.at("x-signpost-horizon") == std::to_string(body.value("horizon", int64_t{0})));
        ++answers;
    };
    const client::SyncReport firstReport = first.engine.syncOnce();
    INFO(firstReport.error);
    REQUIRE(firstReport.complete);
    CHECK(pulledAll(first));
    CHECK_FALSE(first.transport.overlapped.load());
    // Six pages of two, each asked for once, in cursor order: the fetcher followed the headers.
    REQUIRE(first.transport.pulls.size() >= 6);
    CHECK(answers == first.transport.pulls.size());
    for (size_t i = 1; i < first.transport.pulls.size(); ++i)
        CHECK(cursorOf(first.transport.pulls[i]) > cursorOf(first.transport.pulls[i - 1]));
    const int64_t cursor = first.store.cursor();

    // Without the headers (an older server, a proxy that drops them): each page is read first.
    Device bare(server, "reader-bare", who, 2);
    bare.store.setState("device_id", "device-reader");
    bare.store.setState("token", "token-reader");
    bare.transport.alter = [](client::TransportResponse& r) {
        r.headers.erase("x-signpost-next-cursor");
        r.headers.erase("x-signpost-has-more");
        r.headers.erase("x-signpost-horizon");
    };
    REQUIRE(bare.engine.syncOnce().complete);
    CHECK(pulledAll(bare));
    CHECK(bare.store.cursor() == cursor);
    CHECK(bare.transport.pulls == first.transport.pulls);

    // Headers that disagree with the body: the body decides, the pages asked from the wrong
    // cursor are dropped, and the device ends where the others did.
    Device misled(server, "reader-misled", who, 2);
    misled.store.setState("device_id", "device-reader");
    misled.store.setState("token", "token-reader");
    misled.transport.alter = [](client::TransportResponse& r) {
        // Two sequences past the real next page: taken as it stands, records would be skipped.
        if (auto it = r.headers.find("x-signpost-next-cursor"); it != r.headers.end())
            it->second = std::to_string(std::stoll(it->second) + 2);
    };
    REQUIRE(misled.engine.syncOnce().complete);
    CHECK(pulledAll(misled));
    CHECK(misled.store.cursor() == cursor);
    CHECK(misled.transport.pulls.size() > first.transport.pulls.size());
    CHECK_FALSE(misled.transport.overlapped.load());
}

namespace {

json referralIn(const std::string& area, const std::string& name) {
    return json{{"area", area},
                {"crn", "X100001"},
                {"given_name", name},
                {"family_name", "Jones"},
                {"date_of_birth", "1990-01-01"},
                {"supervision_type", "licence"},
                {"needs", json::array({json{{"need", "finance"}, {"complexity", "medium"}}})},
                {"reason", "Debts are building up since release."},
                {"risk_summary", "No concerns for a group setting."},
                {"service_id", "svc-0"}};
}

// A referral written and submitted on a device (a draft stays on it).
std::string refer(client::LocalStore& store, const std::string& name) {
    const std::string id = store.create("referral", referralIn("PDU-GWENT", name));
    store.transition("referral", id, "submitted");
    return id;
}

// The answer's body as JSON, whether or not it came gzipped.
json answerBody(const client::TransportResponse& r) {
    const bool gzipped = r.headers.count("content-encoding") && r.headers.at("content-encoding") == "gzip";
    return json::parse(gzipped ? sync::gzipDecompress(r.body, sync::kMaxDecodedBytes) : r.body);
}

// Replaces the answer's body with `body`, sent plainly.
void setAnswerBody(client::TransportResponse& r, const std::string& body) {
    r.body = body;
    r.headers.erase("content-encoding");
}

// Rewrites every push answer that brings a page: `rewrite` gets its results and page and gives the
// body sent instead (plainly; without a page, without the page's headers too).
void rewritePushAnswers(WatchedTransport& transport, std::function<std::string(const json& results, const json& page)> rewrite) {
    transport.alter = [rewrite = std::move(rewrite)](client::TransportResponse& r) {
        if (!r.headers.count("x-signpost-next-cursor")) return;
        const json body = answerBody(r);
        if (!body.contains("pull")) return;
        setAnswerBody(r, rewrite(body["results"], body["pull"]));
        if (r.body.find("\"pull\"") == std::string::npos)
            for (const char* h : {"x-signpost-next-cursor", "x-signpost-has-more", "x-signpost-horizon"}) r.headers.erase(h);
    };
}

} // namespace

TEST_CASE("a round's last push brings the first pull page: one request, the same records as a pull; without it the device asks") {
    Server server;
    server.saveServices(5); // svc-0 … svc-4 in Gwent
    const auto ann = server.addUser("ann", domain::Role::Practitioner, {"PDU-GWENT"});
    const auto bob = server.addUser("bob", domain::Role::Practitioner, {"PDU-GWENT"});
    Device a(server, "ann", ann);
    Device b(server, "bob", bob, 2); // two records a page
    REQUIRE(a.engine.syncOnce().complete);
    REQUIRE(b.engine.syncOnce().complete);
    auto serverRecord = [&](const std::string& collection, const std::string& id) {
        auto store = server::openSqliteStore(server.path);
        store->beginRead();
        auto r = store->record(collection, id);
        store->rollback();
        REQUIRE(r.has_value());
        return r->record;
    };
    auto maxSeq = [&] {
        auto store = server::openSqliteStore(server.path);
        store->beginRead();
        const int64_t max = store->maxSeq();
        store->rollback();
        return max;
    };

    // Bob refers someone; Ann refers someone else. Ann's round is one request: her push, whose
    // answer holds her own record as the server wrote it and Bob's.
    const std::string bobs = refer(b.store, "Bryn");
    REQUIRE(b.engine.syncOnce().complete);
    const std::string anns = refer(a.store, "Alys");
    a.transport.requests.clear();
    const int64_t before = a.store.cursor();
    const client::SyncReport report = a.engine.syncOnce();
    INFO(report.error);
    REQUIRE(report.complete);
    REQUIRE(a.transport.requests.size() == 1);
    CHECK(a.transport.requests[0].rfind("POST /v1/push?pull=1&protocol=2&cursor=" + std::to_string(before) + "&", 0) == 0);
    CHECK(report.pulled == 2);
    CHECK(a.store.cursor() == maxSeq());
    for (const auto& id : {anns, bobs}) {
        const sync::Record there = serverRecord("referral", id);
        const auto here = a.store.record("referral", id);
        REQUIRE(here.has_value());
        CHECK(here->seq == there.seq);
        CHECK(here->versions == there.versions);
        CHECK(here->fields["given_name"] == there.fields["given_name"]);
    }
    CHECK(a.store.outboxSize() == 0);

    SUBCASE("more pages than the first: asked for from where the push's page ended, each once") {
        // Four more of Ann's, then Bob, two records a page, pushes one of his own.
        for (int i = 0; i < 4; ++i) refer(a.store, "Person " + std::to_string(i));
        REQUIRE(a.engine.syncOnce().complete);
        refer(b.store, "Cerys");
        b.transport.requests.clear();
        std::string pageNext;
        b.transport.alter = [&](client::TransportResponse& r) {
            if (r.headers.count("x-signpost-next-cursor") && pageNext.empty()) {
                const json body = answerBody(r);
                REQUIRE(body.contains("pull"));
                CHECK(r.headers.at("x-signpost-next-cursor") == std::to_string(body["pull"]["next_cursor"].get<int64_t>()));
                CHECK(body["pull"]["records"].size() == 2);
                pageNext = r.headers.at("x-signpost-next-cursor");
            }
        };
        const auto more = b.engine.syncOnce();
        INFO(more.error);
        REQUIRE(more.complete);
        CHECK(more.pulled == 6); // Ann's five and Bob's own, as the server wrote it
        REQUIRE(b.transport.requests.size() >= 3);
        CHECK(b.transport.requests[0].rfind("POST /v1/push?pull=1&", 0) == 0);
        REQUIRE_FALSE(pageNext.empty());
        CHECK(b.transport.requests[1] == "GET /v1/pull?protocol=2&cursor=" + pageNext + "&limit=2&max_bytes=" +
                                               std::to_string(client::EngineOptions{}.pullMaxBytes) + "&horizon=0");
        for (size_t i = 1; i < b.transport.requests.size(); ++i) CHECK(b.transport.requests[i].rfind("GET /v1/pull?", 0) == 0);
        CHECK_FALSE(b.transport.overlapped.load());
        CHECK(b.store.cursor() == maxSeq());
        CHECK(b.store.records("referral").size() == 7);
    }
    SUBCASE("a server that sends no page (an older one) is asked for it") {
        refer(b.store, "Cerys");
        b.transport.requests.clear();
        const int64_t from = b.store.cursor();
        rewritePushAnswers(b.transport, [](const json& results, const json&) { return json{{"results", results}}.dump(); });
        const auto older = b.engine.syncOnce();
        INFO(older.error);
        REQUIRE(older.complete);
        REQUIRE(b.transport.requests.size() >= 2);
        CHECK(b.transport.requests[0].rfind("POST /v1/push?pull=1&", 0) == 0);
        CHECK(b.transport.requests[1].rfind("GET /v1/pull?protocol=2&cursor=" + std::to_string(from) + "&", 0) == 0);
        CHECK(b.store.cursor() == maxSeq());
        CHECK(b.store.records("referral").size() == 3);
        for (const auto& r : b.store.records("referral")) CHECK(r.seq == serverRecord("referral", r.id).seq);
    }
    SUBCASE("a damaged page in the answer stops the round after the results are kept; the next round pulls it") {
        const std::string cerys = refer(b.store, "Cerys");
        const int64_t from = b.store.cursor();
        rewritePushAnswers(b.transport, [](const json& results, const json& pull) {
            std::string page = pull.dump();
            const auto at = page.find("\"records\":[");
            REQUIRE(at != std::string::npos);
            page.replace(at, 11, "\"records\":{"); // its brackets no longer pair
            return "{\"results\":" + results.dump() + ",\"pull\":" + page + "}";
        });
        const auto damaged = b.engine.syncOnce();
        CHECK_FALSE(damaged.complete);
        CHECK(b.engine.status().failure == client::SyncFailure::Damaged);
        CHECK(damaged.applied == damaged.pushed); // the referral's ops: their results are kept
        CHECK(damaged.pushed >= 2);
        CHECK(b.store.outboxSize() == 0);
        CHECK(b.store.cursor() == from); // nothing of the page was applied
        b.transport.alter = nullptr;
        b.transport.requests.clear();
        const auto again = b.engine.syncOnce();
        INFO(again.error);
        REQUIRE(again.complete);
        CHECK(again.pushed == 0);
        REQUIRE_FALSE(b.transport.requests.empty());
        CHECK(b.transport.requests[0].rfind("GET /v1/pull?protocol=2&cursor=" + std::to_string(from) + "&", 0) == 0);
        CHECK(b.store.cursor() == maxSeq());
        CHECK(b.store.record("referral", cerys)->seq == serverRecord("referral", cerys).seq);
    }
    SUBCASE("an answer that cannot be read is a round lost: its ops go again and are answered as duplicates") {
        const std::string cerys = refer(b.store, "Cerys");
        const size_t queued = b.store.outboxSize();
        // The page first: not the answer the protocol writes (the page is its last member).
        rewritePushAnswers(b.transport, [](const json& results, const json& pull) {
            return "{\"pull\":" + pull.dump() + ",\"results\":" + results.dump() + "}";
        });
        const auto lost = b.engine.syncOnce();
        CHECK_FALSE(lost.complete);
        CHECK(b.engine.status().failure == client::SyncFailure::Damaged);
        CHECK(b.store.outboxSize() == queued);
        b.transport.alter = nullptr;
        const auto again = b.engine.syncOnce();
        INFO(again.error);
        REQUIRE(again.complete);
        CHECK(again.pushed == queued);
        CHECK(again.duplicates == queued);
        CHECK(b.store.outboxSize() == 0);
        CHECK(b.store.cursor() == maxSeq());
        CHECK(b.store.records("referral").size() == 3);
        CHECK(b.store.record("referral", cerys)->seq == serverRecord("referral", cerys).seq);
    }
}

TEST_CASE("a push whose pull query is wrong is refused whole: nothing is applied") {
    Server server;
    const auto ann = server.addUser("ann", domain::Role::Practitioner, {"PDU-GWENT"});
    Device a(server, "ann", ann);
    refer(a.store, "Alys");
    const auto outbox = a.store.outbox(10);
    REQUIRE(outbox.size() >= 2);
    std::vector<std::string> ops;
    for (const auto& e : outbox) ops.push_back(e.wire);
    auto push = [&](std::map<std::string, std::string> query) {
        server::HttpRequest request;
        request.method = "POST";
        request.path = "/v1/push";
        request.query = std::move(query);
        request.body = sync::pushRequestBody("device-ann", ops);
        request.headers["authorization"] = "Bearer token-ann";
        request.remoteAddress = "127.0.0.1";
        return server.service.handle(request);
    };
    for (const auto& query : std::vector<std::map<std::string, std::string>>{
             {{"pull", "yes"}}, {{"pull", "1"}, {"limit", "0"}}, {{"pull", "1"}, {"cursor", "-1"}},
             {{"pull", "1"}, {"max_bytes", "12"}}, {{"pull", "1"}, {"horizon", "x"}}}) {
        CAPTURE(json(query).dump());
        const auto refused = push(query);
        CHECK(refused.status == 400);
        const json error = json::parse(refused.body);
        CHECK(error["error"] == "bad_request");
        CHECK_FALSE(error["message"].get<std::string>().empty());
    }
    // None of those applied an op: the same ops now are applied, not duplicates; and without
    // `pull` the answer holds results only.
    const auto done = push({});
    REQUIRE(done.status == 200);
    const json body = json::parse(done.status == 200 && done.headers.count("content-encoding")
                                      ? sync::gzipDecompress(done.body, sync::kMaxDecodedBytes)
                                      : done.body);
    CHECK_FALSE(body.contains("pull"));
    REQUIRE(body["results"].size() == outbox.size());
    for (const auto& r : body["results"]) CHECK(r["status"] == "applied");
}

TEST_CASE("a device keeps the queue index of the user signed in on it, made before their records arrive") {
    Server server;
    server.addUser("pat", domain::Role::Practitioner, {"W06000022"}, "pat's password");
    server.addUser("sue", domain::Role::Supervisor, {"W06000022"}, "sue's password");
    for (int i = 0; i < 3; ++i)
        server.save("referral", "r-" + std::to_string(i),
                    json{{"status", "submitted"}, {"owner", "user-pat"}, {"area", "W06000022"}, {"service_id", "svc-1"}});
    test::TempDir dir;
    auto db = schema::openLocal((dir / "shared-laptop.db").string());
    auto kept = [&] {
        std::vector<std::string> names;
        auto q = db.cached("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'queue_by_%' ORDER BY name");
        while (q->step()) names.push_back(q->getText(0));
        q->reset();
        return names;
    };
    CHECK(kept().empty()); // a new device keeps none until someone signs in
    client::LocalStore store(db);
    crypto::Vault vault = store.openVault("pat's passphrase", crypto::KdfCost::Minimum);
    WatchedTransport transport(server.service);
    {
        client::SyncEngine engine(db, transport, Device::options(&vault, 500));
        engine.signIn("pat", "pat's password");
        CHECK(kept() == std::vector<std::string>{"queue_by_owner"});
        CHECK(engine.syncOnce().complete);
        // The pull wrote the records' entries as it went: the practitioner's queue reads them.
        CHECK(db.queryInt64(std::string("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = "
                                        "'referral' AND owner = 'user-pat' AND status = 'submitted' AND ") +
                            schema::kQueueRows)
                  .value_or(-1) == 3);
        CHECK(client::Queues(db).practitioner("user-pat")[1].total == 3);
    }
    // Another user of another role on the same device: the first user's records and index go, the
    // second's index is made, and their pull fills it.
    {
        client::SyncEngine engine(db, transport, Device::options(&vault, 500));
        engine.signIn("sue", "sue's password");
        CHECK(kept() == std::vector<std::string>{"queue_by_area"});
        store.setVault(&vault);
        CHECK(engine.syncOnce().complete);
        CHECK(client::Queues(db).supervisor(*store.principal())[0].total == 3);
        CHECK(kept() == std::vector<std::string>{"queue_by_area"}); // the supervisor's queues need no other
    }
    CHECK(db.integrityCheck() == "ok");
}
