#pragma once
// The client's application object: the GLFW window and OpenGL context, Dear ImGui, the fonts and
// theme, the language files, the settings, the worker and sync threads, and the panels. It owns
// the frame loop, which waits for events while nothing changes (idle CPU near zero).
#include "../model/I18n.hpp"
#include "../model/Layout.hpp"
#include "../model/Settings.hpp"
#include "../model/Worker.hpp"
#include "Context.hpp"
#include "Fonts.hpp"
#include "Panel.hpp"
#include "Session.hpp"
#include "SyncService.hpp"
#include "WorkerState.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct GLFWwindow;
struct ImGuiIO;

namespace signpost::app {

class FindPanel;
class ReferralEditorPanel;
class QueuePanelBase;
class ConflictsPanel;
class SettingsPanel;
class SignInScreen;
class ScriptRunner;

struct AppOptions {
    std::string dbPath;                 // the device database
    std::string serverUrl;              // overrides the saved server for this run (tools/dev run)
    std::optional<Language> language;   // overrides the saved setting
    int width = 1280, height = 800;     // initial window size (framebuffer pixels at scale 1)
    std::optional<int> textSize;        // overrides the saved setting
    std::optional<bool> touch;
    std::optional<bool> highContrast;
    std::string script;                 // a scripted flow to run (tests, screenshots)
    std::string screenshotDir;          // where the script writes PNGs and their sidecars
    bool demo = false;                  // a device with the seed directory and a demo user
    bool benchUi = false;
    std::string benchDb;                // bench: reuse this prepared database
    size_t benchServices = 100'000;
    size_t benchReferrals = 50'000;
    int benchFrames = 600;
    std::chrono::steady_clock::time_point processStart = std::chrono::steady_clock::now();
};

class App {
public:
    explicit App(AppOptions options);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    int run();

    // --- for panels ---
    void navigate(const std::string& panelKey);
    Panel* activePanel() const { return m_active; }
    Panel* panel(const std::string& key) const;
    FindPanel& find() const { return *m_find; }
    ReferralEditorPanel& referralEditor() const { return *m_editor; }
    SignInScreen& signInScreen() const { return *m_signIn; }
    // Something on the device changed (a local write, a sync round): panels reload.
    void dataChanged() { ++m_dataGeneration; requestFrames(); }
    // A short message at the bottom of the window for a few seconds.
    void toast(std::string text, bool error = false);
    // Keep drawing for the next n frames (animations, results arriving).
    void requestFrames(int n = 3) { m_framesWanted = std::max(m_framesWanted, n); }
    // Wake and draw again by this time (a debounce, a clock), without spinning until then.
    void redrawAt(double imguiTime);
    void applySettings(const Settings& settings); // saves too
    // Locks Signpost: panels save first (beforeLock), then sync stops and the vault is dropped.
    void lockNow(UiContext& ctx, bool idle);
    const Settings& settings() const { return m_settings; }
    const Layout& layout() const { return m_layout; }
    Session& session() { return *m_session; }
    AppWorker& worker() { return *m_worker; }
    UiQueue& uiQueue() { return m_ui; }
    const AppOptions& options() const { return m_options; }
    const std::vector<std::string>& visibleTitles() const { return m_visibleTitles; }
    const std::string& statusText() const { return m_lastStatusText; }
    void noteVisible(const std::string& title) { m_visibleTitles.push_back(title); }
    const std::vector<Panel*> navigablePanels(const UiContext& ctx) const;

    // --- for the script runner and the benchmark ---
    bool screenshot(const std::string& pngPath, const std::string& sidecarPath);
    void setWindowSize(int width, int height);
    GLFWwindow* window() const { return m_window; }
    uint64_t frameCount() const { return m_frames; }
    double lastFrameBuildMs() const { return m_lastBuildMs; }
    double lastFrameBuildCpuMs() const { return m_lastBuildCpuMs; }
    void requestQuit(int exitCode);

private:
    bool initWindow();
    void shutdownWindow();
    void loadSettings();
    void frame();
    void updateLayout();
    void drawHost(UiContext& ctx);
    void drawNavRail(UiContext& ctx);
    void drawTabBar(UiContext& ctx);
    size_t directTabs(const UiContext& ctx, const std::vector<Panel*>& panels) const;
    void drawTopBar(UiContext& ctx);
    void drawStatusBar(UiContext& ctx);
    void drawToast(UiContext& ctx);
    void drawMoreMenu(UiContext& ctx);
    double waitTimeout() const;
    void checkIdleLock(UiContext& ctx);
    int runBench();

    AppOptions m_options;
    GLFWwindow* m_window = nullptr;
    I18n m_i18n;
    Settings m_settings;
    Layout m_layout;
    Fonts m_fonts;
    bool m_themeHighContrast = false;
    float m_themeScale = 0;
    float m_themeTarget = 0;
    UiQueue m_ui;
    std::unique_ptr<AppWorker> m_worker;
    std::unique_ptr<SyncService> m_sync;
    std::unique_ptr<Session> m_session;
    std::vector<std::unique_ptr<Panel>> m_panels;
    FindPanel* m_find = nullptr;
    ReferralEditorPanel* m_editor = nullptr;
    std::unique_ptr<SignInScreen> m_signIn;
    std::unique_ptr<ScriptRunner> m_script;
    Panel* m_active = nullptr;
    bool m_moreOpen = false;
    uint64_t m_dataGeneration = 1;
    int m_framesWanted = 3;
    double m_redrawAt = 0;
    double m_lastInput = 0;
    uint64_t m_frames = 0;
    double m_lastBuildMs = 0;
    double m_lastBuildCpuMs = 0;
    std::vector<std::string> m_visibleTitles;
    std::string m_toast;
    std::string m_lastStatusText;
    bool m_toastError = false;
    double m_toastUntil = 0;
    bool m_quit = false;
    int m_exitCode = 0;
    bool m_settingsLoaded = false;
    std::string m_startupError;
    bool m_firstFrameReported = false;
    double m_firstFrameMs = 0;
    std::function<void(double)> m_frameHook; // bench: called with each frame's build ms
    std::function<void(ImGuiIO&)> m_inputHook; // bench: synthetic input before NewFrame

    friend class ScriptRunner;
    friend class BenchDriver;
};

} // namespace signpost::app
