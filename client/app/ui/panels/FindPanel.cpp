// Find a provider: search as you type with the directory filters, a virtualised result list,
// the service in detail, "report a change" and "refer to this service".
#include "../../model/Names.hpp"
#include "../App.hpp"
#include "../Session.hpp"
#include "../Text.hpp"
#include "../Theme.hpp"
#include "../Widgets.hpp"
#include "Panels.hpp"

#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Time.hpp"

#include <imgui.h>
#include <imgui_internal.h> // ClearActiveID: replacing the text of a field being edited
#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <functional>

namespace signpost::app {

namespace {

struct AreaChoice {
    std::string code;
    int depth;
};

// Regions, PDUs and local authorities in tree order, for the area filter.
const std::vector<AreaChoice>& areaChoices() {
    static const std::vector<AreaChoice> choices = [] {
        std::vector<AreaChoice> out;
        std::function<void(std::string_view, int)> walk = [&](std::string_view parent, int depth) {
            for (const auto& a : domain::allAreas())
                if (a.parent == parent) {
                    if (a.kind != domain::AreaKind::Country) out.push_back({std::string(a.code), depth});
                    walk(a.code, a.kind == domain::AreaKind::Country ? depth : depth + 1);
                }
        };
        walk("", 0);
        return out;
    }();
    return choices;
}

const char* kReportFields[] = {trKey("report.phone"),         trKey("report.email"),       trKey("report.address"),
                               trKey("report.opening_times"), trKey("report.description"), trKey("report.eligibility"),
                               trKey("report.closed"),        trKey("report.other")};
const char* kReportCodes[] = {"phone", "email", "address", "opening_times", "description", "eligibility", "closed", "other"};

bool openAt(const domain::Service& s, std::time_t now) {
    const auto local = timeutil::ukLocalTime(now);
    for (const auto& t : s.openingTimes) {
        int opens = 0, closes = 0;
        if (t.weekday == local.weekday && timeutil::parseClock(t.opens, opens) && timeutil::parseClock(t.closes, closes) &&
            local.minuteOfDay >= opens && local.minuteOfDay < closes)
            return true;
    }
    return false;
}

std::string verifiedText(const std::optional<int>& days) {
    if (!days) return tr("find.not_verified");
    if (*days == 0) return tr("find.verified_today");
    return trf("find.verified_days", {std::to_string(*days)});
}

} // namespace

void FindPanel::onShow(UiContext& ctx) {
    // Sync may have brought new services: search again when the data moved on.
    if (m_dataGeneration != ctx.dataGeneration) {
        m_dataGeneration = ctx.dataGeneration;
        if (!m_neverSearched) m_searched.text += '\x01'; // forces a new search below
    }
    if (m_filters != m_searched && !m_searchInFlight) runSearch(ctx);
}

void FindPanel::runSearch(UiContext& ctx) {
    m_searched = m_filters;
    m_neverSearched = false;
    if (isEmpty(m_filters)) {
        m_results.clear();
        m_problems.clear();
        m_capped = false;
        return;
    }
    QueryPlan plan = planQuery(m_filters);
    m_problems = plan.problems;
    const uint64_t generation = ++m_searchGeneration;
    m_searchInFlight = true;
    UiQueue& ui = ctx.ui;
    App& app = ctx.app;
    ctx.worker.postLatest("search", [this, plan, generation, &ui, &app](WorkerState& w) mutable {
        const auto start = std::chrono::steady_clock::now();
        bool postcodeUnknown = false;
        directory::SearchOutcome outcome;
        std::string error;
        try {
            if (!plan.postcodeDistrict.empty()) {
                if (auto c = directory::DirectoryStore(w.db).postcodeDistrict(plan.postcodeDistrict))
                    plan.query.near = directory::GeoPoint{c->latitude, c->longitude};
                else
                    postcodeUnknown = true;
            }
            directory::DirectorySearch search(w.db, w.now());
            outcome = search.search(plan.query);
        } catch (const std::exception& e) {
            error = e.what();
        }
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        ui.post([this, outcome = std::move(outcome), generation, ms, postcodeUnknown, error, &app]() mutable {
            if (generation != m_searchGeneration) return;
            m_searchInFlight = false;
            if (!error.empty()) {
                app.toast(error, true);
                return;
            }
            m_results = std::move(outcome.results);
            m_capped = outcome.capped;
            m_searchMs = ms;
            m_postcodeUnknown = postcodeUnknown;
        });
    });
}

void FindPanel::select(UiContext& ctx, const std::string& id) {
    m_selectedId = id;
    m_showDetail = true;
    m_detailLoading = true;
    UiQueue& ui = ctx.ui;
    ctx.worker.postLatest("service_detail", [this, id, &ui](WorkerState& w) {
        std::optional<ServiceDetail> detail;
        try {
            directory::DirectoryStore dir(w.db);
            if (auto s = dir.service(id)) {
                ServiceDetail d;
                d.service = std::move(*s);
                if (!d.service.organisationId.empty()) {
                    d.organisation = dir.organisation(d.service.organisationId);
                    if (auto rec = w.store.record("organisation", d.service.organisationId)) d.organisationRecord = rec->fields;
                }
                if (d.service.lastVerified)
                    if (auto day = timeutil::parseIsoDate(*d.service.lastVerified))
                        d.daysSinceVerified = static_cast<int>(timeutil::daysSinceEpoch(w.now()) - *day);
                d.openNow = openAt(d.service, w.now());
                detail = std::move(d);
            }
        } catch (const std::exception&) {
            detail.reset();
        }
        ui.post([this, id, detail = std::move(detail)]() mutable {
            if (id != m_selectedId) return;
            m_detail = std::move(detail);
            m_detailLoading = false;
        });
    });
}

void FindPanel::referSelected(UiContext& ctx) {
    if (!m_detail) return;
    const auto& s = m_detail->service;
    ctx.app.referralEditor().referTo(ctx, s, localName(s.name, s.nameCy, ctx.language()));
}

void FindPanel::drawContent(UiContext& ctx) {
    if (ctx.split()) {
        const float listWidth = std::min(ctx.layout.listWidth, ImGui::GetContentRegionAvail().x * 0.5f);
        ImGui::BeginChild("##find_list", ImVec2(listWidth, 0), false, ImGuiWindowFlags_NavFlattened);
        drawSearchBox(ctx);
        drawFilters(ctx);
        drawResults(ctx);
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("##find_detail", ImVec2(0, 0), true, ImGuiWindowFlags_NavFlattened);
        drawDetail(ctx);
        ImGui::EndChild();
    } else if (m_showDetail) {
        ImGui::BeginChild("##find_detail", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
        drawDetail(ctx);
        ImGui::EndChild();
    } else {
        drawSearchBox(ctx);
        drawFilters(ctx);
        drawResults(ctx);
    }
    drawReportChange(ctx);
}

void FindPanel::drawSearchBox(UiContext& ctx) {
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (m_filters.text != m_textShown && ImGui::GetActiveID() == ImGui::GetID("##search")) {
        // The text changed from outside the field (a need button, a script): an active field
        // keeps its own copy, so let go of it and take the focus again with the new text.
        ImGui::ClearActiveID();
        m_focusSearch = true;
    }
    if (m_focusSearch) {
        ImGui::SetKeyboardFocusHere();
        m_focusSearch = false;
    }
    ImGui::InputTextWithHint("##search", tr("find.hint"), &m_filters.text);
    m_textShown = m_filters.text;
    if (m_filters != m_searched && !m_searchInFlight) runSearch(ctx);
}

void FindPanel::drawFilters(UiContext& ctx) {
    const int active = activeFilterCount(m_filters);
    std::string label = active ? trf("find.filters_n", {std::to_string(active)}) : std::string(tr("find.filters"));
    label += "###filters";
    ImGui::SetNextItemOpen(m_filtersOpen, ImGuiCond_Always);
    m_filtersOpen = ImGui::CollapsingHeader(label.c_str());
    if (!m_filtersOpen) {
        if (active && ImGui::IsItemVisible()) {
            // Nothing hidden behind a hover: the active filters are listed under the header.
            std::string summary;
            auto add = [&](const std::string& s) { summary += (summary.empty() ? "" : " · ") + s; };
            if (!m_filters.area.empty()) add(areaName(m_filters.area, ctx.language()));
            if (!m_filters.need.empty()) add(needName(m_filters.need, ctx.language()));
            if (m_filters.welsh) add(tr("find.filter_welsh"));
            if (m_filters.openNow) add(tr("find.filter_open_now"));
            if (!m_filters.nearPostcode.empty()) add(trf("find.near_x", {m_filters.nearPostcode}));
            if (!summary.empty()) ui::muted(summary);
        }
        return;
    }
    const Language lang = ctx.language();
    // Area
    {
        ImGui::TextUnformatted(tr("find.filter_area"));
        ImGui::SetNextItemWidth(-FLT_MIN);
        const std::string preview = m_filters.area.empty() ? std::string(tr("find.anywhere")) : areaName(m_filters.area, lang);
        if (ImGui::BeginCombo("##area", preview.c_str(), ImGuiComboFlags_HeightLarge)) {
            if (ImGui::Selectable(tr("find.anywhere"), m_filters.area.empty())) m_filters.area.clear();
            for (const auto& choice : areaChoices()) {
                std::string item(static_cast<size_t>(choice.depth) * 3, ' ');
                item += areaName(choice.code, lang) + "##" + choice.code;
                if (ImGui::Selectable(item.c_str(), m_filters.area == choice.code)) m_filters.area = choice.code;
            }
            ImGui::EndCombo();
        }
    }
    // Need
    {
        ImGui::TextUnformatted(tr("find.filter_need"));
        ImGui::SetNextItemWidth(-FLT_MIN);
        const std::string preview = m_filters.need.empty() ? std::string(tr("find.any_need")) : needName(m_filters.need, lang);
        if (ImGui::BeginCombo("##need", preview.c_str(), ImGuiComboFlags_HeightLarge)) {
            if (ImGui::Selectable(tr("find.any_need"), m_filters.need.empty())) m_filters.need.clear();
            for (const auto& n : domain::allNeeds()) {
                std::string item = n.parent.empty() ? std::string() : std::string("   ");
                item += needName(n.code, lang) + "##" + std::string(n.code);
                if (ImGui::Selectable(item.c_str(), m_filters.need == n.code)) m_filters.need = std::string(n.code);
            }
            ImGui::EndCombo();
        }
    }
    // Eligibility
    ImGui::TextUnformatted(tr("find.filter_age"));
    ImGui::SetNextItemWidth(-FLT_MIN);
    ImGui::InputTextWithHint("##age", tr("find.age_hint"), &m_filters.age, ImGuiInputTextFlags_CharsDecimal);
    {
        std::vector<std::string> items;
        for (const auto& s : domain::kSupervisionTypes) items.push_back(labelFor(supervisionKey(s.code), s.code));
        ui::comboIndex(tr("find.filter_supervision"), "##supervision", &m_filters.supervision, items, tr("find.any"));
    }
    {
        std::vector<std::string> items{tr("find.women_only"), tr("find.women_exclude")};
        int women = m_filters.women - 1;
        if (ui::comboIndex(tr("find.filter_women"), "##women", &women, items, tr("find.any"))) m_filters.women = women + 1;
    }
    {
        std::vector<std::string> items;
        for (const auto& r : domain::kCommissioningRoutes) items.push_back(labelFor(routeKey(r.code), r.code));
        ui::comboIndex(tr("find.filter_route"), "##route", &m_filters.route, items, tr("find.any"));
    }
    ImGui::Checkbox(tr("find.filter_welsh"), &m_filters.welsh);
    ImGui::Checkbox(tr("find.filter_open_now"), &m_filters.openNow);
    ImGui::Checkbox(tr("find.filter_hub"), &m_filters.hub);
    ImGui::Checkbox(tr("find.filter_colocated"), &m_filters.coLocated);
    ImGui::Checkbox(tr("find.filter_high_risk"), &m_filters.highRisk);
    ImGui::TextUnformatted(tr("find.filter_near"));
    ImGui::SetNextItemWidth(-FLT_MIN);
    ImGui::InputTextWithHint("##near", tr("find.near_hint"), &m_filters.nearPostcode, ImGuiInputTextFlags_CharsUppercase);
    if (active && ui::button(ctx, tr("find.clear_filters"))) {
        const std::string text = m_filters.text;
        m_filters = FilterState{};
        m_filters.text = text;
    }
    ImGui::Separator();
}

void FindPanel::drawResults(UiContext& ctx) {
    const Language lang = ctx.language();
    for (const char* problem : m_problems) {
        const FieldMessage message{problem, {}};
        ui::fieldMessage(&message);
    }
    if (m_postcodeUnknown) ui::muted(tr("find.postcode_unknown"));
    if (isEmpty(m_filters)) {
        ui::muted(tr("find.prompt"));
        ImGui::Spacing();
        // Quick starts: the top-level needs as buttons (tap targets in touch mode).
        float x = 0;
        const float avail = ImGui::GetContentRegionAvail().x;
        for (const auto& n : domain::allNeeds()) {
            if (!n.parent.empty()) continue;
            const std::string label = needName(n.code, lang) + "##quick_" + std::string(n.code);
            const float w = ImGui::CalcTextSize(label.c_str(), nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2;
            if (x > 0 && x + w <= avail) ImGui::SameLine();
            else x = 0;
            if (ui::button(ctx, label.c_str())) m_filters.need = std::string(n.code);
            x += w + ImGui::GetStyle().ItemSpacing.x;
        }
        return;
    }
    std::string count = searching() && m_results.empty() ? std::string(tr("find.searching"))
                                                         : trf("find.results_n", {std::to_string(m_results.size())});
    if (m_capped) count += " · " + std::string(tr("find.refine"));
    ui::muted(count);
    if (!searching() && m_results.empty()) {
        ui::wrapped(tr("find.no_results"));
        return;
    }

    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float pad = ImGui::GetStyle().FramePadding.y;
    const float rowHeight = std::max(ctx.layout.minTarget, line * 3 + pad * 2);
    ImGui::BeginChild("##results", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
    ctx.noteVisible(tr("find.results"));
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(m_results.size()), rowHeight + ImGui::GetStyle().ItemSpacing.y);
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const auto& r = m_results[static_cast<size_t>(i)];
            ImGui::PushID(i);
            const ImVec2 start = ImGui::GetCursorScreenPos();
            const float width = ImGui::GetContentRegionAvail().x;
            if (ImGui::Selectable("##row", r.id == m_selectedId, 0, ImVec2(width, rowHeight))) select(ctx, r.id);
            ImDrawList* draw = ImGui::GetWindowDrawList();
            const float textWidth = width - pad * 2;
            float y = start.y + pad;
            const std::string name = ui::ellipsize(localName(r.name, r.nameCy, lang), textWidth, ctx.fonts.bold);
            draw->AddText(ctx.fonts.bold, ctx.fonts.bold->FontSize, ImVec2(start.x + pad, y),
                          ImGui::GetColorU32(ImGuiCol_Text), name.c_str());
            y += line;
            std::string second = localName(r.organisation, r.organisationCy, lang);
            if (!r.town.empty()) second += " · " + placeName(r.town, lang);
            if (r.distanceKm) second += " · " + trf("find.km", {ui::oneDecimal(*r.distanceKm)});
            second = ui::ellipsize(second, textWidth, nullptr);
            draw->AddText(ImVec2(start.x + pad, y), ImGui::GetColorU32(palette().textMuted), second.c_str());
            y += line;
            std::string third = verifiedText(r.daysSinceVerified);
            if (r.welshLanguage) third += " · " + std::string(tr("find.tag_welsh"));
            if (r.hub) third += " · " + std::string(tr("find.tag_hub"));
            if (r.womenOnly) third += " · " + std::string(tr("find.tag_women"));
            third = ui::ellipsize(third, textWidth, nullptr);
            draw->AddText(ImVec2(start.x + pad, y), ImGui::GetColorU32(palette().textMuted), third.c_str());
            ImGui::PopID();
        }
    }
    ImGui::EndChild();
}

void FindPanel::drawDetail(UiContext& ctx) {
    const Language lang = ctx.language();
    if (m_selectedId.empty()) {
        ui::muted(tr("find.choose_result"));
        return;
    }
    if (!m_detail) {
        ui::muted(m_detailLoading ? tr("common.loading") : tr("find.service_gone"));
        return;
    }
    ctx.noteVisible(tr("find.detail"));
    const auto& d = *m_detail;
    const auto& s = d.service;
    ui::heading(ctx, localName(s.name, s.nameCy, lang));
    if (d.organisation) ui::muted(localName(d.organisation->name, d.organisation->nameCy, lang));
    ImGui::Spacing();

    // Actions first: on a phone they must not hide below a long description.
    const bool canRefer = ctx.session.unlocked() && (ctx.session.role() == domain::Role::Practitioner ||
                                                     ctx.session.role() == domain::Role::Supervisor);
    ui::ButtonRow actions(ctx);
    if (canRefer && actions.button(tr("find.refer"), true)) referSelected(ctx);
    if (actions.button(tr("find.report_change"))) m_reportOpen = true;
    ImGui::Spacing();

    // Facts
    const auto& p = palette();
    {
        std::string verified = verifiedText(d.daysSinceVerified);
        const bool stale = !d.daysSinceVerified || *d.daysSinceVerified > 365;
        ImGui::PushStyleColor(ImGuiCol_Text, stale ? p.warning : p.success);
        ImGui::TextWrapped("%s", verified.c_str());
        ImGui::PopStyleColor();
    }
    ImGui::TextWrapped("%s", (std::string(tr("find.welsh_provision")) + ": " +
                              tr(s.welshLanguage() ? "common.yes" : "common.no"))
                                 .c_str());
    if (s.commissioningRoute)
        ImGui::TextWrapped("%s", (std::string(tr("find.filter_route")) + ": " +
                                  labelFor(routeKey(domain::toCode(*s.commissioningRoute)), domain::toCode(*s.commissioningRoute)))
                                     .c_str());
    {
        std::string flags;
        auto add = [&](const char* key) { flags += (flags.empty() ? "" : " · ") + std::string(tr(key)); };
        if (s.hub) add("find.tag_hub");
        if (s.coLocated) add("find.tag_colocated");
        if (s.womenOnly) add("find.tag_women");
        add(s.highRiskSuitable ? "find.high_risk_yes" : "find.high_risk_unconfirmed");
        ui::wrapped(flags);
    }
    if (!s.openingTimes.empty())
        ui::tag(tr(d.openNow ? "find.open_now" : "find.closed_now"), d.openNow ? p.success : p.textMuted);

    const std::string& description = localName(s.description, s.descriptionCy, lang);
    if (!description.empty()) {
        ImGui::Spacing();
        ui::wrapped(description);
    }

    ImGui::Spacing();
    ui::bold(ctx, tr("find.who_for"));
    {
        std::string who;
        if (s.minAge || s.maxAge)
            who = trf("find.ages", {s.minAge ? std::to_string(*s.minAge) : "0", s.maxAge ? std::to_string(*s.maxAge) : "…"});
        if (!s.supervisionTypes.empty()) {
            std::string types;
            for (auto t : s.supervisionTypes)
                types += (types.empty() ? "" : ", ") + labelFor(supervisionKey(domain::toCode(t)), domain::toCode(t));
            who += (who.empty() ? "" : " · ") + types;
        } else {
            who += (who.empty() ? "" : " · ") + std::string(tr("find.any_supervision"));
        }
        ui::wrapped(who);
        if (!s.eligibility.empty()) ui::muted(s.eligibility);
    }
    if (!s.needs.empty()) {
        std::string needs;
        for (const auto& n : s.needs) needs += (needs.empty() ? "" : ", ") + needName(n, lang);
        ui::bold(ctx, tr("find.needs"));
        ui::wrapped(needs);
    }
    if (!s.areas.empty()) {
        std::string areas;
        for (const auto& a : s.areas) areas += (areas.empty() ? "" : ", ") + areaName(a, lang);
        ui::bold(ctx, tr("find.areas"));
        ui::wrapped(areas);
    }

    ImGui::Spacing();
    ui::bold(ctx, tr("find.opening_times"));
    if (s.openingTimes.empty()) ui::muted(tr("find.no_opening_times"));
    else if (ImGui::BeginTable("##hours", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        for (const auto& t : s.openingTimes) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(labelFor(weekdayKey(t.weekday), std::to_string(t.weekday)).c_str());
            ImGui::TableNextColumn();
            std::string hours = t.opens + "–" + t.closes;
            if (!t.note.empty()) hours += " (" + t.note + ")";
            ImGui::TextWrapped("%s", hours.c_str());
        }
        ImGui::EndTable();
    }

    if (!s.locations.empty()) {
        ImGui::Spacing();
        ui::bold(ctx, tr("find.where"));
        for (const auto& l : s.locations) {
            std::string text = l.name;
            for (const auto& part : {l.address, placeName(l.city, lang), l.postcode})
                if (!part.empty()) text += (text.empty() ? "" : ", ") + part;
            ui::wrapped(text);
        }
    }

    ImGui::Spacing();
    ui::bold(ctx, tr("find.contacts"));
    if (s.contacts.empty() && s.email.empty() && s.url.empty()) ui::muted(tr("find.no_contacts"));
    for (const auto& c : s.contacts) {
        std::string text = c.name;
        if (!c.title.empty()) text += " (" + c.title + ")";
        for (const auto& part : {c.phone, c.email})
            if (!part.empty()) text += (text.empty() ? "" : " · ") + part;
        ui::wrapped(text);
        if (c.sample || s.sample) {
            ui::tag(tr("find.sample_data"), p.sample);
            ui::help(ctx, tr("find.sample_help"));
        }
    }
    if (!s.email.empty()) ui::wrapped(s.email);
    if (!s.url.empty()) ui::wrapped(s.url);
    if (d.organisation && (d.organisation->sample || s.sample) && s.contacts.empty()) ui::tag(tr("find.sample_data"), p.sample);
}

void FindPanel::drawReportChange(UiContext& ctx) {
    if (m_reportOpen) {
        ImGui::OpenPopup("###report");
        m_reportOpen = false;
    }
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(std::min(display.x - 16, 560 * ctx.layout.scale), 0));
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    const std::string title = std::string(tr("find.report_change")) + "###report";
    if (!ImGui::BeginPopupModal(title.c_str(), nullptr, ImGuiWindowFlags_NoMove)) return;
    ctx.noteVisible(tr("find.report_change"));
    if (m_detail) ui::bold(ctx, localName(m_detail->service.name, m_detail->service.nameCy, ctx.language()));
    ui::muted(tr("report.explain"));
    std::vector<std::string> fields;
    for (const char* key : kReportFields) fields.push_back(tr(key));
    ui::comboIndex(tr("report.what"), "##report_field", &m_reportField, fields, nullptr);
    ui::inputText(ctx, tr("report.proposed"), "##report_proposed", &m_reportProposed);
    ui::inputMultiline(ctx, tr("report.note"), "##report_note", &m_reportNote);
    const bool ready = !m_reportProposed.empty() || !m_reportNote.empty();
    ui::ButtonRow buttons(ctx);
    ImGui::BeginDisabled(!ready || !m_detail);
    if (buttons.button(tr("report.send"), true) && m_detail) {
        nlohmann::json suggestion{{"service_id", m_detail->service.id},
                              {"field", kReportCodes[std::clamp(m_reportField, 0, 7)]},
                              {"proposed", m_reportProposed},
                              {"note", m_reportNote}};
        UiQueue& ui = ctx.ui;
        App& app = ctx.app;
        ctx.worker.post([suggestion, &ui, &app](WorkerState& w) {
            std::string error;
            try {
                w.store.create("suggestion", suggestion);
            } catch (const std::exception& e) {
                error = e.what();
            }
            ui.post([error, &app] {
                if (error.empty()) {
                    app.toast(tr("report.sent"));
                    app.dataChanged();
                } else {
                    app.toast(error, true);
                }
            });
        });
        m_reportProposed.clear();
        m_reportNote.clear();
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndDisabled();
    if (buttons.button(tr("common.cancel"))) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

} // namespace signpost::app
