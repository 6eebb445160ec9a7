// The referral editor: step by step (person, order, needs, provider, review), checked as the
// practitioner types (validateReferral's messages, per field), saved as a draft on the device
// after every change (LocalStore create/update: drafts never leave the device until submitted),
// and a "what will be shared" confirmation before it goes.
#include "../../model/Names.hpp"
#include "../App.hpp"
#include "../Session.hpp"
#include "../Theme.hpp"
#include "../Widgets.hpp"
#include "Panels.hpp"

#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>

namespace signpost::app {

namespace {
constexpr double kSaveDelay = 0.4; // seconds after the last keystroke

// Areas a referral is filed under: the PDUs, and Greater Manchester's boroughs (GM has no PDUs
// in the model: its boroughs are the unit it works in).
const std::vector<std::string>& referralAreas() {
    static const std::vector<std::string> areas = [] {
        std::vector<std::string> out;
        for (const auto& a : domain::allAreas())
            if (a.kind == domain::AreaKind::Pdu ||
                (a.kind == domain::AreaKind::LocalAuthority && a.parent == domain::kGreaterManchester))
                out.emplace_back(a.code);
        return out;
    }();
    return areas;
}

const char* kLanguages[][2] = {{"en", trKey("lang.en")}, {"cy", trKey("lang.cy")}};

bool editable(const std::string& status) { return status == "draft" || status == "returned"; }
} // namespace

bool ReferralEditorPanel::visibleFor(const UiContext& ctx) const {
    const auto role = ctx.session.role();
    return role == domain::Role::Practitioner || role == domain::Role::Supervisor;
}

const FieldMessage* ReferralEditorPanel::message(const FormCheck& check, const char* field) const {
    auto it = check.messages.find(field);
    return it == check.messages.end() ? nullptr : &it->second;
}

void ReferralEditorPanel::referTo(UiContext& ctx, const domain::Service& service, const std::string& serviceName) {
    // An open, editable draft without a service takes this one; otherwise a new draft starts.
    if (!(m_open && !m_readOnly && m_ref.serviceId.empty())) {
        if (m_dirty) save(ctx);
        const auto& who = ctx.session.principal();
        m_ref = newReferral(service.id, service.organisationId, who ? defaultPdu(who->areas) : std::string(),
                            ctx.session.userId());
        m_id = uuid::timeOrdered();
        m_created = false;
        m_open = true;
        m_readOnly = false;
        m_status = "draft";
        m_touched.clear();
        m_showAll = false;
        m_step = Step::Person;
        m_saveError.clear();
        m_lastSaveOk = false;
    } else {
        m_ref.serviceId = service.id;
        m_ref.organisationId = service.organisationId;
        m_step = Step::Provider;
    }
    m_serviceName = serviceName;
    m_organisationName.clear();
    changed(ctx, "service_id");
    requestFocus();
}

void ReferralEditorPanel::open(UiContext& ctx, const std::string& id) {
    if (m_dirty) save(ctx);
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    const Language lang = ctx.language();
    ctx.worker.post([this, id, &ui, &app, lang](WorkerState& w) {
        try {
            auto record = w.store.view("referral", id); // audited: a person's details are opened
            if (!record) throw Error::notFound(tr("editor.not_found"));
            std::string serviceName;
            const auto ref = domain::referralFromFields(id, record->fields);
            if (!ref.serviceId.empty())
                if (auto s = directory::DirectoryStore(w.db).service(ref.serviceId)) serviceName = localName(s->name, s->nameCy, lang);
            const std::string status = record->status;
            ui.post([this, ref, status, serviceName, &app] {
                m_ref = ref;
                m_id = ref.id;
                m_created = true;
                m_open = true;
                m_status = status;
                m_readOnly = !editable(status);
                m_serviceName = serviceName;
                m_touched.clear();
                m_showAll = status == "returned";
                m_step = status == "returned" ? Step::Review : Step::Person;
                m_dirty = false;
                m_lastSaveOk = true;
                m_saveError.clear();
                requestFocus();
                app.requestFrames();
            });
        } catch (const std::exception& e) {
            std::string message = e.what();
            ui.post([message, &app] { app.toast(message, true); });
        }
    });
}

void ReferralEditorPanel::changed(UiContext& ctx, const std::string& field) {
    if (m_readOnly) return;
    m_touched.insert(field);
    m_dirty = true;
    m_dirtySince = ctx.time;
    ctx.app.redrawAt(ctx.time + kSaveDelay + 0.01);
}

void ReferralEditorPanel::setStep(UiContext& ctx, Step step) {
    if (m_dirty) save(ctx);
    // Leaving a step shows its missing fields from now on.
    for (const auto& f : {"crn", "given_name", "family_name", "date_of_birth", "supervision_type", "needs", "reason",
                          "risk_summary", "area", "service_id"})
        if (stepOfField(f) == m_step) m_touched.insert(f);
    m_step = step;
    if (step == Step::Review) m_showAll = true;
}

void ReferralEditorPanel::tick(UiContext& ctx) {
    if (m_dirty && !m_saving && ctx.time - m_dirtySince >= kSaveDelay) save(ctx);
}

void ReferralEditorPanel::save(UiContext& ctx) {
    if (!m_open || m_readOnly || m_saving) return;
    m_dirty = false;
    m_saving = true;
    const bool create = !m_created;
    m_created = true; // the worker runs jobs in order: later updates follow this create
    const std::string id = m_id;
    const nlohmann::json fields = domain::referralFields(m_ref);
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([this, id, fields, create, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            if (create) w.store.create("referral", fields, id);
            else w.store.update("referral", id, fields);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, id, error, create, &app] {
            if (id != m_id) return;
            m_saving = false;
            m_lastSaveOk = error.empty();
            m_saveError = error;
            if (!error.empty()) {
                if (create) m_created = false; // try the create again with the next change
                m_dirty = true;                // keep it: the next change (or step) retries
            } else {
                m_savedAt = ImGui::GetTime();
                app.dataChanged();
            }
            app.requestFrames();
        });
    });
}

