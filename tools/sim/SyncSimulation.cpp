// The deterministic convergence simulation (docs/sync-protocol.md, "Testing the sync").
//
// One process: the real SyncService and SQLite ServerStore (in-memory), and six devices with
// in-memory local databases and the real LocalStore and SyncEngine, talking through a network
// that drops requests, drops responses after the server committed, duplicates, delays and
// reorders, truncates bodies both ways. Devices crash between the server's answer and recording
// it, their clocks are skewed by days, and the server purges tombstones now and then. Seeded
// random ops: creates, text and value edits, status transitions (valid, stale and invalid),
// deletes, scope moves, reassignment, directory edits, suggestions, conflict resolution.
//
// After every run, with the network healed: every op is recorded exactly once (applied,
// conflict or rejected); no outbox holds anything; each device's records equal the server's
// view of that user's scope, field for field and version for version; its directory search
// tables hold exactly the server's services; cursors never moved backwards; integrity_check ok.
//
// SIGNPOST_SIM_SEEDS=N runs N seeds (default 1000; CI runs the default), SIGNPOST_SIM_SEED=S
// replays one. A failure names its seed.

#include "SyncSimulation.hpp"
#include "service/SyncService.hpp"
#include "signpost/client/AuditLog.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/DirectoryCodec.hpp"
#include "signpost/util/Uuid.hpp"

#include <cstdlib>
#include <deque>
#include <map>
#include <set>
#include <sstream>

using nlohmann::json;

namespace signpost::sim {

server::HttpRequest serverRequest(const client::TransportRequest& request, const std::string& remoteAddress) {
    server::HttpRequest in;
    in.method = request.method;
    auto q = request.path.find('?');
    in.path = request.path.substr(0, q);
    if (q != std::string::npos) {
        std::stringstream ss(request.path.substr(q + 1));
        std::string pair;
        while (std::getline(ss, pair, '&')) {
            auto eq = pair.find('=');
            in.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
        }
    }
    in.headers = request.headers;
    in.body = request.body;
    in.remoteAddress = remoteAddress;
    return in;
}

namespace {

struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
    double unit() { return static_cast<double>(next() >> 11) / static_cast<double>(1ull << 53); }
    bool chance(double p) { return unit() < p; }
    template <typename T> const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

struct Faults {
    double dropRequest = 0.04, holdRequest = 0.03, deliverHeld = 0.3, truncateRequest = 0.02;
    double duplicate = 0.05, dropResponse = 0.05, truncateResponse = 0.03, crashAfterAnswer = 0.04;
    double writeDuringPush = 0.08;
};

// A network that loses, delays, repeats and damages messages, deterministically.
class SimNetwork final : public client::HttpTransport {
public:
    SimNetwork(server::SyncService& service, Rng& rng, const Faults& faults) : m_service(service), m_rng(rng), m_faults(faults) {}
    bool faulty = true;

