#include "Script.hpp"
#include "App.hpp"
#include "Demo.hpp"
#include "panels/Panels.hpp"

#include "signpost/sync/Protocol.hpp"
#include "signpost/util/Time.hpp"

#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace signpost::app {

namespace {
constexpr int kSettleFrames = 4; // new windows and popups size themselves over a frame or two
} // namespace

ScriptRunner::ScriptRunner(std::vector<Step> steps, std::string dir) : m_steps(std::move(steps)), m_dir(std::move(dir)) {
    if (!m_dir.empty()) std::filesystem::create_directories(m_dir);
}

void ScriptRunner::fail(UiContext& ctx, const std::string& why) {
    std::cerr << "signpost --script: step " << (m_index + 1) << " \"" << m_steps[m_index].name << "\" failed: " << why
              << "\n";
    m_exitCode = 1;
    ctx.app.requestQuit(1);
    m_index = m_steps.size();
    m_failureShot = true; // what the window showed, for whoever reads the failure
}

void ScriptRunner::advance(UiContext& ctx) {
    ++m_index;
    m_stepStart = ctx.time;
    m_settleFrames = 0;
    if (m_index >= m_steps.size()) {
        std::cout << "signpost --script: done, " << m_shots << " screenshot(s)\n";
        ctx.app.requestQuit(m_exitCode);
    }
}

void ScriptRunner::beforeDraw(UiContext& ctx) {
    if (m_index >= m_steps.size()) return;
    if (m_stepStart < 0) m_stepStart = ctx.time;
    Step& step = m_steps[m_index];
    if (ctx.time - m_stepStart > step.timeout) {
        fail(ctx, "timed out after " + std::to_string(static_cast<int>(step.timeout)) + " s");
        return;
    }
    if (!step.screenshot.empty()) {
        // Wait for the worker to go quiet and the layout to settle, then capture after render.
        if (ctx.worker.pending() > 0) {
            m_settleFrames = 0;
            return;
        }
        if (++m_settleFrames >= kSettleFrames) m_shotDue = true;
        return;
    }
    if (step.run(ctx.app, ctx)) advance(ctx);
}

void ScriptRunner::afterRender(UiContext& ctx) {
    if (m_failureShot) {
        m_failureShot = false;
        const std::string base = (std::filesystem::path(m_dir) / "failed").string();
        if (ctx.app.screenshot(base + ".png", base + ".json")) std::cerr << "screenshot of the failure: " << base << ".png\n";
        return;
    }
    if (!m_shotDue || m_index >= m_steps.size()) return;
    m_shotDue = false;
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%02d-", ++m_shots);
    const std::string base = (std::filesystem::path(m_dir) / (prefix + m_steps[m_index].screenshot)).string();
    if (!ctx.app.screenshot(base + ".png", base + ".json")) {
        fail(ctx, "could not write " + base + ".png");
        return;
    }
    std::cout << "screenshot " << base << ".png\n";
    advance(ctx);
}

std::string scriptNames() { return "flow, changes; with SIGNPOST_SCRIPT_USER/_PASSWORD and --server: server, supervisor, provider, conflict (SIGNPOST_SCRIPT_MERGED), attendance, alert"; }

