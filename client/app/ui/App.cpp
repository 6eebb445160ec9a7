#include "App.hpp"
#include "../model/Names.hpp"
#include "../model/Png.hpp"
#include "Demo.hpp"
#include "Script.hpp"
#include "Text.hpp"
#include "Theme.hpp"
#include "Widgets.hpp"
#include "panels/Panels.hpp"

#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Assets.hpp"
#include "signpost/util/Time.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

namespace signpost::app {

namespace {

crypto::KdfCost kdfCost() {
    const char* v = std::getenv("SIGNPOST_KDF");
    std::string s = v ? v : "";
    if (s == "minimum") return crypto::KdfCost::Minimum; // tests and benchmarks only
    if (s == "moderate") return crypto::KdfCost::Moderate;
    return crypto::KdfCost::Interactive;
}

App* appOf(GLFWwindow* window) { return static_cast<App*>(glfwGetWindowUserPointer(window)); }

// Any input: draw a few frames and restart the idle-lock clock. Installed before ImGui's own
// callbacks, which chain to these.
bool g_inputSeen = false;
void onKey(GLFWwindow*, int, int, int, int) { g_inputSeen = true; }
void onChar(GLFWwindow*, unsigned int) { g_inputSeen = true; }
void onMouseButton(GLFWwindow*, int, int, int) { g_inputSeen = true; }
void onScroll(GLFWwindow*, double, double) { g_inputSeen = true; }
void onCursor(GLFWwindow*, double, double) { g_inputSeen = true; }
void onWindowChange(GLFWwindow* w, int, int) {
    g_inputSeen = true;
    if (App* app = appOf(w)) app->requestFrames();
}
void onScale(GLFWwindow* w, float, float) {
    g_inputSeen = true;
    if (App* app = appOf(w)) app->requestFrames();
}
void onFocus(GLFWwindow*, int) { g_inputSeen = true; }

void glfwError(int code, const char* description) { std::fprintf(stderr, "signpost: GLFW error %d: %s\n", code, description); }

} // namespace

void UiContext::noteVisible(const std::string& title) { app.noteVisible(title); }

App::App(AppOptions options) : m_options(std::move(options)) {
    m_i18n.load(assets::dir() / "lang");
    I18n::setCurrent(&m_i18n);
    if (m_options.language) m_settings.language = *m_options.language;
    if (m_options.textSize) m_settings.textSizePercent = *m_options.textSize;
    if (m_options.touch) m_settings.touchMode = *m_options.touch;
    if (m_options.highContrast) m_settings.highContrast = *m_options.highContrast;
    if (!m_options.serverUrl.empty()) m_settings.serverUrl = m_options.serverUrl;
    m_settings = clamped(m_settings);
    m_i18n.setLanguage(m_settings.language);
}

App::~App() {
    if (m_session) m_session->lock();
    if (m_sync) m_sync->stop();
    if (m_worker) m_worker->stop();
    m_script.reset();
    m_panels.clear();
    m_signIn.reset();
    shutdownWindow();
    I18n::setCurrent(nullptr);
}

bool App::initWindow() {
    glfwSetErrorCallback(glfwError);
    if (!glfwInit()) {
        std::cerr << "signpost: cannot open a window (no display? under a test, run it with xvfb-run)\n";
        return false;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    m_window = glfwCreateWindow(m_options.width, m_options.height, "Signpost", nullptr, nullptr);
    if (!m_window) {
        std::cerr << "signpost: cannot create an OpenGL 3 window\n";
        glfwTerminate();
        return false;
    }
    glfwSetWindowUserPointer(m_window, this);
    glfwMakeContextCurrent(m_window);
    glfwSwapInterval(1);
    glfwSetKeyCallback(m_window, onKey);
    glfwSetCharCallback(m_window, onChar);
    glfwSetMouseButtonCallback(m_window, onMouseButton);
    glfwSetScrollCallback(m_window, onScroll);
    glfwSetCursorPosCallback(m_window, onCursor);
    glfwSetFramebufferSizeCallback(m_window, onWindowChange);
    glfwSetWindowContentScaleCallback(m_window, onScale);
    glfwSetWindowFocusCallback(m_window, onFocus);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // the layout is computed, never saved
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.ConfigInputTextCursorBlink = false; // a blinking caret would keep an idle window drawing
    ImGui_ImplGlfw_InitForOpenGL(m_window, true);
    ImGui_ImplOpenGL3_Init("#version 130");
    m_ui.setWake([] { glfwPostEmptyEvent(); });
    return true;
}

void App::shutdownWindow() {
    if (!m_window) return;
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(m_window);
    glfwTerminate();
    m_window = nullptr;
}

Panel* App::panel(const std::string& key) const {
    for (const auto& p : m_panels)
        if (p->key() == key) return p.get();
    return nullptr;
}

void App::navigate(const std::string& key) {
    if (Panel* p = panel(key)) {
        m_active = p;
        m_moreOpen = false;
        requestFrames();
    }
}

void App::toast(std::string text, bool error) {
    m_toast = std::move(text);
    m_toastError = error;
    m_toastUntil = ImGui::GetTime() + 5.0;
    redrawAt(m_toastUntil + 0.05);
    requestFrames();
}

void App::redrawAt(double t) {
    if (m_redrawAt <= 0 || t < m_redrawAt) m_redrawAt = t;
}

void App::requestQuit(int exitCode) {
    m_quit = true;
    m_exitCode = exitCode;
}

void App::setWindowSize(int width, int height) {
    if (m_window) glfwSetWindowSize(m_window, width, height);
    requestFrames();
}

void App::applySettings(const Settings& next) {
    const Settings s = clamped(next);
    const bool serverChanged = s.serverUrl != m_settings.serverUrl;
    m_settings = s;
    m_i18n.setLanguage(s.language);
    const std::string json = settingsToJson(s);
    m_worker->post([json](WorkerState& w) { w.store.setState(std::string(kSettingsStateKey), json); });
    if (serverChanged) m_session->restartSync(s.serverUrl);
    requestFrames();
}

void App::loadSettings() {
    m_worker->post([this](WorkerState& w) {
        auto saved = w.store.state(std::string(kSettingsStateKey));
        m_ui.post([this, saved] {
            Settings s = saved ? settingsFromJson(*saved) : m_settings;
            // The command line wins for this run (tests and screenshots), without being saved.
            if (m_options.language) s.language = *m_options.language;
            if (m_options.textSize) s.textSizePercent = *m_options.textSize;
            if (m_options.touch) s.touchMode = *m_options.touch;
            if (m_options.highContrast) s.highContrast = *m_options.highContrast;
            if (!m_options.serverUrl.empty()) s.serverUrl = m_options.serverUrl;
            m_settings = clamped(s);
            m_i18n.setLanguage(m_settings.language);
            m_session->serverUrl = m_settings.serverUrl;
            m_settingsLoaded = true;
        });
    });
}

const std::vector<Panel*> App::navigablePanels(const UiContext& ctx) const {
    std::vector<Panel*> out;
    for (const auto& p : m_panels)
        if (p->visibleFor(ctx)) out.push_back(p.get());
    return out;
}

double App::waitTimeout() const {
    // Idle: wake for the next thing that must change on screen, else once a minute for the clock.
    double timeout = 60.0;
    const double now = ImGui::GetTime();
    if (m_redrawAt > 0) timeout = std::min(timeout, std::max(0.0, m_redrawAt - now));
    if (m_session && m_session->unlocked()) {
        const double lockAt = m_lastInput + m_settings.idleLockMinutes * 60.0;
        timeout = std::min(timeout, std::max(0.0, lockAt - now) + 0.05);
    }
    if (m_sync && m_sync->running() && m_sync->status().state == client::SyncStatus::State::Syncing)
        timeout = std::min(timeout, 0.25); // "syncing n of m" moves
    if (m_worker && m_worker->pending() > 0) timeout = std::min(timeout, 0.5);
    return timeout;
}

void App::lockNow(UiContext& ctx, bool idle) {
    if (!m_session->unlocked()) return;
    for (const auto& p : m_panels) p->beforeLock(ctx);
    m_session->lock(idle);
    dataChanged();
}

void App::checkIdleLock(UiContext& ctx) {
    if (!m_session->unlocked() || m_script) return;
    if (ctx.time - m_lastInput >= m_settings.idleLockMinutes * 60.0) lockNow(ctx, true);
}

void App::updateLayout() {
    int fbw = 0, fbh = 0;
    glfwGetFramebufferSize(m_window, &fbw, &fbh);
    float xs = 1, ys = 1;
    glfwGetWindowContentScale(m_window, &xs, &ys);
    LayoutInput in;
    in.windowWidth = fbw;
    in.windowHeight = fbh;
    in.contentScale = xs;
    in.textSizePercent = m_settings.textSizePercent;
    in.touch = m_settings.touchMode;
    m_layout = computeLayout(in);
    if (m_fonts.build(m_layout.fontPx, m_layout.headingPx)) {
        // The first NewFrame creates the texture itself; later rebuilds replace it.
        if (m_frames > 0) {
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
        }
    }
    if (m_themeHighContrast != m_settings.highContrast || m_themeScale != m_layout.scale ||
        m_themeTarget != m_layout.minTarget) {
        applyTheme(m_settings.highContrast, m_layout);
        m_themeHighContrast = m_settings.highContrast;
        m_themeScale = m_layout.scale;
        m_themeTarget = m_layout.minTarget;
    }
}

void App::frame() {
    if (g_inputSeen) {
        g_inputSeen = false;
        m_lastInput = ImGui::GetTime();
        requestFrames();
    }
    if (m_ui.drain() > 0) requestFrames();
    if (m_redrawAt > 0 && ImGui::GetTime() >= m_redrawAt) {
        m_redrawAt = 0;
        requestFrames(2);
    }
    updateLayout();

    const auto buildStart = std::chrono::steady_clock::now();
    timespec cpuStart{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpuStart);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (m_inputHook) m_inputHook(ImGui::GetIO());
    ImGui::NewFrame();
    m_visibleTitles.clear();
    UiContext ctx{*this, m_layout, m_settings, *m_session, *m_worker, m_ui, m_fonts};
    ctx.time = ImGui::GetTime();
    ctx.now = std::time(nullptr);
    ctx.dataGeneration = m_dataGeneration;
    checkIdleLock(ctx);
    if (m_script) m_script->beforeDraw(ctx);
    drawHost(ctx);
    ImGui::Render();
    m_lastBuildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - buildStart).count();
    timespec cpuEnd{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpuEnd);
    // CPU time of the UI thread alone: on a busy two-core laptop the wall time also counts the
    // worker and sync threads taking the core away.
    m_lastBuildCpuMs = static_cast<double>(cpuEnd.tv_sec - cpuStart.tv_sec) * 1e3 +
                       static_cast<double>(cpuEnd.tv_nsec - cpuStart.tv_nsec) / 1e6;
    if (m_frameHook) m_frameHook(m_lastBuildMs);

    int fbw = 0, fbh = 0;
    glfwGetFramebufferSize(m_window, &fbw, &fbh);
    glViewport(0, 0, fbw, fbh);
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (m_script) m_script->afterRender(ctx);
    glfwSwapBuffers(m_window);
    ++m_frames;
    if (!m_firstFrameReported) {
        m_firstFrameReported = true;
        m_firstFrameMs =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m_options.processStart).count();
    }
    if (m_framesWanted > 0) --m_framesWanted;
}

