#pragma once
// The font atlas (Tracy's Fonts.cpp): DejaVu Sans from fonts-dejavu-core (it has the Welsh
// ŵ and ŷ), rebuilt at one pixel size whenever the content scale or the text-size setting
// changes it. Falls back to Noto Sans (fonts-noto-core), then ImGui's own font.
#include <string>

struct ImFont;

namespace signpost::app {

struct Fonts {
    ImFont* body = nullptr;
    ImFont* bold = nullptr;
    ImFont* heading = nullptr;
    float builtPx = 0;        // the body size the atlas was built for
    std::string bodyPath;     // the file in use ("" = ImGui's built-in font: no Welsh glyphs)

    // Rebuilds the atlas for `bodyPx` when it differs from the current one. Call between frames;
    // returns true when it rebuilt (the renderer's texture must be recreated).
    bool build(float bodyPx, float headingPx);
};

// The glyph ranges the client needs: Latin-1, Latin Extended-A (ŵ ŷ â ô …), punctuation
// (– — ‘ ’ “ ” • …), arrows and a few symbols used as icons.
const unsigned short* glyphRanges();

} // namespace signpost::app
