#include "I18n.hpp"

#include "signpost/Error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace signpost::app {

namespace {
const I18n* g_current = nullptr;

I18n& fallbackInstance() {
    static I18n empty;
    return empty;
}
} // namespace

std::string_view toCode(Language language) { return language == Language::Cy ? "cy" : "en"; }
Language parseLanguage(std::string_view code) { return code == "cy" ? Language::Cy : Language::En; }

void I18n::loadFrom(Language language, std::string_view text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw Error::parse("language file for " + std::string(toCode(language)) + " is not a JSON object");
    auto& table = m_tables[static_cast<int>(language)];
    table.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it->is_string())
            throw Error::parse("language file for " + std::string(toCode(language)) + ": \"" + it.key() +
                               "\" is not a string");
        table.emplace(it.key(), it->get<std::string>());
    }
}

void I18n::load(const std::filesystem::path& dir) {
    for (Language language : {Language::En, Language::Cy}) {
        auto file = dir / (std::string(toCode(language)) + ".json");
        std::ifstream in(file, std::ios::binary);
        if (!in) throw Error::io("cannot read " + file.string());
        std::stringstream buffer;
        buffer << in.rdbuf();
        try {
            loadFrom(language, buffer.str());
        } catch (const Error& e) {
            throw Error::parse(file.string() + ": " + e.what());
        }
    }
}

const char* I18n::tr(std::string_view key) const {
    const auto& mine = m_tables[static_cast<int>(m_language)];
    if (auto it = mine.find(key); it != mine.end()) return it->second.c_str();
    const auto& english = m_tables[0];
    if (auto it = english.find(key); it != english.end()) return it->second.c_str();
    // Unknown: show the key itself. Interned so the pointer stays valid.
    static thread_local std::map<std::string, std::string, std::less<>> missing;
    auto it = missing.find(key);
    if (it == missing.end()) it = missing.emplace(std::string(key), std::string(key)).first;
    return it->second.c_str();
}

std::string I18n::trf(std::string_view key, std::initializer_list<std::string> args) const {
    return formatPattern(tr(key), args);
}

bool I18n::has(Language language, std::string_view key) const {
    const auto& table = m_tables[static_cast<int>(language)];
    return table.find(key) != table.end();
}

const std::map<std::string, std::string, std::less<>>& I18n::table(Language language) const {
    return m_tables[static_cast<int>(language)];
}

const I18n& I18n::current() { return g_current ? *g_current : fallbackInstance(); }
void I18n::setCurrent(const I18n* i18n) { g_current = i18n; }

std::string formatPattern(std::string_view pattern, std::initializer_list<std::string> args) {
    std::string out;
    out.reserve(pattern.size() + 16);
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{') {
            size_t close = pattern.find('}', i + 1);
            if (close != std::string_view::npos && close > i + 1 && close - i <= 3) {
                bool digits = true;
                size_t index = 0;
                for (size_t k = i + 1; k < close; ++k) {
                    if (pattern[k] < '0' || pattern[k] > '9') digits = false;
                    else index = index * 10 + static_cast<size_t>(pattern[k] - '0');
                }
                if (digits && index < args.size()) {
                    out += *(args.begin() + index);
                    i = close;
                    continue;
                }
            }
        }
        out += pattern[i];
    }
    return out;
}

} // namespace signpost::app
