// The client's logic without a window: layout breakpoints, settings, language files, filters →
// directory query, referral form checks and the share preview, queue grouping and the actions
// offered per role, the worker queue, PNG encoding.
#include "TestSupport.hpp"

#include "model/Amend.hpp"
#include "model/Format.hpp"
#include "model/I18n.hpp"
#include "model/Layout.hpp"
#include "model/Names.hpp"
#include "model/Png.hpp"
#include "model/QueueView.hpp"
#include "model/ReferralForm.hpp"
#include "model/SearchFilters.hpp"
#include "model/Settings.hpp"
#include "model/Worker.hpp"

#include "signpost/client/HttpTransport.hpp"
#include "signpost/sync/Collections.hpp"
#include "signpost/util/Assets.hpp"

#include <atomic>
#include <thread>

using namespace signpost;
using namespace signpost::app;

namespace {

// Language files loaded once, as the App does.
struct LanguageFixture {
    I18n i18n;
    LanguageFixture() {
        i18n.load(assets::dir() / "lang");
        I18n::setCurrent(&i18n);
    }
    ~LanguageFixture() { I18n::setCurrent(nullptr); }
};

LayoutInput input(int w, int h, float scale = 1.0f, int text = 100, bool touch = false) {
    LayoutInput in;
    in.windowWidth = w;
    in.windowHeight = h;
    in.contentScale = scale;
    in.textSizePercent = text;
    in.touch = touch;
    return in;
}

} // namespace

// ------------------------------------------------------------------------------------ layout

TEST_CASE("layout: a phone is one column with a bottom tab bar, a laptop is split") {
    const Layout phone = computeLayout(input(390, 844));
    CHECK(phone.mode == LayoutMode::SingleColumn);
    CHECK(phone.tabBarHeight > 0);
    CHECK(phone.navWidth == 0);
    CHECK(phone.listWidth == doctest::Approx(390));

    const Layout laptop = computeLayout(input(1280, 800));
    CHECK(laptop.mode == LayoutMode::Split);
    CHECK(laptop.tabBarHeight == 0);
    CHECK(laptop.navWidth > 0);
    CHECK(laptop.listWidth > 300);
    // list + detail fit beside the navigation rail, the detail at least as wide as a phone
    CHECK(laptop.navWidth + laptop.listWidth + 390 <= 1280);
}

TEST_CASE("layout: the breakpoint sits at 1000 logical pixels") {
    CHECK(computeLayout(input(999, 800)).mode == LayoutMode::SingleColumn);
    CHECK(computeLayout(input(1000, 800)).mode == LayoutMode::Split);
    // A HiDPI laptop: 2560 px at content scale 2 has the room of 1280.
    CHECK(computeLayout(input(2560, 1600, 2.0f)).mode == LayoutMode::Split);
    CHECK(computeLayout(input(1560, 1000, 2.0f)).mode == LayoutMode::SingleColumn);
    // 200% text on a 1280 px window: the room of 640, so one column (no sideways scrolling).
    CHECK(computeLayout(input(1280, 800, 1.0f, 200)).mode == LayoutMode::SingleColumn);
    CHECK(computeLayout(input(2000, 800, 1.0f, 200)).mode == LayoutMode::Split);
}

TEST_CASE("layout: touch mode makes every target at least 44 px and drops hover-only actions") {
    const Layout mouse = computeLayout(input(390, 844));
    const Layout touch = computeLayout(input(390, 844, 1.0f, 100, true));
    CHECK(mouse.hoverActions);
    CHECK_FALSE(touch.hoverActions);
    CHECK(touch.minTarget >= 44);
    CHECK(mouse.minTarget < 44);
    // the frame padding makes a field or button reach the target: text + 2 × padding
    CHECK(touch.fontPx + 2 * touch.framePaddingY >= touch.minTarget - 1);
    CHECK(touch.tabBarHeight >= touch.minTarget);
    CHECK(touch.statusBarHeight >= touch.minTarget);
    // on a HiDPI screen the 44 px are logical
    CHECK(computeLayout(input(780, 1688, 2.0f, 100, true)).minTarget >= 88);
}

TEST_CASE("layout: text size and content scale set the font size, clamped to 100-200%") {
    CHECK(computeLayout(input(1280, 800)).fontPx == 16);
    CHECK(computeLayout(input(1280, 800, 1.0f, 150)).fontPx == 24);
    CHECK(computeLayout(input(1280, 800, 1.0f, 200)).fontPx == 32);
    CHECK(computeLayout(input(1280, 800, 1.0f, 500)).fontPx == 32);
    CHECK(computeLayout(input(1280, 800, 1.0f, 10)).fontPx == 16);
    CHECK(computeLayout(input(1280, 800, 1.5f, 100)).fontPx == 24);
    CHECK(computeLayout(input(1280, 800, 0.0f, 100)).fontPx == 16); // a bogus scale is 1
    CHECK(fontPixels(1.26f) == 20);
    // Larger text never makes targets smaller than the text needs.
    const Layout big = computeLayout(input(1280, 800, 1.0f, 200, true));
    CHECK(big.minTarget >= big.fontPx);
}

