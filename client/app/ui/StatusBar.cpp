// The sync status bar, always at the bottom: offline / syncing n of m / up to date at HH:MM /
// error with a readable message; changes waiting; "Sync now".
#include "../model/Format.hpp"
#include "App.hpp"
#include "Theme.hpp"
#include "Widgets.hpp"

#include <imgui.h>

namespace signpost::app {

void App::drawStatusBar(UiContext& ctx) {
    const auto& s = m_session->sync();
    const client::SyncStatus status = s.status();
    const bool running = s.running();
    const StatusLine line = statusLine(status, m_session->hasServerSession(), running && m_session->unlocked());
    const float width = ImGui::GetMainViewport()->Size.x;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8 * m_layout.scale, 0));
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(8 * m_layout.scale, 0));
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImGui::GetStyle().Colors[ImGuiCol_FrameBg]);
    ImGui::BeginChild("##status", ImVec2(width, m_layout.statusBarHeight), true,
                      ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_AlwaysUseWindowPadding);
    ctx.noteVisible(tr("status.bar"));
    const float buttonWidth = ImGui::CalcTextSize(tr("sync.now")).x + ImGui::GetStyle().FramePadding.x * 2;
    const bool canSync = running && m_session->unlocked();
    std::string text = formatPattern(tr(line.key), {line.arg, line.arg2});
    if (line.detailKey) text += " " + trf(line.detailKey, {line.detailArg});
    // Changes waiting: the outbox as the engine last counted it.
    const size_t pending = status.pending;
    std::string pendingText = pending ? trf("sync.pending", {std::to_string(pending)}) : std::string();
    const float textWidth = width - buttonWidth - 32 * m_layout.scale;
    ImGui::SetCursorPosY((m_layout.statusBarHeight - ImGui::GetTextLineHeight()) * 0.5f);
    ImGui::PushStyleColor(ImGuiCol_Text, line.problem ? palette().warning : palette().text);
    std::string full = pendingText.empty() ? text : text + " · " + pendingText;
    // One line: if it does not fit, the detail is cut with an ellipsis; the whole sentence is in
    // the tooltip (and in the Settings panel, for touch mode).
    const char* shown = full.c_str();
    std::string cut;
    if (ImGui::CalcTextSize(shown).x > textWidth) {
        cut = full;
        while (!cut.empty() && ImGui::CalcTextSize((cut + "…").c_str()).x > textWidth) {
            cut.pop_back();
            while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
            if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0xC0) cut.pop_back();
        }
        cut += "…";
        shown = cut.c_str();
    }
    ImGui::TextUnformatted(shown);
    ImGui::PopStyleColor();
    if (shown != full.c_str() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", full.c_str());
    m_lastStatusText = full;
    if (m_session->hasServerSession()) {
        ImGui::SameLine(width - buttonWidth - 8 * m_layout.scale);
        ImGui::SetCursorPosY((m_layout.statusBarHeight - ImGui::GetFrameHeight()) * 0.5f);
        ImGui::BeginDisabled(!canSync);
        if (ImGui::Button(tr("sync.now"))) m_session->nudgeSync();
        ImGui::EndDisabled();
    }
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::PopStyleVar(2);
}

} // namespace signpost::app
