#pragma once
// How the window is arranged, as a pure function of its size, GLFW's content scale and the
// person's settings, so the breakpoints are unit-tested without a window.
//
// Widths are compared in logical pixels: window pixels divided by the content scale (a HiDPI
// screen) and by the text size (200% text on a 1280 px laptop has the room of a 640 px one, so
// it gets the single column and never needs horizontal scrolling).
namespace signpost::app {

enum class LayoutMode {
    SingleColumn, // phone width: one pane at a time, bottom tab bar
    Split,        // laptop: navigation rail, list and detail side by side
};

struct LayoutInput {
    int windowWidth = 1280;   // framebuffer pixels
    int windowHeight = 800;
    float contentScale = 1.0f; // glfwGetWindowContentScale
    int textSizePercent = 100; // settings: 100 … 200
    bool touch = false;        // settings: touch mode
};

struct Layout {
    LayoutMode mode = LayoutMode::Split;
    float scale = 1.0f;          // content scale × text size: style sizes and fonts multiply by it
    float fontPx = 16.0f;        // body text size in pixels
    float headingPx = 20.0f;
    float minTarget = 24.0f;     // the least height (and width) of anything that can be pressed
    float framePaddingY = 4.0f;  // makes buttons and fields reach minTarget
    float logicalWidth = 1280.0f;
    float navWidth = 0.0f;       // split: the navigation rail; 0 in a single column
    float listWidth = 0.0f;      // split: the list pane (the detail gets the rest)
    float tabBarHeight = 0.0f;   // single column: the bottom tab bar; 0 in split
    float statusBarHeight = 28.0f;
    bool hoverActions = true;    // false in touch mode: no action or information only on hover
    bool compactTables = false;  // narrow: tables drop to one column of stacked lines
};

inline constexpr float kSplitBreakpoint = 1000.0f; // logical px
inline constexpr float kBaseFontPx = 16.0f;
inline constexpr float kTouchTargetPx = 44.0f;      // WCAG 2.5.5 / platform guidance, logical px
inline constexpr int kMinTextSize = 100;
inline constexpr int kMaxTextSize = 200;

Layout computeLayout(const LayoutInput& input);

// Font pixel size for a scale, rounded so the atlas is rebuilt only for real changes.
float fontPixels(float scale);

} // namespace signpost::app
