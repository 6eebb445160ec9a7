// Conflicts (base / mine / theirs, choose or edit), Reported changes (accept or reject), Settings, the sign-in screen, and the one
// place every panel is registered.
#include "../../model/Amend.hpp"
#include "../../model/Names.hpp"
#include "../../model/Format.hpp"
#include "../App.hpp"
#include "../Demo.hpp"
#include "../Session.hpp"
#include "../Theme.hpp"
#include "../Widgets.hpp"
#include "Panels.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>
#include <string_view>
#include <utility>

namespace signpost::app {

using nlohmann::json;

std::vector<std::unique_ptr<Panel>> makePanels(App&) {
    std::vector<std::unique_ptr<Panel>> panels;
    // Navigation order: the first four are the bottom tabs on a phone.
    panels.push_back(std::make_unique<FindPanel>());
    panels.push_back(std::make_unique<ReferralEditorPanel>());
    panels.push_back(std::make_unique<MyReferralsPanel>());
    panels.push_back(std::make_unique<SupervisorPanel>());
    panels.push_back(std::make_unique<ProviderPanel>());
    panels.push_back(std::make_unique<AlertsPanel>());
    panels.push_back(std::make_unique<ConflictsPanel>());
    panels.push_back(std::make_unique<SuggestionsPanel>());
    panels.push_back(std::make_unique<SettingsPanel>());
    return panels;
}

// ------------------------------------------------------------------------------- conflicts

namespace {
std::string shown(const json& value) {
    if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()))
        return tr("conflict.empty_value");
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// What the conflict is about, in words: the field and the kind of record.
std::string about(const json& fields) {
    const std::string field = fields.value("field", ""), collection = fields.value("collection", "");
    static constexpr std::pair<std::string_view, const char*> kCollections[] = {
        {"referral", trKey("conflict.on_referral")},       {"appointment", trKey("conflict.on_appointment")},
        {"service", trKey("conflict.on_service")},         {"organisation", trKey("conflict.on_organisation")},
        {"alert", trKey("conflict.on_alert")},             {"suggestion", trKey("conflict.on_suggestion")},
    };
    std::string where = collection;
    for (const auto& [code, key] : kCollections)
        if (code == collection) where = tr(key);
    return (field.empty() ? std::string(tr("conflict.whole_record")) : labelFor(fieldKey(field), field)) + " · " + where;
}
} // namespace

void ConflictsPanel::tick(UiContext& ctx) {
    if (!ctx.session.unlocked() || m_loading || m_loadedGeneration == ctx.dataGeneration) return;
    m_loading = true;
    const uint64_t generation = ctx.dataGeneration;
    UiQueue& ui = ctx.ui;
    ctx.worker.postLatest("conflicts", [this, generation, &ui](WorkerState& w) {
        std::vector<sync::Record> open;
        try {
            for (auto& c : w.store.records("conflict"))
                if (c.status == "open") open.push_back(std::move(c));
        } catch (const std::exception&) {
            open.clear(); // locked meanwhile: nothing to show
        }
        ui.post([this, open = std::move(open), generation]() mutable {
            m_conflicts = std::move(open);
            m_loading = false;
            m_loadedGeneration = generation;
        });
    });
}

void ConflictsPanel::resolve(UiContext& ctx, const std::string& id, json value) {
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([id, value, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.resolveConflict(id, value);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([error, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(tr("conflict.resolved"));
            app.dataChanged();
        });
    });
    m_selected.clear();
    m_showDetail = false;
}

void ConflictsPanel::select(const std::string& id) {
    for (const auto& c : m_conflicts)
        if (c.id == id) {
            m_selected = id;
            m_merged = shown(c.fields.value("mine", json()));
            m_showDetail = true;
        }
}

void ConflictsPanel::keepMerged(UiContext& ctx) {
    if (!m_selected.empty()) resolve(ctx, m_selected, json(m_merged));
}

