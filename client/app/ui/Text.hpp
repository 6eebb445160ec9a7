#pragma once
// Fitting text into fixed-size rows (the virtualised lists draw rows of a known height).
#include <string>

struct ImFont;

namespace signpost::app::ui {

// The text, cut at a UTF-8 boundary and ended with "…" when wider than `width` in `font`
// (nullptr: the current font).
std::string ellipsize(const std::string& text, float width, ImFont* font);
std::string oneDecimal(double value);

} // namespace signpost::app::ui