std::unique_ptr<ScriptRunner> makeScript(const std::string& name, const std::string& dir) {
    using ScriptStep = ScriptRunner::Step;
    std::vector<ScriptStep> steps;
    auto shot = [](const std::string& file) {
        ScriptStep s;
        s.name = "screenshot " + file;
        s.screenshot = file;
        return s;
    };
    auto step = [](std::string label, std::function<bool(App&, UiContext&)> fn, double timeout = 60) {
        return ScriptStep{std::move(label), std::move(fn), {}, timeout};
    };

    const char* user = std::getenv("SIGNPOST_SCRIPT_USER");
    const char* password = std::getenv("SIGNPOST_SCRIPT_PASSWORD");
    // The scripts against a real server begin alike: first sign-in with SIGNPOST_SCRIPT_USER and
    // _PASSWORD at the --server URL, then the first sync.
    auto signInToServer = [&] {
        const std::string username = user, secret = password;
        steps.push_back(step("wait for the first sign-in form", [](App& app, UiContext&) {
            return app.session().state() == SessionState::FirstSignIn;
        }));
        steps.push_back(step("sign in", [username, secret](App& app, UiContext& ctx) {
            app.signInScreen().fillSignIn(ctx.settings.serverUrl, username, secret, "a device passphrase");
            app.signInScreen().submitSignIn(ctx);
            return true;
        }));
        steps.push_back(step("wait until signed in", [](App& app, UiContext&) { return app.session().unlocked(); }));
        steps.push_back(step("wait for the first sync", [](App& app, UiContext&) {
            return app.session().sync().status().state == client::SyncStatus::State::UpToDate;
        }, 120));
    };
    auto synced = [](App& app) {
        const auto s = app.session().sync().status();
        return s.state == client::SyncStatus::State::UpToDate && s.pending == 0;
    };
    // Waits for the queue panel to show an item in `section`, then opens it.
    auto openFirst = [&](const std::string& panelKey, const std::string& section) {
        steps.push_back(step("open " + panelKey, [panelKey](App& app, UiContext&) {
            app.navigate(panelKey);
            return true;
        }));
        steps.push_back(step("wait for " + section, [panelKey, section](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel(panelKey));
            if (!q || !q->loaded()) return false;
            for (const auto& sec : q->sections())
                if (sec.name == section && !sec.entries.empty()) {
                    q->select(ctx, sec.entries.front().item.collection, sec.entries.front().item.id);
                    return true;
                }
            app.session().nudgeSync(); // not here yet: sync again
            return false;
        }, 120));
        steps.push_back(step("wait for the item", [panelKey](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel(panelKey));
            return q && q->opened().has_value();
        }));
    };
    auto act = [&](const std::string& panelKey, const std::string& to, const std::string& reason = {}) {
        steps.push_back(step(to, [panelKey, to, reason](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel(panelKey));
            return q && q->opened() && q->act(ctx, to, reason);
        }));
    };
    auto waitStatus = [&](const std::string& panelKey, const std::string& status) {
        steps.push_back(step("wait for " + status, [panelKey, status](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel(panelKey));
            return q && q->opened() && q->opened()->record.status == status;
        }));
    };

    // A device that signed in before (the scripts above): offline unlock with its passphrase.
    auto unlockDevice = [&] {
        steps.push_back(step("wait for the unlock screen", [](App& app, UiContext&) {
            return app.session().state() == SessionState::Locked;
        }));
        steps.push_back(step("unlock", [](App& app, UiContext& ctx) {
            app.signInScreen().passphrase() = "a device passphrase";
            app.signInScreen().submitUnlock(ctx);
            return true;
        }));
        steps.push_back(step("wait until unlocked", [](App& app, UiContext&) { return app.session().unlocked(); }));
    };

    if (name == "attendance") {
        // The provider books an appointment on their case and records an unacceptable absence
        // (the server raises an alert for the responsible practitioner).
        unlockDevice();
        openFirst("provider", "my_cases");
        steps.push_back(step("book an appointment", [](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->bookAppointment(ctx, timeutil::isoDateUtc(ctx.now) + " 10:00", "Newport hub");
        }));
        steps.push_back(step("wait for the appointment", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->opened() && !q->opened()->appointments.empty();
        }));
        steps.push_back(shot("appointment"));
        steps.push_back(step("record the absence", [](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->actOnAppointment(ctx, q->opened()->appointments.front().id, "absent_unacceptable");
        }));
        steps.push_back(step("wait for the attendance", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->opened() && !q->opened()->appointments.empty() &&
                   q->opened()->appointments.front().status == "absent_unacceptable";
        }));
        steps.push_back(step("sync", [](App& app, UiContext&) {
            app.session().nudgeSync();
            return true;
        }));
        steps.push_back(step("wait until the server has it", [synced](App& app, UiContext&) { return synced(app); }, 120));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    if (name == "alert") {
        // The practitioner finds the alert and records their decision (Signpost never decides).
        unlockDevice();
        openFirst("alerts", "alerts");
        steps.push_back(shot("alert"));
        steps.push_back(step("record a decision", [](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("alerts"));
            return q->recordDecision(ctx, 1, "Spoke to them; a first warning.");
        }));
        waitStatus("alerts", "decided");
        steps.push_back(step("sync", [](App& app, UiContext&) {
            app.session().nudgeSync();
            return true;
        }));
        steps.push_back(step("wait until the server has it", [synced](App& app, UiContext&) { return synced(app); }, 120));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    if (name == "conflict") {
        // A device that signed in before: unlock with its passphrase; its sync meets a clash
        // another device made on the same text; resolve it with a merged text in Conflicts.
        const char* merged = std::getenv("SIGNPOST_SCRIPT_MERGED");
        if (!merged) return nullptr;
        const std::string text = merged;
        unlockDevice();
        steps.push_back(step("wait for the conflict", [](App& app, UiContext&) {
            auto* c = dynamic_cast<ConflictsPanel*>(app.panel("conflicts"));
            if (c && !c->conflicts().empty()) {
                app.navigate("conflicts");
                c->select(c->conflicts().front().id);
                return true;
            }
            return false;
        }, 120));
        steps.push_back(shot("conflict"));
        steps.push_back(step("keep a merged text", [text](App& app, UiContext& ctx) {
            auto* c = dynamic_cast<ConflictsPanel*>(app.panel("conflicts"));
            c->mergedText() = text;
            c->keepMerged(ctx);
            app.session().nudgeSync();
            return true;
        }));
        steps.push_back(step("wait until the server has it", [synced](App& app, UiContext&) {
            auto* c = dynamic_cast<ConflictsPanel*>(app.panel("conflicts"));
            return synced(app) && c->conflicts().empty();
        }, 120));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    if (name == "supervisor" || name == "provider") {
        if (!user || !password) return nullptr;
        signInToServer();
        if (name == "supervisor") {
            // Review the practitioner's referral: approve, then send it through the share preview.
            openFirst("supervisor", "awaiting_review");
            steps.push_back(shot("supervisor-queue"));
            act("supervisor", "approved");
            waitStatus("supervisor", "approved");
            act("supervisor", "sent");
            steps.push_back(step("wait for the share preview", [](App& app, UiContext&) {
                auto* q = dynamic_cast<QueuePanelBase*>(app.panel("supervisor"));
                return q && q->actionPending();
            }));
            steps.push_back(shot("send-share-preview"));
            steps.push_back(step("send", [](App& app, UiContext& ctx) {
                dynamic_cast<QueuePanelBase*>(app.panel("supervisor"))->confirmAction(ctx);
                app.session().nudgeSync();
                return true;
            }));
            waitStatus("supervisor", "sent");
        } else {
            // The provider sees the referral as its ISA allows, and accepts it.
            openFirst("provider", "new");
            steps.push_back(shot("provider-case"));
            act("provider", "accepted");
            waitStatus("provider", "accepted");
            steps.push_back(step("sync", [](App& app, UiContext&) {
                app.session().nudgeSync();
                return true;
            }));
        }
        steps.push_back(step("wait until the server has it", [synced](App& app, UiContext&) { return synced(app); }, 120));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    if (name == "server") {
        // First sign-in against a real signpost-server, a sync that brings the directory, a
        // complete referral submitted through the "what will be shared" confirmation, and the sync
        // that sends it.
        if (!user || !password) return nullptr;
        signInToServer();
        steps.push_back(step("search the synced directory", [](App& app, UiContext&) {
            app.navigate("find");
            app.find().filters().text = "finance";
            return true;
        }));
        steps.push_back(step("wait for results", [](App& app, UiContext&) {
            return !app.find().searching() && !app.find().results().empty();
        }));
        steps.push_back(shot("synced-search"));
        steps.push_back(step("open a Welsh service", [](App& app, UiContext& ctx) {
            const auto& results = app.find().results();
            std::string id = results.front().id;
            for (const auto& r : results)
                if (r.name.find("Wales") != std::string::npos) id = r.id;
            app.find().select(ctx, id);
            return true;
        }));
        steps.push_back(step("wait for the service", [](App& app, UiContext&) { return app.find().detail().has_value(); }));
        steps.push_back(step("refer", [](App& app, UiContext& ctx) {
            app.find().referSelected(ctx);
            return true;
        }));
        steps.push_back(step("complete the referral", [](App& app, UiContext& ctx) {
            if (app.activePanel() != app.panel("referral")) return false;
            auto& editor = app.referralEditor();
            auto& r = editor.referral();
            r.crn = "X654321";
            r.givenName = "Sam";
            r.familyName = "Evans";
            r.dateOfBirth = "1988-07-14";
            r.preferredLanguage = "cy";
            r.supervisionType = domain::SupervisionType::CommunityOrder;
            r.needs = {{"finance", domain::Complexity::High}};
            r.reason = "Rent arrears and a benefits sanction.";
            r.riskSummary = "Suitable for a group setting.";
            for (const char* f : {"crn", "given_name", "family_name", "date_of_birth", "preferred_language",
                                  "supervision_type", "needs", "reason", "risk_summary"})
                editor.changed(ctx, f);
            editor.setStep(ctx, Step::Review);
            return true;
        }));
        steps.push_back(step("wait for the draft to save", [](App& app, UiContext&) { return app.referralEditor().saved(); }));
        steps.push_back(step("submit", [](App& app, UiContext& ctx) {
            app.referralEditor().submit(ctx);
            return true;
        }));
        steps.push_back(step("wait for the share preview", [](App& app, UiContext&) {
            return app.referralEditor().sharePreviewShown();
        }));
        steps.push_back(shot("share-preview"));
        steps.push_back(step("confirm", [](App& app, UiContext& ctx) {
            app.referralEditor().confirmSubmit(ctx);
            return true;
        }));
        steps.push_back(step("wait until it is sent to the server", [](App& app, UiContext&) {
            const auto s = app.session().sync().status();
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            bool submitted = false;
            if (q)
                for (const auto& sec : q->sections())
                    if (sec.name == "submitted" && sec.total > 0) submitted = true;
            return submitted && s.state == client::SyncStatus::State::UpToDate && s.pending == 0;
        }, 120));
        steps.push_back(shot("submitted"));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    // Sign in offline with the demo device's passphrase.
    steps.push_back(step("wait for the sign-in screen", [](App& app, UiContext&) {
        return app.session().state() == SessionState::Locked;
    }));
    steps.push_back(shot("sign-in"));
    steps.push_back(step("unlock", [](App& app, UiContext& ctx) {
        app.signInScreen().passphrase() = kDemoPassphrase;
        app.signInScreen().submitUnlock(ctx);
        return true;
    }));
    steps.push_back(step("wait until unlocked", [](App& app, UiContext&) { return app.session().unlocked(); }));

    if (name == "changes") {
        // Changes after the fact, on a demo device (no server): records arrive as if pulled (a
        // sent referral with one amendment, its appointment, a reported change), then the device
        // changes hands between roles by locking and unlocking. The practitioner amends the
        // referral with a reason and opens its history; the provider reschedules the
        // appointment with a reason; the supervisor rejects the reported change with a reason.
        auto seeded = std::make_shared<bool>(false);
        steps.push_back(step("records arrive as if pulled", [seeded](App&, UiContext& ctx) {
            UiQueue& ui = ctx.ui;
            App& app = ctx.app;
            const std::string day = timeutil::isoDateUtc(ctx.now);
            ctx.worker.post([seeded, day, &ui, &app](WorkerState& w) {
                std::string serviceId;
                auto q = w.db.cached("SELECT id FROM service ORDER BY id LIMIT 1");
                if (q->step()) serviceId = q->getText(0);
                auto record = [](std::string collection, std::string id, int64_t seq, std::string status) {
                    sync::Record r;
                    r.collection = std::move(collection);
                    r.id = std::move(id);
                    r.seq = seq;
                    r.status = std::move(status);
                    r.area = "PDU-CARDIFFVALE";
                    r.organisation = "demo-org";
                    r.owner = "demo-practitioner";
                    r.fields["status"] = r.status;
                    r.fields["sent_at"] = "2026-01-01T09:00:00Z"; // as the server stamps a sent referral
                    return r;
                };
                const std::string at = day + "T09:00:00Z";
                sync::PullResponse page;
                auto referral = record("referral", "demo-sent-referral", 1, "sent");
                referral.fields.update(nlohmann::json{
                    {"service_id", serviceId},
                    {"organisation_id", "demo-org"},
                    {"area", "PDU-CARDIFFVALE"},
                    {"owner", "demo-practitioner"},
                    {"reason", "Debt advice: rent arrears and a court date."},
                    {"unavailability", "Mondays"},
                    {"history", nlohmann::json::array(
                                    {{{"from", "approved"}, {"to", "sent"}, {"by", "demo-supervisor"}, {"at", at}, {"reason", ""}},
                                     {{"field", "reason"}, {"by", "demo-practitioner"}, {"at", day + "T09:30:00Z"},
                                      {"reason", "The court date was brought forward"}}})},
                    {"amendments", nlohmann::json::array(
                                       {{{"field", "reason"}, {"old", "Debt advice: rent arrears."},
                                         {"new", "Debt advice: rent arrears and a court date."}, {"by", "demo-practitioner"},
                                         {"at", day + "T09:30:00Z"}, {"reason", "The court date was brought forward"}}})},
                });
                auto appointment = record("appointment", "demo-appointment", 2, "scheduled");
                appointment.fields.update(nlohmann::json{{"referral_id", "demo-sent-referral"}, {"starts_at", day + "T15:00:00Z"},
                                      {"location", "Cardiff hub"},           {"area", "PDU-CARDIFFVALE"},
                                      {"organisation_id", "demo-org"},       {"owner", "demo-practitioner"}});
                auto suggestion = record("suggestion", "demo-suggestion", 3, "open");
                suggestion.organisation.clear();
                suggestion.owner = "demo-practitioner";
                suggestion.fields.update(nlohmann::json{{"service_id", serviceId}, {"field", "phone"}, {"proposed", "029 2000 0000"},
                                     {"note", "The number on the leaflet is different."}, {"owner", "demo-practitioner"}});
                page.records = {referral, appointment, suggestion};
                std::string error;
                try {
                    // A page from cursor 0 would rebuild the whole view, dropping the demo's
                    // directory: these arrive as a later page.
                    if (w.store.cursor() == 0) w.store.setState("cursor", "1");
                    page.nextCursor = w.store.cursor() + 3;
                    w.store.applyPull(page);
                } catch (const std::exception& e) {
                    error = e.what();
                }
                ui.post([seeded, error, &app] {
                    if (!error.empty()) std::cerr << "seeding: " << error << "\n";
                    *seeded = error.empty();
                    app.dataChanged();
                });
            });
            return true;
        }));
        steps.push_back(step("wait for the records", [seeded](App&, UiContext&) { return *seeded; }));
        auto becomeRole = [&](domain::Role role, const std::string& userId, const std::string& organisation) {
            steps.push_back(step("lock to hand over to " + userId, [](App& app, UiContext& ctx) {
                app.lockNow(ctx, false);
                return true;
            }));
            steps.push_back(step("wait until locked", [](App& app, UiContext&) {
                return app.session().state() == SessionState::Locked;
            }));
            auto done = std::make_shared<bool>(false);
            steps.push_back(step("become " + userId, [role, userId, organisation, done](App&, UiContext& ctx) {
                UiQueue& ui = ctx.ui;
                ctx.worker.post([role, userId, organisation, done, &ui](WorkerState& w) {
                    sync::Principal who;
                    who.userId = userId;
                    who.role = role;
                    who.areas = {"PDU-CARDIFFVALE"};
                    who.organisation = organisation;
                    w.store.setPrincipal(who, kDemoUser);
                    ui.post([done] { *done = true; });
                });
                return true;
            }));
            steps.push_back(step("wait for " + userId, [done](App&, UiContext&) { return *done; }));
            steps.push_back(step("unlock as " + userId, [](App& app, UiContext& ctx) {
                app.signInScreen().passphrase() = kDemoPassphrase;
                app.signInScreen().submitUnlock(ctx);
                return true;
            }));
            steps.push_back(step("wait until unlocked as " + userId, [userId](App& app, UiContext&) {
                return app.session().unlocked() && app.session().userId() == userId;
            }));
        };

        // The practitioner amends the sent referral (a reason is required) and opens its history.
        openFirst("my_referrals", "open");
        steps.push_back(step("wait for the referral", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            return q->opened() && q->opened()->record.id == "demo-sent-referral";
        }));
        steps.push_back(step("no amendment without a reason", [](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            return !q->amend(ctx, "unavailability", "Mondays and Tuesdays", "  ");
        }));
        steps.push_back(step("amend with a reason", [](App& app, UiContext& ctx) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            return q->amend(ctx, "unavailability", "Mondays and Tuesdays", "New job on Tuesdays");
        }));
        steps.push_back(step("wait for the amendment", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            return q->opened() && q->opened()->record.fields.value("unavailability", "") == "Mondays and Tuesdays";
        }));
        steps.push_back(step("open the amendment history", [](App& app, UiContext&) {
            dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"))->showAmendmentHistory(true);
            return true;
        }));
        steps.push_back(shot("amendment-history"));

        // The provider moves the appointment (a reason is required).
        becomeRole(domain::Role::Provider, "demo-provider", "demo-org");
        openFirst("provider", "new");
        steps.push_back(step("wait for the appointment", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->opened() && !q->opened()->appointments.empty();
        }));
        const std::string newTime = "2030-01-15 11:30";
        steps.push_back(step("open Reschedule", [newTime](App& app, UiContext&) {
            dynamic_cast<QueuePanelBase*>(app.panel("provider"))
                ->openReschedule("demo-appointment", newTime, "The person starts a new job that day");
            return true;
        }));
        steps.push_back(shot("reschedule"));
        steps.push_back(step("no move without a reason", [newTime](App& app, UiContext& ctx) {
            return !dynamic_cast<QueuePanelBase*>(app.panel("provider"))->reschedule(ctx, "demo-appointment", newTime, "");
        }));
        steps.push_back(step("reschedule with a reason", [newTime](App& app, UiContext& ctx) {
            return dynamic_cast<QueuePanelBase*>(app.panel("provider"))
                ->reschedule(ctx, "demo-appointment", newTime, "The person starts a new job that day");
        }));
        steps.push_back(step("wait for the new time", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("provider"));
            return q->opened() && !q->opened()->appointments.empty() &&
                   q->opened()->appointments.front().fields.value("starts_at", "") == "2030-01-15T11:30:00Z";
        }));

        // The supervisor rejects the reported change (a reason is required).
        becomeRole(domain::Role::Supervisor, "demo-supervisor", "");
        steps.push_back(step("open Reported changes", [](App& app, UiContext&) {
            app.navigate("suggestions");
            return true;
        }));
        steps.push_back(step("wait for the reported change", [](App& app, UiContext&) {
            auto* p = dynamic_cast<SuggestionsPanel*>(app.panel("suggestions"));
            return p && !p->items().empty();
        }));
        steps.push_back(shot("suggestions"));
        steps.push_back(step("no rejection without a reason", [](App& app, UiContext& ctx) {
            return !dynamic_cast<SuggestionsPanel*>(app.panel("suggestions"))->reject(ctx, "demo-suggestion", " ");
        }));
        steps.push_back(step("reject with a reason", [](App& app, UiContext& ctx) {
            return dynamic_cast<SuggestionsPanel*>(app.panel("suggestions"))
                ->reject(ctx, "demo-suggestion", "The service confirmed the number is right");
        }));
        steps.push_back(step("wait until it is decided", [](App& app, UiContext&) {
            auto* p = dynamic_cast<SuggestionsPanel*>(app.panel("suggestions"));
            return p->items().empty();
        }));
        steps.push_back(shot("suggestions-decided"));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }

    if (name == "flow") {
        steps.push_back(step("search for debt", [](App& app, UiContext& ctx) {
            app.navigate("find");
            // Typed in the person's language: the directory answers Welsh words too.
            app.find().filters().text = ctx.language() == Language::Cy ? "dyled" : "debt";
            return true;
        }));
        steps.push_back(step("wait for results", [](App& app, UiContext&) {
            return !app.find().searching() && !app.find().results().empty();
        }));
        steps.push_back(shot("search"));
        steps.push_back(step("open a service", [](App& app, UiContext& ctx) {
            // A service delivered in Welsh, with a Welsh name, where there is one: the cy
            // screenshots show the data's own Welsh.
            const auto& results = app.find().results();
            std::string id = results.front().id;
            for (const auto& r : results)
                if (!r.nameCy.empty() && r.welshLanguage) {
                    id = r.id;
                    break;
                }
            app.find().select(ctx, id);
            return true;
        }));
        steps.push_back(step("wait for the service", [](App& app, UiContext&) { return app.find().detail().has_value(); }));
        steps.push_back(shot("service"));
        steps.push_back(step("refer to this service", [](App& app, UiContext& ctx) {
            app.find().referSelected(ctx);
            return true;
        }));
        steps.push_back(step("fill in the person", [](App& app, UiContext& ctx) {
            if (app.activePanel() != app.panel("referral")) return false;
            auto& editor = app.referralEditor();
            auto& r = editor.referral();
            r.crn = "X123456";
            r.givenName = "Alex";
            r.familyName = "Jones";
            r.dateOfBirth = "1990-02-3"; // malformed on purpose: the message shows as you type
            r.preferredLanguage = "cy";
            for (const char* f : {"crn", "given_name", "family_name", "date_of_birth", "preferred_language"})
                editor.changed(ctx, f);
            return true;
        }));
        steps.push_back(step("wait for the draft to save", [](App& app, UiContext&) { return app.referralEditor().saved(); }));
        steps.push_back(shot("referral-person"));
        steps.push_back(step("fix the date and describe the needs", [](App& app, UiContext& ctx) {
            auto& editor = app.referralEditor();
            auto& r = editor.referral();
            r.dateOfBirth = "1990-02-03";
            editor.changed(ctx, "date_of_birth");
            r.supervisionType = domain::SupervisionType::Licence;
            editor.changed(ctx, "supervision_type");
            r.needs = {{"finance", domain::Complexity::Medium}};
            r.reason = "Debts have built up since release; wants help with a repayment plan.";
            r.riskSummary = "No concerns for a group setting.";
            for (const char* f : {"needs", "reason", "risk_summary"}) editor.changed(ctx, f);
            editor.setStep(ctx, Step::Review);
            return true;
        }));
        steps.push_back(step("wait for the draft to save", [](App& app, UiContext&) { return app.referralEditor().saved(); }));
        steps.push_back(shot("referral-review"));
        steps.push_back(step("open My referrals", [](App& app, UiContext&) {
            app.navigate("my_referrals");
            return true;
        }));
        steps.push_back(step("wait for the drafts queue", [](App& app, UiContext&) {
            auto* q = dynamic_cast<QueuePanelBase*>(app.panel("my_referrals"));
            if (!q || !q->loaded()) return false;
            for (const auto& s : q->sections())
                if (s.name == "drafts" && s.total > 0) return true;
            return false;
        }));
        steps.push_back(shot("my-referrals"));
        steps.push_back(step("open Settings", [](App& app, UiContext&) {
            app.navigate("settings");
            return true;
        }));
        steps.push_back(shot("settings"));
        // Locked as after the idle time; a wrong passphrase is refused plainly, the right one opens.
        steps.push_back(step("lock as if idle", [](App& app, UiContext& ctx) {
            app.lockNow(ctx, true);
            return true;
        }));
        steps.push_back(step("wait until locked", [](App& app, UiContext&) {
            return app.session().state() == SessionState::Locked && app.session().message() == "signin.locked_idle";
        }));
        steps.push_back(step("a wrong passphrase", [](App& app, UiContext& ctx) {
            app.signInScreen().passphrase() = "not the passphrase";
            app.signInScreen().submitUnlock(ctx);
            return true;
        }));
        steps.push_back(step("wait for the refusal", [](App& app, UiContext&) {
            return app.session().state() == SessionState::Locked && app.session().message() == "signin.wrong_passphrase";
        }));
        steps.push_back(shot("wrong-passphrase"));
        steps.push_back(step("the right passphrase", [](App& app, UiContext& ctx) {
            app.signInScreen().passphrase() = kDemoPassphrase;
            app.signInScreen().submitUnlock(ctx);
            return true;
        }));
        steps.push_back(step("wait until unlocked again", [](App& app, UiContext&) { return app.session().unlocked(); }));
        return std::make_unique<ScriptRunner>(std::move(steps), dir);
    }
    return nullptr;
}

} // namespace signpost::app