// ---------------------------------------------------------------------------------- settings

TEST_CASE("settings: round trip, tolerant parsing, clamping") {
    Settings s;
    s.serverUrl = "https://signpost.example.org";
    s.language = Language::Cy;
    s.textSizePercent = 150;
    s.highContrast = true;
    s.touchMode = true;
    s.idleLockMinutes = 5;
    CHECK(settingsFromJson(settingsToJson(s)) == s);

    CHECK(settingsFromJson("not json") == Settings{});
    CHECK(settingsFromJson("[]") == Settings{});
    Settings odd = settingsFromJson(R"({"language": 7, "text_size": 900, "idle_lock_minutes": 0, "touch": "yes", "x": 1})");
    CHECK(odd.language == Language::En);
    CHECK(odd.textSizePercent == 200);
    CHECK(odd.idleLockMinutes == 1);
    CHECK_FALSE(odd.touchMode);
}

// ---------------------------------------------------------------------------------- language

TEST_CASE("i18n: English and Welsh files load, switch at runtime and agree on their keys") {
    LanguageFixture f;
    auto& i18n = f.i18n;
    CHECK(i18n.table(Language::En).size() > 100);
    CHECK(i18n.table(Language::En).size() == i18n.table(Language::Cy).size());
    for (const auto& [key, text] : i18n.table(Language::En)) {
        INFO(key);
        CHECK(i18n.has(Language::Cy, key));
    }
    i18n.setLanguage(Language::En);
    CHECK(std::string(tr("panel.find")) == "Find a provider");
    CHECK(std::string(tr("tab.settings")) == "Settings");
    i18n.setLanguage(Language::Cy);
    CHECK(std::string(tr("panel.find")) == "Dod o hyd i ddarparwr");
    CHECK(std::string(tr("tab.find")) == "Chwilio");
    CHECK(std::string(tr("panel.settings")) == "Gosodiadau");
    CHECK(std::string(tr("sync.now")) == "Cysoni nawr");
    CHECK(std::string(tr("tab.referral")) == "Atgyfeirio");
    CHECK(trf("sync.up_to_date_at", {"14:05"}) == "Ar-lein: wedi'i gysoni am 14:05");
    CHECK(std::string(tr("sync.offline")).rfind("All-lein", 0) == 0);
    // A key nobody translated shows as itself rather than as a blank.
    CHECK(std::string(tr("no.such.key")) == "no.such.key");
    i18n.setLanguage(Language::En);
}

TEST_CASE("i18n: placeholders") {
    CHECK(formatPattern("Step {0} of {1}: {2}", {"2", "5", "Order"}) == "Step 2 of 5: Order");
    CHECK(formatPattern("{1} before {0}", {"a", "b"}) == "b before a");
    CHECK(formatPattern("{3} stays, {x} too, {} as well", {"a"}) == "{3} stays, {x} too, {} as well");
    CHECK(formatPattern("no braces", {}) == "no braces");
}

TEST_CASE("names: places and needs in Welsh where the data has them") {
    LanguageFixture f;
    CHECK(areaName("W06000015", Language::En) == "Cardiff");
    CHECK(areaName("W06000015", Language::Cy) == "Caerdydd");
    CHECK(areaName("W06000001", Language::Cy) == "Ynys Môn");
    CHECK(areaName("PDU-CARDIFFVALE", Language::Cy) == "Caerdydd a'r Fro");
    CHECK(areaName("E08000001", Language::Cy) == "Bolton"); // the same in both
    CHECK(areaName("nowhere", Language::Cy) == "nowhere");
    CHECK(needName("finance", Language::Cy) != needName("finance", Language::En));
    CHECK(placeName("Flintshire", Language::Cy) == "Sir y Fflint");
    CHECK(placeName("flintshire", Language::Cy) == "Sir y Fflint");
    CHECK(placeName("Flintshire", Language::En) == "Flintshire");
    CHECK(placeName("Bolton", Language::Cy) == "Bolton");
    CHECK(placeName("Pontypridd", Language::Cy) == "Pontypridd"); // not an area name: as given
    CHECK(localName("Cardiff Wellbeing Hub", "Hyb Llesiant Caerdydd", Language::Cy) == "Hyb Llesiant Caerdydd");
    CHECK(localName("Bolton Advice", "", Language::Cy) == "Bolton Advice");
    // every lifecycle status, supervision type and queue has a label
    for (const auto* machine : {&domain::referralLifecycle(), &domain::appointmentLifecycle(), &domain::alertLifecycle(),
                                &domain::conflictLifecycle(), &domain::suggestionLifecycle()})
        for (const auto& t : machine->transitions()) {
            INFO(t.from << " -> " << t.to);
            CHECK(statusKey(t.from) != nullptr);
            CHECK(statusKey(t.to) != nullptr);
        }
    for (const auto& s : domain::kSupervisionTypes) CHECK(supervisionKey(s.code) != nullptr);
    for (const auto& r : domain::kCommissioningRoutes) CHECK(routeKey(r.code) != nullptr);
    for (auto d : domain::kAlertDecisions) CHECK(alertDecisionKey(d) != nullptr);
    for (const auto& field : domain::referralShareableFields()) CHECK(fieldKey(field) != nullptr);
    for (const auto& field : domain::referralOperationalFields()) CHECK(fieldKey(field) != nullptr);
    // the share preview can list any referral field
    for (const auto& field : sync::findCollection("referral")->fields) {
        INFO(field.name);
        CHECK(fieldKey(field.name) != nullptr);
    }
}

