// Referrals (issue 4) on a device: the record's validation, the lifecycle, drafts held on the
// device, information sharing, queues, reports, the audit chain, and personal data sealed at rest.
// Real SQLite files throughout; the server's side runs in tests/sync/test_referral_flow.py.
#include "TestSupport.hpp"
#include "signpost/client/AuditLog.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/client/Report.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/domain/Referral.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/Access.hpp"
#include "signpost/util/Time.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <set>

using namespace signpost;
using nlohmann::json;

namespace {

// 2026-11-22 12:00 UTC (GMT) and 2026-07-01 12:00 UTC (BST).
constexpr std::time_t kNovember = 1795348800;
constexpr std::time_t kJuly = 1782907200;

json completeReferral() {
    return {{"crn", "X123456"},
            {"given_name", "Zebedee"},
            {"family_name", "Quartermaine"},
            {"date_of_birth", "1990-05-01"},
            {"supervision_type", "licence"},
            {"needs", {{{"need", "finance"}, {"complexity", "medium"}}}},
            {"reason", "debts are mounting"},
            {"risk_summary", "no concerns for a group setting"},
            {"notes", "met at the hub"},
            {"area", "PDU-GWENT"},
            {"service_id", "svc-1"}};
}

// A complete referral owned by `owner`, at `status`.
json referralAt(const std::string& owner, const std::string& status) {
    json fields = completeReferral();
    fields["owner"] = owner;
    fields["status"] = status;
    return fields;
}

bool hasField(const std::vector<domain::FieldError>& errors, const std::string& field) {
    for (const auto& e : errors)
        if (e.field == field) return !e.message.empty();
    return false;
}

// A device: a real database file, its store, an unlocked vault and a signed-in user.
struct Device {
    test::TempDir dir;
    std::time_t now = kNovember;
    std::unique_ptr<db::Database> db;
    std::unique_ptr<client::LocalStore> store;
    std::unique_ptr<crypto::Vault> vault;
    int64_t cursor = 0;

    explicit Device(sync::Principal who, const std::string& passphrase = "a long passphrase") {
        db = std::make_unique<db::Database>(schema::openLocal((dir / "device.db").string()));
        store = std::make_unique<client::LocalStore>(*db, [this] { return now; });
        vault = std::make_unique<crypto::Vault>(store->openVault(passphrase, crypto::KdfCost::Minimum));
        store->setVault(vault.get());
        store->setPrincipal(who, who.userId);
    }

    // Records arriving from the server, as a pull page.
    sync::PullResponse page(std::vector<sync::Record> records) {
        sync::PullResponse page;
        for (auto& r : records) {
            r.seq = ++cursor;
            sync::deriveScope(r);
            for (auto it = r.fields.begin(); it != r.fields.end(); ++it) r.versions[it.key()] = r.seq;
            page.records.push_back(r);
        }
        page.nextCursor = cursor;
        return page;
    }
    void pull(std::vector<sync::Record> records) { store->applyPull(page(std::move(records))); }
    // The same, arriving as a page's text read the way the sync engine reads it.
    void pullText(std::vector<sync::Record> records) {
        const std::string body = sync::toJson(page(std::move(records))).dump();
        store->applyPull(sync::pullResponseFromText(body, &client::LocalStore::storesFieldsAsText));
    }
    // A referral in Gwent owned by prac-1 arriving with its fields as `fieldsText`, written as
    // another server could have written them (the engine's reader would have accepted it).
    void pullReferralText(const std::string& id, const std::string& status, std::string fieldsText,
                          const std::string& changed) {
        sync::PullResponse page;
        sync::Record r;
        r.collection = "referral";
        r.id = id;
        r.area = "PDU-GWENT";
        r.owner = "prac-1";
        r.status = status;
        r.seq = ++cursor;
        page.text = std::make_shared<const std::string>(std::move(fieldsText));
        r.fieldsText = *page.text;
        r.versions = {{changed, r.seq}};
        page.records.push_back(std::move(r));
        page.nextCursor = cursor;
        store->applyPull(page);
    }
};

sync::Record record(const std::string& collection, const std::string& id, json fields) {
    sync::Record r;
    r.collection = collection;
    r.id = id;
    r.status = fields.value("status", "");
    r.fields = std::move(fields);
    return r;
}

json history(std::initializer_list<std::pair<const char*, const char*>> steps) {
    json h = json::array();
    std::string from = "draft";
    for (const auto& [to, at] : steps) {
        h.push_back({{"from", from}, {"to", to}, {"by", "someone"}, {"at", at}});
        from = to;
    }
    return h;
}

sync::Principal practitioner(const std::string& id = "prac-1") {
    return {id, domain::Role::Practitioner, {"PDU-GWENT"}, ""};
}
sync::Principal supervisor() { return {"sup-1", domain::Role::Supervisor, {"PDU-GWENT"}, ""}; }
sync::Principal provider(const std::string& org = "org-1") { return {"prov-1", domain::Role::Provider, {}, org}; }

} // namespace

// ------------------------------------------------------------------------------- the record

TEST_CASE("a referral is validated field by field; a draft may be incomplete") {
    domain::Referral r = domain::referralFromFields("r-1", completeReferral());
    CHECK(domain::validateReferral(r, domain::ValidationStage::Submit).empty());

    r.crn = "123";
    r.inCustody = true;
    r.needs.clear();
    auto errors = domain::validateReferral(r, domain::ValidationStage::Submit);
    CHECK(hasField(errors, "crn"));
    CHECK(hasField(errors, "expected_release_date"));
    CHECK(hasField(errors, "needs"));

    r.expectedReleaseDate = "2027-02-30"; // not a date
    CHECK(hasField(domain::validateReferral(r, domain::ValidationStage::Submit), "expected_release_date"));
    r.expectedReleaseDate = "2027-02-28";
    CHECK_FALSE(hasField(domain::validateReferral(r, domain::ValidationStage::Submit), "expected_release_date"));

    domain::Referral empty;
    CHECK_FALSE(hasField(domain::validateReferral(empty, domain::ValidationStage::Draft), "needs"));
    CHECK(hasField(domain::validateReferral(empty, domain::ValidationStage::Submit), "needs"));
    CHECK(domain::validCrn("X123456"));
    CHECK_FALSE(domain::validCrn("X12345"));
    CHECK_FALSE(domain::validCrn("x123456; DROP TABLE"));
}

TEST_CASE("the lifecycle allows exactly its transitions, by role, with reasons where required") {
    const auto& m = domain::referralLifecycle();
    using domain::Role;
    // The documented path.
    CHECK_FALSE(m.check("draft", "submitted", Role::Practitioner, ""));
    CHECK_FALSE(m.check("submitted", "approved", Role::Supervisor, ""));
    CHECK_FALSE(m.check("approved", "sent", Role::Practitioner, ""));
    CHECK_FALSE(m.check("sent", "accepted", Role::Provider, ""));
    CHECK_FALSE(m.check("accepted", "in_progress", Role::Provider, ""));
    CHECK_FALSE(m.check("in_progress", "completed", Role::Provider, ""));
    // Reasons.
    CHECK(m.check("submitted", "returned", Role::Supervisor, ""));
    CHECK_FALSE(m.check("submitted", "returned", Role::Supervisor, "the risk summary is missing detail"));
    CHECK(m.check("sent", "declined", Role::Provider, "  "));
    CHECK(m.check("in_progress", "withdrawn", Role::Practitioner, ""));
    // Roles.
    CHECK(m.check("submitted", "approved", Role::Practitioner, "")); // no self-approval
    CHECK(m.check("sent", "accepted", Role::Supervisor, ""));       // only the provider accepts
    CHECK(m.check("draft", "submitted", Role::Provider, ""));
    // Not a transition at all.
    auto why = m.check("draft", "completed", Role::Supervisor, "");
    REQUIRE(why);
    CHECK(why->find("draft") != std::string::npos);
    CHECK(m.check("completed", "draft", Role::Admin, ""));
    // Every transition's role mask is honoured exactly.
    for (const auto& t : m.transitions())
        for (Role role : {Role::Practitioner, Role::Supervisor, Role::Provider, Role::Admin}) {
            const bool allowed = (t.roles & domain::bit(role)) != 0;
            CAPTURE(t.from);
            CAPTURE(t.to);
            CHECK(allowed == !m.check(t.from, t.to, role, "a reason").has_value());
        }

    const auto& appointment = domain::appointmentLifecycle();
    CHECK_FALSE(appointment.check("scheduled", "absent_unacceptable", Role::Provider, ""));
    CHECK(appointment.check("scheduled", "did_not_happen", Role::Provider, ""));
    CHECK(appointment.check("attended", "scheduled", Role::Provider, "x"));
    CHECK_FALSE(domain::alertLifecycle().check("open", "decided", Role::Practitioner, ""));
    CHECK(domain::alertLifecycle().check("open", "decided", Role::Provider, "")); // the toolkit never lets a provider decide
}