void ReferralEditorPanel::drawContent(UiContext& ctx) {
    if (!m_open) {
        drawEmpty(ctx);
        return;
    }
    // Keep the plain-text edit buffers and the referral in step.
    const FormCheck check = checkForm(m_ref, m_touched, m_showAll);
    if (m_readOnly) {
        ui::tag(labelFor(statusKey(m_status), m_status), palette().textMuted);
        ui::muted(tr("editor.read_only"));
    } else if (m_status == "returned") {
        ui::tag(labelFor(statusKey(m_status), m_status), palette().warning);
    }
    drawSteps(ctx, check);
    drawSaveState(ctx);
    ImGui::Separator();
    ImGui::BeginChild("##step", ImVec2(0, -(ctx.layout.minTarget + ImGui::GetStyle().ItemSpacing.y * 2)), false,
                      ImGuiWindowFlags_NavFlattened);
    ctx.noteVisible(tr(stepKey(m_step)));
    ImGui::BeginDisabled(m_readOnly);
    switch (m_step) {
    case Step::Person: drawPerson(ctx, check); break;
    case Step::Order: drawOrder(ctx, check); break;
    case Step::Needs: drawNeeds(ctx, check); break;
    case Step::Provider: drawProvider(ctx, check); break;
    case Step::Review: break;
    }
    ImGui::EndDisabled();
    if (m_step == Step::Review) drawReview(ctx, check);
    ImGui::EndChild();
    // Back / next, always at the bottom.
    const int step = static_cast<int>(m_step);
    ImGui::Spacing();
    ui::ButtonRow nav(ctx);
    if (step > 0 && nav.button(tr("editor.previous"))) setStep(ctx, static_cast<Step>(step - 1));
    if (step + 1 < kStepCount && nav.button(tr("editor.next"), true)) setStep(ctx, static_cast<Step>(step + 1));
    drawShareConfirm(ctx);
}

void ReferralEditorPanel::drawEmpty(UiContext& ctx) {
    ui::heading(ctx, tr("editor.empty_title"));
    ui::wrapped(tr("editor.empty_body"));
    ImGui::Spacing();
    ui::ButtonRow row(ctx);
    if (row.button(tr("editor.go_find"), true)) ctx.app.navigate("find");
    if (row.button(tr("editor.go_drafts"))) ctx.app.navigate("my_referrals");
}

