#pragma once
// Small widgets shared by the panels, so sizes, focus and touch mode behave the same everywhere.
#include "../model/ReferralForm.hpp"
#include "Context.hpp"

#include <imgui.h>

#include <string>

namespace signpost::app::ui {

// A full-width-capable button at least one target tall. `primary`: the panel's main action.
bool button(const UiContext& ctx, const char* label, bool primary = false, float width = 0.0f);
// Buttons side by side while they fit, wrapping to the next line when they do not (a phone
// never scrolls sideways for an action).
class ButtonRow {
public:
    explicit ButtonRow(const UiContext& ctx) : m_ctx(ctx) {}
    bool button(const char* label, bool primary = false);

private:
    const UiContext& m_ctx;
    bool m_first = true;
};

// Text that wraps at the region's edge (never a horizontal scroll).
void wrapped(const std::string& text);
void muted(const std::string& text);
void heading(const UiContext& ctx, const std::string& text);
void bold(const UiContext& ctx, const std::string& text);
// A label above a full-width field, the field, and its message (if any) under it.
bool inputText(const UiContext& ctx, const char* label, const char* id, std::string* value,
               const FieldMessage* message = nullptr, int flags = 0, const char* hint = nullptr);
bool inputMultiline(const UiContext& ctx, const char* label, const char* id, std::string* value,
                    const FieldMessage* message = nullptr, float lines = 3);
void fieldMessage(const FieldMessage* message);
// A combo over (label) items with -1 meaning "any"/"none"; returns true when changed.
bool comboIndex(const char* label, const char* id, int* index, const std::vector<std::string>& items,
                const char* noneLabel);
// A small coloured tag ("sample data", "Welsh", a status).
void tag(const std::string& text, const ImVec4& colour);
// Help text: a tooltip on hover with a mouse; in touch mode shown inline instead (no
// hover-only information).
void help(const UiContext& ctx, const char* text);
// Width left in the current row.
float availWidth();

} // namespace signpost::app::ui
