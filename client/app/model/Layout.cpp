#include "Layout.hpp"

#include <algorithm>
#include <cmath>

namespace signpost::app {

float fontPixels(float scale) { return std::round(kBaseFontPx * scale); }

Layout computeLayout(const LayoutInput& in) {
    Layout out;
    const float content = std::clamp(in.contentScale > 0 ? in.contentScale : 1.0f, 0.5f, 4.0f);
    const float text = static_cast<float>(std::clamp(in.textSizePercent, kMinTextSize, kMaxTextSize)) / 100.0f;
    out.scale = content * text;
    out.fontPx = fontPixels(out.scale);
    out.headingPx = std::round(out.fontPx * 1.25f);
    const float width = static_cast<float>(std::max(in.windowWidth, 1));
    out.logicalWidth = width / out.scale;
    out.mode = out.logicalWidth >= kSplitBreakpoint ? LayoutMode::Split : LayoutMode::SingleColumn;

    // Targets: 44 logical px in touch mode (scaled by the screen, not by the text size: a finger
    // does not shrink when text grows, but the target never gets smaller than the text needs).
    const float textTarget = out.fontPx + 8.0f * out.scale;
    out.minTarget = in.touch ? std::max(std::round(kTouchTargetPx * content), textTarget) : std::round(textTarget);
    out.framePaddingY = std::max(2.0f, std::floor((out.minTarget - out.fontPx) / 2.0f));
    out.hoverActions = !in.touch;
    out.statusBarHeight = std::round(std::max(out.minTarget, out.fontPx + 12.0f * out.scale));

    if (out.mode == LayoutMode::Split) {
        out.navWidth = std::round(std::clamp(width * 0.16f, 180.0f * out.scale, 240.0f * out.scale));
        const float rest = width - out.navWidth;
        out.listWidth = std::round(std::clamp(rest * 0.42f, 340.0f * out.scale, rest - 420.0f * out.scale));
        out.tabBarHeight = 0;
        out.compactTables = false;
    } else {
        out.navWidth = 0;
        out.listWidth = width;
        // Label under the target: the bar is one target plus a little air.
        out.tabBarHeight = std::round(out.minTarget + 10.0f * out.scale);
        out.compactTables = true;
    }
    return out;
}

} // namespace signpost::app
