#include "Fonts.hpp"

#include <imgui.h>

#include <cmath>
#include <filesystem>

namespace signpost::app {

namespace {
constexpr const char* kRegular[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
};
constexpr const char* kBold[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
};

std::string firstExisting(const char* const* paths, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (std::filesystem::exists(paths[i])) return paths[i];
    return {};
}
} // namespace

const unsigned short* glyphRanges() {
    static const unsigned short ranges[] = {
        0x0020, 0x00FF, // Basic Latin + Latin-1
        0x0100, 0x017F, // Latin Extended-A: ŵ ŷ and the rest of Welsh
        0x2010, 0x2027, // dashes, quotes, bullet, ellipsis
        0x2030, 0x203A,
        0x20AC, 0x20AC, // €
        0x2190, 0x2193, // ← ↑ → ↓
        0x2022, 0x2022,
        0x25B2, 0x25BC, // ▲ ▼ and friends
        0x25CF, 0x25CF, // ●
        0x2713, 0x2717, // ✓ ✗
        0,
    };
    return ranges;
}

bool Fonts::build(float bodyPx, float headingPx) {
    if (std::fabs(bodyPx - builtPx) < 0.5f && body) return false;
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    bodyPath = firstExisting(kRegular, std::size(kRegular));
    const std::string boldPath = firstExisting(kBold, std::size(kBold));
    ImFontConfig config;
    config.OversampleH = 2;
    config.OversampleV = 1;
    config.PixelSnapH = true;
    if (!bodyPath.empty()) {
        body = io.Fonts->AddFontFromFileTTF(bodyPath.c_str(), bodyPx, &config, glyphRanges());
        const std::string& strong = boldPath.empty() ? bodyPath : boldPath;
        bold = io.Fonts->AddFontFromFileTTF(strong.c_str(), bodyPx, &config, glyphRanges());
        heading = io.Fonts->AddFontFromFileTTF(strong.c_str(), headingPx, &config, glyphRanges());
    }
    if (!body) {
        ImFontConfig fallback;
        fallback.SizePixels = bodyPx;
        body = bold = heading = io.Fonts->AddFontDefault(&fallback);
        bodyPath.clear();
    }
    io.Fonts->Build();
    io.FontDefault = body;
    builtPx = bodyPx;
    return true;
}

} // namespace signpost::app