bool App::screenshot(const std::string& pngPath, const std::string& sidecarPath) {
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    if (w <= 0 || h <= 0) return false;
    std::vector<uint8_t> pixels(static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows run bottom-up; PNG's top-down.
    const size_t stride = static_cast<size_t>(w) * 4;
    std::vector<uint8_t> flipped(pixels.size());
    for (int y = 0; y < h; ++y)
        std::copy_n(pixels.data() + stride * static_cast<size_t>(h - 1 - y), stride, flipped.data() + stride * static_cast<size_t>(y));
    for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
    writePng(pngPath, flipped.data(), w, h);

    nlohmann::json side{{"panel", m_session->unlocked() && m_active ? m_active->key() : std::string("sign_in")},
                        {"panel_title", m_session->unlocked() && m_active ? m_active->title() : tr("panel.sign_in")},
                        {"visible", m_visibleTitles},
                        {"language", std::string(toCode(m_settings.language))},
                        {"width", w},
                        {"height", h},
                        {"layout", m_layout.mode == LayoutMode::Split ? "split" : "single"},
                        {"font_px", m_layout.fontPx},
                        {"font_file", m_fonts.bodyPath},
                        {"frame", m_frames}};
    std::ofstream out(sidecarPath, std::ios::trunc);
    out << side.dump(2) << "\n";
    return static_cast<bool>(out);
}

int App::run() {
    if (m_options.dbPath.empty()) {
        std::cerr << "signpost: no database given (--db FILE)\n";
        return 2;
    }
    if (!initWindow()) return 1;

    const std::string dbPath = m_options.dbPath;
    const bool demo = m_options.demo || m_options.script == "flow";
    m_worker = std::make_unique<AppWorker>(
        [dbPath] {
            auto parent = std::filesystem::path(dbPath).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            return std::make_unique<WorkerState>(schema::openLocal(dbPath), nullptr);
        },
        [this](const std::string& why) {
            std::string message = why;
            m_ui.post([this, message] { toast(message, true); });
        });
    m_sync = std::make_unique<SyncService>(m_ui);
    m_session = std::make_unique<Session>(*m_worker, m_ui, *m_sync, dbPath, kdfCost());
    m_session->serverUrl = m_settings.serverUrl;
    m_session->onUnlocked = [this] {
        dataChanged();
        if (!m_active) navigate("find");
    };
    m_session->onLocked = [this] { dataChanged(); };
    m_session->onSyncRound = [this](const client::SyncReport& report) {
        if (report.pulled || report.pushed || report.removed || report.indexed) dataChanged();
        requestFrames();
    };

    m_panels = makePanels(*this);
    for (const auto& p : m_panels) {
        if (auto* f = dynamic_cast<FindPanel*>(p.get())) m_find = f;
        if (auto* e = dynamic_cast<ReferralEditorPanel*>(p.get())) m_editor = e;
    }
    m_signIn = std::make_unique<SignInScreen>();
    m_active = panel("find");

    if (demo) prepareDemo(*m_worker, m_ui, [this](const std::string& m) { toast(m, true); });
    loadSettings();
    m_session->begin();
    if (!m_options.script.empty()) {
        m_script = makeScript(m_options.script, m_options.screenshotDir);
        if (!m_script) {
            std::cerr << "signpost: unknown script \"" << m_options.script << "\" (try: " << scriptNames() << ")\n";
            return 2;
        }
    }
    if (m_options.benchUi) return runBench();

    while (!m_quit && !glfwWindowShouldClose(m_window)) {
        if (m_framesWanted > 0 || m_script) glfwPollEvents();
        else glfwWaitEventsTimeout(waitTimeout());
        frame();
    }
    if (m_script) {
        m_exitCode = m_script->exitCode();
        std::cout << "first frame " << m_firstFrameMs << " ms\n";
    }
    return m_exitCode;
}

// ------------------------------------------------------------------------------ host layout

void App::drawHost(UiContext& ctx) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->Pos);
    ImGui::SetNextWindowSize(vp->Size);
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    const ImGuiWindowFlags hostFlags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                       ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                       ImGuiWindowFlags_NoScrollWithMouse;
    ImGui::Begin("##host", nullptr, hostFlags);
    ImGui::PopStyleVar(1); // item spacing stays 0 until End: the regions below tile the window

    const float height = vp->Size.y;
    const float width = vp->Size.x;
    const bool single = m_layout.mode == LayoutMode::SingleColumn;
    const float bottom = m_layout.statusBarHeight + (single ? m_layout.tabBarHeight : 0);

    if (!m_session->unlocked()) {
        ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, baseStyle().WindowPadding);
        ImGui::BeginChild("##signin_area", ImVec2(width, height - m_layout.statusBarHeight), false,
                          ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_AlwaysUseWindowPadding);
        ImGui::PopStyleVar();
        // Spacing inside only: pushed around BeginChild it would also space the child from the
        // status bar below and push the bar off the window.
        ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, baseStyle().ItemSpacing);
        m_signIn->drawScreen(ctx);
        ImGui::PopStyleVar();
        ImGui::EndChild();
        drawStatusBar(ctx);
    } else {
        for (const auto& p : m_panels) p->tick(ctx);
        for (const auto& p : m_panels)
            if (p->wantsFocus()) {
                p->clearFocusRequest();
                navigate(p->key());
            }
        if (m_active && !m_active->visibleFor(ctx)) m_active = panel("find");
        if (!single) {
            drawNavRail(ctx);
            ImGui::SameLine(0, 0);
            ImGui::BeginChild("##main", ImVec2(width - m_layout.navWidth, height - bottom), false,
                              ImGuiWindowFlags_NavFlattened);
            if (m_active) {
                m_active->onShow(ctx);
                m_active->draw(ctx);
            }
            ImGui::EndChild();
            drawStatusBar(ctx);
        } else {
            drawTopBar(ctx);
            const float top = ImGui::GetCursorPosY();
            ImGui::BeginChild("##main", ImVec2(width, height - bottom - top), false, ImGuiWindowFlags_NavFlattened);
            if (m_moreOpen) drawMoreMenu(ctx);
            else if (m_active) {
                m_active->onShow(ctx);
                m_active->draw(ctx);
            }
            ImGui::EndChild();
            drawStatusBar(ctx);
            drawTabBar(ctx);
        }
    }
    ImGui::PopStyleVar(1);
    drawToast(ctx);
    ImGui::End();
}

