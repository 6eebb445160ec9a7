#pragma once
// One base for every panel (ImHex's View): the base draws the frame (a child region with the
// panel's title, the early return when collapsed or clipped), the panel overrides drawContent().
// Panels keep only ephemeral UI state (filter text, selection, edit buffers); the data lives in
// the local database, reached through the worker.
#include "../model/I18n.hpp"

#include <string>

namespace signpost::app {

struct UiContext;

class Panel {
public:
    Panel(std::string key, const char* titleKey, const char* tabKey)
        : m_key(std::move(key)), m_titleKey(titleKey), m_tabKey(tabKey) {}
    virtual ~Panel() = default;
    Panel(const Panel&) = delete;
    Panel& operator=(const Panel&) = delete;

    // A stable id: navigation, settings, the screenshot sidecar.
    const std::string& key() const { return m_key; }
    const char* title() const { return tr(m_titleKey); }
    // The short label of its tab in the bottom bar.
    const char* tabLabel() const { return tr(m_tabKey); }

    // Draws the panel into the current content region.
    void draw(UiContext& ctx);

    // Whether this person's role uses the panel (navigation lists only these).
    virtual bool visibleFor(const UiContext&) const { return true; }
    // A panel asks to be brought to the front (e.g. the referral editor after "refer to this
    // service"); the App switches to it and clears the request.
    bool wantsFocus() const { return m_wantsFocus; }
    void requestFocus() { m_wantsFocus = true; }
    void clearFocusRequest() { m_wantsFocus = false; }
    // A number for its navigation item (items waiting), 0 for none.
    virtual size_t badge(const UiContext&) const { return 0; }
    // Called when it becomes the active panel, and every frame it is active before drawing;
    // panels reload what they show when `dataGeneration` moved on.
    virtual void onShow(UiContext&) {}
    // Every frame, for every panel, before drawing (debounced saves, reloads for badges).
    virtual void tick(UiContext&) {}
    // Signpost is about to lock (idle, or the person asked): save what is unsaved while the
    // vault is still open. Jobs posted now run before the vault is dropped.
    virtual void beforeLock(UiContext&) {}
    // Single column: the panel shows its detail, so the top bar offers "Back" to the list.
    virtual bool showingDetail() const { return false; }
    virtual void back() {}

protected:
    virtual void drawContent(UiContext& ctx) = 0;

private:
    std::string m_key;
    const char* m_titleKey;
    const char* m_tabKey;
    bool m_wantsFocus = false;
};

} // namespace signpost::app