void ConflictsPanel::drawContent(UiContext& ctx) {
    ui::muted(tr("conflict.explain"));
    if (m_conflicts.empty()) {
        ui::wrapped(tr("conflict.none"));
        return;
    }
    const sync::Record* selected = nullptr;
    for (const auto& c : m_conflicts)
        if (c.id == m_selected) selected = &c;
    if (!ctx.split() && m_showDetail && selected) {
        // fall through to the detail below
    } else {
        for (const auto& c : m_conflicts) {
            const std::string label = about(c.fields) + "##" + c.id;
            if (ImGui::Selectable(label.c_str(), c.id == m_selected, 0, ImVec2(0, ctx.layout.minTarget))) select(c.id);
        }
        ImGui::Separator();
        if (!ctx.split()) return;
    }
    if (!selected) return;
    ctx.noteVisible(tr("conflict.detail"));
    const auto& f = selected->fields;
    ui::bold(ctx, about(f));
    const std::string base = shown(f.value("base", json())), mine = shown(f.value("mine", json())),
                      theirs = shown(f.value("theirs", json()));
    auto column = [&](const char* titleKey, const std::string& value) {
        ui::bold(ctx, tr(titleKey));
        ui::wrapped(value);
    };
    if (ctx.split() && ImGui::BeginTable("##versions", 3, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        column("conflict.base", base);
        ImGui::TableNextColumn();
        column("conflict.mine", mine);
        ImGui::TableNextColumn();
        column("conflict.theirs", theirs);
        ImGui::EndTable();
    } else {
        column("conflict.base", base);
        column("conflict.mine", mine);
        column("conflict.theirs", theirs);
    }
    ImGui::Spacing();
    ui::ButtonRow choose(ctx);
    if (choose.button(tr("conflict.keep_mine"))) resolve(ctx, selected->id, f.value("mine", json()));
    if (choose.button(tr("conflict.keep_theirs"))) resolve(ctx, selected->id, f.value("theirs", json()));
    ImGui::Spacing();
    ui::inputMultiline(ctx, tr("conflict.merged"), "##merged", &m_merged, nullptr, 5);
    if (ui::button(ctx, tr("conflict.keep_merged"), true)) keepMerged(ctx);
}

// --------------------------------------------------------------------- reported changes

namespace {
// The "Report a change" field codes (FindPanel) as words.
const char* reportFieldKey(std::string_view code) {
    static constexpr std::pair<std::string_view, const char*> kKeys[] = {
        {"phone", trKey("report.phone")},
        {"email", trKey("report.email")},
        {"address", trKey("report.address")},
        {"opening_times", trKey("report.opening_times")},
        {"description", trKey("report.description")},
        {"eligibility", trKey("report.eligibility")},
        {"closed", trKey("report.closed")},
        {"other", trKey("report.other")},
    };
    for (const auto& [c, key] : kKeys)
        if (c == code) return key;
    return nullptr;
}

std::string str(const json& fields, const char* key) {
    auto it = fields.find(key);
    return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}
} // namespace

bool SuggestionsPanel::visibleFor(const UiContext& ctx) const { return suggestionsVisibleFor(ctx.session.role()); }

void SuggestionsPanel::tick(UiContext& ctx) {
    if (!ctx.session.unlocked() || !visibleFor(ctx) || m_loading || m_loadedGeneration == ctx.dataGeneration) return;
    m_loading = true;
    const uint64_t generation = ctx.dataGeneration;
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.postLatest("suggestions", [this, generation, &ui, &app](WorkerState& w) {
        std::vector<SuggestionView> items;
        try {
            for (auto& r : openSuggestions(w.store.records("suggestion", false, false))) {
                SuggestionView v;
                // The directory's name columns only: the panel needs the name, not the service.
                auto q = w.db.cached("SELECT name, name_cy FROM service WHERE id = ?1");
                q->bind(1, str(r.fields, "service_id"));
                if (q->step()) {
                    v.serviceName = q->getText(0);
                    v.serviceNameCy = q->getText(1);
                }
                v.record = std::move(r);
                items.push_back(std::move(v));
            }
        } catch (const std::exception&) {
            items.clear(); // locked meanwhile: nothing to show
        }
        ui.post([this, items = std::move(items), generation, &app]() mutable {
            m_items = std::move(items);
            m_loading = false;
            m_loaded = true;
            m_loadedGeneration = generation;
            m_deciding.clear();
            app.requestFrames();
        });
    });
}

void SuggestionsPanel::decide(UiContext& ctx, const std::string& id, const std::string& to, const std::string& reason) {
    m_deciding.insert(id);
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([id, to, reason, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.transition("suggestion", id, to, reason);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([error, to, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(tr(to == "accepted" ? "suggestion.accepted" : "suggestion.rejected"));
            app.dataChanged();
        });
    });
}

void SuggestionsPanel::accept(UiContext& ctx, const std::string& id) { decide(ctx, id, "accepted", {}); }

bool SuggestionsPanel::reject(UiContext& ctx, const std::string& id, const std::string& reason) {
    if (!hasReason(reason)) return false;
    decide(ctx, id, "rejected", reason);
    if (m_rejectId == id) {
        m_rejectId.clear();
        m_rejectReason.clear();
    }
    return true;
}

void SuggestionsPanel::drawContent(UiContext& ctx) {
    ui::muted(tr("suggestion.explain"));
    if (!m_loaded) {
        ui::muted(tr("common.loading"));
        return;
    }
    if (m_items.empty()) {
        ui::wrapped(tr("suggestion.none"));
        return;
    }
    const Language lang = ctx.language();
    // One column at every width: each report is a short block of text and its buttons, which
    // wrap (ButtonRow) on a phone.
    for (const auto& item : m_items) {
        const auto& r = item.record;
        ImGui::PushID(r.id.c_str());
        ImGui::Separator();
        std::string service = localName(item.serviceName, item.serviceNameCy, lang);
        if (service.empty()) service = tr("suggestion.unknown_service");
        ui::bold(ctx, service);
        const std::string field = str(r.fields, "field");
        ui::wrapped(trf("suggestion.what", {labelFor(reportFieldKey(field), field)}));
        const std::string proposed = str(r.fields, "proposed"), note = str(r.fields, "note");
        if (!proposed.empty()) ui::wrapped(trf("suggestion.proposed", {proposed}));
        if (!note.empty()) ui::wrapped(trf("suggestion.note", {note}));
        if (r.seq == 0) ui::muted(tr("queue.not_sent_yet"));
        if (m_deciding.count(r.id)) {
            ui::muted(tr("common.loading"));
            ImGui::PopID();
            continue;
        }
        if (m_rejectId == r.id) {
            ctx.noteVisible(tr("suggestion.reject_reason"));
            ui::inputMultiline(ctx, tr("suggestion.reject_reason"), "##reject_reason", &m_rejectReason);
            ui::ButtonRow buttons(ctx);
            ImGui::BeginDisabled(!hasReason(m_rejectReason));
            if (buttons.button(tr("action.reject"), true)) reject(ctx, r.id, m_rejectReason);
            ImGui::EndDisabled();
            if (buttons.button(tr("common.cancel"))) {
                m_rejectId.clear();
                m_rejectReason.clear();
            }
        } else {
            ui::ButtonRow buttons(ctx);
            if (buttons.button(tr("action.accept"), true)) accept(ctx, r.id);
            if (buttons.button(tr("action.reject"))) {
                m_rejectId = r.id;
                m_rejectReason.clear();
            }
        }
        ImGui::PopID();
    }
}

// -------------------------------------------------------------------------------- settings

void SettingsPanel::drawContent(UiContext& ctx) {
    Settings s = ctx.settings;
    bool changed = false;
    ui::bold(ctx, tr("settings.language"));
    int language = s.language == Language::Cy ? 1 : 0;
    if (ImGui::RadioButton("English", language == 0)) language = 0;
    ImGui::SameLine();
    if (ImGui::RadioButton("Cymraeg", language == 1)) language = 1;
    if ((language == 1) != (s.language == Language::Cy)) {
        s.language = language == 1 ? Language::Cy : Language::En;
        changed = true;
    }
    ImGui::Spacing();
    ui::bold(ctx, tr("settings.text_size"));
    if (m_textSize == 0) m_textSize = s.textSizePercent;
    ImGui::SetNextItemWidth(-FLT_MIN);
    ImGui::SliderInt("##text_size", &m_textSize, kMinTextSize, kMaxTextSize, "%d%%");
    m_textSize = (m_textSize + 5) / 10 * 10;
    // The font atlas is rebuilt when the slider is let go, not on every step of a drag.
    if (ImGui::IsItemDeactivatedAfterEdit() && m_textSize != s.textSizePercent) {
        s.textSizePercent = m_textSize;
        changed = true;
    }
    if (!ImGui::IsItemActive()) m_textSize = s.textSizePercent;
    if (ImGui::Checkbox(tr("settings.high_contrast"), &s.highContrast)) changed = true;
    if (ImGui::Checkbox(tr("settings.touch"), &s.touchMode)) changed = true;
    ui::muted(tr("settings.touch_help"));
    ImGui::Spacing();
    ui::bold(ctx, tr("settings.idle_lock"));
    ImGui::SetNextItemWidth(-FLT_MIN);
    int minutes = s.idleLockMinutes;
    if (ImGui::InputInt("##idle", &minutes, 1, 5) && minutes != s.idleLockMinutes) {
        s.idleLockMinutes = std::clamp(minutes, kMinIdleLockMinutes, kMaxIdleLockMinutes);
        changed = true;
    }
    ui::muted(tr("settings.idle_help"));
    ImGui::Spacing();
    ui::bold(ctx, tr("settings.server"));
    if (!m_serverEdited) m_serverUrl = s.serverUrl;
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::InputText("##server", &m_serverUrl)) m_serverEdited = true;
    ImGui::BeginDisabled(!m_serverEdited || m_serverUrl.empty());
    if (ui::button(ctx, tr("settings.save_server"))) {
        s.serverUrl = m_serverUrl;
        m_serverEdited = false;
        changed = true;
    }
    ImGui::EndDisabled();
    if (changed) ctx.app.applySettings(s);

    ImGui::Spacing();
    ImGui::Separator();
    ui::bold(ctx, tr("settings.account"));
    if (auto who = ctx.session.principal())
        ui::wrapped(trf("settings.signed_in_as", {ctx.session.username(), labelFor(roleKey(who->role), domain::toCode(who->role))}));
    ui::wrapped(ctx.app.statusText());
    if (!ctx.session.hasServerSession()) {
        ui::muted(tr("settings.no_server"));
        if (ui::button(ctx, tr("settings.sign_in_server"))) {
            ctx.app.lockNow(ctx, false);
            ctx.session.switchUser();
        }
    }
}

