// The queue panels over client::Queues: My referrals and Alerts (practitioners), the Supervisor
// queue (approve, return with a reason, reassign), Provider cases (accept or decline,
// appointments, attendance). Each offers only the moves the shared lifecycle allows the role.
#include "../../model/Amend.hpp"
#include "../../model/Names.hpp"
#include "../App.hpp"
#include "../Session.hpp"
#include "../Text.hpp"
#include "../Theme.hpp"
#include "../Widgets.hpp"
#include "Panels.hpp"

#include "signpost/client/Queues.hpp"
#include "signpost/domain/Lifecycle.hpp"
#include "signpost/domain/Referral.hpp"
#include "signpost/util/Time.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>
#include <map>

namespace signpost::app {

namespace {

using nlohmann::json;

std::string text(const json& fields, const char* key) {
    auto it = fields.find(key);
    if (it == fields.end() || it->is_null()) return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}

std::pair<std::string, std::string> serviceNames(db::Database& db, const std::string& id,
                                                 std::map<std::string, std::pair<std::string, std::string>>& cache) {
    if (id.empty()) return {};
    if (auto it = cache.find(id); it != cache.end()) return it->second;
    // A direct read of the directory's name columns: the queue needs names only, not whole
    // services with their locations and contacts.
    auto q = db.cached("SELECT name, name_cy FROM service WHERE id = ?1");
    q->bind(1, id);
    std::pair<std::string, std::string> names;
    if (q->step()) names = {q->getText(0), q->getText(1)};
    cache.emplace(id, names);
    return names;
}

} // namespace

bool QueuePanelBase::visibleFor(const UiContext& ctx) const { return panelVisibleFor(m_kind, ctx.session.role()); }

void QueuePanelBase::tick(UiContext& ctx) {
    // Reload when the device's data moved on (a local write, a sync round): the badge in the
    // navigation needs the counts even while another panel is showing.
    if (!ctx.session.unlocked() || !visibleFor(ctx)) return;
    if (m_reopen) {
        // After a change to the open item: show it again as it now is.
        m_reopen = false;
        if (!m_selId.empty()) select(ctx, m_selCollection, m_selId);
    }
    if (m_loadedGeneration != ctx.dataGeneration && !m_loading) load(ctx);
}

void QueuePanelBase::load(UiContext& ctx) {
    m_loading = true;
    const uint64_t generation = ctx.dataGeneration;
    const QueuePanel kind = m_kind;
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.postLatest("queue_" + key(), [this, kind, generation, &ui, &app](WorkerState& w) {
        std::vector<QueueSectionView> views;
        std::string error;
        try {
            auto who = w.store.principal();
            if (who) {
                client::Queues queues(w.db, w.clock);
                std::vector<client::Queue> raw;
                switch (kind) {
                case QueuePanel::MyReferrals:
                case QueuePanel::Alerts: raw = queues.practitioner(who->userId); break;
                case QueuePanel::Supervisor: raw = queues.forPrincipal(*who); break;
                case QueuePanel::Provider: raw = queues.provider(*who); break;
                }
                std::map<std::string, std::pair<std::string, std::string>> names;
                for (auto& section : sectionsFor(kind, raw)) {
                    QueueSectionView v;
                    v.name = section.name;
                    v.titleKey = section.titleKey;
                    v.total = section.total;
                    v.overdue = section.overdue;
                    for (auto& item : section.items) {
                        QueueEntry e;
                        if (item.serviceId.empty() && !item.referralId.empty()) {
                            // An alert or appointment: its referral's service (not a sealed field).
                            auto q = w.db.cached("SELECT coalesce(json_extract(fields, '$.service_id'), '') FROM record "
                                                 "WHERE collection = 'referral' AND id = ?1");
                            q->bind(1, item.referralId);
                            if (q->step()) item.serviceId = q->getText(0);
                        }
                        auto [name, nameCy] = serviceNames(w.db, item.serviceId, names);
                        e.serviceName = std::move(name);
                        e.serviceNameCy = std::move(nameCy);
                        e.item = std::move(item);
                        v.entries.push_back(std::move(e));
                    }
                    views.push_back(std::move(v));
                }
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, views = std::move(views), generation, error, &app]() mutable {
            m_loading = false;
            m_loadedGeneration = generation;
            if (!error.empty()) {
                app.toast(error, true);
                return;
            }
            m_sections = std::move(views);
            m_loaded = true;
            m_badge = 0;
            for (const auto& s : m_sections)
                if (s.name == "awaiting_review" || s.name == "new" || s.name == "alerts" || s.name == "returned" ||
                    s.name == "today")
                    m_badge += s.total;
            app.requestFrames();
        });
    });
}

void QueuePanelBase::select(UiContext& ctx, const std::string& collection, const std::string& id) {
    if (collection != m_selCollection || id != m_selId) {
        m_amendField = -1;
        m_amendValue.clear();
        m_amendReason.clear();
        m_showHistory = false;
        m_rescheduleId.clear();
    }
    m_selCollection = collection;
    m_selId = id;
    m_showDetail = true;
    m_openLoading = true;
    m_opened.reset();
    m_action.reset();
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    const Language lang = ctx.language();
    ctx.worker.postLatest("queue_open_" + key(), [this, collection, id, lang, &ui, &app](WorkerState& w) {
        std::optional<OpenedItem> opened;
        std::string error;
        try {
            // LocalStore::view: reading a person's details is recorded in the audit log.
            if (auto r = w.store.view(collection, id)) {
                OpenedItem o;
                o.record = std::move(*r);
                std::map<std::string, std::pair<std::string, std::string>> names;
                std::string serviceId = text(o.record.fields, "service_id");
                if (collection != "referral") {
                    if (auto ref = w.store.record("referral", text(o.record.fields, "referral_id")))
                        serviceId = text(ref->fields, "service_id");
                }
                auto [name, nameCy] = serviceNames(w.db, serviceId, names);
                o.serviceName = localName(name, nameCy, lang);
                const std::string org = o.record.organisation;
                if (!org.empty()) {
                    auto q = w.db.cached("SELECT name, name_cy FROM organisation WHERE id = ?1");
                    q->bind(1, org);
                    if (q->step()) o.organisationName = localName(q->getText(0), q->getText(1), lang);
                    if (auto rec = w.store.record("organisation", org)) o.organisationRecord = rec->fields;
                }
                if (collection == "referral") {
                    // Worked out here, not per frame: the owner's name and who could take it over.
                    const auto colleagues = w.store.colleagues();
                    const std::string owner = text(o.record.fields, "owner"), area = text(o.record.fields, "area");
                    o.ownerLabel = ownerLabel(colleagues, owner);
                    o.reassignChoices = reassignChoices(colleagues, area, owner);
                    for (auto& a : w.store.records("appointment"))
                        if (text(a.fields, "referral_id") == id) o.appointments.push_back(std::move(a));
                }
                std::sort(o.appointments.begin(), o.appointments.end(), [](const auto& a, const auto& b) {
                    return text(a.fields, "starts_at") < text(b.fields, "starts_at");
                });
                opened = std::move(o);
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, collection, id, opened = std::move(opened), error, &app]() mutable {
            if (collection != m_selCollection || id != m_selId) return;
            m_openLoading = false;
            m_opened = std::move(opened);
            if (!error.empty()) app.toast(error, true);
        });
    });
}

void QueuePanelBase::drawContent(UiContext& ctx) {
    if (ctx.split()) {
        const float listWidth = std::min(ctx.layout.listWidth, ImGui::GetContentRegionAvail().x * 0.5f);
        ImGui::BeginChild("##queue_list", ImVec2(listWidth, 0), false, ImGuiWindowFlags_NavFlattened);
        drawList(ctx);
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("##queue_detail", ImVec2(0, 0), true, ImGuiWindowFlags_NavFlattened);
        drawDetail(ctx);
        ImGui::EndChild();
    } else if (m_showDetail) {
        drawDetail(ctx);
    } else {
        drawList(ctx);
    }
    drawActionModal(ctx);
}

void QueuePanelBase::drawList(UiContext& ctx) {
    const Language lang = ctx.language();
    if (!m_loaded) {
        ui::muted(tr("common.loading"));
        return;
    }
    if (m_sections.empty()) ui::muted(tr("queue.empty_all"));
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float pad = ImGui::GetStyle().FramePadding.y;
    const float rowHeight = std::max(ctx.layout.minTarget, line * 2 + pad * 2);
    for (const auto& section : m_sections) {
        std::string title = labelFor(section.titleKey, section.name) + " (" + std::to_string(section.total) + ")";
        if (section.overdue) title += " · " + trf("queue.overdue_n", {std::to_string(section.overdue)});
        title += "###" + section.name;
        ImGui::SetNextItemOpen(true, ImGuiCond_Once);
        if (!ImGui::CollapsingHeader(title.c_str())) continue;
        ctx.noteVisible(labelFor(section.titleKey, section.name));
        if (section.entries.empty()) {
            ui::muted(tr("queue.empty"));
            continue;
        }
        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(section.entries.size()), rowHeight + ImGui::GetStyle().ItemSpacing.y);
        while (clipper.Step()) {
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
                const auto& e = section.entries[static_cast<size_t>(i)];
                ImGui::PushID((section.name + e.item.id).c_str());
                const ImVec2 start = ImGui::GetCursorScreenPos();
                const float width = ImGui::GetContentRegionAvail().x;
                if (ImGui::Selectable("##item", e.item.id == m_selId, 0, ImVec2(width, rowHeight)))
                    select(ctx, e.item.collection, e.item.id);
                ImDrawList* draw = ImGui::GetWindowDrawList();
                std::string first = localName(e.serviceName, e.serviceNameCy, lang);
                if (first.empty()) first = tr(e.item.collection == "alert" ? "queue.alert" : "queue.no_service");
                if (!e.item.when.empty()) first = e.item.when.substr(11, 5) + " · " + first;
                first = ui::ellipsize(first, width - pad * 2, ctx.fonts.bold);
                draw->AddText(ctx.fonts.bold, ctx.fonts.bold->FontSize, ImVec2(start.x + pad, start.y + pad),
                              ImGui::GetColorU32(ImGuiCol_Text), first.c_str());
                std::string second = labelFor(statusKey(e.item.status), e.item.status);
                if (!e.item.area.empty()) second += " · " + areaName(e.item.area, lang);
                second += " · " + trf("queue.days_waiting", {std::to_string(e.item.daysWaiting)});
                if (e.item.pending) second += " · " + std::string(tr("queue.not_sent_yet"));
                if (e.item.abandoned) second += " · " + std::string(tr("queue.abandoned"));
                second = ui::ellipsize(second, width - pad * 2, nullptr);
                const bool overdue = e.item.daysWaiting > kOverdueDays;
                draw->AddText(ImVec2(start.x + pad, start.y + pad + line),
                              ImGui::GetColorU32(overdue ? palette().warning : palette().textMuted), second.c_str());
                ImGui::PopID();
            }
        }
    }
}