// ------------------------------------------------------------------------ on the device

TEST_CASE("drafts stay on the device until submitted, which checks completeness offline") {
    Device d(practitioner());
    json fields = completeReferral();
    fields.erase("needs");
    const std::string id = d.store->create("referral", fields);
    d.store->update("referral", id, {{"reason", "debts and rent arrears"}});
    CHECK(d.store->outbox(100).empty() == false); // audit entries go, the draft does not
    for (const auto& e : d.store->outbox(100)) CHECK(e.collection != "referral");
    CHECK(d.store->heldDrafts() == 1);

    try {
        d.store->transition("referral", id, "submitted");
        FAIL("an incomplete referral was submitted");
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Validation);
        CHECK(std::string(e.what()).find("need") != std::string::npos);
    }
    CHECK(d.store->record("referral", id)->status == "draft");

    d.store->update("referral", id, {{"needs", {{{"need", "finance"}, {"complexity", "high"}}}}});
    d.store->transition("referral", id, "submitted");
    size_t referralOps = 0;
    for (const auto& e : d.store->outbox(100)) referralOps += e.collection == "referral";
    CHECK(referralOps == 4); // create, two updates, the submission: released together
    CHECK(d.store->heldDrafts() == 0);

    // A practitioner cannot approve their own referral, even offline.
    CHECK_THROWS_AS(d.store->transition("referral", id, "approved"), Error);
}

TEST_CASE("an abandoned draft is flagged in the queue and never deleted") {
    Device d(practitioner());
    const std::string old = d.store->create("referral", {{"area", "PDU-GWENT"}});
    d.now += 20 * 86400;
    const std::string fresh = d.store->create("referral", {{"area", "PDU-GWENT"}});
    client::Queues queues(*d.db, [&] { return d.now; }, {200, 14});
    auto all = queues.practitioner("prac-1");
    REQUIRE(all[0].name == "drafts");
    REQUIRE(all[0].total == 2);
    CHECK(all[0].items[0].id == fresh); // newest change first
    CHECK_FALSE(all[0].items[0].abandoned);
    CHECK(all[0].items[1].id == old);
    CHECK(all[0].items[1].abandoned);
    CHECK(all[0].items[1].daysWaiting == 20);
    // Touching it un-flags it.
    d.store->update("referral", old, {{"reason", "still working on it"}});
    const auto touched = queues.practitioner("prac-1");
    for (const auto& item : touched[0].items) CHECK_FALSE(item.abandoned);
    CHECK(d.store->record("referral", old).has_value());
}

TEST_CASE("sending needs an Information Sharing Agreement in force, checked offline") {
    Device d(supervisor());
    json referral = completeReferral();
    referral["status"] = "approved";
    referral["owner"] = "prac-1";
    referral["history"] = history({{"submitted", "2026-11-01T09:00:00Z"}, {"approved", "2026-11-02T09:00:00Z"}});
    d.pull({record("organisation", "org-none", {{"name", "No ISA Ltd"}, {"isa_status", "none"}}),
            record("organisation", "org-expired",
                   {{"name", "Lapsed CIC"}, {"isa_status", "in_force"}, {"isa_to", "2026-10-31"}}),
            record("organisation", "org-ok",
                   {{"name", "Good Trust"}, {"isa_status", "in_force"}, {"isa_to", "2027-10-31"},
                    {"isa_fields", {"given_name", "needs"}}}),
            record("referral", "r-1", referral)});

    CHECK_THROWS_WITH_AS(d.store->transition("referral", "r-1", "sent"), doctest::Contains("choose the provider"), Error);
    d.store->update("referral", "r-1", {{"organisation_id", "org-none"}});
    CHECK_THROWS_WITH_AS(d.store->transition("referral", "r-1", "sent"),
                         doctest::Contains("No ISA Ltd has no Information Sharing Agreement in force"), Error);
    d.store->update("referral", "r-1", {{"organisation_id", "org-expired"}});
    CHECK_THROWS_WITH_AS(d.store->transition("referral", "r-1", "sent"), doctest::Contains("expired on 2026-10-31"), Error);
    d.store->update("referral", "r-1", {{"organisation_id", "org-gone"}});
    CHECK_THROWS_WITH_AS(d.store->transition("referral", "r-1", "sent"), doctest::Contains("not in the directory"), Error);
    CHECK(d.store->record("referral", "r-1")->status == "approved");

    d.store->update("referral", "r-1", {{"organisation_id", "org-ok"}});
    d.store->transition("referral", "r-1", "sent");
    CHECK(d.store->record("referral", "r-1")->status == "sent");

    // After sending, changes need a reason (the server keeps old and new values).
    CHECK_THROWS_WITH_AS(d.store->update("referral", "r-1", {{"reason", "changed"}}),
                         doctest::Contains("needs a reason"), Error);
    d.store->update("referral", "r-1", {{"reason", "changed"}}, "the person asked for an evening slot");
}

TEST_CASE("a provider receives operational fields and only the personal ones its ISA grants") {
    json org{{"name", "Good Trust"}, {"isa_status", "in_force"}, {"isa_from", "2026-01-01"}, {"isa_to", "2027-01-01"},
             {"isa_fields", {"given_name", "family_name", "risk_summary", "status"}}};
    auto granted = sync::isaGrantedFields(org, "2026-11-22T10:00:00Z");
    CHECK(granted.count("given_name"));
    CHECK(sync::isaGrantedFields(org, "2027-01-02T00:00:00Z").empty()); // expired
    CHECK(sync::isaGrantedFields(org, "2025-12-31T23:00:00Z").empty()); // not started yet
    json none = org;
    none["isa_status"] = "none";
    CHECK(sync::isaGrantedFields(none, "2026-11-22").empty());
    CHECK_FALSE(sync::sendBlockedReason(&org, "2026-11-22"));
    CHECK(sync::sendBlockedReason(&org, "2025-12-31")->find("starts on 2026-01-01") != std::string::npos);
    CHECK(sync::sendBlockedReason(nullptr, "2026-11-22"));

    sync::Record r = record("referral", "r-1", completeReferral());
    r.fields["status"] = "sent";
    r.fields["sent_at"] = "2026-11-20T10:00:00Z";
    r.fields["amendments"] = json::array({{{"field", "crn"}, {"old", "X000000"}, {"new", "X123456"}}});
    r.organisation = "org-1";
    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) r.versions[it.key()] = 7;
    auto shown = sync::projectFor(provider(), r, granted);
    CHECK(shown.fields.contains("given_name"));
    CHECK(shown.fields.contains("risk_summary"));
    CHECK(shown.fields.contains("needs"));      // operational
    CHECK(shown.fields.contains("service_id")); // operational
    for (const char* hidden : {"crn", "date_of_birth", "notes", "reason", "amendments"}) {
        CAPTURE(hidden);
        CHECK_FALSE(shown.fields.contains(hidden));
        CHECK_FALSE(shown.versions.count(hidden));
    }
    CHECK(shown.fields.dump().find("X123456") == std::string::npos);
    // Everyone else sees the record whole.
    CHECK(sync::projectFor(supervisor(), r, granted).fields == r.fields);

    auto preview = sync::sharePreview(r.fields, granted);
    auto has = [](const std::vector<std::string>& v, const char* s) { return std::find(v.begin(), v.end(), s) != v.end(); };
    CHECK(has(preview.shared, "given_name"));
    CHECK(has(preview.shared, "needs"));
    CHECK(has(preview.withheld, "crn"));
    CHECK(has(preview.withheld, "notes"));
    CHECK(has(preview.withheld, "amendments"));
    CHECK_FALSE(has(preview.shared, "crn"));
}

