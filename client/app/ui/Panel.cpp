#include "Panel.hpp"
#include "Context.hpp"
#include "Theme.hpp"

#include <imgui.h>

namespace signpost::app {

void Panel::draw(UiContext& ctx) {
    ctx.noteVisible(title());
    const ImGuiStyle& style = baseStyle();
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, style.WindowPadding);
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, style.ItemSpacing);
    const bool open = ImGui::BeginChild(("##panel_" + m_key).c_str(), ImVec2(0, 0), false,
                                        ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_AlwaysUseWindowPadding);
    if (open) drawContent(ctx);
    ImGui::EndChild();
    ImGui::PopStyleVar(2);
}

} // namespace signpost::app