void QueuePanelBase::drawDetail(UiContext& ctx) {
    if (m_selId.empty()) {
        ui::muted(tr("queue.choose_item"));
        return;
    }
    if (!m_opened) {
        ui::muted(m_openLoading ? tr("common.loading") : tr("queue.item_gone"));
        return;
    }
    ctx.noteVisible(tr("queue.detail"));
    const auto& c = m_opened->record.collection;
    if (c == "referral") drawReferral(ctx);
    else if (c == "appointment") drawAppointment(ctx, m_opened->record, false);
    else if (c == "alert") drawAlert(ctx);
}

void QueuePanelBase::drawReferral(UiContext& ctx) {
    const auto& r = m_opened->record;
    const Language lang = ctx.language();
    const auto ref = domain::referralFromFields(r.id, r.fields);
    const auto role = ctx.session.role();
    ui::heading(ctx, m_opened->serviceName.empty() ? std::string(tr("queue.no_service")) : m_opened->serviceName);
    if (!m_opened->organisationName.empty()) ui::muted(m_opened->organisationName);
    ui::tag(labelFor(statusKey(r.status), r.status), palette().accent);
    ImGui::Spacing();
    auto row = [&](const char* field, const std::string& value) {
        if (value.empty()) return;
        ImGui::PushFont(ctx.fonts.bold);
        ImGui::TextWrapped("%s", labelFor(fieldKey(field), field).c_str());
        ImGui::PopFont();
        ui::wrapped(value);
    };
    // A provider sees what the ISA granted: fields that did not come are simply absent.
    row("crn", ref.crn);
    if (!ref.givenName.empty() || !ref.familyName.empty()) row("given_name", ref.givenName + " " + ref.familyName);
    row("date_of_birth", ref.dateOfBirth);
    if (ref.supervisionType)
        row("supervision_type", labelFor(supervisionKey(domain::toCode(*ref.supervisionType)), domain::toCode(*ref.supervisionType)));
    {
        std::string needs;
        for (const auto& n : ref.needs)
            needs += (needs.empty() ? "" : ", ") + needName(n.need, lang) + " (" +
                     labelFor(complexityKey(domain::toCode(n.complexity)), domain::toCode(n.complexity)) + ")";
        row("needs", needs);
    }
    row("reason", ref.reason);
    row("risk_summary", ref.riskSummary);
    row("unavailability", ref.unavailability);
    row("area", ref.area.empty() ? std::string() : areaName(ref.area, lang));
    row("owner", m_opened->ownerLabel);
    row("completion_deadline", ref.completionDeadline);

    // Actions: only what the lifecycle allows this role from this status.
    ImGui::Spacing();
    ImGui::Separator();
    ui::bold(ctx, tr("queue.actions"));
    const bool owner = ref.owner == ctx.session.userId();
    ui::ButtonRow actions(ctx);
    bool any = false;
    if ((r.status == "draft" || r.status == "returned") && (owner || role == domain::Role::Supervisor) &&
        role != domain::Role::Provider) {
        any = true;
        if (actions.button(tr("queue.edit"), true)) ctx.app.referralEditor().open(ctx, r.id);
    }
    for (const auto& offer : offeredActions(domain::referralLifecycle(), role, r.status)) {
        // Submitting goes through the editor (validated step by step, with the share preview).
        if (offer.to == "submitted") continue;
        any = true;
        const std::string label = labelFor(offer.labelKey, offer.to) + "##" + offer.to;
        if (actions.button(label.c_str(), offer.to == "approved" || offer.to == "accepted" || offer.to == "sent")) {
            if (offer.reasonRequired || offer.needsSharePreview) {
                m_action = PendingAction{r.collection, r.id, offer.to, offer.labelKey, offer.reasonRequired,
                                         offer.needsSharePreview, {}};
            } else {
                transition(ctx, r.collection, r.id, offer.to, {});
            }
        }
    }
    if (!any) ui::muted(tr("queue.no_actions"));

    // Reassign: a supervisor hands the referral to another practitioner (the owner field).
    if (role == domain::Role::Supervisor && r.status != "completed" && r.status != "cancelled" && r.status != "withdrawn") {
        ImGui::Spacing();
        // A list of the colleagues who work in the referral's area, once the device has synced it;
        // until then (a first offline session) the user id can be typed.
        const auto& choices = m_opened->reassignChoices;
        std::string to;
        if (!choices.empty()) {
            std::vector<std::string> names;
            for (const auto& c : choices) names.push_back(c.name.empty() ? c.id : c.name);
            m_reassignIndex = std::clamp(m_reassignIndex, 0, static_cast<int>(choices.size()) - 1);
            ui::comboIndex(tr("queue.reassign_to"), "##reassign_pick", &m_reassignIndex, names, nullptr);
            to = choices[static_cast<size_t>(m_reassignIndex)].id;
        } else {
            ui::inputText(ctx, tr("queue.reassign_to"), "##reassign", &m_reassignTo, nullptr, 0, tr("queue.reassign_hint"));
            to = m_reassignTo;
        }
        ImGui::BeginDisabled(to.empty());
        if (ui::button(ctx, tr("queue.reassign"))) {
            const bool sent = r.status == "sent" || r.status == "accepted" || r.status == "in_progress";
            update(ctx, "referral", r.id, json{{"owner", to}}, sent ? tr("queue.reassign_reason") : "",
                   trKey("queue.reassigned"));
            m_reassignTo.clear();
            m_reassignIndex = 0;
        }
        ImGui::EndDisabled();
    }

    // Amending after it was sent: a field, its new value and why.
    if (amendmentNeedsReason(r.status) && role != domain::Role::Provider && (owner || role == domain::Role::Supervisor))
        drawAmend(ctx);

    // Appointments (provider cases, and for the practitioner to see).
    if (r.status == "accepted" || r.status == "in_progress" || !m_opened->appointments.empty()) {
        ImGui::Spacing();
        ImGui::Separator();
        ui::bold(ctx, tr("appointment.title"));
        if (m_opened->appointments.empty()) ui::muted(tr("appointment.none"));
        for (const auto& a : m_opened->appointments) {
            ImGui::PushID(a.id.c_str());
            drawAppointment(ctx, a, true);
            ImGui::PopID();
        }
        if (role == domain::Role::Provider && (r.status == "accepted" || r.status == "in_progress")) {
            ui::inputText(ctx, tr("appointment.when"), "##appt_when", &m_apptWhen, nullptr, 0, "2026-12-01 10:30");
            ui::inputText(ctx, tr("appointment.where"), "##appt_where", &m_apptWhere);
            const bool valid = appointmentStartsAt(m_apptWhen).has_value();
            ImGui::BeginDisabled(!valid);
            if (ui::button(ctx, tr("appointment.book"), true)) bookAppointment(ctx, m_apptWhen, m_apptWhere);
            ImGui::EndDisabled();
        }
    }
    drawAmendmentHistory(ctx);
}