// ------------------------------------------------------------------------------- queues

TEST_CASE("queues group each role's work, oldest first where waiting matters") {
    Device d(supervisor());
    auto ref = [](const std::string& id, const std::string& status, const std::string& owner, const std::string& area,
                  json hist, const std::string& org = "") {
        json f{{"status", status}, {"owner", owner}, {"area", area}, {"service_id", "svc-" + id}, {"history", hist}};
        if (!org.empty()) {
            f["organisation_id"] = org;
            f["sent_at"] = "2026-11-10T09:00:00Z";
        }
        return record("referral", id, f);
    };
    d.pull({
        ref("s-new", "submitted", "prac-1", "PDU-GWENT", history({{"submitted", "2026-11-21T09:00:00Z"}})),
        ref("s-old", "submitted", "prac-2", "PDU-GWENT", history({{"submitted", "2026-11-12T09:00:00Z"}})),
        ref("s-cardiff", "submitted", "prac-3", "PDU-CARDIFFVALE", history({{"submitted", "2026-11-01T09:00:00Z"}})),
        ref("ret", "returned", "prac-1", "PDU-GWENT",
            history({{"submitted", "2026-11-01T09:00:00Z"}, {"returned", "2026-11-03T09:00:00Z"}})),
        ref("open-1", "accepted", "prac-1", "PDU-GWENT",
            history({{"submitted", "2026-11-01T09:00:00Z"}, {"approved", "2026-11-02T09:00:00Z"},
                     {"sent", "2026-11-02T10:00:00Z"}, {"accepted", "2026-11-04T10:00:00Z"}}),
            "org-1"),
        ref("new-1", "sent", "prac-2", "PDU-GWENT",
            history({{"submitted", "2026-11-01T09:00:00Z"}, {"approved", "2026-11-02T09:00:00Z"},
                     {"sent", "2026-11-05T10:00:00Z"}}),
            "org-1"),
        record("alert", "al-1", {{"status", "open"}, {"owner", "prac-1"}, {"area", "PDU-GWENT"}, {"referral_id", "open-1"},
                                 {"history", json::array({{{"to", "open"}, {"at", "2026-11-20T10:00:00Z"}}})}}),
        // Today (22 Nov, GMT) at 09:30 and 16:00; yesterday; tomorrow.
        record("appointment", "ap-1", {{"status", "scheduled"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                       {"referral_id", "open-1"}, {"starts_at", "2026-11-22T16:00:00Z"}}),
        record("appointment", "ap-2", {{"status", "attended"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                       {"referral_id", "open-1"}, {"starts_at", "2026-11-22T09:30:00Z"}}),
        record("appointment", "ap-3", {{"status", "scheduled"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                       {"referral_id", "open-1"}, {"starts_at", "2026-11-21T09:30:00Z"}}),
        record("appointment", "ap-4", {{"status", "scheduled"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                       {"referral_id", "open-1"}, {"starts_at", "2026-11-23T00:30:00Z"}}),
    });
    client::Queues queues(*d.db, [&] { return d.now; });

    auto sup = queues.supervisor(supervisor());
    REQUIRE(sup[0].name == "awaiting_review");
    REQUIRE(sup[0].total == 2); // Cardiff's is not this supervisor's
    CHECK(sup[0].items[0].id == "s-old");
    CHECK(sup[0].items[0].daysWaiting == 10);
    CHECK(sup[0].items[1].id == "s-new");
    CHECK(sup[0].items[1].daysWaiting == 1);
    CHECK(sup[0].items[0].serviceId == "svc-s-old");
    CHECK(sup[1].name == "returned");
    CHECK(sup[1].total == 1);
    CHECK(sup[3].name == "alerts");
    CHECK(sup[3].total == 1);
    // A supervisor bound to a local authority in Gwent sees the PDU's queue too.
    CHECK(queues.supervisor({"sup-2", domain::Role::Supervisor, {"W06000022"}, ""})[0].total == 2);
    // Admins see every area.
    CHECK(queues.supervisor({"admin", domain::Role::Admin, {}, ""})[0].total == 3);

    // Read again and again (a screen refreshes its queues), every statement keeps its plan: none is
    // parsed again, as one whose bound collection decided a partial index was at every step. (The
    // first read of a role's queues on a device makes its index, schema v12, and a change of schema
    // plans each statement again at its next use: the first round makes the practitioner's index
    // after the supervisor's statements ran, the second plans those again; then nothing is.)
    uint64_t reprepared = 0;
    for (int i = 0; i < 12; ++i) {
        if (i == 2) reprepared = d.db->cachedStatementReprepares();
        CHECK(queues.supervisor(supervisor())[0].total == 2);
        CHECK(queues.practitioner("prac-1")[1].total == 1);
        CHECK(queues.provider(provider())[0].name.size() > 0);
        CHECK(d.store->countWithStatus("alert", "open") == 1);
        CHECK(d.store->countWithStatus("referral", "submitted") == 3); // Cardiff's too: a count is not scoped
    }
    CHECK(d.db->cachedStatementReprepares() == reprepared);

    auto prac = queues.practitioner("prac-1");
    REQUIRE(prac.size() == 5);
    CHECK(prac[1].name == "submitted");
    CHECK(prac[1].total == 1);
    CHECK(prac[2].name == "returned");
    CHECK(prac[2].items.at(0).id == "ret");
    CHECK(prac[3].name == "open");
    CHECK(prac[3].items.at(0).id == "open-1");
    CHECK(prac[4].name == "alerts");
    CHECK(prac[4].items.at(0).referralId == "open-1");

    auto prov = queues.provider(provider());
    CHECK(prov[0].name == "new");
    CHECK(prov[0].items.at(0).id == "new-1");
    CHECK(prov[1].name == "my_cases");
    CHECK(prov[1].items.at(0).id == "open-1");
    REQUIRE(prov[2].name == "today");
    REQUIRE(prov[2].total == 2);
    CHECK(prov[2].items[0].id == "ap-2"); // by time
    CHECK(prov[2].items[1].id == "ap-1");
    CHECK(queues.provider(provider("org-other"))[0].total == 0);

    // In summer "today" is the UK day: 00:30 UTC on the 23rd is already the 23rd in BST, and
    // 23:30 UTC on 30 June is 1 July.
    d.pull({record("appointment", "ap-s1", {{"status", "scheduled"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                           {"referral_id", "open-1"}, {"starts_at", "2026-06-30T23:30:00Z"}}),
            record("appointment", "ap-s2", {{"status", "scheduled"}, {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                           {"referral_id", "open-1"}, {"starts_at", "2026-07-01T23:30:00Z"}})});
    client::Queues summer(*d.db, [] { return kJuly; });
    auto today = summer.provider(provider())[2];
    REQUIRE(today.total == 1);
    CHECK(today.items[0].id == "ap-s1");

    // Totals count everything; items stop at the limit.
    client::Queues small(*d.db, [&] { return d.now; }, {1, 14});
    CHECK(small.supervisor(supervisor())[0].total == 2);
    CHECK(small.supervisor(supervisor())[0].items.size() == 1);
    CHECK(small.supervisor(supervisor())[0].items[0].id == "s-old");
}

// ------------------------------------------------------------------------------- reports

TEST_CASE("the contract-monitoring report counts, times and rates from the synced records") {
    Device d(supervisor());
    auto ref = [](const std::string& id, const std::string& status, const std::string& org, json hist,
                  const std::string& need = "finance") {
        json f{{"status", status}, {"owner", "prac-1"}, {"area", "PDU-GWENT"}, {"organisation_id", org},
               {"needs", {{{"need", need}, {"complexity", "low"}}}}, {"history", hist},
               {"submitted_at", hist[0]["at"]}};
        for (const auto& h : hist)
            if (h["to"] == "sent") f["sent_at"] = h["at"];
        return record("referral", id, f);
    };
    d.pull({
        record("organisation", "org-1", {{"name", "Good Trust"}}),
        ref("r-1", "completed", "org-1",
            history({{"submitted", "2026-11-01T09:00:00Z"}, {"approved", "2026-11-03T09:00:00Z"},
                     {"sent", "2026-11-03T10:00:00Z"}, {"accepted", "2026-11-04T10:00:00Z"},
                     {"in_progress", "2026-11-05T10:00:00Z"}, {"completed", "2026-11-20T10:00:00Z"}})),
        ref("r-2", "accepted", "org-1",
            history({{"submitted", "2026-11-02T09:00:00Z"}, {"approved", "2026-11-03T09:00:00Z"},
                     {"sent", "2026-11-03T10:00:00Z"}, {"accepted", "2026-11-06T10:00:00Z"}}),
            "accommodation"),
        ref("r-3", "submitted", "", history({{"submitted", "2026-11-10T09:00:00Z"}})),
        ref("r-old", "submitted", "", history({{"submitted", "2026-09-10T09:00:00Z"}})),
        record("appointment", "a-1", {{"status", "attended"}, {"referral_id", "r-1"}, {"organisation_id", "org-1"},
                                      {"area", "PDU-GWENT"}, {"starts_at", "2026-11-06T09:00:00Z"}}),
        record("appointment", "a-2", {{"status", "absent_unacceptable"}, {"referral_id", "r-1"},
                                      {"organisation_id", "org-1"}, {"area", "PDU-GWENT"},
                                      {"starts_at", "2026-11-13T10:00:00Z"}}),
        record("appointment", "a-3", {{"status", "late"}, {"referral_id", "r-2"}, {"organisation_id", "org-1"},
                                      {"area", "PDU-GWENT"}, {"starts_at", "2026-11-09T09:00:00Z"}}),
        record("appointment", "a-4", {{"status", "scheduled"}, {"referral_id", "r-2"}, {"organisation_id", "org-1"},
                                      {"area", "PDU-GWENT"}, {"starts_at", "2026-11-30T09:00:00Z"}}),
    });
    // A draft on this device is never in a report.
    d.store->create("referral", {{"area", "PDU-GWENT"}});

    auto report = client::buildReport(*d.db, {"PDU-GWENT", "2026-11-01", "2026-11-30"});
    CHECK(report.referrals == 3);
    auto count = [](const std::vector<client::ReportCount>& rows, const std::string& key) -> size_t {
        for (const auto& r : rows)
            if (r.key == key) return r.count;
        return 0;
    };
    CHECK(count(report.byStatus, "completed") == 1);
    CHECK(count(report.byStatus, "submitted") == 1);
    CHECK(count(report.byNeed, "finance") == 2);
    CHECK(count(report.byNeed, "accommodation") == 1);
    CHECK(count(report.byArea, "PDU-GWENT") == 3);
    CHECK(count(report.byProvider, "org-1") == 2);
    REQUIRE(report.durations.size() == 3);
    CHECK(report.durations[0].samples == 2);                           // submission → approval: 2 and 1 days
    CHECK(report.durations[0].medianDays == doctest::Approx(1.5));
    CHECK(report.durations[1].medianDays == doctest::Approx(2.0));     // sending → acceptance: 1 and 3 days
    CHECK(report.durations[2].samples == 2);                           // referral → first appointment: 5 and 7 days
    CHECK(report.durations[2].meanDays == doctest::Approx(6.0));
    REQUIRE(report.providers.size() == 1);
    const auto& p = report.providers[0];
    CHECK(p.name == "Good Trust");
    CHECK(p.referrals == 2);
    CHECK(p.accepted == 2);
    CHECK(p.completed == 1);
    CHECK(p.completionRate == doctest::Approx(0.5));
    CHECK(p.appointments == 3); // the scheduled one has no attendance yet
    CHECK(p.attended == 2);
    CHECK(p.attendanceRate == doctest::Approx(2.0 / 3.0));

    auto csv = client::reportCsv(report);
    CHECK(csv.rfind("section,key,label,value\r\n", 0) == 0);
    CHECK(csv.find("provider_attendance_rate,org-1,Good Trust,66.7") != std::string::npos);
    CHECK(client::reportText(report).find("Good Trust") != std::string::npos);

    CHECK(client::buildReport(*d.db, {"", "", ""}).referrals == 4);
    CHECK(client::buildReport(*d.db, {"PDU-CARDIFFVALE", "", ""}).referrals == 0);
    CHECK_THROWS_WITH_AS(client::buildReport(*d.db, {"", "2026-13-01", ""}), doctest::Contains("--from"), Error);
    CHECK_THROWS_WITH_AS(client::buildReport(*d.db, {"", "2026-11-30", "2026-11-01"}), doctest::Contains("before"), Error);
    CHECK_THROWS_WITH_AS(client::buildReport(*d.db, {"Atlantis", "", ""}), doctest::Contains("Atlantis"), Error);
}

// --------------------------------------------------------------------------------- audit

TEST_CASE("the audit chain records every write and view, and shows any edit or deletion") {
    Device d(practitioner());
    const std::string id = d.store->create("referral", completeReferral());
    d.store->update("referral", id, {{"reason", "more detail"}});
    d.store->view("referral", id);
    d.store->transition("referral", id, "submitted");
    client::AuditLog log(*d.db);
    auto entries = log.entries();
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].action == "create");
    CHECK(entries[1].action == "update");
    CHECK(entries[2].action == "view");
    CHECK(entries[3].action == "transition");
    for (const auto& e : entries) {
        CHECK(e.user == "prac-1");
        CHECK(e.recordId == id);
        CHECK(e.detail.find("Zebedee") == std::string::npos); // never a person's details
    }
    CHECK(log.verify().ok);
    CHECK(log.verify().checked == 4);
    // Every entry goes to the server too.
    size_t auditOps = 0;
    for (const auto& e : d.store->outbox(100)) auditOps += e.collection == "audit";
    CHECK(auditOps == 4);

    auto csv = log.exportCsv("2026-11-22", "2026-11-23");
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);
    CHECK(log.exportCsv("2026-11-23", "").find(id) == std::string::npos);

    SUBCASE("an edited entry") {
        d.db->exec("UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2");
        auto v = log.verify();
        CHECK_FALSE(v.ok);
        CHECK(v.problem.find("entry 2 was altered") != std::string::npos);
    }
    SUBCASE("a deleted entry") {
        d.db->exec("DELETE FROM audit_log WHERE seq = 3");
        auto v = log.verify();
        CHECK_FALSE(v.ok);
        CHECK(v.problem.find("entry 3 is missing") != std::string::npos);
    }
    SUBCASE("an entry rewritten with a fresh hash") {
        auto e = entries[1];
        e.detail = "rewritten";
        e.hash = client::AuditLog::hashOf(e);
        auto q = d.db->prepare("UPDATE audit_log SET detail = ?1, hash = ?2 WHERE seq = 2");
        q.bindAll(e.detail, e.hash);
        q.exec();
        auto v = log.verify();
        CHECK_FALSE(v.ok);
        CHECK(v.problem.find("entry 3 does not follow entry 2") != std::string::npos);
    }
}

// ------------------------------------------------------------------------ data at rest

namespace {
bool fileContains(const std::filesystem::path& path, const std::string& needle) {
    if (!std::filesystem::exists(path)) return false;
    return test::readFile(path).find(needle) != std::string::npos;
}
} // namespace

TEST_CASE("a person's details are sealed at rest: the file and its WAL hold neither name nor CRN") {
    test::TempDir dir;
    const auto path = dir / "laptop.db";
    const std::string passphrase = "correct horse battery staple";
    std::string id;
    {
        auto db = schema::openLocal(path.string());
        client::LocalStore store(db);
        auto vault = store.openVault(passphrase, crypto::KdfCost::Minimum);
        store.setVault(&vault);
        store.setPrincipal(practitioner(), "prac-1");
        id = store.create("referral", completeReferral());
        store.update("referral", id, {{"given_name", "Zebedee"}, {"accessibility_needs", "Quartermaine uses a wheelchair"}});
        store.transition("referral", id, "submitted");
        // While open, the WAL holds the latest pages.
        const auto wal = std::filesystem::path(path.string() + "-wal");
        CHECK(std::filesystem::exists(wal));
        for (const char* secret : {"Zebedee", "Quartermaine", "X123456", "met at the hub", "no concerns for a group"}) {
            CAPTURE(secret);
            CHECK_FALSE(fileContains(path, secret));
            CHECK_FALSE(fileContains(wal, secret));
        }
        CHECK_FALSE(fileContains(path, passphrase));
        CHECK_FALSE(fileContains(wal, passphrase));
        // The directory and the workflow stay readable: status, area, needs.
        CHECK(store.record("referral", id)->status == "submitted");
    }
    for (const char* secret : {"Zebedee", "Quartermaine", "X123456", "met at the hub"}) {
        CAPTURE(secret);
        CHECK_FALSE(fileContains(path, secret));
        CHECK_FALSE(fileContains(std::filesystem::path(path.string() + "-wal"), secret));
    }

    auto db = schema::openLocal(path.string());
    client::LocalStore store(db);
    // Locked: lists work, details do not.
    CHECK(store.records("referral", false, false).size() == 1);
    CHECK_THROWS_WITH_AS(store.view("referral", id), doctest::Contains("locked"), Error);
    // The wrong passphrase opens nothing.
    try {
        store.openVault("wrong passphrase", crypto::KdfCost::Minimum);
        FAIL("a wrong passphrase unlocked the vault");
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Auth);
        CHECK(std::string(e.what()).find("passphrase") != std::string::npos);
    }
    auto vault = store.openVault(passphrase, crypto::KdfCost::Minimum);
    store.setVault(&vault);
    auto r = store.view("referral", id);
    REQUIRE(r);
    CHECK(r->fields["given_name"] == "Zebedee");
    CHECK(r->fields["crn"] == "X123456");
}

TEST_CASE("text that looks like a sealed value is stored and read back as typed") {
    Device d(practitioner());
    json fields = completeReferral();
    fields["notes"] = "sealed:v1:not really sealed";          // personal: sealed like any other value
    fields["reason"] = "sealed:v1: is what the letter said";  // not personal: kept as text
    const std::string id = d.store->create("referral", fields);
    auto r = d.store->record("referral", id);
    REQUIRE(r);
    CHECK(r->fields["notes"] == "sealed:v1:not really sealed");
    CHECK(r->fields["reason"] == "sealed:v1: is what the letter said");
    // The stored notes are really sealed (no clear copy), and the ops that go out carry the text.
    CHECK_FALSE(fileContains(d.dir / "device.db-wal", "not really sealed"));
    d.store->transition("referral", id, "submitted"); // a draft's ops stay on the device
    bool sent = false;
    for (const auto& e : d.store->outbox(100))
        if (e.collection == "referral") sent = sent || e.wire.find("sealed:v1:not really sealed") != std::string::npos;
    CHECK(sent);
}

TEST_CASE("a supervisor reassigns a referral to another practitioner or provider; others cannot") {
    Device d(supervisor());
    json referral = completeReferral();
    referral["status"] = "submitted";
    referral["owner"] = "prac-1";
    referral["history"] = history({{"submitted", "2026-11-20T09:00:00Z"}});
    d.pull({record("referral", "r-1", referral)});
    client::Queues queues(*d.db, [&] { return d.now; });

    d.store->update("referral", "r-1", {{"owner", "prac-2"}});
    CHECK(d.store->record("referral", "r-1")->owner == "prac-2");
    CHECK(queues.practitioner("prac-2")[1].total == 1);
    CHECK(queues.practitioner("prac-1")[1].total == 0);
    d.store->update("referral", "r-1", {{"organisation_id", "org-2"}, {"service_id", "svc-9"}});
    CHECK(queues.supervisor(supervisor())[0].items.at(0).serviceId == "svc-9");

    // A practitioner in another area may not touch it.
    d.store->setPrincipal({"prac-9", domain::Role::Practitioner, {"PDU-CARDIFFVALE"}, ""}, "prac-9");
    CHECK_THROWS_AS(d.store->update("referral", "r-1", {{"owner", "prac-9"}}), Error);
    // Nor may a provider it was not sent to.
    d.store->setPrincipal(provider("org-2"), "prov-1");
    CHECK_THROWS_AS(d.store->update("referral", "r-1", {{"owner", "prov-1"}}), Error);
}

TEST_CASE("a store sees who is signed in now, even when another store on the database signed them in") {
    Device d(practitioner());
    REQUIRE(d.store->principal().has_value());
    CHECK(d.store->principal()->userId == "prac-1");
    const std::string id = d.store->create("referral", completeReferral());
    // The engine keeps a store of its own on the same database: a sign-in there is a sign-in here.
    client::LocalStore other(*d.db, [&] { return d.now; });
    other.setPrincipal({"prac-9", domain::Role::Practitioner, {"PDU-CARDIFFVALE"}, ""}, "prac-9");
    REQUIRE(d.store->principal().has_value());
    CHECK(d.store->principal()->userId == "prac-9");
    CHECK(d.store->principal()->areas == std::vector<std::string>{"PDU-CARDIFFVALE"});
    CHECK_THROWS_AS(d.store->update("referral", id, {{"notes", "not mine"}}), Error);
    other.setPrincipal(practitioner(), "prac-1");
    CHECK(d.store->principal()->userId == "prac-1");
    CHECK_NOTHROW(d.store->update("referral", id, {{"notes", "mine again"}}));
    // Signed out there: nobody here.
    other.clearState("user");
    CHECK_FALSE(d.store->principal().has_value());
}

TEST_CASE("a pulled record's versions are stored as the JSON the row has always held, whatever the field names") {
    Device d(practitioner());
    sync::Record r = record("referral", "r-versions",
                            json{{"area", "PDU-GWENT"}, {"owner", "prac-1"}, {"status", "draft"}, {"notes", "x"}});
    d.pull({r});
    // Names a field could never have today still round-trip: quotes, backslashes, Welsh letters.
    // (Not "": it holds compact versions' common version, sync::versionsText.)
    sync::PullResponse page;
    sync::Record odd = r;
    odd.seq = ++d.cursor;
    odd.versions = {{"area", 1}, {"notes", 9007199254740993}, {"we\"ird\\name", 3}, {"q\"", 7}, {"ŵyn", 4}, {" ", 5}, {"a b", -6}};
    page.records.push_back(odd);
    page.nextCursor = d.cursor;
    d.store->applyPull(page);
    const auto text = d.db->queryText("SELECT versions FROM record WHERE id = 'r-versions'");
    REQUIRE(text.has_value());
    json expected = json::object();
    for (const auto& [k, v] : odd.versions) expected[k] = v;
    CHECK(*text == expected.dump());
    auto stored = d.store->record("referral", "r-versions");
    REQUIRE(stored.has_value());
    CHECK(stored->versions == odd.versions);
}

TEST_CASE("compact versions are stored as they came and read whole, the sealed fields' included; an edit's base is its field's") {
    Device d(practitioner());
    json fields = referralAt("prac-1", "submitted");
    fields["area"] = "PDU-GWENT";
    fields["notes"] = "first";
    // As a server speaking protocol 2 writes it: one version for most fields, "notes" changed
    // later, "family_name" (personal, so sealed here) never written by an op.
    const std::string versions = R"({"":4,"family_name":0,"notes":9})";
    const std::string body = R"({"protocol":2,"records":[{"area":"PDU-GWENT","collection":"referral","id":"r-c","owner":"prac-1","seq":9,"status":"submitted","fields":)" +
                             fields.dump() + R"(,"versions":)" + versions + R"(}],"removals":[],"next_cursor":9,"has_more":false})";
    d.cursor = 9;
    const auto page = sync::pullResponseFromText(body, &client::LocalStore::storesFieldsAsText);
    REQUIRE(page.records.size() == 1);
    REQUIRE(page.records[0].versionsText == versions);
    d.store->applyPull(page);
    CHECK(d.db->queryText("SELECT versions FROM record WHERE id = 'r-c'").value_or("") == versions);
    const json stored = json::parse(d.db->queryText("SELECT fields FROM record WHERE id = 'r-c'").value_or("{}"));
    CHECK_FALSE(stored.contains("given_name")); // sealed: its name is inside the seal
    auto r = d.store->record("referral", "r-c");
    REQUIRE(r);
    std::map<std::string, int64_t> whole;
    for (auto it = fields.begin(); it != fields.end(); ++it) whole[it.key()] = 4;
    whole.erase("family_name");
    whole["notes"] = 9;
    CHECK(r->versions == whole);
    // Each edit names the version its field had here.
    d.store->update("referral", "r-c", {{"given_name", "Zeb"}, {"notes", "second"}, {"family_name", "Q"}});
    std::map<std::string, int64_t> bases;
    for (const auto& e : d.store->outbox(100)) {
        if (e.collection != "referral") continue;
        const sync::Op op = sync::opFromJson(json::parse(e.wire));
        for (const auto& [name, change] : op.fields) bases[name] = change.base;
    }
    CHECK(bases == std::map<std::string, int64_t>{{"family_name", 0}, {"given_name", 4}, {"notes", 9}});
}

TEST_CASE("a record's fields are stored as JSON text, its personal values sealed together in one member") {
    Device d(practitioner());
    json fields = referralAt("prac-1", "draft");
    fields["notes"] = "Quote \" backslash \\ tab \t ŵ";
    fields["accessibility_needs"] = nullptr; // personal but empty: stays null, in the clear
    fields["we\"ird\\name"] = "kept";         // names no field has today, escaped as JSON escapes them
    fields["ŵyn"] = json::array({1, 2.5, "tri"});
    fields[""] = json{{"nested", true}};     // sorts before the sealed member's name
    fields["!"] = 1;
    d.pull({record("referral", "r-text", fields)});
    const auto text = d.db->queryText("SELECT fields FROM record WHERE id = 'r-text'");
    REQUIRE(text.has_value());
    const json stored = json::parse(*text);
    // The text is exactly what nlohmann writes for the object it holds.
    CHECK(stored.dump() == *text);
    json personal = json::object();
    size_t clear = 0;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        CAPTURE(it.key());
        const sync::FieldSpec* spec = sync::findCollection("referral")->field(it.key());
        if (spec && spec->personal && !it->is_null()) {
            CHECK_FALSE(stored.contains(it.key()));
            personal[it.key()] = *it;
        } else {
            REQUIRE(stored.contains(it.key()));
            CHECK(stored[it.key()] == *it);
            ++clear;
        }
    }
    CHECK(personal.size() >= 6);
    CHECK(stored.size() == clear + 1);
    CHECK(stored["accessibility_needs"].is_null());
    CHECK(stored["we\"ird\\name"] == "kept");
    // One sealed member holds every personal value, bound to this record: it opens under its own
    // name only.
    REQUIRE(stored.contains("$sealed"));
    const std::string sealed = stored["$sealed"].get<std::string>();
    CHECK(crypto::Vault::isSealed(sealed));
    CHECK(json::parse(d.vault->open(sealed, "referral/r-text/$sealed")) == personal);
    CHECK_THROWS_AS(d.vault->open(sealed, "referral/r-other/$sealed"), Error);
    CHECK_THROWS_AS(d.vault->open(sealed, "referral/r-text/notes"), Error);
    // Read back, every value is the one pulled.
    auto back = d.store->record("referral", "r-text");
    REQUIRE(back.has_value());
    CHECK(back->fields == fields);
    // A local edit keeps the same shape, and the server's copy kept for falling back on too.
    d.store->update("referral", "r-text", {{"notes", "edited"}, {"reason", "changed"}});
    const json edited = json::parse(*d.db->queryText("SELECT fields FROM record WHERE id = 'r-text'"));
    CHECK_FALSE(edited.contains("notes"));
    CHECK(edited["reason"] == "changed");
    CHECK(json::parse(d.vault->open(edited["$sealed"].get<std::string>(), "referral/r-text/$sealed"))["notes"] == "edited");
    const json base = json::parse(*d.db->queryText("SELECT base FROM record WHERE id = 'r-text'"));
    CHECK_FALSE(base["fields"].contains("notes"));
    CHECK(json::parse(d.vault->open(base["fields"]["$sealed"].get<std::string>(), "referral/r-text/$sealed")) == personal);
    CHECK(d.store->record("referral", "r-text")->fields["notes"] == "edited");
}

TEST_CASE("rows sealed value by value, as devices stored them before, still read; moved or altered seals are refused") {
    Device d(practitioner());
    json fields = referralAt("prac-1", "submitted");
    fields["notes"] = "sealed:v1:typed by a person"; // looks sealed: the old rows sealed it all the same
    d.pull({record("referral", "r-old", fields), record("referral", "r-new", fields)});
    // r-old rewritten as before: each personal value sealed on its own under collection/id/name.
    json old = fields;
    for (auto it = old.begin(); it != old.end(); ++it) {
        const sync::FieldSpec* spec = sync::findCollection("referral")->field(it.key());
        if (spec && spec->personal && !it->is_null()) *it = d.vault->seal(it->dump(), "referral/r-old/" + it.key());
    }
    auto set = d.db->prepare("UPDATE record SET fields = ?1 WHERE id = ?2");
    set.bind(1, old.dump()).bind(2, "r-old");
    set.exec();
    CHECK(d.store->record("referral", "r-old")->fields == fields);
    CHECK(d.store->view("referral", "r-old")->fields == fields);
    // An edit rewrites the row in today's form; nothing is lost.
    d.store->update("referral", "r-old", {{"reason", "rewritten"}});
    const json now = json::parse(*d.db->queryText("SELECT fields FROM record WHERE id = 'r-old'"));
    CHECK(now.contains("$sealed"));
    CHECK_FALSE(now.contains("crn"));
    json expected = fields;
    expected["reason"] = "rewritten";
    CHECK(d.store->record("referral", "r-old")->fields == expected);
    // One record's sealed member copied into another's row does not open there.
    const std::string newText = *d.db->queryText("SELECT fields FROM record WHERE id = 'r-new'");
    set.reset();
    set.bind(1, newText).bind(2, "r-old");
    set.exec();
    CHECK_THROWS_WITH_AS(d.store->record("referral", "r-old"), doctest::Contains("another record"), Error);
    // Nor does an altered one; and a locked device opens neither.
    json altered = json::parse(newText);
    std::string seal = altered["$sealed"].get<std::string>();
    seal[seal.size() - 5] = seal[seal.size() - 5] == 'A' ? 'B' : 'A';
    altered["$sealed"] = seal;
    set.reset();
    set.bind(1, altered.dump()).bind(2, "r-new");
    set.exec();
    CHECK_THROWS_AS(d.store->record("referral", "r-new"), Error);
    d.store->setVault(nullptr);
    CHECK_THROWS_WITH_AS(d.store->record("referral", "r-new"), doctest::Contains("locked"), Error);
}

TEST_CASE("a pulled personal value given twice keeps the last, as JSON reads it, null or not") {
    Device d(supervisor());
    const std::string head = R"({"area":"PDU-GWENT","status":"submitted","owner":"prac-1",)";
    const std::vector<std::pair<std::string, json>> cases{
        {R"("notes":"first","notes":null})", nullptr},
        {R"("notes":null,"notes":"second"})", "second"},
        {R"("notes":"first","crn":"X1","notes":"second"})", "second"},
        {R"("notes":"only"})", "only"},
        {R"("notes":null})", nullptr},
        {R"("$sealed":"not a seal","notes":"n"})", "n"},
        // A name spelt with an escape is the name it reads as: sealed, and the last one still wins.
        {R"("n\u006ftes":"escaped"})", "escaped"},
        {R"("notes":"first","\u006eotes":"escaped second"})", "escaped second"},
        {R"("\u0063rn":"X2","notes":"plain"})", "plain"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const auto& [tail, notes] = cases[i];
        CAPTURE(tail);
        const std::string id = "r-" + std::to_string(i);
        d.pullReferralText(id, "submitted", head + tail, "notes");
        const json stored = json::parse(*d.db->queryText("SELECT fields FROM record WHERE id = '" + id + "'"));
        // Nothing personal left in the clear but a null.
        for (const char* name : {"notes", "crn"})
            if (stored.contains(name)) CHECK(stored[name].is_null());
        const json back = d.store->record("referral", id)->fields;
        CHECK(back.value("notes", json()) == notes);
        CHECK(back["status"] == "submitted");
        if (tail.find("$sealed") != std::string::npos) CHECK(back["$sealed"] == "not a seal");
    }
}

namespace {
// A stored fields text with every sealed value replaced by a mark, so two devices' rows compare.
std::string withSealsMarked(std::string text) {
    const std::string prefix = "\"" + std::string(crypto::Vault::kSealedPrefix);
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 8)) {
        const size_t end = text.find('"', at + 1);
        REQUIRE(end != std::string::npos);
        text.replace(at, end + 1 - at, "\"<sealed>\"");
    }
    return text;
}
} // namespace