    client::TransportResponse send(const client::TransportRequest& request) override {
        server::HttpRequest in = serverRequest(request, "10.0.0.1");
        if (faulty) {
            if (!m_held.empty() && m_rng.chance(m_faults.deliverHeld)) deliverOneHeld(); // reordering
            double roll = m_rng.unit();
            if (roll < m_faults.dropRequest) throw client::TransportError("timed out (request lost)");
            if (roll < m_faults.dropRequest + m_faults.holdRequest) {
                m_held.push_back(in);
                throw client::TransportError("timed out (request delayed)");
            }
            if (m_rng.chance(m_faults.truncateRequest) && in.body.size() > 1) in.body.resize(in.body.size() / 2);
        }
        server::HttpResponse out = m_service.handle(in);
        if (faulty && m_rng.chance(m_faults.duplicate)) out = m_service.handle(in);
        if (faulty && m_rng.chance(m_faults.dropResponse)) throw client::TransportError("timed out (response lost)");
        client::TransportResponse response{out.status, out.headers, out.body};
        if (faulty && m_rng.chance(m_faults.truncateResponse) && response.body.size() > 1)
            response.body.resize(response.body.size() / 2);
        return response;
    }
    void deliverOneHeld() {
        m_service.handle(m_held.front());
        m_held.pop_front();
    }
    void deliverAllHeld() {
        while (!m_held.empty()) deliverOneHeld();
    }

private:
    server::SyncService& m_service;
    Rng& m_rng;
    const Faults& m_faults;
    std::deque<server::HttpRequest> m_held;
};

// A check that failed: the simulation stops and reports it with the seed.
struct SimFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr const char* kCollections[] = {"organisation", "service", "suggestion", "referral", "conflict",
                                        "appointment", "alert"};

struct CrashAfterAnswer : std::runtime_error {
    CrashAfterAnswer() : std::runtime_error("device crashed before recording the server's answer") {}
};

struct Device {
    std::string name;
    sync::Principal who;
    db::Database db = db::Database::memory();
    std::unique_ptr<SimNetwork> net;
    std::unique_ptr<client::SyncEngine> engine;
    int64_t skewSeconds = 0;
    int64_t lastCursor = 0;
    std::unique_ptr<crypto::Vault> vault; // cheap Argon2id parameters: many devices, many seeds
};

class Simulation {
public:
    Simulation(uint64_t seed, Coverage& coverage) : m_seed(seed), m_rng{seed}, m_coverage(coverage) {
        static int counter = 0;
        m_uri = "file:signpost-sim-" + std::to_string(seed) + "-" + std::to_string(++counter) + "?mode=memory&cache=shared";
        m_keepAlive = std::make_unique<db::Database>(m_uri);
        server::ServiceOptions options;
        options.clock = [this] { return m_serverNow; };
        m_service = std::make_unique<server::SyncService>([uri = m_uri] { return server::openSqliteStore(uri); }, options);
        m_admin = server::openSqliteStore(m_uri);
        setUp();
    }

    void run(int steps) {
        for (int step = 0; step < steps; ++step) {
            m_serverNow += 60 + static_cast<int64_t>(m_rng.below(3600));
            // The provider acts twice as often: there is one of it, and it moves every sent referral.
            size_t pick = m_rng.below(m_devices.size() + 1);
            Device& d = *m_devices[std::min(pick, m_devices.size() - 1)];
            double roll = m_rng.unit();
            if (roll < 0.62) {
                act(d);
                // A write nudges the device's sync loop, as in the client; often it gets through.
                if (m_rng.chance(0.6)) syncOnce(d, true);
            } else if (roll < 0.99) {
                syncOnce(d, true);
            } else {
                purge();
            }
        }
        quiesce();
        verify();
    }

private:
    // ------------------------------------------------------------------------------ set-up
    void addUser(const std::string& name, domain::Role role, std::vector<std::string> areas, std::string org = {}) {
        server::User u;
        u.id = uuid::fromName("sim:" + name);
        u.username = name;
        u.role = role;
        u.areas = areas;
        u.organisation = org;
        u.passwordHash = "not-used-in-the-simulation";
        u.createdAt = "2026-01-01T00:00:00Z";
        auto owned = std::make_unique<Device>();
        Device& d = *owned;
        d.name = name;
        d.who = sync::Principal{u.id, role, areas, org};
        const std::string token = "token-" + name;
        const std::string device = uuid::fromName("sim-device:" + name + std::to_string(m_seed));
        m_admin->begin();
        m_admin->saveUser(u);
        m_admin->saveToken({server::tokenHash(token), u.id, device, INT64_MAX / 2, false});
        m_admin->commit();
        db::migrate(d.db, schema::localMigrations());
        client::LocalStore local(d.db);
        d.vault = std::make_unique<crypto::Vault>(local.openVault("passphrase-" + name, crypto::KdfCost::Minimum));
        local.setState("device_id", device);
        local.setState("token", token);
        local.setPrincipal(d.who, name);
        // Clocks skewed by days either way: nothing may depend on them.
        d.skewSeconds = (static_cast<int64_t>(m_rng.below(11)) - 5) * 86400;
        d.net = std::make_unique<SimNetwork>(*m_service, m_rng, m_faults);
        m_devices.push_back(std::move(owned));
        restart(d);
        m_users[name] = u.id;
    }

