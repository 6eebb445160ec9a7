#pragma once
// Dates and times as people read them, and the sync status bar's sentence.
#include "signpost/client/SyncEngine.hpp"

#include <ctime>
#include <optional>
#include <string>

namespace signpost::app {

// "2026-11-22T15:04:05Z" → the device's local "HH:MM"; "" when it does not parse.
std::string localClock(const std::string& isoUtc);
// Why sync or sign-in failed, in the current language ("Mae angen i chi fewngofnodi eto: …").
const char* failureKey(client::SyncFailure failure);
std::string failureSentence(const client::FailureInfo& failure);
// ISO UTC → seconds since the epoch.
std::optional<std::time_t> parseIsoUtc(const std::string& isoUtc);

struct StatusLine {
    const char* key = nullptr;   // language key of the headline
    std::string arg;             // {0} of the headline (n of m, HH:MM)
    std::string arg2;            // {1}
    const char* detailKey = nullptr; // why (Error): language key shown after the headline …
    std::string detailArg;       // … with {0}: the server's own words, when it gave any
    bool problem = false;        // draw in the warning colour
};
// The status bar's sentence for a sync status. `serverSession`: signed in to a server at all
// (else the device works offline only).
StatusLine statusLine(const client::SyncStatus& status, bool serverSession, bool running);

} // namespace signpost::app