void ReferralEditorPanel::drawSteps(UiContext& ctx, const FormCheck& check) {
    if (!ctx.split()) {
        // Narrow: "Step 2 of 5: Order" and a progress bar; the step list would not fit.
        const int step = static_cast<int>(m_step);
        ui::bold(ctx, trf("editor.step_of", {std::to_string(step + 1), std::to_string(kStepCount), tr(stepKey(m_step))}));
        ImGui::ProgressBar(static_cast<float>(step + 1) / kStepCount, ImVec2(-FLT_MIN, 6 * ctx.layout.scale), "");
        if (check.perStep[static_cast<size_t>(step)] > 0)
        {
            const FieldMessage problems{trKey("editor.step_has_problems"), {}};
            ui::fieldMessage(&problems);
        }
        return;
    }
    ui::ButtonRow steps(ctx);
    for (int i = 0; i < kStepCount; ++i) {
        const Step s = static_cast<Step>(i);
        std::string label = std::to_string(i + 1) + ". " + tr(stepKey(s));
        if (check.perStep[static_cast<size_t>(i)] > 0) label += " (!)";
        label += "##step" + std::to_string(i);
        const bool current = s == m_step;
        if (current) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyle().Colors[ImGuiCol_HeaderActive]);
        if (steps.button(label.c_str())) setStep(ctx, s);
        if (current) ImGui::PopStyleColor();
    }
}

void ReferralEditorPanel::drawSaveState(UiContext& ctx) {
    (void)ctx;
    if (m_readOnly) return;
    if (!m_saveError.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().danger);
        ImGui::TextWrapped("%s", (std::string(tr("editor.save_failed")) + " " + m_saveError).c_str());
        ImGui::PopStyleColor();
    } else if (m_saving || m_dirty) {
        ui::muted(tr("editor.saving"));
    } else if (m_lastSaveOk) {
        ui::muted(tr("editor.saved_on_device"));
    }
}

void ReferralEditorPanel::drawPerson(UiContext& ctx, const FormCheck& check) {
    auto& r = m_ref;
    if (ui::inputText(ctx, tr("field.crn"), "##crn", &r.crn, message(check, "crn"), ImGuiInputTextFlags_CharsUppercase,
                      "X123456"))
        changed(ctx, "crn");
    if (ui::inputText(ctx, tr("field.given_name"), "##given", &r.givenName, message(check, "given_name")))
        changed(ctx, "given_name");
    if (ui::inputText(ctx, tr("field.family_name"), "##family", &r.familyName, message(check, "family_name")))
        changed(ctx, "family_name");
    if (ui::inputText(ctx, tr("field.date_of_birth"), "##dob", &r.dateOfBirth, message(check, "date_of_birth"), 0,
                      tr("common.date_hint")))
        changed(ctx, "date_of_birth");
    if (ui::inputText(ctx, tr("field.gender"), "##gender", &r.gender, nullptr)) changed(ctx, "gender");
    {
        std::vector<std::string> items;
        int index = -1;
        for (int i = 0; i < 2; ++i) {
            items.emplace_back(tr(kLanguages[i][1]));
            if (r.preferredLanguage == kLanguages[i][0]) index = i;
        }
        ImGui::PushFont(ctx.fonts.bold);
        ImGui::TextWrapped("%s", tr("field.preferred_language"));
        ImGui::PopFont();
        if (ui::comboIndex("", "##preferred", &index, items, tr("common.not_given"))) {
            r.preferredLanguage = index >= 0 ? kLanguages[index][0] : "";
            changed(ctx, "preferred_language");
        }
        ui::fieldMessage(message(check, "preferred_language"));
    }
    if (ui::inputText(ctx, tr("field.interpreter_language"), "##interpreter", &r.interpreterLanguage, nullptr, 0,
                      tr("editor.interpreter_hint")))
        changed(ctx, "interpreter_language");
    if (ui::inputMultiline(ctx, tr("field.accessibility_needs"), "##access", &r.accessibilityNeeds))
        changed(ctx, "accessibility_needs");
}

void ReferralEditorPanel::drawOrder(UiContext& ctx, const FormCheck& check) {
    auto& r = m_ref;
    std::vector<std::string> items;
    int index = -1;
    for (size_t i = 0; i < domain::kSupervisionTypes.size(); ++i) {
        items.push_back(labelFor(supervisionKey(domain::kSupervisionTypes[i].code), domain::kSupervisionTypes[i].code));
        if (r.supervisionType == domain::kSupervisionTypes[i].value) index = static_cast<int>(i);
    }
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", tr("field.supervision_type"));
    ImGui::PopFont();
    if (ui::comboIndex("", "##supervision_type", &index, items, tr("common.choose"))) {
        if (index >= 0) r.supervisionType = domain::kSupervisionTypes[static_cast<size_t>(index)].value;
        else r.supervisionType.reset();
        changed(ctx, "supervision_type");
    }
    ui::fieldMessage(message(check, "supervision_type"));
    if (ImGui::Checkbox(tr("field.in_custody"), &r.inCustody)) changed(ctx, "in_custody");
    if (r.inCustody || !r.expectedReleaseDate.empty())
        if (ui::inputText(ctx, tr("field.expected_release_date"), "##release", &r.expectedReleaseDate,
                          message(check, "expected_release_date"), 0, tr("common.date_hint")))
            changed(ctx, "expected_release_date");
    if (ui::inputMultiline(ctx, tr("field.unavailability"), "##unavailable", &r.unavailability))
        changed(ctx, "unavailability");
}