// ------------------------------------------------------------------------------- filters

TEST_CASE("filters: the panel's state becomes the directory query") {
    FilterState f;
    CHECK(isEmpty(f));
    f.text = "  debt advice  ";
    f.area = "W06000015";
    f.need = "finance";
    f.age = "24";
    f.supervision = 3; // licence
    f.women = 1;
    f.route = 0;
    f.highRisk = f.welsh = f.hub = f.coLocated = f.openNow = true;
    f.nearPostcode = "cf10 1ep";
    const QueryPlan plan = planQuery(f);
    const auto& q = plan.query;
    CHECK(q.text == "debt advice");
    CHECK(q.areas == std::vector<std::string>{"W06000015"});
    CHECK(q.needs == std::vector<std::string>{"finance"});
    REQUIRE(q.age);
    CHECK(*q.age == 24);
    REQUIRE(q.supervision);
    CHECK(*q.supervision == domain::SupervisionType::Licence);
    CHECK(q.women == directory::WomenFilter::Only);
    REQUIRE(q.route);
    CHECK(*q.route == domain::CommissioningRoute::DynamicFramework);
    CHECK(q.highRiskSuitable);
    CHECK(q.welshLanguage);
    CHECK(q.hub);
    CHECK(q.coLocated);
    CHECK(q.openNow);
    CHECK(plan.postcodeDistrict == "CF10");
    CHECK_FALSE(q.near); // the worker looks the district up
    CHECK(q.limit == kResultLimit);
    CHECK(plan.problems.empty());
    CHECK(activeFilterCount(f) == 12);
    CHECK_FALSE(isEmpty(f));
}

TEST_CASE("filters: bad input is reported and left out, the rest still searches") {
    FilterState f;
    f.text = "housing";
    f.age = "twenty";
    f.nearPostcode = "not a postcode";
    f.women = 2;
    f.supervision = 99;
    const QueryPlan plan = planQuery(f);
    CHECK_FALSE(plan.query.age);
    CHECK_FALSE(plan.query.supervision);
    CHECK(plan.query.women == directory::WomenFilter::Exclude);
    CHECK(plan.postcodeDistrict.empty());
    REQUIRE(plan.problems.size() == 2);
    CHECK(std::string(plan.problems[0]) == "filter.age_invalid");
    CHECK(std::string(plan.problems[1]) == "filter.postcode_invalid");
    FilterState young;
    young.age = "7"; // too young to be on probation
    CHECK(planQuery(young).problems.size() == 1);
    FilterState district;
    district.nearPostcode = "BL1";
    CHECK(planQuery(district).postcodeDistrict == "BL1");
    district.nearPostcode = "m1 1ae";
    CHECK(planQuery(district).postcodeDistrict == "M1");
    FilterState onlyFilter;
    onlyFilter.welsh = true;
    CHECK_FALSE(isEmpty(onlyFilter));
    CHECK(activeFilterCount(onlyFilter) == 1);
}

// ------------------------------------------------------------------------------ referral form

TEST_CASE("form: every referral field has a step") {
    CHECK(stepOfField("crn") == Step::Person);
    CHECK(stepOfField("date_of_birth") == Step::Person);
    CHECK(stepOfField("supervision_type") == Step::Order);
    CHECK(stepOfField("expected_release_date") == Step::Order);
    CHECK(stepOfField("needs") == Step::Needs);
    CHECK(stepOfField("risk_summary") == Step::Needs);
    CHECK(stepOfField("service_id") == Step::Provider);
    CHECK(stepOfField("area") == Step::Provider);
    CHECK(stepOfField("something_else") == Step::Review);
    // every field validateReferral can complain about has a step before Review, and a message key
    for (const auto& e : domain::validateReferral(domain::Referral{}, domain::ValidationStage::Submit)) {
        INFO(e.field);
        CHECK(stepOfField(e.field) != Step::Review);
        CHECK(messageKey(e.field, false) != nullptr);
    }
}

