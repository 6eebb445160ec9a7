#pragma once
// Scripted flows for the real-window tests and the README screenshots: `signpost --script flow
// --screenshot-dir DIR`. A script is a list of steps; each runs once per frame until it reports
// done (or times out, which fails the run with the step's name). A screenshot step waits for the
// window to settle, then writes DIR/NN-name.png and NN-name.json (the active panel, the titled
// regions drawn, language, size, layout) for the test to check.
#include "Context.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace signpost::app {

class App;

class ScriptRunner {
public:
    struct Step {
        std::string name;
        std::function<bool(App&, UiContext&)> run; // true: done
        std::string screenshot;                    // non-empty: a screenshot step
        double timeout = 60.0;
    };

    ScriptRunner(std::vector<Step> steps, std::string screenshotDir);
    void beforeDraw(UiContext& ctx);
    void afterRender(UiContext& ctx);
    int exitCode() const { return m_exitCode; }

private:
    void advance(UiContext& ctx);
    void fail(UiContext& ctx, const std::string& why);

    std::vector<Step> m_steps;
    std::string m_dir;
    size_t m_index = 0;
    double m_stepStart = -1;
    int m_settleFrames = 0;
    bool m_shotDue = false;
    bool m_failureShot = false;
    int m_shots = 0;
    int m_exitCode = 0;
};

std::unique_ptr<ScriptRunner> makeScript(const std::string& name, const std::string& screenshotDir);
std::string scriptNames();

} // namespace signpost::app