void App::drawNavRail(UiContext& ctx) {
    const float bottom = m_layout.statusBarHeight;
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImGui::GetStyle().Colors[ImGuiCol_FrameBg]);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, baseStyle().WindowPadding);
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, baseStyle().ItemSpacing);
    ImGui::BeginChild("##nav", ImVec2(m_layout.navWidth, ImGui::GetMainViewport()->Size.y - bottom), true,
                      ImGuiWindowFlags_NavFlattened);
    ImGui::PushFont(m_fonts.heading);
    ImGui::TextUnformatted("Signpost");
    ImGui::PopFont();
    if (auto who = m_session->principal())
        ui::muted(m_session->username() + " · " + labelFor(roleKey(who->role), domain::toCode(who->role)));
    ImGui::Spacing();
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 4 * m_layout.scale));
    for (Panel* p : navigablePanels(ctx)) {
        std::string label = p->title();
        if (size_t n = p->badge(ctx)) label += "  (" + std::to_string(n) + ")";
        label += "##nav_" + p->key();
        const bool selected = p == m_active;
        if (ImGui::Selectable(label.c_str(), selected, 0, ImVec2(0, m_layout.minTarget))) navigate(p->key());
    }
    ImGui::PopStyleVar();
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::Spacing();
    if (ui::button(ctx, tr("action.lock"), false, -FLT_MIN)) lockNow(ctx, false);
    ImGui::EndChild();
    ImGui::PopStyleVar(2);
    ImGui::PopStyleColor();
}