void ReferralEditorPanel::drawNeeds(UiContext& ctx, const FormCheck& check) {
    auto& r = m_ref;
    const Language lang = ctx.language();
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", tr("field.needs"));
    ImGui::PopFont();
    ui::fieldMessage(message(check, "needs"));
    std::vector<std::string> complexities;
    for (const auto& c : domain::kComplexities) complexities.push_back(labelFor(complexityKey(c.code), c.code));
    for (const auto& n : domain::allNeeds()) {
        ImGui::PushID(n.code.data(), n.code.data() + n.code.size());
        auto it = std::find_if(r.needs.begin(), r.needs.end(), [&](const auto& a) { return a.need == n.code; });
        bool chosen = it != r.needs.end();
        if (!n.parent.empty()) ImGui::Indent();
        if (ImGui::Checkbox(needName(n.code, lang).c_str(), &chosen)) {
            if (chosen) r.needs.push_back({std::string(n.code), domain::Complexity::Medium});
            else r.needs.erase(it);
            changed(ctx, "needs");
            it = std::find_if(r.needs.begin(), r.needs.end(), [&](const auto& a) { return a.need == n.code; });
        }
        if (it != r.needs.end()) {
            ImGui::Indent();
            int c = static_cast<int>(it->complexity);
            ImGui::TextUnformatted(tr("editor.complexity"));
            for (int i = 0; i < 3; ++i) {
                ImGui::SameLine();
                if (ImGui::RadioButton(complexities[static_cast<size_t>(i)].c_str(), c == i)) {
                    it->complexity = static_cast<domain::Complexity>(i);
                    changed(ctx, "needs");
                }
            }
            ImGui::Unindent();
        }
        if (!n.parent.empty()) ImGui::Unindent();
        ImGui::PopID();
    }
    ImGui::Spacing();
    if (ui::inputMultiline(ctx, tr("field.reason"), "##reason", &r.reason, message(check, "reason")))
        changed(ctx, "reason");
    if (ui::inputMultiline(ctx, tr("field.desired_outcomes"), "##outcomes", &r.desiredOutcomes))
        changed(ctx, "desired_outcomes");
    ui::muted(tr("editor.risk_help"));
    if (ui::inputMultiline(ctx, tr("field.risk_summary"), "##risk", &r.riskSummary, message(check, "risk_summary"), 4))
        changed(ctx, "risk_summary");
}

void ReferralEditorPanel::drawProvider(UiContext& ctx, const FormCheck& check) {
    auto& r = m_ref;
    const Language lang = ctx.language();
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", tr("field.service_id"));
    ImGui::PopFont();
    if (r.serviceId.empty()) ui::muted(tr("editor.no_service"));
    else ui::wrapped(m_serviceName.empty() ? r.serviceId : m_serviceName);
    ui::fieldMessage(message(check, "service_id"));
    if (!m_readOnly) {
        if (ui::button(ctx, tr(r.serviceId.empty() ? "editor.choose_service" : "editor.change_service"))) {
            r.serviceId.clear();
            r.organisationId.clear();
            changed(ctx, "service_id");
            ctx.app.navigate("find");
        }
    }
    ImGui::Spacing();
    {
        ImGui::PushFont(ctx.fonts.bold);
        ImGui::TextWrapped("%s", tr("field.area"));
        ImGui::PopFont();
        ImGui::SetNextItemWidth(-FLT_MIN);
        const std::string preview = r.area.empty() ? std::string(tr("common.choose")) : areaName(r.area, lang);
        if (ImGui::BeginCombo("##area", preview.c_str(), ImGuiComboFlags_HeightLarge)) {
            for (const auto& code : referralAreas()) {
                const std::string label = areaName(code, lang) + "##" + code;
                if (ImGui::Selectable(label.c_str(), r.area == code)) {
                    r.area = code;
                    changed(ctx, "area");
                }
            }
            ImGui::EndCombo();
        }
        ui::fieldMessage(message(check, "area"));
    }
    if (ui::inputText(ctx, tr("field.completion_deadline"), "##deadline", &r.completionDeadline,
                      message(check, "completion_deadline"), 0, tr("common.date_hint")))
        changed(ctx, "completion_deadline");
    {
        ImGui::PushFont(ctx.fonts.bold);
        ImGui::TextWrapped("%s", tr("field.max_enforceable_days"));
        ImGui::PopFont();
        int days = r.maxEnforceableDays.value_or(0);
        ImGui::SetNextItemWidth(-FLT_MIN);
        if (ImGui::InputInt("##maxdays", &days, 1, 10)) {
            r.maxEnforceableDays = days;
            changed(ctx, "max_enforceable_days");
        }
        ui::fieldMessage(message(check, "max_enforceable_days"));
    }
}