    void restart(Device& d) {
        client::EngineOptions options;
        options.pushBatch = 1 + m_rng.below(6); // small batches: more interleavings
        options.pullLimit = 1 + m_rng.below(8);
        options.clock = [this, skew = d.skewSeconds] { return static_cast<std::time_t>(m_serverNow + skew); };
        options.vault = d.vault.get();
        d.engine = std::make_unique<client::SyncEngine>(d.db, *d.net, options);
        d.engine->afterPushAnswered = [this, &d] {
            if (d.net->faulty && m_rng.chance(m_faults.crashAfterAnswer)) throw CrashAfterAnswer();
            // The person keeps working while the sync runs: a write lands between the server's
            // answer and the device recording it (the round's next batch carries it).
            if (d.net->faulty && m_rng.chance(m_faults.writeDuringPush)) {
                m_coverage.add("writes during a push", 1);
                try {
                    act(d);
                } catch (const SimFailure& f) {
                    m_hookFailure = f.what(); // the engine would take it for a failed round
                }
            }
        };
    }

    void setUp() {
        // The directory every device syncs: three organisations, six services.
        m_admin->begin();
        int64_t seq = 0;
        for (int o = 0; o < 3; ++o) {
            server::StoredRecord r;
            r.record.collection = "organisation";
            r.record.id = "org-" + std::to_string(o);
            r.record.fields = {{"name", "Org " + std::to_string(o)}, {"isa_status", "in_force"}};
            // Org 1 (the provider device's) may receive some personal fields; the others none.
            if (o == 1) r.record.fields["isa_fields"] = {"given_name", "family_name", "crn", "risk_summary"};
            r.record.seq = seq = m_admin->nextSeq();
            for (auto it = r.record.fields.begin(); it != r.record.fields.end(); ++it) r.record.versions[it.key()] = seq;
            m_admin->saveRecord(r);
        }
        for (int s = 0; s < 6; ++s) {
            domain::Service svc;
            svc.id = "svc-" + std::to_string(s);
            svc.organisationId = "org-" + std::to_string(s % 3);
            svc.name = "Service " + std::to_string(s);
            svc.description = "Help with things";
            svc.areas = {s % 2 ? "PDU-GWENT" : "PDU-CARDIFFVALE"};
            svc.needs = {"wellbeing"};
            server::StoredRecord r;
            r.record.collection = "service";
            r.record.id = svc.id;
            r.record.fields = sync::serviceFields(svc);
            r.record.seq = seq = m_admin->nextSeq();
            for (auto it = r.record.fields.begin(); it != r.record.fields.end(); ++it) r.record.versions[it.key()] = seq;
            m_admin->saveRecord(r);
        }
        m_admin->commit();
        using domain::Role;
        addUser("admin", Role::Admin, {});
        addUser("sup-gwent", Role::Supervisor, {"PDU-GWENT"});
        addUser("sup-cardiff", Role::Supervisor, {"PDU-CARDIFFVALE"});
        addUser("prac-gwent", Role::Practitioner, {"PDU-GWENT"});
        addUser("prac-newport", Role::Practitioner, {"W06000022"});
        addUser("prac-cardiff", Role::Practitioner, {"PDU-CARDIFFVALE"});
        addUser("provider", Role::Provider, {}, "org-1");
    }

    // -------------------------------------------------------------------------------- acts
    std::string text() {
        static const std::vector<std::string> words{"housing", "debt", "mentor", "recovery", "licence", "family",
                                                    "Tŷ", "Môn", "support", "appointment", "needs", "risk"};
        std::string out;
        for (size_t i = 0, n = 2 + m_rng.below(4); i < n; ++i) out += (i ? " " : "") + m_rng.pick(words);
        return out;
    }

    void act(Device& d) {
        client::LocalStore local(
            d.db, [this, &d] { return static_cast<std::time_t>(m_serverNow + d.skewSeconds); },
            [this] { return uuid::fromName("sim:" + std::to_string(m_seed) + ":" + std::to_string(++m_ids)); });
        local.setVault(d.vault.get());
        const auto before = outboxIds(d);
        try {
            actAs(d, local);
        } catch (const Error&) {
            // Refused offline (invalid transition, no access, incomplete …): nothing may be queued.
            if (outboxIds(d) != before) fail("an op was queued by a write that was refused offline");
            return;
        }
        const auto after = outboxIds(d);
        for (const auto& id : after)
            if (!before.count(id)) m_generated.insert(id);
        // A draft discarded before it ever left the device takes its ops with it.
        for (const auto& id : before)
            if (!after.count(id)) m_generated.erase(id);
    }