void App::drawTopBar(UiContext& ctx) {
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8 * m_layout.scale, 4 * m_layout.scale));
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, baseStyle().ItemSpacing);
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImGui::GetStyle().Colors[ImGuiCol_FrameBg]);
    ImGui::BeginChild("##top", ImVec2(ImGui::GetMainViewport()->Size.x, m_layout.minTarget + 8 * m_layout.scale), false,
                      ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_NoScrollbar);
    if (m_active && m_active->showingDetail() && !m_moreOpen) {
        if (ui::button(ctx, tr("action.back"))) m_active->back();
        ImGui::SameLine();
    }
    ImGui::AlignTextToFramePadding();
    ImGui::PushFont(m_fonts.heading);
    ImGui::TextUnformatted(m_moreOpen ? tr("tab.more") : m_active ? m_active->title() : "Signpost");
    ImGui::PopFont();
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::PopStyleVar(2);
}

size_t App::directTabs(const UiContext& ctx, const std::vector<Panel*>& panels) const {
    // As many direct tabs as fit with their labels whole (at most four, plus "More" for the rest).
    const float width = ImGui::GetMainViewport()->Size.x;
    const float pad = 2 * ImGui::GetStyle().FramePadding.x;
    size_t direct = std::min<size_t>(panels.size(), panels.size() <= 5 ? panels.size() : 4);
    while (direct > 2) {
        const size_t tabs = direct + (panels.size() > direct ? 1 : 0);
        float widest = panels.size() > direct ? ImGui::CalcTextSize(tr("tab.more")).x : 0.0f;
        for (size_t i = 0; i < direct; ++i) widest = std::max(widest, ImGui::CalcTextSize(panels[i]->tabLabel()).x);
        if (widest + pad <= width / static_cast<float>(tabs)) break;
        --direct;
    }
    (void)ctx;
    return direct;
}