void QueuePanelBase::drawAmend(UiContext& ctx) {
    const auto& r = m_opened->record;
    ImGui::Spacing();
    ImGui::Separator();
    ui::bold(ctx, tr("amend.title"));
    ctx.noteVisible(tr("amend.title"));
    ui::muted(tr("amend.explain"));
    std::vector<std::string> names;
    for (auto f : kAmendableFields) names.push_back(labelFor(fieldKey(f), f));
    const int before = m_amendField;
    ui::comboIndex(tr("amend.field"), "##amend_field", &m_amendField, names, tr("common.choose"));
    if (m_amendField != before && m_amendField >= 0)
        m_amendValue = text(r.fields, std::string(kAmendableFields[static_cast<size_t>(m_amendField)]).c_str());
    if (m_amendField < 0) return;
    const std::string field(kAmendableFields[static_cast<size_t>(m_amendField)]);
    if (field == "completion_deadline")
        ui::inputText(ctx, tr("amend.new_value"), "##amend_value", &m_amendValue, nullptr, 0, "YYYY-MM-DD");
    else
        ui::inputMultiline(ctx, tr("amend.new_value"), "##amend_value", &m_amendValue);
    ui::inputMultiline(ctx, tr("amend.reason"), "##amend_reason", &m_amendReason);
    const auto problem = amendmentProblem(r.status, r.fields, field, m_amendValue, m_amendReason);
    if (problem) ui::muted(tr(*problem));
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(problem.has_value());
    if (buttons.button(tr("amend.save"), true)) amend(ctx, field, m_amendValue, m_amendReason);
    ImGui::EndDisabled();
    if (buttons.button(tr("common.cancel"))) {
        m_amendField = -1;
        m_amendValue.clear();
        m_amendReason.clear();
    }
}