TEST_CASE("form: malformed values show at once, missing ones once touched or on review") {
    domain::Referral r;
    r.crn = "x12";
    r.dateOfBirth = "1990-2-3";
    FormCheck check = checkForm(r, {}, false);
    REQUIRE(check.messages.count("crn"));
    CHECK(std::string(check.messages.at("crn").key) == "msg.crn_format");
    REQUIRE(check.messages.count("date_of_birth"));
    CHECK(std::string(check.messages.at("date_of_birth").key) == "msg.date_format");
    CHECK_FALSE(check.messages.count("given_name")); // not touched yet
    CHECK(check.perStep[static_cast<size_t>(Step::Person)] == 2);
    CHECK_FALSE(check.submittable);

    check = checkForm(r, {"given_name"}, false);
    REQUIRE(check.messages.count("given_name"));
    CHECK(std::string(check.messages.at("given_name").key) == "msg.given_name_missing");

    check = checkForm(r, {}, true);
    CHECK(check.messages.count("reason"));
    CHECK(check.messages.count("service_id"));
    CHECK(check.perStep[static_cast<size_t>(Step::Needs)] >= 2);

    // In custody without a release date is an error at once.
    domain::Referral custody;
    custody.inCustody = true;
    check = checkForm(custody, {}, false);
    REQUIRE(check.messages.count("expected_release_date"));
    CHECK(std::string(check.messages.at("expected_release_date").key) == "msg.release_date_missing");
}

TEST_CASE("form: a complete referral can be submitted") {
    domain::Referral r = newReferral("svc-1", "org-1", "PDU-GWENT", "user-1");
    CHECK(r.preferredLanguage == "en");
    r.crn = "X123456";
    r.givenName = "Alex";
    r.familyName = "Jones";
    r.dateOfBirth = "1990-02-03";
    r.supervisionType = domain::SupervisionType::Licence;
    r.needs = {{"finance", domain::Complexity::Medium}};
    r.reason = "Debts.";
    r.riskSummary = "No concerns.";
    const FormCheck check = checkForm(r, {}, true);
    CHECK(check.messages.empty());
    CHECK(check.submittable);
    for (int n : check.perStep) CHECK(n == 0);
}

TEST_CASE("form: the PDU a user's referrals are filed under") {
    CHECK(defaultPdu({"PDU-GWENT"}) == "PDU-GWENT");
    CHECK(defaultPdu({"W06000022"}) == "PDU-GWENT"); // Newport → Gwent
    CHECK(defaultPdu({"W06000022", "PDU-CTM"}) == "PDU-CTM");
    CHECK(defaultPdu({"E08000001"}) == "E08000001"); // GM boroughs have no PDU
    CHECK(defaultPdu({}).empty());
}

TEST_CASE("share preview: exactly what the organisation's ISA grants") {
    const nlohmann::json referral{{"crn", "X123456"},         {"given_name", "Alex"},       {"family_name", "Jones"},
                                  {"date_of_birth", "1990-02-03"}, {"risk_summary", "None."}, {"reason", "Debts."},
                                  {"needs", {{{"need", "finance"}, {"complexity", "medium"}}}},
                                  {"service_id", "svc-1"},     {"area", "PDU-GWENT"},         {"notes", "private"},
                                  {"status", "approved"}};
    const nlohmann::json isa{{"name", "Safer Wales"},
                             {"isa_status", "in_force"},
                             {"isa_to", "2030-01-01"},
                             {"isa_fields", {"crn", "given_name", "family_name", "risk_summary"}}};
    const SharePreview p = sharePreview(referral, isa, "2026-11-22");
    CHECK_FALSE(p.blocked);
    CHECK(p.isaTo == "2030-01-01");
    auto has = [](const std::vector<std::string>& v, const char* f) { return std::find(v.begin(), v.end(), f) != v.end(); };
    CHECK(has(p.shared, "crn"));
    CHECK(has(p.shared, "risk_summary"));
    CHECK(has(p.shared, "needs"));
    CHECK(has(p.shared, "service_id"));
    CHECK_FALSE(has(p.shared, "status")); // bookkeeping is not asked about
    CHECK(has(p.withheld, "date_of_birth"));
    CHECK(has(p.withheld, "reason"));
    CHECK(has(p.withheld, "notes"));
    CHECK_FALSE(has(p.shared, "date_of_birth"));

    // Expired, missing or absent ISA: it cannot be sent, and no personal field is shared.
    nlohmann::json expired = isa;
    expired["isa_to"] = "2025-01-01";
    for (const auto& org : {expired, nlohmann::json{{"name", "X"}, {"isa_status", "none"}}, nlohmann::json()}) {
        const SharePreview none = sharePreview(referral, org, "2026-11-22");
        CHECK(none.blocked);
        CHECK_FALSE(has(none.shared, "crn"));
        CHECK(has(none.withheld, "crn"));
    }
}