TEST_CASE("a record pulled as text is stored as the same record pulled as objects, personal values sealed") {
    Device objects(supervisor()), text(supervisor());
    json referral = completeReferral();
    referral["owner"] = "prac-1";
    referral["status"] = "submitted";
    referral["history"] = history({{"submitted", "2026-11-20T09:00:00Z"}});
    referral["notes"] = "Quote \" backslash \\ brace } ŵ";
    referral["accessibility_needs"] = nullptr; // personal but empty: stays null
    referral["we\"ird\\name"] = json::array({1, "two", json{{"three", nullptr}}});
    json appointment{{"referral_id", "r-1"}, {"starts_at", "2026-11-25T10:00:00Z"}, {"status", "booked"},
                     {"area", "PDU-GWENT"}, {"notes", "Bring the letter"}};
    json alert{{"referral_id", "r-1"}, {"kind", "attendance"}, {"area", "PDU-GWENT"}, {"owner", "prac-1"}};
    auto records = [&] {
        return std::vector<sync::Record>{record("referral", "r-1", referral), record("appointment", "a-1", appointment),
                                         record("alert", "al-1", alert)};
    };
    objects.pull(records());
    text.pullText(records());
    const char* row = "SELECT fields, queue_at, link, versions, area, owner, status FROM record WHERE collection = ?1 AND id = ?2";
    for (const auto& [collection, id] : {std::pair{"referral", "r-1"}, {"appointment", "a-1"}, {"alert", "al-1"}}) {
        CAPTURE(collection);
        auto a = objects.db->prepare(row), b = text.db->prepare(row);
        a.bind(1, collection).bind(2, id);
        b.bind(1, collection).bind(2, id);
        REQUIRE(a.step());
        REQUIRE(b.step());
        // The same text but for the sealed values (each sealed with its own nonce), and the same columns.
        const std::string fromText = b.getText(0);
        CHECK(withSealsMarked(fromText) == withSealsMarked(a.getText(0)));
        for (int c = 1; c < 7; ++c) CHECK(b.getText(c) == a.getText(c));
        // Nothing personal in the clear, and every value reads back as pulled.
        const json stored = json::parse(fromText);
        for (auto it = stored.begin(); it != stored.end(); ++it) {
            const sync::FieldSpec* spec = sync::findCollection(collection)->field(it.key());
            if (spec && spec->personal && !it->is_null()) CHECK(crypto::Vault::isSealed(it->get<std::string>()));
        }
        CHECK(text.store->record(collection, id)->fields == objects.store->record(collection, id)->fields);
    }
    CHECK(text.store->record("referral", "r-1")->fields == referral);
    CHECK(text.db->queryText("SELECT queue_at FROM record WHERE id = 'r-1'") == "2026-11-20T09:00:00Z");
    CHECK(text.db->queryText("SELECT link FROM record WHERE id = 'a-1'") == "r-1");
    // Locked, a device cannot store a pulled personal value in the clear: the page is refused whole.
    Device locked(supervisor());
    locked.store->setVault(nullptr);
    CHECK_THROWS_AS(locked.pullText(records()), Error);
    CHECK(locked.db->queryInt64("SELECT count(*) FROM record WHERE collection IN ('referral', 'appointment')") == 0);
}