bool QueuePanelBase::amend(UiContext& ctx, const std::string& field, const std::string& value, const std::string& reason) {
    if (!m_opened || m_opened->record.collection != "referral") return false;
    const auto& r = m_opened->record;
    if (amendmentProblem(r.status, r.fields, field, value, reason)) return false;
    update(ctx, "referral", r.id, json{{field, value}}, reason, trKey("amend.saved"));
    m_amendField = -1;
    m_amendValue.clear();
    m_amendReason.clear();
    return true;
}

void QueuePanelBase::drawAmendmentHistory(UiContext& ctx) {
    const auto history = amendmentHistory(m_opened->record.fields);
    if (history.empty()) return;
    ImGui::Spacing();
    ImGui::Separator();
    ui::bold(ctx, trf("amend.history_n", {std::to_string(history.size())}));
    if (!m_showHistory) {
        ui::muted(tr("amend.history_audited"));
        if (ui::button(ctx, tr("amend.show_history"))) showAmendmentHistory(true);
        return;
    }
    if (m_scrollToHistory) {
        ImGui::SetScrollHereY(0.0f);
        m_scrollToHistory = false;
    }
    ctx.noteVisible(tr("amend.history"));
    auto shown = [](const json& v) {
        if (v.is_null()) return std::string(tr("amend.empty_value"));
        if (v.is_string()) return v.get_ref<const std::string&>().empty() ? std::string(tr("amend.empty_value")) : v.get<std::string>();
        return v.dump();
    };
    for (const auto& e : history) {
        ImGui::Spacing();
        ui::bold(ctx, labelFor(fieldKey(e.field), e.field));
        const std::string when = e.at.size() >= 16 ? e.at.substr(0, 10) + " " + e.at.substr(11, 5) : e.at;
        ui::wrapped(trf("amend.when_who", {when, e.by}));
        ui::wrapped(trf("amend.why", {e.reason}));
        if (e.hasValues) {
            ui::muted(trf("amend.was", {shown(e.oldValue)}));
            ui::wrapped(trf("amend.now", {shown(e.newValue)}));
        }
    }
    if (ui::button(ctx, tr("amend.hide_history"))) m_showHistory = false;
}