// ------------------------------------------------------------------------------------ queues

namespace {
client::Queue queue(const std::string& name, size_t n, int days = 0) {
    client::Queue q;
    q.name = name;
    q.total = n + 10; // totals count beyond the items returned
    for (size_t i = 0; i < n; ++i) {
        client::QueueItem item;
        item.collection = "referral";
        item.id = name + std::to_string(i);
        item.daysWaiting = days + static_cast<int>(i);
        q.items.push_back(item);
    }
    return q;
}
} // namespace

TEST_CASE("queues: each panel shows its queues, in the order given") {
    const std::vector<client::Queue> practitioner{queue("drafts", 2), queue("submitted", 1), queue("returned", 1),
                                                  queue("open", 3), queue("alerts", 2)};
    auto mine = sectionsFor(QueuePanel::MyReferrals, practitioner);
    REQUIRE(mine.size() == 4);
    CHECK(mine[0].name == "drafts");
    CHECK(mine[3].name == "open");
    CHECK(mine[0].total == 12);
    CHECK(std::string(mine[0].titleKey) == "queue.drafts");
    auto alerts = sectionsFor(QueuePanel::Alerts, practitioner);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].name == "alerts");
    CHECK(alerts[0].items.size() == 2);
    CHECK(sectionsFor(QueuePanel::Provider, practitioner).empty());

    const std::vector<client::Queue> supervisor{queue("awaiting_review", 8, 0), queue("returned", 1), queue("approved", 2)};
    auto review = sectionsFor(QueuePanel::Supervisor, supervisor);
    REQUIRE(review.size() == 3);
    CHECK(review[0].name == "awaiting_review");
    CHECK(review[0].overdue == 2); // 6 and 7 days waiting are over kOverdueDays
    // A supervisor's "returned" queue is theirs to watch, not their own returned referrals.
    CHECK(sectionsFor(QueuePanel::MyReferrals, supervisor).empty());

    const std::vector<client::Queue> provider{queue("new", 1), queue("my_cases", 2), queue("today", 3)};
    auto cases = sectionsFor(QueuePanel::Provider, provider);
    REQUIRE(cases.size() == 3);
    CHECK(cases[2].name == "today");
}

TEST_CASE("queues: a referral is handed to colleagues who work in its area, shown by name") {
    using Colleague = client::LocalStore::Colleague;
    const std::vector<Colleague> colleagues{
        {"u-bev", "Bev Jones", "practitioner", {"W06000022"}},     // Newport, inside Gwent
        {"u-al", "Al Evans", "practitioner", {"PDU-GWENT"}},
        {"u-cy", "Cy Morgan", "practitioner", {"PDU-CARDIFFVALE"}},
        {"u-sam", "Sam Hughes", "supervisor", {"PDU-GWENT"}},
        {"u-pat", "Pat Provider", "provider", {"PDU-GWENT"}},
    };
    auto choices = reassignChoices(colleagues, "PDU-GWENT", "u-al");
    std::vector<std::string> ids;
    for (const auto& c : choices) ids.push_back(c.id);
    // By name; not the current owner, not another PDU, not a provider.
    CHECK(ids == std::vector<std::string>{"u-bev", "u-sam"});
    CHECK(reassignChoices(colleagues, "PDU-CARDIFFVALE", "").size() == 1);
    CHECK(reassignChoices({}, "PDU-GWENT", "").empty());
    CHECK(ownerLabel(colleagues, "u-al") == "Al Evans (u-al)");
    CHECK(ownerLabel(colleagues, "u-unknown") == "u-unknown");
    // The server's list, parsed strictly.
    auto parsed = client::LocalStore::parseColleagues(nlohmann::json::parse(
        R"([{"id":"u-1","display_name":"One","role":"practitioner","areas":["PDU-GWENT"]},{"id":"u-2"}])"));
    REQUIRE(parsed.size() == 2);
    CHECK(parsed[0].areas == std::vector<std::string>{"PDU-GWENT"});
    CHECK(parsed[1].name.empty());
    CHECK_THROWS_AS(client::LocalStore::parseColleagues(nlohmann::json::object()), Error);
    CHECK_THROWS_AS(client::LocalStore::parseColleagues(nlohmann::json::parse(R"([{"display_name":"no id"}])")), Error);
}