void App::drawTabBar(UiContext& ctx) {
    auto panels = navigablePanels(ctx);
    const size_t direct = directTabs(ctx, panels);
    const size_t tabs = direct + (panels.size() > direct ? 1 : 0);
    const float width = ImGui::GetMainViewport()->Size.x;
    const float tabWidth = std::floor(width / static_cast<float>(std::max<size_t>(tabs, 1)));
    const float tabHeight = m_layout.tabBarHeight - 8 * m_layout.scale;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 4 * m_layout.scale));
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImGui::GetStyle().Colors[ImGuiCol_FrameBg]);
    ImGui::BeginChild("##tabs", ImVec2(width, m_layout.tabBarHeight), true,
                      ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_NoScrollbar);
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));
    const bool activeIsDirect =
        m_active && std::find(panels.begin(), panels.begin() + static_cast<long>(direct), m_active) !=
                        panels.begin() + static_cast<long>(direct);
    for (size_t i = 0; i < tabs; ++i) {
        const bool more = i == direct;
        Panel* p = more ? nullptr : panels[i];
        std::string label = more ? tr("tab.more") : p->tabLabel();
        if (!more)
            if (size_t n = p->badge(ctx)) label += " " + std::to_string(n);
        const bool selected = more ? (m_moreOpen || !activeIsDirect) : (!m_moreOpen && p == m_active);
        if (i > 0) ImGui::SameLine(0, 0);
        ImGui::PushID(static_cast<int>(i));
        if (selected) ImGui::PushStyleColor(ImGuiCol_Header, ImGui::GetStyle().Colors[ImGuiCol_HeaderActive]);
        const ImVec2 at = ImGui::GetCursorScreenPos();
        if (ImGui::Selectable("##tab", selected, 0, ImVec2(tabWidth, tabHeight))) {
            if (more) m_moreOpen = true;
            else navigate(p->key());
        }
        if (selected) ImGui::PopStyleColor();
        // The label centred in its tab, whole when it fits (directTabs made sure it does).
        const std::string shown = ui::ellipsize(label, tabWidth - 4, selected ? m_fonts.bold : nullptr);
        ImFont* font = selected ? m_fonts.bold : ImGui::GetFont();
        const ImVec2 size = font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, shown.c_str());
        ImGui::GetWindowDrawList()->AddText(font, font->FontSize,
                                            ImVec2(at.x + (tabWidth - size.x) * 0.5f, at.y + (tabHeight - size.y) * 0.5f),
                                            ImGui::GetColorU32(ImGuiCol_Text), shown.c_str());
        ImGui::PopID();
    }
    ImGui::PopStyleVar();
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::PopStyleVar();
}

