#pragma once
// The person's preferences on this device (Tracy's Config, kept apart from per-view state).
// Persisted as JSON in the local database (LocalStore::setState("ui_settings", …)).
#include "I18n.hpp"

#include <string>
#include <string_view>

namespace signpost::app {

struct Settings {
    std::string serverUrl = "http://127.0.0.1:8080";
    Language language = Language::En;
    int textSizePercent = 100;  // 100 … 200
    bool highContrast = false;
    bool touchMode = false;
    int idleLockMinutes = 15;   // 1 … 240: lock (drop the vault) after this long untouched

    bool operator==(const Settings&) const = default;
};

inline constexpr std::string_view kSettingsStateKey = "ui_settings";
inline constexpr int kMinIdleLockMinutes = 1;
inline constexpr int kMaxIdleLockMinutes = 240;

std::string settingsToJson(const Settings& settings);
// Tolerant: unknown keys are ignored, missing or wrong-typed ones keep their defaults, numbers
// are clamped to their ranges.
Settings settingsFromJson(std::string_view json);
Settings clamped(Settings settings);

} // namespace signpost::app