TEST_CASE("queues: panels by role") {
    using domain::Role;
    CHECK(panelVisibleFor(QueuePanel::MyReferrals, Role::Practitioner));
    CHECK(panelVisibleFor(QueuePanel::Alerts, Role::Practitioner));
    CHECK_FALSE(panelVisibleFor(QueuePanel::Supervisor, Role::Practitioner));
    CHECK_FALSE(panelVisibleFor(QueuePanel::Provider, Role::Practitioner));
    CHECK(panelVisibleFor(QueuePanel::Supervisor, Role::Supervisor));
    CHECK(panelVisibleFor(QueuePanel::Provider, Role::Provider));
    CHECK_FALSE(panelVisibleFor(QueuePanel::MyReferrals, Role::Provider));
    CHECK_FALSE(panelVisibleFor(QueuePanel::Alerts, Role::Provider));
    CHECK(panelVisibleFor(QueuePanel::Supervisor, Role::Admin));
}

TEST_CASE("queues: only the moves the lifecycle allows the role are offered") {
    using domain::Role;
    auto tos = [](const std::vector<ActionOffer>& offers) {
        std::vector<std::string> out;
        for (const auto& o : offers) out.push_back(o.to);
        return out;
    };
    const auto& referral = domain::referralLifecycle();
    CHECK(tos(offeredActions(referral, Role::Supervisor, "submitted")) ==
          std::vector<std::string>{"approved", "returned", "withdrawn"});
    CHECK(tos(offeredActions(referral, Role::Practitioner, "submitted")) == std::vector<std::string>{"withdrawn"});
    CHECK(offeredActions(referral, Role::Provider, "submitted").empty());
    CHECK(tos(offeredActions(referral, Role::Provider, "sent")) == std::vector<std::string>{"accepted", "declined"});
    CHECK(tos(offeredActions(referral, Role::Practitioner, "sent")) == std::vector<std::string>{"withdrawn"});
    CHECK(offeredActions(referral, Role::Practitioner, "completed").empty());

    auto returned = offeredActions(referral, Role::Supervisor, "submitted");
    CHECK(returned[1].reasonRequired);
    CHECK(std::string(returned[1].labelKey) == "action.return");
    CHECK_FALSE(returned[0].reasonRequired);

    auto send = offeredActions(referral, Role::Practitioner, "approved");
    REQUIRE_FALSE(send.empty());
    CHECK(send[0].to == "sent");
    CHECK(send[0].needsSharePreview);

    auto attendance = offeredActions(domain::appointmentLifecycle(), Role::Provider, "scheduled");
    CHECK(attendance.size() == 5);
    CHECK(attendance.back().to == "did_not_happen");
    CHECK(attendance.back().reasonRequired);
    CHECK(offeredActions(domain::alertLifecycle(), Role::Provider, "open").empty());
    CHECK(tos(offeredActions(domain::alertLifecycle(), Role::Practitioner, "open")) == std::vector<std::string>{"decided"});
    // every offer has a label
    for (auto role : {Role::Practitioner, Role::Supervisor, Role::Provider, Role::Admin})
        for (const auto& t : referral.transitions())
            for (const auto& o : offeredActions(referral, role, t.from)) CHECK(o.labelKey != nullptr);
}

// ---------------------------------------------------------------------------- amendments

TEST_CASE("amend: a sent referral changes only with a reason") {
    using nlohmann::json;
    const json fields{{"reason", "housing"}, {"completion_deadline", "2026-12-01"}};
    CHECK_FALSE(amendmentNeedsReason("draft"));
    CHECK_FALSE(amendmentNeedsReason("submitted"));
    for (const char* s : {"sent", "accepted", "in_progress"}) CHECK(amendmentNeedsReason(s));
    CHECK_FALSE(hasReason(" \t\n"));
    CHECK(hasReason(" moved house "));
    CHECK(std::string(*amendmentProblem("sent", fields, "reason", "housing and debt", "  ")) == "amend.problem_reason");
    CHECK_FALSE(amendmentProblem("sent", fields, "reason", "housing and debt", "new information"));
    CHECK(std::string(*amendmentProblem("sent", fields, "reason", "housing", "why")) == "amend.problem_unchanged");
    CHECK(std::string(*amendmentProblem("sent", fields, "organisation_id", "x", "why")) == "amend.problem_field");
    CHECK(std::string(*amendmentProblem("sent", fields, "completion_deadline", "2026-13-40", "why")) ==
          "amend.problem_date");
    CHECK_FALSE(amendmentProblem("sent", fields, "completion_deadline", "2027-01-15", "extended"));
    CHECK_FALSE(amendmentProblem("draft", fields, "unavailability", "Mondays", ""));
    // every amendable field has a label in both languages
    for (auto f : kAmendableFields) CHECK(fieldKey(f) != nullptr);
}