TEST_CASE("an op goes out from its stored text exactly as it would from objects, sealed values opened") {
    Device d(supervisor());
    // Personal values of every JSON kind, with escapes, non-ASCII text, and text that looks sealed.
    const std::vector<json> values{"plain", "Quote \" backslash \\ slash / brace } ŵŷâ \u00e9", "line\nbreak\ttab",
                                   "sealed:v1:typed by a person", "", 42, -3.25, true, json::array({1, "two", nullptr}),
                                   json{{"a", json{{"b", "c \" d"}}}, {"e", json::array()}}};
    std::vector<std::string> ids;
    for (size_t i = 0; i < values.size(); ++i) {
        json fields = completeReferral();
        fields["notes"] = values[i];
        const json& name = values[(i + 3) % values.size()];
        fields["given_name"] = name.is_string() && !name.get<std::string>().empty() ? name : json("Zeb");
        fields["owner"] = "prac-1";
        ids.push_back(d.store->create("referral", fields));
        d.store->transition("referral", ids.back(), "submitted"); // a draft's ops stay on the device
        // An edit of a personal field carries the value it replaced (sealed too), and of an
        // operational one, its value in the clear.
        d.store->update("referral", ids.back(),
                        {{"notes", values[(i + 1) % values.size()]}, {"risk_summary", "revised " + std::to_string(i)}});
    }
    // A resolution: the chosen value of a clash over a personal field goes out sealed at rest.
    json clash{{"collection", "referral"}, {"record_id", ids[0]}, {"field", "notes"},  {"kind", "text"},
               {"base", "b"},              {"mine", "m \" ŵ"},    {"theirs", "t"},     {"status", "open"},
               {"area", "PDU-GWENT"},      {"owner", "prac-1"},    {"mine_by", "prac-1"}, {"theirs_by", "sup-1"}};
    d.pull({record("conflict", "c-1", clash)});
    d.store->resolveConflict("c-1", json("the \"chosen\" text ŵ"));

    auto rows = d.db->prepare("SELECT body FROM outbox ORDER BY op_seq");
    std::vector<std::string> stored;
    while (rows.step()) stored.push_back(rows.getText(0));
    const auto batch = d.store->outbox(1000);
    REQUIRE(batch.size() == stored.size());
    size_t sealedOps = 0, resolves = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
        CAPTURE(stored[i]);
        // The op as objects: every sealed value of a field's change opened and parsed.
        json viaObjects = json::parse(stored[i]);
        if (auto fields = viaObjects.find("fields"); fields != viaObjects.end())
            for (auto it = fields->begin(); it != fields->end(); ++it)
                for (const char* part : {"value", "base_value"})
                    if (it->contains(part) && (*it)[part].is_string() && crypto::Vault::isSealed((*it)[part].get<std::string>()))
                        (*it)[part] = json::parse(d.vault->open((*it)[part].get<std::string>(),
                                                                viaObjects["collection"].get<std::string>() + "/" +
                                                                    viaObjects["id"].get<std::string>() + "/" + it.key()));
        CHECK(batch[i].wire == viaObjects.dump());
        if (stored[i].find(crypto::Vault::kSealedPrefix) != std::string::npos) ++sealedOps;
        if (json::parse(batch[i].wire).value("type", "") == "resolve") ++resolves;
        // Nothing sealed goes out but the text a person typed that looks sealed.
        std::string wire = batch[i].wire;
        for (size_t at = 0; (at = wire.find("sealed:v1:typed by a person", at)) != std::string::npos;) wire.erase(at, 10);
        CHECK(wire.find(crypto::Vault::kSealedPrefix) == std::string::npos);
    }
    CHECK(sealedOps >= values.size() * 2); // the creates and the edits of each referral
    CHECK(resolves == 1);
    // The values arrive as written, whatever their kind.
    size_t seen = 0;
    for (const auto& e : batch) {
        const json op = json::parse(e.wire);
        if (op.value("type", "") != "update") continue;
        const size_t i = static_cast<size_t>(std::find(ids.begin(), ids.end(), op.value("id", "")) - ids.begin());
        REQUIRE(i < ids.size());
        CHECK(op["fields"]["notes"]["value"] == values[(i + 1) % values.size()]);
        CHECK(op["fields"]["notes"]["base_value"] == values[i]);
        ++seen;
    }
    CHECK(seen == values.size());
    // Locked, sealed ops cannot go out.
    d.store->setVault(nullptr);
    CHECK_THROWS_AS(d.store->outbox(1000), Error);
}

