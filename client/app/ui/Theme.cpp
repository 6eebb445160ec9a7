#include "Theme.hpp"

#include <algorithm>

namespace signpost::app {

namespace {
Palette g_palette;
ImGuiStyle g_base;

ImVec4 rgb(int r, int g, int b, float a = 1.0f) {
    return ImVec4(static_cast<float>(r) / 255.0f, static_cast<float>(g) / 255.0f, static_cast<float>(b) / 255.0f, a);
}

void light(ImGuiStyle& s) {
    ImGui::StyleColorsLight(&s);
    ImVec4* c = s.Colors;
    c[ImGuiCol_Text] = rgb(11, 12, 12);
    c[ImGuiCol_TextDisabled] = rgb(80, 90, 95);
    c[ImGuiCol_WindowBg] = rgb(246, 247, 248);
    c[ImGuiCol_ChildBg] = rgb(246, 247, 248, 0.0f);
    c[ImGuiCol_PopupBg] = rgb(255, 255, 255);
    c[ImGuiCol_Border] = rgb(177, 180, 182);
    c[ImGuiCol_FrameBg] = rgb(255, 255, 255);
    c[ImGuiCol_FrameBgHovered] = rgb(235, 242, 250);
    c[ImGuiCol_FrameBgActive] = rgb(220, 233, 247);
    c[ImGuiCol_TitleBg] = rgb(29, 112, 184);
    c[ImGuiCol_TitleBgActive] = rgb(29, 112, 184);
    c[ImGuiCol_Button] = rgb(221, 226, 230);
    c[ImGuiCol_ButtonHovered] = rgb(196, 205, 212);
    c[ImGuiCol_ButtonActive] = rgb(170, 181, 190);
    c[ImGuiCol_Header] = rgb(214, 230, 245);
    c[ImGuiCol_HeaderHovered] = rgb(189, 215, 238);
    c[ImGuiCol_HeaderActive] = rgb(160, 196, 230);
    c[ImGuiCol_CheckMark] = rgb(11, 12, 12);
    c[ImGuiCol_NavHighlight] = rgb(255, 191, 71);
    c[ImGuiCol_ModalWindowDimBg] = rgb(11, 12, 12, 0.45f);
    c[ImGuiCol_Separator] = rgb(177, 180, 182);
    c[ImGuiCol_Tab] = rgb(214, 230, 245);
    c[ImGuiCol_TabActive] = rgb(29, 112, 184);
    c[ImGuiCol_TabHovered] = rgb(189, 215, 238);
    c[ImGuiCol_TableHeaderBg] = rgb(230, 234, 238);
    c[ImGuiCol_TableRowBgAlt] = rgb(240, 242, 244);
    c[ImGuiCol_ScrollbarBg] = rgb(240, 242, 244);
    c[ImGuiCol_ScrollbarGrab] = rgb(150, 156, 160);
    g_palette = {c[ImGuiCol_Text], rgb(80, 90, 95),    rgb(29, 112, 184), rgb(255, 255, 255), rgb(180, 30, 20),
                 rgb(140, 80, 0),  rgb(0, 112, 60),    rgb(255, 191, 71), rgb(255, 255, 255), rgb(140, 80, 0)};
}

void highContrast(ImGuiStyle& s) {
    ImGui::StyleColorsDark(&s);
    ImVec4* c = s.Colors;
    const ImVec4 black = rgb(0, 0, 0), white = rgb(255, 255, 255), yellow = rgb(255, 255, 0), cyan = rgb(0, 255, 255);
    c[ImGuiCol_Text] = white;
    c[ImGuiCol_TextDisabled] = rgb(200, 200, 200);
    c[ImGuiCol_WindowBg] = black;
    c[ImGuiCol_ChildBg] = black;
    c[ImGuiCol_PopupBg] = black;
    c[ImGuiCol_Border] = white;
    c[ImGuiCol_FrameBg] = black;
    c[ImGuiCol_FrameBgHovered] = rgb(40, 40, 0);
    c[ImGuiCol_FrameBgActive] = rgb(60, 60, 0);
    c[ImGuiCol_Button] = black;
    c[ImGuiCol_ButtonHovered] = rgb(60, 60, 0);
    c[ImGuiCol_ButtonActive] = rgb(90, 90, 0);
    c[ImGuiCol_Header] = rgb(0, 60, 90);
    c[ImGuiCol_HeaderHovered] = rgb(60, 60, 0);
    c[ImGuiCol_HeaderActive] = rgb(90, 90, 0);
    c[ImGuiCol_CheckMark] = yellow;
    c[ImGuiCol_NavHighlight] = yellow;
    c[ImGuiCol_TextSelectedBg] = rgb(0, 90, 160);
    c[ImGuiCol_Separator] = white;
    c[ImGuiCol_ModalWindowDimBg] = rgb(0, 0, 0, 0.7f);
    c[ImGuiCol_Tab] = black;
    c[ImGuiCol_TabActive] = rgb(0, 60, 90);
    c[ImGuiCol_TabHovered] = rgb(60, 60, 0);
    c[ImGuiCol_TableHeaderBg] = rgb(30, 30, 30);
    c[ImGuiCol_TableRowBgAlt] = rgb(20, 20, 20);
    c[ImGuiCol_ScrollbarBg] = black;
    c[ImGuiCol_ScrollbarGrab] = white;
    g_palette = {white, rgb(230, 230, 230), cyan, black, rgb(255, 120, 120), yellow, rgb(120, 255, 120), yellow,
                 black, yellow};
}
} // namespace

const Palette& palette() { return g_palette; }
const ImGuiStyle& baseStyle() { return g_base; }

void applyTheme(bool contrast, const Layout& layout) {
    ImGuiStyle style;
    if (contrast) highContrast(style);
    else light(style);
    style.WindowRounding = 0;
    style.ChildRounding = 0;
    style.FrameRounding = contrast ? 0.0f : 4.0f;
    style.GrabRounding = 4.0f;
    style.PopupRounding = 4.0f;
    style.WindowBorderSize = 0;
    style.ChildBorderSize = contrast ? 2.0f : 1.0f;
    style.FrameBorderSize = contrast ? 2.0f : 1.0f; // fields keep a visible edge
    style.PopupBorderSize = contrast ? 2.0f : 1.0f;
    style.ItemSpacing = ImVec2(8, 8);
    style.ItemInnerSpacing = ImVec2(6, 6);
    style.WindowPadding = ImVec2(12, 12);
    style.ScrollbarSize = 16;
    style.GrabMinSize = 14;
    style.IndentSpacing = 18;
    style.ScaleAllSizes(layout.scale);
    // Frame padding from the layout: fields and buttons reach the minimum target height.
    style.FramePadding = ImVec2(std::max(8.0f * layout.scale, layout.framePaddingY), layout.framePaddingY);
    if (!layout.hoverActions) style.ScrollbarSize = std::max(style.ScrollbarSize, 24.0f * layout.scale);
    ImGui::GetStyle() = style;
    g_base = style;
}

} // namespace signpost::app