TEST_CASE("amend: history pairs who/when/why with old and new values, newest first") {
    using nlohmann::json;
    json fields{{"history", json::array({
                    json{{"from", "approved"}, {"to", "sent"}, {"by", "u1"}, {"at", "2026-11-01T10:00:00Z"}, {"reason", ""}},
                    json{{"field", "reason"}, {"by", "u1"}, {"at", "2026-11-02T10:00:00Z"}, {"reason", "new info"}},
                    json{{"field", "unavailability"}, {"by", "u2"}, {"at", "2026-11-03T09:00:00Z"}, {"reason", "job"}},
                })}};
    auto sealed = amendmentHistory(fields);
    REQUIRE(sealed.size() == 2);
    CHECK(sealed[0].field == "unavailability");
    CHECK(sealed[0].by == "u2");
    CHECK(sealed[0].reason == "job");
    CHECK_FALSE(sealed[0].hasValues); // the values are in `amendments`, not viewed here
    fields["amendments"] = json::array({
        json{{"field", "reason"}, {"old", "housing"}, {"new", "housing, debt"}, {"by", "u1"}, {"at", "2026-11-02T10:00:00Z"}, {"reason", "new info"}},
    });
    auto viewed = amendmentHistory(fields);
    REQUIRE(viewed.size() == 2);
    CHECK(viewed[1].field == "reason");
    CHECK(viewed[1].hasValues);
    CHECK(viewed[1].oldValue == "housing");
    CHECK(viewed[1].newValue == "housing, debt");
    CHECK_FALSE(viewed[0].hasValues);
    CHECK(amendmentHistory(json::object()).empty());
}

TEST_CASE("amend: an appointment's new time") {
    CHECK(appointmentStartsAt("2026-12-01 10:30") == std::optional<std::string>("2026-12-01T10:30:00Z"));
    CHECK(appointmentStartsAt("2026-12-01T09:05") == std::optional<std::string>("2026-12-01T09:05:00Z"));
    CHECK_FALSE(appointmentStartsAt("2026-12-01 25:00"));
    CHECK_FALSE(appointmentStartsAt("2026-12-01 10:61"));
    CHECK_FALSE(appointmentStartsAt("2026-02-30 10:00"));
    CHECK_FALSE(appointmentStartsAt("2026-12-01"));
    CHECK_FALSE(appointmentStartsAt("tomorrow at ten"));
}

TEST_CASE("suggestions: supervisors and admins decide, open ones oldest first") {
    using domain::Role;
    CHECK(suggestionsVisibleFor(Role::Supervisor));
    CHECK(suggestionsVisibleFor(Role::Admin));
    CHECK_FALSE(suggestionsVisibleFor(Role::Practitioner));
    CHECK_FALSE(suggestionsVisibleFor(Role::Provider));
    auto rec = [](std::string id, int64_t seq, std::string status, bool deleted = false) {
        sync::Record r;
        r.collection = "suggestion";
        r.id = std::move(id);
        r.seq = seq;
        r.status = std::move(status);
        r.deleted = deleted;
        return r;
    };
    auto open = openSuggestions({rec("local", 0, "open"), rec("b", 7, "open"), rec("a", 3, "open"),
                                 rec("done", 1, "accepted"), rec("no", 2, "rejected"), rec("gone", 4, "open", true)});
    REQUIRE(open.size() == 3);
    CHECK(open[0].id == "a");
    CHECK(open[1].id == "b");
    CHECK(open[2].id == "local");
    // the moves offered are exactly the lifecycle's: accept, or reject with a reason
    auto offers = offeredActions(domain::suggestionLifecycle(), Role::Supervisor, "open");
    REQUIRE(offers.size() == 2);
    CHECK(offers[0].to == "accepted");
    CHECK_FALSE(offers[0].reasonRequired);
    CHECK(offers[1].to == "rejected");
    CHECK(offers[1].reasonRequired);
    CHECK(offeredActions(domain::suggestionLifecycle(), Role::Practitioner, "open").empty());
}

// ---------------------------------------------------------------------------- status bar