bool QueuePanelBase::bookAppointment(UiContext& ctx, const std::string& when, const std::string& where) {
    if (!m_opened || m_opened->record.collection != "referral") return false;
    const auto startsAt = appointmentStartsAt(when);
    if (!startsAt) return false;
    const auto& r = m_opened->record;
    json fields{{"referral_id", r.id},
                {"starts_at", *startsAt},
                {"location", where},
                {"area", r.area},
                {"organisation_id", r.organisation},
                {"owner", r.owner}};
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([this, fields, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.create("appointment", fields);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, error, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(tr("appointment.booked"));
            m_reopen = true;
            app.dataChanged();
        });
    });
    m_apptWhen.clear();
    m_apptWhere.clear();
    return true;
}

bool QueuePanelBase::actOnAppointment(UiContext& ctx, const std::string& id, const std::string& to,
                                      const std::string& reason) {
    if (!m_opened) return false;
    for (const auto& a : m_opened->appointments) {
        if (a.id != id) continue;
        for (const auto& offer : offeredActions(domain::appointmentLifecycle(), ctx.session.role(), a.status)) {
            if (offer.to != to) continue;
            if (offer.reasonRequired && reason.empty())
                m_action = PendingAction{"appointment", a.id, offer.to, offer.labelKey, true, false, {}};
            else
                transition(ctx, "appointment", a.id, offer.to, reason);
            return true;
        }
    }
    return false;
}

