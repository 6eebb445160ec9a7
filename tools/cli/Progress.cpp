#include "Progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace signpost::cli {

bool Progress::stdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

Progress::Progress(std::string label, bool enabled)
    : m_label(std::move(label)), m_enabled(enabled && stdoutIsTerminal()), m_start(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(size_t done, size_t total) {
    if (!m_enabled) return;
    auto now = std::chrono::steady_clock::now();
    if (m_drawn && done < total && now - m_lastDraw < std::chrono::milliseconds(100)) return;
    m_lastDraw = now;
    m_drawn = true;
    double seconds = std::chrono::duration<double>(now - m_start).count();
    constexpr int kWidth = 30;
    if (total > 0) {
        double fraction = static_cast<double>(done) / static_cast<double>(total);
        int filled = static_cast<int>(fraction * kWidth);
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(kWidth, '.');
        std::printf("\r%s [%s] %3d%% %zu/%zu  %.1fs", m_label.c_str(), bar.c_str(), static_cast<int>(fraction * 100), done,
                    total, seconds);
    } else {
        std::printf("\r%s %zu  %.1fs", m_label.c_str(), done, seconds);
    }
    std::fflush(stdout);
}

void Progress::finish() {
    if (m_enabled && m_drawn) {
        std::printf("\n");
        std::fflush(stdout);
        m_drawn = false;
    }
}

} // namespace signpost::cli