TEST_CASE("no two sealed values share a nonce, within an unlocked vault or across unlocks") {
    crypto::VaultParams params;
    auto first = crypto::Vault::create("a device passphrase", params, crypto::KdfCost::Minimum);
    auto second = crypto::Vault::unlock("a device passphrase", params); // the same key, unlocked again
    const size_t prefix = crypto::Vault::kSealedPrefix.size();
    constexpr size_t kNonceText = 32; // 24 bytes of nonce are the first 32 characters of base64
    std::set<std::string> nonces;
    const int n = 5000;
    for (int i = 0; i < n; ++i)
        for (const crypto::Vault* vault : {&first, &second}) {
            const std::string sealed = vault->seal("\"the same words\"", "referral/r-1/notes");
            REQUIRE(sealed.size() > prefix + kNonceText);
            nonces.insert(sealed.substr(prefix, kNonceText));
            // Either unlock opens what the other sealed.
            if (i % 1000 == 0) CHECK((vault == &first ? second : first).open(sealed, "referral/r-1/notes") == "\"the same words\"");
        }
    CHECK(nonces.size() == 2 * n);
}

TEST_CASE("a value sealed onto the end of text opens again, at every size around the stack buffer") {
    crypto::VaultParams params;
    auto vault = crypto::Vault::create("a device passphrase", params, crypto::KdfCost::Minimum);
    for (size_t size : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{100}, size_t{470}, size_t{471}, size_t{472},
                        size_t{473}, size_t{511}, size_t{512}, size_t{513}, size_t{2000}, size_t{100000}}) {
        CAPTURE(size);
        std::string plain(size, '\0');
        for (size_t i = 0; i < size; ++i) plain[i] = static_cast<char>('a' + i % 26);
        std::string text = "{\"x\":\"";
        vault.sealTo(text, plain, "referral/r-1/notes");
        text += "\"}";
        REQUIRE(text.rfind("{\"x\":\"", 0) == 0);
        const std::string sealed = text.substr(6, text.size() - 8);
        CHECK(crypto::Vault::isSealed(sealed));
        // base64 of nonce (24), ciphertext and tag (16), padded, with no NUL left behind.
        CHECK(sealed.size() == crypto::Vault::kSealedPrefix.size() + 4 * ((24 + size + 16 + 2) / 3));
        CHECK(sealed.find('\0') == std::string::npos);
        CHECK(vault.open(sealed, "referral/r-1/notes") == plain);
        CHECK(vault.seal(plain, "referral/r-1/notes").size() == sealed.size());
    }
}