void QueuePanelBase::drawAppointment(UiContext& ctx, const sync::Record& a, bool inReferral) {
    if (!inReferral) {
        ui::heading(ctx, tr("appointment.title"));
        if (!m_opened->serviceName.empty()) ui::muted(m_opened->serviceName);
    }
    const std::string when = text(a.fields, "starts_at");
    std::string line = (when.size() >= 16 ? when.substr(0, 10) + " " + when.substr(11, 5) : when);
    const std::string where = text(a.fields, "location");
    if (!where.empty()) line += " · " + where;
    line += " · " + labelFor(statusKey(a.status), a.status);
    ui::wrapped(line);
    const std::string moved = text(a.fields, "reschedule_reason");
    if (!moved.empty()) ui::muted(trf("reschedule.last_reason", {moved}));
    const auto offers = offeredActions(domain::appointmentLifecycle(), ctx.session.role(), a.status);
    ui::ButtonRow attendance(ctx);
    for (const auto& offer : offers) {
        const std::string label = labelFor(offer.labelKey, offer.to) + "##" + offer.to;
        if (attendance.button(label.c_str())) {
            if (offer.reasonRequired)
                m_action = PendingAction{"appointment", a.id, offer.to, offer.labelKey, true, false, {}};
            else
                transition(ctx, "appointment", a.id, offer.to, {});
        }
    }
    // Moving it: a new time and why (LocalStore::update refuses a move without a reason).
    if (offers.empty() || a.status != "scheduled") return;
    if (m_rescheduleId != a.id) {
        if (attendance.button(tr("reschedule.open"))) {
            m_rescheduleId = a.id;
            m_rescheduleWhen = when.size() >= 16 ? when.substr(0, 10) + " " + when.substr(11, 5) : std::string();
            m_rescheduleReason.clear();
        }
        return;
    }
    ctx.noteVisible(tr("reschedule.title"));
    ui::bold(ctx, tr("reschedule.title"));
    ui::inputText(ctx, tr("reschedule.when"), "##reschedule_when", &m_rescheduleWhen, nullptr, 0, "2026-12-01 10:30");
    ui::inputMultiline(ctx, tr("reschedule.reason"), "##reschedule_reason", &m_rescheduleReason);
    const auto startsAt = appointmentStartsAt(m_rescheduleWhen);
    const bool ready = startsAt && *startsAt != when && hasReason(m_rescheduleReason);
    if (!startsAt) ui::muted(tr("reschedule.problem_time"));
    else if (*startsAt == when) ui::muted(tr("reschedule.problem_same"));
    else if (!hasReason(m_rescheduleReason)) ui::muted(tr("reschedule.problem_reason"));
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(!ready);
    if (buttons.button(tr("reschedule.save"), true)) reschedule(ctx, a.id, m_rescheduleWhen, m_rescheduleReason);
    ImGui::EndDisabled();
    if (buttons.button(tr("common.cancel"))) m_rescheduleId.clear();
}

