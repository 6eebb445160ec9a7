#pragma once
// A progress bar for long imports and seeding, drawn only when stdout is a terminal (so logs and
// pipes stay clean) and redrawn at most ten times a second.
#include <chrono>
#include <cstddef>
#include <string>

namespace signpost::cli {

class Progress {
public:
    explicit Progress(std::string label, bool enabled = true);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(size_t done, size_t total);
    void finish();
    static bool stdoutIsTerminal();

private:
    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_lastDraw;
};

} // namespace signpost::cli
