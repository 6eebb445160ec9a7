#pragma once
// Dates and times as people read them, and the sync status bar's sentence.
#include "signpost/client/SyncEngine.hpp"

#include <ctime>
#include <optional>
#include <string>

namespace signpost::app {

// "2026-11-22T15:04:05Z" → the device's local "HH:MM"; "" when it does not parse.
std::string localClock(const std::string& isoUtc);
// ISO UTC → seconds since the epoch.
std::optional<std::time_t> parseIsoUtc(const std::string& isoUtc);

struct StatusLine {
    const char* key = nullptr;   // language key of the headline
    std::string arg;             // {0} of the headline (n of m, HH:MM)
    std::string arg2;            // {1}
    std::string detail;          // core's sentence (Error): shown after the headline
    bool problem = false;        // draw in the warning colour
};
// The status bar's sentence for a sync status. `serverSession`: signed in to a server at all
// (else the device works offline only).
StatusLine statusLine(const client::SyncStatus& status, bool serverSession, bool running);

} // namespace signpost::app
