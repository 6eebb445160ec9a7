#include "Settings.hpp"
#include "Layout.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace signpost::app {

using nlohmann::json;

Settings clamped(Settings s) {
    s.textSizePercent = std::clamp(s.textSizePercent, kMinTextSize, kMaxTextSize);
    s.idleLockMinutes = std::clamp(s.idleLockMinutes, kMinIdleLockMinutes, kMaxIdleLockMinutes);
    return s;
}

std::string settingsToJson(const Settings& s) {
    return json{{"server_url", s.serverUrl},
                {"language", std::string(toCode(s.language))},
                {"text_size", s.textSizePercent},
                {"high_contrast", s.highContrast},
                {"touch", s.touchMode},
                {"idle_lock_minutes", s.idleLockMinutes}}
        .dump();
}

Settings settingsFromJson(std::string_view text) {
    Settings s;
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return s;
    auto str = [&](const char* key, std::string& out) {
        if (auto it = j.find(key); it != j.end() && it->is_string()) out = it->get<std::string>();
    };
    auto num = [&](const char* key, int& out) {
        if (auto it = j.find(key); it != j.end() && it->is_number()) out = static_cast<int>(it->get<double>());
    };
    auto flag = [&](const char* key, bool& out) {
        if (auto it = j.find(key); it != j.end() && it->is_boolean()) out = it->get<bool>();
    };
    str("server_url", s.serverUrl);
    std::string language;
    str("language", language);
    s.language = parseLanguage(language);
    num("text_size", s.textSizePercent);
    flag("high_contrast", s.highContrast);
    flag("touch", s.touchMode);
    num("idle_lock_minutes", s.idleLockMinutes);
    return clamped(s);
}

} // namespace signpost::app