    static std::set<std::string> outboxIds(Device& d) {
        std::set<std::string> ids;
        auto q = d.db.prepare("SELECT op_id FROM outbox");
        while (q.step()) ids.insert(q.getText(0));
        return ids;
    }

    void actAs(Device& d, client::LocalStore& local) {
        auto referrals = local.records("referral");
        const auto role = d.who.role;
        double roll = m_rng.unit();
        auto services = local.records("service");
        if (role == domain::Role::Admin || (role == domain::Role::Supervisor && roll < 0.25)) {
            if (!services.empty() && m_rng.chance(0.6)) {
                const auto& s = m_rng.pick(services);
                json change;
                switch (m_rng.below(3)) {
                case 0: change["description"] = text(); break;
                case 1: change["keywords"] = text(); break;
                default: change["women_only"] = m_rng.chance(0.5); break;
                }
                local.update("service", s.id, change);
                return;
            }
            if (role == domain::Role::Admin && m_rng.chance(0.15)) {
                // Admins can remove anything: tombstones for referrals and services.
                auto referralsAll = local.records("referral");
                if (!referralsAll.empty() && m_rng.chance(0.6)) local.remove("referral", m_rng.pick(referralsAll).id);
                else if (!services.empty()) local.remove("service", m_rng.pick(services).id);
                return;
            }
            if (role == domain::Role::Admin) {
                auto suggestions = local.records("suggestion");
                for (const auto& sg : suggestions)
                    if (sg.status == "open") {
                        local.transition("suggestion", sg.id, m_rng.chance(0.5) ? "accepted" : "rejected", "checked");
                        return;
                    }
            }
        }
        // Resolve a conflict now and then.
        for (const auto& c : local.records("conflict")) {
            if (c.status == "open" && m_rng.chance(0.5)) {
                local.resolveConflict(c.id, "merged: " + text());
                return;
            }
        }
        if (role == domain::Role::Provider) {
            if (referrals.empty()) return;
            const auto& r = m_rng.pick(referrals);
            auto appointments = local.records("appointment");
            if (!appointments.empty() && m_rng.chance(0.35)) {
                const auto& a = m_rng.pick(appointments);
                static const std::vector<std::string> attendance{"attended", "late", "absent_acceptable",
                                                                 "absent_unacceptable", "did_not_happen"};
                if (m_rng.chance(0.2)) local.update("appointment", a.id, json{{"starts_at", "2027-02-0" + std::to_string(1 + m_rng.below(9)) + "T10:00:00Z"}},
                                                    "the person asked to move it");
                else local.transition("appointment", a.id, m_rng.pick(attendance), "the venue was closed");
                return;
            }
            if ((r.status == "accepted" || r.status == "in_progress") && m_rng.chance(0.4)) {
                local.create("appointment", json{{"referral_id", r.id}, {"starts_at", "2027-01-15T10:00:00Z"},
                                                 {"location", "hub"}, {"session_notes", text()}});
                return;
            }
            static const std::map<std::string, std::vector<std::string>> next{
                {"sent", {"accepted", "declined"}}, {"accepted", {"in_progress"}}, {"in_progress", {"completed"}}};
            auto it = next.find(r.status);
            if (it == next.end()) return;
            local.transition("referral", r.id, m_rng.pick(it->second), "provider decision");
            return;
        }
        if (role == domain::Role::Admin) return;
        // Practitioners and supervisors: referrals.
        for (const auto& alert : local.records("alert")) {
            if (alert.status == "open" && m_rng.chance(0.5)) {
                static const std::vector<std::string> decisions{"no_action", "warning", "breach", "recall_consideration"};
                local.update("alert", alert.id, json{{"decision", m_rng.pick(decisions)}, {"decision_note", text()}});
                if (m_rng.chance(0.7)) local.transition("alert", alert.id, "decided");
                return;
            }
        }
        if (referrals.empty() || roll < 0.12) {
            json fields{{"given_name", text()}, {"family_name", "Jones"},
                        {"crn", "X" + std::to_string(100000 + m_rng.below(900000))},
                        {"date_of_birth", "1990-04-0" + std::to_string(1 + m_rng.below(9))},
                        {"supervision_type", "licence"}, {"area", m_rng.pick(d.who.areas)}, {"notes", text()},
                        {"reason", text()}, {"needs", json::array({json{{"need", "wellbeing"}, {"complexity", "medium"}}})},
                        {"service_id", "svc-" + std::to_string(m_rng.below(6))},
                        {"organisation_id", m_rng.chance(0.6) ? std::string("org-1") : "org-" + std::to_string(m_rng.below(3))}};
            // Most are complete; some lack the risk summary, and cannot be submitted until it is written.
            if (m_rng.chance(0.85)) fields["risk_summary"] = text();
            local.create("referral", fields);
            return;
        }
        // Prefer a referral this role can move on: the lifecycle should get somewhere in a run.
        const sync::Record* movable = nullptr;
        for (const auto& candidate : referrals)
            for (const auto& t : domain::referralLifecycle().transitions())
                if (t.from == candidate.status && (t.roles & domain::bit(role)) && t.to != "withdrawn" && t.to != "cancelled")
                    movable = &candidate;
        const auto& r = movable && m_rng.chance(0.6) ? *movable : m_rng.pick(referrals);
        double choice = m_rng.unit();
        if (movable && &r == movable) choice = 0.36 + m_rng.unit() * 0.38; // a transition
        if (choice < 0.35) {
            json change;
            switch (m_rng.below(4)) {
            case 0: change["notes"] = text(); break;
            case 1: change["reason"] = text(); break;
            case 2: change["completion_deadline"] = "2027-0" + std::to_string(1 + m_rng.below(9)) + "-01"; break;
            default:
                if (m_rng.chance(0.5)) change["risk_summary"] = text();
                else change["organisation_id"] = "org-" + std::to_string(m_rng.below(3));
                break;
            }
            // After it has gone to a provider, a change needs a reason (mostly given).
            local.update("referral", r.id, change, m_rng.chance(0.85) ? "new information from the person" : "");
        } else if (choice < 0.75) {
            // Mostly a move the lifecycle allows this role from where the referral is; sometimes one
            // it does not (refused offline, or by the server if the status moved meanwhile).
            std::vector<std::string> next;
            for (const auto& t : domain::referralLifecycle().transitions())
                if (t.from == r.status && (t.roles & domain::bit(role))) next.emplace_back(t.to);
            static const std::vector<std::string> any{"submitted", "approved", "returned", "sent", "withdrawn",
                                                      "cancelled", "accepted"};
            const std::string to = !next.empty() && m_rng.chance(0.8) ? m_rng.pick(next) : m_rng.pick(any);
            local.transition("referral", r.id, to, m_rng.chance(0.85) ? "because" : "");
        } else if (choice < 0.83) {
            local.remove("referral", r.id);
        } else if (choice < 0.92 && role == domain::Role::Supervisor) {
            // A scope move: the referral goes to another PDU (and out of some devices' sight).
            local.update("referral", r.id, json{{"area", m_rng.chance(0.5) ? "PDU-GWENT" : "PDU-CARDIFFVALE"}});
        } else if (role == domain::Role::Supervisor) {
            // Reassignment to another practitioner.
            static const std::vector<std::string> practitioners{"prac-gwent", "prac-newport", "prac-cardiff"};
            local.update("referral", r.id, json{{"owner", m_users.at(m_rng.pick(practitioners))}});
        } else {
            json fields{{"service_id", "svc-" + std::to_string(m_rng.below(6))}, {"field", "description"},
                        {"proposed", text()}, {"note", text()}};
            local.create("suggestion", fields);
        }
    }

