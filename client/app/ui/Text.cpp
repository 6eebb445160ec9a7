#include "Text.hpp"

#include <imgui.h>

#include <cfloat>
#include <cstdio>

namespace signpost::app::ui {

namespace {
float widthOf(ImFont* font, const char* begin, const char* end) {
    if (!font) return ImGui::CalcTextSize(begin, end).x;
    return font->CalcTextSizeA(font->FontSize, FLT_MAX, 0.0f, begin, end).x;
}
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
} // namespace

std::string ellipsize(const std::string& text, float width, ImFont* font) {
    const char* s = text.c_str();
    if (widthOf(font, s, s + text.size()) <= width) return text;
    static const char kEllipsis[] = "…";
    const float room = width - widthOf(font, kEllipsis, kEllipsis + sizeof kEllipsis - 1);
    if (room <= 0) return kEllipsis;
    // The longest prefix that fits: binary search on byte length, snapped to code points.
    size_t lo = 0, hi = text.size();
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        while (mid > 0 && mid < text.size() && continuation(text[mid])) --mid;
        if (mid <= lo) {
            hi = lo;
            break;
        }
        if (widthOf(font, s, s + mid) <= room) lo = mid;
        else hi = mid - 1;
    }
    while (lo > 0 && lo < text.size() && continuation(text[lo])) --lo;
    std::string out = text.substr(0, lo);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + kEllipsis;
}

std::string oneDecimal(double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", value);
    return buf;
}

} // namespace signpost::app::ui