void ReferralEditorPanel::drawReview(UiContext& ctx, const FormCheck& check) {
    const auto& r = m_ref;
    const Language lang = ctx.language();
    if (!check.messages.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, palette().danger);
        ImGui::TextWrapped("%s", tr("editor.fix_before_submit"));
        ImGui::PopStyleColor();
        for (const auto& [field, msg] : check.messages) {
            ImGui::PushID(field.c_str());
            ui::fieldMessage(&msg);
            const Step s = stepOfField(field);
            if (s != Step::Review && ui::button(ctx, trf("editor.go_to_step", {tr(stepKey(s))}).c_str()))
                setStep(ctx, s);
            ImGui::PopID();
        }
        ImGui::Separator();
    }
    auto row = [&](const char* field, const std::string& value) {
        ImGui::PushFont(ctx.fonts.bold);
        ImGui::TextWrapped("%s", labelFor(fieldKey(field), field).c_str());
        ImGui::PopFont();
        ui::wrapped(value.empty() ? std::string(tr("common.not_given")) : value);
    };
    row("crn", r.crn);
    row("given_name", r.givenName);
    row("family_name", r.familyName);
    row("date_of_birth", r.dateOfBirth);
    row("supervision_type", r.supervisionType ? labelFor(supervisionKey(domain::toCode(*r.supervisionType)),
                                                         domain::toCode(*r.supervisionType))
                                              : std::string());
    if (r.inCustody) row("expected_release_date", r.expectedReleaseDate);
    {
        std::string needs;
        for (const auto& n : r.needs)
            needs += (needs.empty() ? "" : ", ") + needName(n.need, lang) + " (" +
                     labelFor(complexityKey(domain::toCode(n.complexity)), domain::toCode(n.complexity)) + ")";
        row("needs", needs);
    }
    row("reason", r.reason);
    row("risk_summary", r.riskSummary);
    row("service_id", m_serviceName.empty() ? r.serviceId : m_serviceName);
    row("area", r.area.empty() ? std::string() : areaName(r.area, lang));
    ImGui::Spacing();
    if (m_readOnly) return;
    const bool resubmit = m_status == "returned";
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(!check.submittable);
    if (buttons.button(tr(resubmit ? "editor.resubmit" : "editor.submit"), true)) submit(ctx);
    ImGui::EndDisabled();
    if (m_status == "draft" && buttons.button(tr("editor.discard"))) m_confirmDiscard = true;
    if (m_confirmDiscard) {
        ui::wrapped(tr("editor.discard_confirm"));
        ui::ButtonRow confirm(ctx);
        if (confirm.button(tr("editor.discard_yes"))) {
            m_confirmDiscard = false;
            const std::string id = m_id;
            const bool created = m_created;
            m_open = false;
            m_dirty = false;
            UiQueue& ui = ctx.ui;
            App& app = ctx.app;
            if (created)
                ctx.worker.post([id, &ui, &app](WorkerState& w) {
                    std::string error;
                    try {
                        w.store.remove("referral", id);
                    } catch (const std::exception& e) {
                        error = e.what();
                    }
                    ui.post([error, &app] {
                        if (!error.empty()) app.toast(error, true);
                        app.dataChanged();
                    });
                });
        }
        if (confirm.button(tr("common.cancel"))) m_confirmDiscard = false;
    }
}