    void syncOnce(Device& d, bool faulty) {
        d.net->faulty = faulty;
        client::SyncReport report;
        report = d.engine->syncOnce();
        if (!m_hookFailure.empty()) fail(m_hookFailure);
        if (!report.complete && report.error.find("crashed") != std::string::npos) {
            m_coverage.add("crashes after answer", 1);
            restart(d);
        }
        if (report.resynced) m_coverage.add("resyncs", 1);
        m_coverage.add("removals pulled", static_cast<int64_t>(report.removed));
        m_coverage.add("duplicates answered", static_cast<int64_t>(report.duplicates));
        if (!report.complete) m_coverage.add("failed rounds", 1);
        client::LocalStore local(d.db);
        const int64_t cursor = local.cursor();
        if (!report.resynced && cursor < d.lastCursor) fail(d.name + "'s cursor moved backwards");
        d.lastCursor = cursor;
    }

    void purge() {
        // The tombstone horizon passes: devices older than it must resync.
        m_admin->begin();
        int64_t max = m_admin->maxSeq();
        m_admin->commit();
        if (max > 10) m_service->purgeTombstonesBefore(max - 5);
    }

    void quiesce() {
        for (auto& d : m_devices) d->net->deliverAllHeld();
        // Heal the network and sync until a full pass changes nothing anywhere.
        for (int pass = 0; pass < 12; ++pass) {
            bool quiet = true;
            for (auto& device : m_devices) {
                Device& d = *device;
                client::LocalStore local(d.db);
                const int64_t before = local.cursor();
                const size_t pending = local.outboxSize();
                syncOnce(d, false);
                if (pending || local.cursor() != before) quiet = false;
            }
            if (quiet) return;
        }
    }

