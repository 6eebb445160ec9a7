#pragma once
// What a panel draws with: the layout, the settings, the session (who is signed in), the worker
// for anything that touches the database, and the App for moving between panels.
#include "../model/Layout.hpp"
#include "../model/Settings.hpp"
#include "../model/Worker.hpp"
#include "WorkerState.hpp"

#include <ctime>
#include <string>

namespace signpost::app {

class App;
class Session;
struct Fonts;

struct UiContext {
    App& app;
    const Layout& layout;
    Settings& settings;
    Session& session;
    AppWorker& worker;
    UiQueue& ui;
    Fonts& fonts;
    double time = 0;          // seconds, monotonic (ImGui::GetTime)
    std::time_t now = 0;      // wall clock, for dates shown
    uint64_t dataGeneration = 0;

    Language language() const { return settings.language; }
    bool split() const { return layout.mode == LayoutMode::Split; }
    // Records a titled region drawn this frame (the screenshot sidecar lists them).
    void noteVisible(const std::string& title);
};

} // namespace signpost::app