void ReferralEditorPanel::loadSharePreview(UiContext& ctx) {
    m_share.reset();
    const std::string organisation = m_ref.organisationId;
    const nlohmann::json referral = domain::referralFields(m_ref);
    UiQueue& ui = ctx.ui;
    ctx.worker.post([this, organisation, referral, &ui](WorkerState& w) {
        nlohmann::json fields;
        std::string name;
        if (!organisation.empty()) {
            if (auto rec = w.store.record("organisation", organisation); rec && !rec->deleted) fields = rec->fields;
            if (auto org = directory::DirectoryStore(w.db).organisation(organisation)) name = org->name;
        }
        const auto preview = sharePreview(referral, fields, timeutil::isoDateUtc(w.now()));
        ui.post([this, preview, name] {
            m_share = preview;
            m_organisationName = name;
        });
    });
}

void ReferralEditorPanel::submit(UiContext& ctx) {
    m_showAll = true;
    if (!checkForm(m_ref, m_touched, true).submittable) return;
    if (m_dirty) save(ctx);
    loadSharePreview(ctx);
    m_confirmOpen = true;
}

void ReferralEditorPanel::confirmSubmit(UiContext& ctx) {
    const std::string id = m_id;
    const nlohmann::json fields = domain::referralFields(m_ref);
    m_dirty = false;
    m_share.reset();
    m_closeConfirm = true;
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([id, fields, &ui, &app, this](WorkerState& w) {
        std::string error;
        try {
            w.store.update("referral", id, fields); // the last keystrokes, if a save was still due
            w.store.transition("referral", id, "submitted");
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, id, error, &app] {
            if (!error.empty()) {
                app.toast(error, true);
                return;
            }
            app.toast(tr("editor.submitted"));
            if (id == m_id) {
                m_open = false;
                m_status = "submitted";
            }
            app.dataChanged();
            app.session().nudgeSync(); // a submitted referral leaves the device at once when online
            app.navigate("my_referrals");
        });
    });
}

void ReferralEditorPanel::drawShareConfirm(UiContext& ctx) {
    if (m_confirmOpen) {
        ImGui::OpenPopup("###share");
        m_confirmOpen = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(std::min(display.x - 16, 620 * ctx.layout.scale), std::min(display.y - 16, 640 * ctx.layout.scale)));
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    const std::string title = std::string(tr("share.title")) + "###share";
    if (!ImGui::BeginPopupModal(title.c_str(), nullptr, ImGuiWindowFlags_NoMove)) {
        m_closeConfirm = false;
        return;
    }
    if (m_closeConfirm) {
        m_closeConfirm = false;
        ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
        return;
    }
    ctx.noteVisible(tr("share.title"));
    ImGui::BeginChild("##share_body", ImVec2(0, -(ctx.layout.minTarget + ImGui::GetStyle().ItemSpacing.y * 2)));
    if (!m_share) {
        ui::muted(tr("common.loading"));
    } else {
        const auto& s = *m_share;
        const std::string org = m_organisationName.empty() ? std::string(tr("share.the_provider")) : m_organisationName;
        ui::wrapped(trf("share.intro", {org}));
        if (s.blocked) {
            // It can go for review, but cannot be sent until an ISA is in force.
            ImGui::PushStyleColor(ImGuiCol_Text, palette().warning);
            ImGui::TextWrapped("%s", tr("share.cannot_send_yet"));
            ImGui::PopStyleColor();
            ui::muted(*s.blocked);
        } else if (!s.isaTo.empty()) {
            ui::muted(trf("share.isa_until", {s.isaTo}));
        }
        ImGui::Spacing();
        ui::bold(ctx, tr("share.will_see"));
        for (const auto& f : s.shared) ImGui::BulletText("%s", labelFor(fieldKey(f), f).c_str());
        ImGui::Spacing();
        ui::bold(ctx, tr("share.will_not_see"));
        if (s.withheld.empty()) ui::muted(tr("share.nothing_withheld"));
        for (const auto& f : s.withheld) ImGui::BulletText("%s", labelFor(fieldKey(f), f).c_str());
        ImGui::Spacing();
        ui::muted(tr("share.review_first"));
    }
    ImGui::EndChild();
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(!m_share);
    if (buttons.button(tr("share.confirm_submit"), true)) {
        confirmSubmit(ctx);
    }
    ImGui::EndDisabled();
    if (buttons.button(tr("common.cancel"))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

} // namespace signpost::app