    // ------------------------------------------------------------------------- invariants
    static std::map<std::string, json> view(const std::vector<sync::Record>& records) {
        std::map<std::string, json> out;
        for (const auto& r : records) {
            if (r.deleted) continue;
            json versions = json::object();
            for (const auto& [k, v] : r.versions) versions[k] = v;
            out[r.collection + "/" + r.id] = json{{"fields", r.fields}, {"versions", versions}, {"status", r.status}};
        }
        return out;
    }

    void verify() {
        // Drafts that never left their device keep their ops there, by design.
        for (auto& device : m_devices) {
            auto q = device->db.prepare("SELECT op_id FROM outbox");
            while (q.step()) m_generated.erase(q.getText(0));
        }
        // Every op recorded exactly once, and nothing recorded that no device generated.
        for (const auto& opId : m_generated) {
            auto result = m_admin->opResult(opId);
            if (!result) fail("op " + opId + " never reached the server");
            if (result->status == sync::OpStatus::Duplicate) fail("op " + opId + " is stored as a duplicate");
        }
        if (m_admin->opCount() != static_cast<int64_t>(m_generated.size()))
            fail("the server recorded " + std::to_string(m_admin->opCount()) + " ops; the devices generated " +
                 std::to_string(m_generated.size()));
        std::vector<sync::Record> serverRecords;
        for (const auto* c : kCollections)
            for (auto& r : m_admin->allRecords(c)) serverRecords.push_back(std::move(r));
        for (auto& device : m_devices) {
            Device& d = *device;
            const std::string who = "device " + d.name + ": ";
            client::LocalStore local(d.db);
            local.setVault(d.vault.get());
            if (local.outboxSize() != 0) fail(who + std::to_string(local.outboxSize()) + " op(s) never left the outbox");
            if (auto audit = client::AuditLog(d.db).verify(); !audit.ok) fail(who + "audit log: " + audit.problem);
            std::vector<sync::Record> visible;
            for (const auto& r : serverRecords) {
                if (!sync::canRead(d.who, r)) continue;
                std::set<std::string> granted;
                if (auto org = m_admin->record("organisation", r.organisation))
                    granted = sync::isaGrantedFields(org->record.fields, "2099-01-01");
                visible.push_back(sync::projectFor(d.who, r, granted));
            }
            std::vector<sync::Record> mine;
            std::set<std::string> held;
            {
                auto q = d.db.prepare("SELECT id FROM record WHERE collection = 'referral' AND status = 'draft' AND base = 'null'");
                while (q.step()) held.insert(q.getText(0));
            }
            for (const auto* c : kCollections)
                for (auto& r : local.records(c, true))
                    if (!(r.collection == "referral" && held.count(r.id))) mine.push_back(std::move(r));
            auto expected = view(visible), actual = view(mine);
            for (const auto& [key, value] : expected) {
                auto it = actual.find(key);
                if (it == actual.end()) fail(who + key + " is missing");
                if (it->second != value)
                    fail(who + key + " differs:\n  device " + it->second.dump() + "\n  server " + value.dump());
            }
            for (const auto& [key, value] : actual) {
                if (expected.count(key)) continue;
                std::string onServer = "absent", row;
                for (const auto& r : serverRecords)
                    if (r.collection + "/" + r.id == key) onServer = sync::toJson(r).dump();
                auto q = d.db.prepare("SELECT local, revert, seq, base FROM record WHERE collection || '/' || id = ?1");
                q.bind(1, key);
                if (q.step())
                    row = "local=" + q.getText(0) + " revert=" + q.getText(1) + " seq=" + q.getText(2) + " base=" + q.getText(3);
                fail(who + key + " is on the device but not in its scope on the server\n  device " + value.dump() +
                     "\n  row " + row + "\n  server " + onServer);
            }
            // The directory search tables hold exactly the server's services.
            std::set<std::string> services;
            for (const auto& r : visible)
                if (r.collection == "service" && !r.deleted) services.insert(r.id);
            auto ids = directory::DirectoryStore(d.db).serviceIds();
            if (std::set<std::string>(ids.begin(), ids.end()) != services) {
                std::string diff;
                for (const auto& id : ids)
                    if (!services.count(id)) diff += " extra:" + id;
                for (const auto& id : services)
                    if (std::find(ids.begin(), ids.end(), id) == ids.end()) diff += " missing:" + id;
                fail(who + "the directory search tables do not hold the server's services:" + diff);
            }
            if (d.db.integrityCheck() != "ok") fail(who + "integrity check: " + d.db.integrityCheck());
        }
        if (m_keepAlive->integrityCheck() != "ok") fail("server integrity check: " + m_keepAlive->integrityCheck());
        auto q = m_keepAlive->prepare("SELECT status, count(*) FROM applied_op GROUP BY status");
        while (q.step()) m_coverage.add("ops " + q.getText(0), q.getInt64(1));
        m_coverage.add("conflict records", m_keepAlive->queryInt64("SELECT count(*) FROM record WHERE collection = 'conflict'").value_or(0));
        m_coverage.add("scope exits", m_keepAlive->queryInt64("SELECT count(*) FROM scope_exit").value_or(0));
        m_coverage.add("tombstones", m_keepAlive->queryInt64("SELECT count(*) FROM record WHERE deleted = 1").value_or(0));
        m_coverage.add("alerts raised", m_keepAlive->queryInt64("SELECT count(*) FROM record WHERE collection = 'alert'").value_or(0));
        m_coverage.add("appointments", m_keepAlive->queryInt64("SELECT count(*) FROM record WHERE collection = 'appointment'").value_or(0));
        m_coverage.add("referrals sent", m_keepAlive->queryInt64("SELECT count(*) FROM record WHERE collection = 'referral' AND fields LIKE '%sent_at%'").value_or(0));
    }