TEST_CASE("a pulled history's last step is read from text with its escapes, as JSON reads it") {
    // The page's text as another writer could have spelled it: escapes in the step's values and
    // names, spaces, and members the queue time does not read.
    const std::vector<std::pair<std::string, std::string>> histories{
        {R"([{"from":"draft","to":"sen\u0074","by":"x","at":"2026-11-22T09:00:00\u005a"}])", "2026-11-22T09:00:00Z"},
        {R"([ { "\u0074o" : "sent" , "at" : "2026-11-23T09:00:00Z" } ])", "2026-11-23T09:00:00Z"},
        {R"([{"to":"sent","at":"2026-11-24T09:00:00Z","reason":"a \"quoted\" reason"}])", "2026-11-24T09:00:00Z"},
        {R"([{"to":"sent","at":"2026-11-24T09:00:00Z"},{"to":"sent\n","at":"2026-11-25T09:00:00Z"}])", ""},
    };
    Device d(supervisor());
    for (size_t i = 0; i < histories.size(); ++i) {
        const auto& [historyText, expected] = histories[i];
        CAPTURE(historyText);
        const std::string id = "r-h" + std::to_string(i);
        d.pullReferralText(id, "sent", R"({"status":"sent","history":)" + historyText + "}", "history");
        const std::string at = d.db->queryText("SELECT queue_at FROM record WHERE id = '" + id + "'").value_or("?");
        CHECK(at == (expected.empty() ? d.db->queryText("SELECT updated_at FROM record WHERE id = '" + id + "'").value_or("")
                                      : expected));
        CHECK(d.store->record("referral", id)->fields["history"] == json::parse(historyText));
    }
}