// --------------------------------------------------------------------------------- sign-in

void SignInScreen::submitUnlock(UiContext& ctx) {
    ctx.session.unlock(m_passphrase);
    m_passphrase.clear();
}

void SignInScreen::fillSignIn(const std::string& server, const std::string& username, const std::string& password,
                              const std::string& passphrase) {
    m_server = server;
    m_serverFilled = true;
    m_username = username;
    m_password = password;
    m_newPassphrase = passphrase;
}

void SignInScreen::submitSignIn(UiContext& ctx) {
    if (m_server != ctx.settings.serverUrl) {
        Settings s = ctx.settings;
        s.serverUrl = m_server;
        ctx.app.applySettings(s);
    }
    ctx.session.serverUrl = m_server;
    ctx.session.signIn(m_server, m_username, m_password, m_newPassphrase);
    m_password.clear();
    m_newPassphrase.clear();
}

void SignInScreen::drawContent(UiContext& ctx) {
    // A centred column, never wider than a readable form.
    const float avail = ImGui::GetContentRegionAvail().x;
    const float width = std::min(avail, 520 * ctx.layout.scale);
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + (avail - width) * 0.5f);
    ImGui::BeginChild("##signin_column", ImVec2(width, 0), false, ImGuiWindowFlags_NavFlattened);
    ImGui::PushFont(ctx.fonts.heading);
    ImGui::TextUnformatted("Signpost");
    ImGui::PopFont();
    ui::muted(tr("signin.tagline"));
    // Language first: someone may want to sign in in Welsh.
    {
        Settings s = ctx.settings;
        if (ImGui::RadioButton("English", s.language == Language::En) && s.language != Language::En) {
            s.language = Language::En;
            ctx.app.applySettings(s);
        }
        ImGui::SameLine();
        if (ImGui::RadioButton("Cymraeg", s.language == Language::Cy) && s.language != Language::Cy) {
            s.language = Language::Cy;
            ctx.app.applySettings(s);
        }
    }
    ImGui::Spacing();
    auto& session = ctx.session;
    const std::string problem = session.message().empty() ? std::string()
                                : session.messageIsKey()   ? std::string(tr(session.message()))
                                                           : session.message();
    auto drawProblem = [&] {
        if (problem.empty()) return;
        const bool info = session.message() == "signin.locked_idle" || session.message() == "signin.locked";
        ImGui::PushStyleColor(ImGuiCol_Text, info ? palette().textMuted : palette().danger);
        ImGui::TextWrapped("%s", problem.c_str());
        ImGui::PopStyleColor();
    };
    switch (session.state()) {
    case SessionState::Opening:
        ui::muted(tr("common.loading"));
        break;
    case SessionState::Working:
        ui::muted(tr("signin.working"));
        break;
    case SessionState::Failed:
        drawProblem();
        break;
    case SessionState::Locked: {
        ui::heading(ctx, tr("signin.unlock_title"));
        ui::wrapped(trf("signin.signed_in_before", {session.username()}));
        drawProblem();
        if (m_focus) {
            ImGui::SetKeyboardFocusHere();
            m_focus = false;
        }
        const bool enter = ui::inputText(ctx, tr("signin.passphrase"), "##passphrase", &m_passphrase, nullptr,
                                         ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
        if (ctx.app.options().demo && session.username() == kDemoUser) ui::muted(trf("signin.demo_hint", {kDemoPassphrase}));
        if (ui::button(ctx, tr("signin.unlock"), true) || enter) submitUnlock(ctx);
        ImGui::Spacing();
        if (ui::button(ctx, tr("signin.someone_else"))) session.switchUser();
        break;
    }
    case SessionState::FirstSignIn: {
        ui::heading(ctx, tr("signin.first_title"));
        ui::wrapped(tr("signin.first_body"));
        drawProblem();
        if (!m_serverFilled) {
            m_server = ctx.settings.serverUrl;
            m_serverFilled = true;
        }
        ui::inputText(ctx, tr("signin.server"), "##server", &m_server);
        ui::inputText(ctx, tr("signin.username"), "##username", &m_username);
        ui::inputText(ctx, tr("signin.password"), "##password", &m_password, nullptr, ImGuiInputTextFlags_Password);
        ui::inputText(ctx, tr("signin.new_passphrase"), "##new_passphrase", &m_newPassphrase, nullptr,
                      ImGuiInputTextFlags_Password);
        ui::muted(tr("signin.passphrase_help"));
        if (ui::button(ctx, tr("signin.sign_in"), true)) submitSignIn(ctx);
        if (session.principal()) {
            ImGui::SameLine();
            if (ui::button(ctx, tr("common.cancel"))) session.begin();
        }
        break;
    }
    case SessionState::Unlocked:
        break;
    }
    ImGui::EndChild();
}

} // namespace signpost::app
