#pragma once
// Every string the client shows comes from assets/lang/<language>.json: a flat object of
// "key": "text". Keys are resolved at draw time, so switching language takes effect on the next
// frame. tests/client/check_lang_keys.py checks that every key used in client/app exists in both
// files and that neither file holds a key nothing uses: use tr("literal.key") / trf(...) /
// trKey("literal.key") so the checker can see the keys.
#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

namespace signpost::app {

enum class Language { En, Cy };
std::string_view toCode(Language language);           // "en", "cy"
Language parseLanguage(std::string_view code);         // anything but "cy" is English

class I18n {
public:
    // Loads en.json and cy.json from `dir`; throws signpost::Error (Io or Parse) with the file.
    void load(const std::filesystem::path& dir);
    // For tests: a table from JSON text.
    void loadFrom(Language language, std::string_view json);

    void setLanguage(Language language) { m_language = language; }
    Language language() const { return m_language; }

    // The text for `key` in the current language, else English, else the key itself (so a
    // missing key shows up on screen rather than as a blank). The pointer stays valid until the
    // next load().
    const char* tr(std::string_view key) const;
    // tr() with {0}, {1}… replaced by the arguments.
    std::string trf(std::string_view key, std::initializer_list<std::string> args) const;
    bool has(Language language, std::string_view key) const;
    const std::map<std::string, std::string, std::less<>>& table(Language language) const;

    // The process-wide instance panels draw with (set by the App; tests set their own).
    static const I18n& current();
    static void setCurrent(const I18n* i18n);

private:
    std::map<std::string, std::string, std::less<>> m_tables[2];
    Language m_language = Language::En;
};

// Replaces {0}, {1}… in `pattern`; an unknown index is left as written.
std::string formatPattern(std::string_view pattern, std::initializer_list<std::string> args);

inline const char* tr(std::string_view key) { return I18n::current().tr(key); }
inline std::string trf(std::string_view key, std::initializer_list<std::string> args) {
    return I18n::current().trf(key, args);
}
// Marks a literal as a language key without translating it (tables of status → key).
constexpr const char* trKey(const char* key) { return key; }

} // namespace signpost::app
