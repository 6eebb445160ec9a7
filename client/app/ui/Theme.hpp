#pragma once
// Colours and sizes: a calm light theme, and a high-contrast one (white on black, yellow focus,
// thick borders). Sizes follow the layout's scale and minimum target.
#include "../model/Layout.hpp"

#include <imgui.h>

namespace signpost::app {

struct Palette {
    ImVec4 text, textMuted, accent, accentText, danger, warning, success, focus, panel, sample;
};

void applyTheme(bool highContrast, const Layout& layout);
const Palette& palette();
// The style as applied, before any Push: regions that the host lays out edge to edge push back
// the normal spacing and padding from here.
const ImGuiStyle& baseStyle();

} // namespace signpost::app