void App::drawMoreMenu(UiContext& ctx) {
    ctx.noteVisible(tr("tab.more"));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, baseStyle().WindowPadding);
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, baseStyle().ItemSpacing);
    ImGui::BeginChild("##more", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened | ImGuiWindowFlags_AlwaysUseWindowPadding);
    auto panels = navigablePanels(ctx);
    for (size_t i = directTabs(ctx, panels); i < panels.size(); ++i) {
        std::string label = std::string(panels[i]->title()) + "##more_" + panels[i]->key();
        if (size_t n = panels[i]->badge(ctx)) label = std::string(panels[i]->title()) + "  (" + std::to_string(n) + ")##more_" + panels[i]->key();
        if (ImGui::Selectable(label.c_str(), false, 0, ImVec2(0, m_layout.minTarget))) navigate(panels[i]->key());
    }
    ImGui::Spacing();
    if (ui::button(ctx, tr("action.lock"), false, -FLT_MIN)) lockNow(ctx, false);
    ImGui::EndChild();
    ImGui::PopStyleVar(2);
}

void App::drawToast(UiContext& ctx) {
    if (m_toast.empty() || ctx.time > m_toastUntil) return;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float bottom = m_layout.statusBarHeight + (m_layout.mode == LayoutMode::SingleColumn ? m_layout.tabBarHeight : 0);
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x * 0.5f, vp->Pos.y + vp->Size.y - bottom - 8 * m_layout.scale),
                            ImGuiCond_Always, ImVec2(0.5f, 1.0f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(0, 0), ImVec2(std::min(vp->Size.x - 16, 600 * m_layout.scale), FLT_MAX));
    ImGui::PushStyleColor(ImGuiCol_WindowBg, m_toastError ? palette().danger : palette().accent);
    ImGui::PushStyleColor(ImGuiCol_Text, palette().accentText);
    ImGui::Begin("##toast", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoFocusOnAppearing |
                     ImGuiWindowFlags_NoNav | ImGuiWindowFlags_NoSavedSettings);
    ImGui::PushTextWrapPos(std::min(vp->Size.x - 40, 560 * m_layout.scale));
    ImGui::TextUnformatted(m_toast.c_str());
    ImGui::PopTextWrapPos();
    ImGui::End();
    ImGui::PopStyleColor(2);
}

} // namespace signpost::app