    [[noreturn]] void fail(const std::string& what) { throw SimFailure(what); }
    std::string m_hookFailure; // a check that failed inside the engine's hook, raised after the round

    uint64_t m_seed;
    Rng m_rng;
    Coverage& m_coverage;
    Faults m_faults;
    std::string m_uri;
    std::unique_ptr<db::Database> m_keepAlive;
    std::unique_ptr<server::SyncService> m_service;
    std::unique_ptr<server::ServerStore> m_admin;
    std::vector<std::unique_ptr<Device>> m_devices;
    std::map<std::string, std::string> m_users;
    std::set<std::string> m_generated;
    int64_t m_serverNow = 1795000000;
    uint64_t m_ids = 0;
};

} // namespace

void Coverage::add(const std::string& key, int64_t n) { counts[key] += n; }

SimResult runSimulation(uint64_t seed, int steps, Coverage& coverage) {
    SimResult result;
    result.seed = seed;
    try {
        Simulation(seed, coverage).run(steps);
    } catch (const std::exception& e) {
        result.ok = false;
        result.failure = e.what();
    }
    return result;
}

const std::vector<std::string>& pathsToExercise() {
    static const std::vector<std::string> paths{"ops applied", "ops conflict", "ops rejected", "crashes after answer",
                                                "resyncs", "removals pulled", "duplicates answered", "failed rounds",
                                                "tombstones", "referrals sent", "appointments", "alerts raised",
                                                "writes during a push"};
    return paths;
}

} // namespace signpost::sim