TEST_CASE("status bar: a sentence for every sync state") {
    LanguageFixture f;
    using State = client::SyncStatus::State;
    client::SyncStatus s;
    CHECK(std::string(statusLine(s, false, false).key) == "sync.local_only");
    CHECK(std::string(statusLine(s, true, false).key) == "sync.paused");
    s.state = State::Offline;
    CHECK(std::string(statusLine(s, true, true).key) == "sync.offline");
    s.state = State::Syncing;
    s.done = 3;
    s.total = 10;
    auto line = statusLine(s, true, true);
    CHECK(std::string(line.key) == "sync.syncing_n_of_m");
    CHECK(line.arg == "3");
    CHECK(line.arg2 == "10");
    s.done = 5000;
    CHECK(std::string(statusLine(s, true, true).key) == "sync.syncing_records");
    s.state = State::UpToDate;
    s.lastSyncAt = "2026-11-22T15:04:05Z";
    line = statusLine(s, true, true);
    CHECK(std::string(line.key) == "sync.up_to_date_at");
    CHECK(line.arg.size() == 5);
    CHECK(line.arg[2] == ':');
    s.state = State::Error;
    s.message = "The server had a problem; Signpost will try again shortly.";
    s.failure = client::SyncFailure::ServerTrouble;
    line = statusLine(s, true, true);
    CHECK(line.problem);
    REQUIRE(line.detailKey != nullptr);
    CHECK(std::string(line.detailKey) == "sync.fail.server");
    // Why sync failed is said in the person's language, with the server's own words as {0}.
    client::FailureInfo refused{client::SyncFailure::Refused, "not your area"};
    CHECK(failureSentence(refused) == "The server refused this: not your area");
    f.i18n.setLanguage(Language::Cy);
    CHECK(failureSentence(refused) == "Gwrthododd y gweinydd hyn: not your area");
    CHECK(failureSentence({client::SyncFailure::Offline, {}}).find("Dim cysylltiad") == 0);
    f.i18n.setLanguage(Language::En);
    CHECK(failureSentence({client::SyncFailure::None, {}}).empty());
    // Core's classification: what kind of failure each error is.
    CHECK(client::classifyFailure(client::TransportError("timed out")).kind == client::SyncFailure::Offline);
    CHECK(client::classifyFailure(std::runtime_error("boom")).kind == client::SyncFailure::Other);
    CHECK(client::describeFailure(std::runtime_error("boom")) == "Sync stopped: boom");
    CHECK(localClock("garbage").empty());
    CHECK(parseIsoUtc("1970-01-01T00:01:00Z") == std::time_t(60));
}

// ------------------------------------------------------------------------------------ worker

namespace {
struct Counter {
    int value = 0;
    std::thread::id thread;
};
} // namespace

TEST_CASE("worker: jobs run in order on one thread, results come back through the UI queue") {
    std::atomic<int> wakes{0};
    UiQueue ui([&] { ++wakes; });
    std::thread::id workerThread;
    {
        Worker<Counter> worker([] {
            auto c = std::make_unique<Counter>();
            c->thread = std::this_thread::get_id();
            return c;
        });
        std::vector<int> seen;
        for (int i = 0; i < 50; ++i)
            worker.post([i, &ui, &seen](Counter& c) {
                c.value += i;
                const int total = c.value;
                ui.post([total, &seen] { seen.push_back(total); });
            });
        worker.post([&workerThread](Counter& c) { workerThread = c.thread; });
        worker.flush();
        CHECK(wakes.load() == 50);
        CHECK(ui.drain() == 50);
        REQUIRE(seen.size() == 50);
        CHECK(seen.back() == 49 * 50 / 2);
        CHECK(std::is_sorted(seen.begin(), seen.end()));
        CHECK(ui.empty());
    }
    CHECK(workerThread != std::this_thread::get_id());
}

TEST_CASE("worker: type-ahead keeps only the newest queued search; a throwing job does not stop it") {
    std::vector<std::string> ran;
    std::string failure;
    Worker<Counter> worker([] { return std::make_unique<Counter>(); },
                           [&](const std::string& why) { failure = why; });
    std::atomic<bool> release{false};
    worker.post([&](Counter&) {
        while (!release.load()) std::this_thread::yield(); // hold the worker while we queue
    });
    for (const char* text : {"h", "ho", "hou", "hous", "housing"})
        worker.postLatest("search", [&ran, text](Counter&) { ran.push_back(text); });
    worker.post([](Counter&) { throw std::runtime_error("boom"); });
    worker.post([&ran](Counter&) { ran.push_back("after"); });
    release = true;
    worker.flush();
    CHECK(ran == std::vector<std::string>{"housing", "after"});
    CHECK(failure == "boom");
}

// --------------------------------------------------------------------------------------- png

TEST_CASE("png: what is written reads back pixel for pixel") {
    const int w = 37, h = 23;
    std::vector<uint8_t> pixels(static_cast<size_t>(w * h * 4));
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7919) % 251);
    const std::string png = encodePng(pixels.data(), w, h);
    CHECK(png.substr(1, 3) == "PNG");
    int rw = 0, rh = 0;
    CHECK(decodePng(png, rw, rh) == pixels);
    CHECK(rw == w);
    CHECK(rh == h);
    std::string damaged = png;
    damaged[damaged.size() / 2] ^= 0x40;
    CHECK(decodePng(damaged, rw, rh).empty()); // a chunk CRC catches it
}
