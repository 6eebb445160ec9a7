#include "Widgets.hpp"
#include "Fonts.hpp"
#include "Theme.hpp"

#include <imgui_stdlib.h>

#include <algorithm>
#include <cfloat>

namespace signpost::app::ui {

bool button(const UiContext& ctx, const char* label, bool primary, float width) {
    const float height = ctx.layout.minTarget;
    const ImVec2 textSize = ImGui::CalcTextSize(label, nullptr, true);
    const float minWidth = std::max(height, textSize.x + ImGui::GetStyle().FramePadding.x * 2);
    if (primary) {
        const auto& p = palette();
        ImGui::PushStyleColor(ImGuiCol_Button, p.accent);
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(p.accent.x * 0.75f, p.accent.y * 0.75f, p.accent.z * 0.75f, 1));
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(p.accent.x * 0.6f, p.accent.y * 0.6f, p.accent.z * 0.6f, 1));
        ImGui::PushStyleColor(ImGuiCol_Text, p.accentText);
    }
    bool pressed = ImGui::Button(label, ImVec2(width > 0 ? std::max(width, minWidth) : (width < 0 ? width : 0), height));
    if (primary) ImGui::PopStyleColor(4);
    return pressed;
}

bool ButtonRow::button(const char* label, bool primary) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float width = std::max(m_ctx.layout.minTarget, ImGui::CalcTextSize(label, nullptr, true).x + style.FramePadding.x * 2);
    if (!m_first) {
        const float right = ImGui::GetItemRectMax().x + style.ItemSpacing.x + width;
        const float limit = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
        if (right <= limit) ImGui::SameLine();
    }
    m_first = false;
    return ui::button(m_ctx, label, primary);
}

void wrapped(const std::string& text) { ImGui::TextWrapped("%s", text.c_str()); }

void muted(const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, palette().textMuted);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void heading(const UiContext& ctx, const std::string& text) {
    ImGui::PushFont(ctx.fonts.heading);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopFont();
}

void bold(const UiContext& ctx, const std::string& text) {
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopFont();
}

void fieldMessage(const FieldMessage* message) {
    if (!message) return;
    ImGui::PushStyleColor(ImGuiCol_Text, palette().danger);
    ImGui::TextWrapped("%s", message->key ? tr(message->key) : message->text.c_str());
    ImGui::PopStyleColor();
}

bool inputText(const UiContext& ctx, const char* label, const char* id, std::string* value,
               const FieldMessage* message, int flags, const char* hint) {
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", label);
    ImGui::PopFont();
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (message) ImGui::PushStyleColor(ImGuiCol_Border, palette().danger);
    bool changed = hint ? ImGui::InputTextWithHint(id, hint, value, flags) : ImGui::InputText(id, value, flags);
    if (message) ImGui::PopStyleColor();
    fieldMessage(message);
    return changed;
}

bool inputMultiline(const UiContext& ctx, const char* label, const char* id, std::string* value,
                    const FieldMessage* message, float lines) {
    ImGui::PushFont(ctx.fonts.bold);
    ImGui::TextWrapped("%s", label);
    ImGui::PopFont();
    if (message) ImGui::PushStyleColor(ImGuiCol_Border, palette().danger);
    bool changed = ImGui::InputTextMultiline(
        id, value, ImVec2(-FLT_MIN, ImGui::GetTextLineHeight() * lines + ImGui::GetStyle().FramePadding.y * 2),
        ImGuiInputTextFlags_None); // ImGui 1.86 has no word wrap in multiline fields
    if (message) ImGui::PopStyleColor();
    fieldMessage(message);
    return changed;
}

bool comboIndex(const char* label, const char* id, int* index, const std::vector<std::string>& items,
                const char* noneLabel) {
    if (label && *label) ImGui::TextWrapped("%s", label);
    ImGui::SetNextItemWidth(-FLT_MIN);
    const char* preview = *index >= 0 && *index < static_cast<int>(items.size()) ? items[static_cast<size_t>(*index)].c_str()
                                                                                 : noneLabel;
    bool changed = false;
    if (ImGui::BeginCombo(id, preview)) {
        if (noneLabel && ImGui::Selectable(noneLabel, *index < 0)) {
            changed = *index != -1;
            *index = -1;
        }
        for (int i = 0; i < static_cast<int>(items.size()); ++i) {
            const bool selected = i == *index;
            if (ImGui::Selectable(items[static_cast<size_t>(i)].c_str(), selected)) {
                changed = *index != i;
                *index = i;
            }
            if (selected) ImGui::SetItemDefaultFocus();
        }
        ImGui::EndCombo();
    }
    return changed;
}

void tag(const std::string& text, const ImVec4& colour) {
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    ImGui::TextUnformatted(("[" + text + "]").c_str());
    ImGui::PopStyleColor();
}

void help(const UiContext& ctx, const char* text) {
    if (!ctx.layout.hoverActions) {
        muted(text);
        return;
    }
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

float availWidth() { return ImGui::GetContentRegionAvail().x; }

} // namespace signpost::app::ui