TEST_CASE("a pulled history gives the same queue time read from text as from objects, whatever its shape") {
    // queue_at is the time of the last transition when it led to the record's status, else the
    // row's own time. From text, only that entry is read: each shape must give what objects give.
    json steps = history({{"submitted", "2026-11-20T09:00:00Z"}, {"approved", "2026-11-21T09:00:00Z"},
                          {"sent", "2026-11-22T09:00:00Z"}});
    json trailing = steps;
    trailing.push_back(json{{"note", "not a transition"}});
    trailing.push_back("a stray string");
    const std::vector<std::pair<json, std::string>> shapes{
        {steps, "2026-11-22T09:00:00Z"},                                    // the last step led here
        {trailing, "2026-11-22T09:00:00Z"},                                 // entries after it that are not steps
        {history({{"submitted", "2026-11-20T09:00:00Z"}, {"returned", "2026-11-21T09:00:00Z"}}), ""}, // led elsewhere
        {json::array(), ""},
        {json::array({json{{"to", "sent"}, {"at", 5}}}), ""},              // a time that is not text
        {"not a list", ""},
    };
    for (const auto& [shape, expected] : shapes) {
        CAPTURE(shape.dump());
        Device objects(supervisor()), text(supervisor());
        json referral = completeReferral();
        referral["owner"] = "prac-1";
        referral["status"] = "sent";
        referral["history"] = shape;
        const std::vector<sync::Record> records{record("referral", "r-1", referral)};
        objects.pull(records);
        text.pullText(records);
        const std::string fromObjects = objects.db->queryText("SELECT queue_at FROM record WHERE id = 'r-1'").value_or("?");
        CHECK(text.db->queryText("SELECT queue_at FROM record WHERE id = 'r-1'") == fromObjects);
        // No transition led here: the row's own time stands in (updated_at).
        CHECK(fromObjects == (expected.empty() ? objects.db->queryText("SELECT updated_at FROM record WHERE id = 'r-1'").value_or("")
                                               : expected));
        // The stored history is the whole of it.
        CHECK(text.store->record("referral", "r-1")->fields["history"] == shape);
    }
}