bool QueuePanelBase::reschedule(UiContext& ctx, const std::string& appointmentId, const std::string& when,
                                const std::string& reason) {
    if (!m_opened) return false;
    const sync::Record* found = m_opened->record.collection == "appointment" && m_opened->record.id == appointmentId
                                    ? &m_opened->record
                                    : nullptr;
    for (const auto& a : m_opened->appointments)
        if (a.id == appointmentId) found = &a;
    const auto startsAt = appointmentStartsAt(when);
    if (!found || !startsAt || !hasReason(reason) || found->status != "scheduled") return false;
    update(ctx, "appointment", appointmentId, json{{"starts_at", *startsAt}, {"reschedule_reason", reason}}, reason,
           trKey("reschedule.saved"));
    m_rescheduleId.clear();
    m_rescheduleWhen.clear();
    m_rescheduleReason.clear();
    return true;
}

void QueuePanelBase::drawAlert(UiContext& ctx) {
    const auto& a = m_opened->record;
    ui::heading(ctx, tr("alert.title"));
    if (!m_opened->serviceName.empty()) ui::muted(m_opened->serviceName);
    ui::wrapped(tr("alert.explain"));
    ui::tag(labelFor(statusKey(a.status), a.status), palette().warning);
    const std::string decided = text(a.fields, "decision");
    if (!decided.empty()) {
        ui::bold(ctx, tr("alert.decision"));
        ui::wrapped(labelFor(alertDecisionKey(decided), decided));
        ui::wrapped(text(a.fields, "decision_note"));
    }
    const auto offers = offeredActions(domain::alertLifecycle(), ctx.session.role(), a.status);
    if (offers.empty()) return;
    ImGui::Spacing();
    ui::muted(tr("alert.yours_to_decide"));
    std::vector<std::string> decisions;
    for (auto d : domain::kAlertDecisions) decisions.push_back(labelFor(alertDecisionKey(d), d));
    ui::comboIndex(tr("alert.decision"), "##decision", &m_decision, decisions, tr("common.choose"));
    ui::inputMultiline(ctx, tr("alert.note"), "##decision_note", &m_decisionNote);
    ImGui::BeginDisabled(m_decision < 0);
    if (ui::button(ctx, tr("action.record_decision"), true)) recordDecision(ctx, m_decision, m_decisionNote);
    ImGui::EndDisabled();
}

bool QueuePanelBase::recordDecision(UiContext& ctx, int decision, const std::string& note) {
    if (!m_opened || m_opened->record.collection != "alert") return false;
    if (decision < 0 || decision >= static_cast<int>(std::size(domain::kAlertDecisions))) return false;
    const std::string id = m_opened->record.id;
    const json fields{{"decision", std::string(domain::kAlertDecisions[decision])}, {"decision_note", note}};
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([this, id, fields, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.update("alert", id, fields);
            w.store.transition("alert", id, "decided");
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, error, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(tr("alert.recorded"));
            m_reopen = true;
            app.dataChanged();
        });
    });
    m_decision = -1;
    m_decisionNote.clear();
    return true;
}

bool QueuePanelBase::act(UiContext& ctx, const std::string& to, const std::string& reason) {
    if (!m_opened) return false;
    const auto& r = m_opened->record;
    const auto& lifecycle = r.collection == "appointment" ? domain::appointmentLifecycle()
                            : r.collection == "alert"     ? domain::alertLifecycle()
                                                          : domain::referralLifecycle();
    for (const auto& offer : offeredActions(lifecycle, ctx.session.role(), r.status)) {
        if (offer.to != to) continue;
        if (offer.reasonRequired || offer.needsSharePreview)
            m_action = PendingAction{r.collection, r.id, offer.to, offer.labelKey, offer.reasonRequired,
                                     offer.needsSharePreview, reason};
        else
            transition(ctx, r.collection, r.id, offer.to, reason);
        return true;
    }
    return false;
}

void QueuePanelBase::confirmAction(UiContext& ctx) {
    if (!m_action) return;
    transition(ctx, m_action->collection, m_action->id, m_action->to, m_action->reason);
    m_action.reset();
    m_closeAction = true;
}

void QueuePanelBase::drawActionModal(UiContext& ctx) {
    if (m_closeAction) {
        // Confirmed from outside the modal (the script runner): close it where it is drawn.
        m_closeAction = false;
        if (ImGui::BeginPopupModal("###action", nullptr, ImGuiWindowFlags_NoMove)) {
            ImGui::CloseCurrentPopup();
            ImGui::EndPopup();
        }
        return;
    }
    if (!m_action) return;
    const std::string title = labelFor(m_action->labelKey, m_action->to) + "###action";
    if (!ImGui::IsPopupOpen("###action")) ImGui::OpenPopup("###action");
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(std::min(display.x - 16, 600 * ctx.layout.scale), 0));
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    if (!ImGui::BeginPopupModal(title.c_str(), nullptr, ImGuiWindowFlags_NoMove)) return;
    ctx.noteVisible(labelFor(m_action->labelKey, m_action->to));
    bool close = false;
    if (m_action->sharePreview && m_opened) {
        // Sending: exactly what the organisation's ISA lets it see.
        const auto preview =
            sharePreview(m_opened->record.fields, m_opened->organisationRecord, timeutil::isoDateUtc(ctx.now));
        const std::string org = m_opened->organisationName.empty() ? std::string(tr("share.the_provider"))
                                                                   : m_opened->organisationName;
        ui::wrapped(trf("share.intro_now", {org}));
        if (preview.blocked) {
            // LocalStore refuses this send offline too; say why before the person tries.
            ImGui::PushStyleColor(ImGuiCol_Text, palette().danger);
            ImGui::TextWrapped("%s", tr("share.cannot_send"));
            ImGui::PopStyleColor();
            ui::muted(*preview.blocked);
        }
        ui::bold(ctx, tr("share.will_see"));
        for (const auto& f : preview.shared) ImGui::BulletText("%s", labelFor(fieldKey(f), f).c_str());
        ui::bold(ctx, tr("share.will_not_see"));
        for (const auto& f : preview.withheld) ImGui::BulletText("%s", labelFor(fieldKey(f), f).c_str());
    }
    if (m_action->reasonRequired) ui::inputMultiline(ctx, tr("queue.reason"), "##reason", &m_action->reason);
    bool ready = !m_action->reasonRequired || m_action->reason.find_first_not_of(" \t\r\n") != std::string::npos;
    if (m_action->sharePreview && m_opened &&
        sharePreview(m_opened->record.fields, m_opened->organisationRecord, timeutil::isoDateUtc(ctx.now)).blocked)
        ready = false;
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(!ready);
    if (buttons.button(labelFor(m_action->labelKey, m_action->to).c_str(), true)) {
        transition(ctx, m_action->collection, m_action->id, m_action->to, m_action->reason);
        close = true;
    }
    ImGui::EndDisabled();
    if (buttons.button(tr("common.cancel"))) close = true;
    if (close) {
        m_action.reset();
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

void QueuePanelBase::transition(UiContext& ctx, const std::string& collection, const std::string& id,
                                const std::string& to, const std::string& reason) {
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([this, collection, id, to, reason, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.transition(collection, id, to, reason);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, error, to, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(trf("queue.moved_to", {labelFor(statusKey(to), to)}));
            m_reopen = true;
            app.dataChanged();
        });
    });
}

void QueuePanelBase::update(UiContext& ctx, const std::string& collection, const std::string& id, json fields,
                            const std::string& reason, const char* doneKey) {
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.post([this, collection, id, fields, reason, doneKey, &ui, &app](WorkerState& w) {
        std::string error;
        try {
            w.store.update(collection, id, fields, reason);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui.post([this, error, doneKey, &app] {
            if (!error.empty()) app.toast(error, true);
            else app.toast(tr(doneKey));
            m_reopen = true;
            app.dataChanged();
        });
    });
}

} // namespace signpost::app
