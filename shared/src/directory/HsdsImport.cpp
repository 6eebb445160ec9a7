#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/BoundedQueue.hpp"
#include "signpost/util/Csv.hpp"
#include "signpost/util/FileText.hpp"
#include "signpost/util/IdMap.hpp"
#include "signpost/util/JsonNode.hpp"
#include "signpost/util/JsonParse.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Thread.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bitset>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace signpost::directory::hsds {

using json = nlohmann::json;
using jsonparse::Node;
using namespace signpost::domain;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------- languages

namespace {

struct Language {
    std::string_view code; // ISO 639-1
    std::string_view iso2t;
    std::string_view iso2b;
    std::string_view nameEn;
    std::string_view nameNative;
};

// The languages people on probation in England and Wales most often need, plus neighbours.
// Unknown two-letter codes still pass (they are ISO 639-1 shaped); names need this table.
constexpr std::array kLanguages{
    Language{"en", "eng", "eng", "English", "English"},
    Language{"cy", "cym", "wel", "Welsh", "Cymraeg"},
    Language{"ga", "gle", "gle", "Irish", "Gaeilge"},
    Language{"gd", "gla", "gla", "Scottish Gaelic", "Gàidhlig"},
    Language{"ur", "urd", "urd", "Urdu", "اردو"},
    Language{"pa", "pan", "pan", "Punjabi", "ਪੰਜਾਬੀ"},
    Language{"bn", "ben", "ben", "Bengali", "বাংলা"},
    Language{"gu", "guj", "guj", "Gujarati", "ગુજરાતી"},
    Language{"hi", "hin", "hin", "Hindi", "हिन्दी"},
    Language{"ta", "tam", "tam", "Tamil", "தமிழ்"},
    Language{"te", "tel", "tel", "Telugu", "తెలుగు"},
    Language{"ml", "mal", "mal", "Malayalam", "മലയാളം"},
    Language{"si", "sin", "sin", "Sinhala", "සිංහල"},
    Language{"ne", "nep", "nep", "Nepali", "नेपाली"},
    Language{"ar", "ara", "ara", "Arabic", "العربية"},
    Language{"so", "som", "som", "Somali", "Soomaali"},
    Language{"ti", "tir", "tir", "Tigrinya", "ትግርኛ"},
    Language{"am", "amh", "amh", "Amharic", "አማርኛ"},
    Language{"ps", "pus", "pus", "Pashto", "پښتو"},
    Language{"fa", "fas", "per", "Persian", "فارسی"},
    Language{"ku", "kur", "kur", "Kurdish", "Kurdî"},
    Language{"tr", "tur", "tur", "Turkish", "Türkçe"},
    Language{"pl", "pol", "pol", "Polish", "Polski"},
    Language{"ro", "ron", "rum", "Romanian", "Română"},
    Language{"lt", "lit", "lit", "Lithuanian", "Lietuvių"},
    Language{"lv", "lav", "lav", "Latvian", "Latviešu"},
    Language{"et", "est", "est", "Estonian", "Eesti"},
    Language{"sk", "slk", "slo", "Slovak", "Slovenčina"},
    Language{"cs", "ces", "cze", "Czech", "Čeština"},
    Language{"hu", "hun", "hun", "Hungarian", "Magyar"},
    Language{"bg", "bul", "bul", "Bulgarian", "Български"},
    Language{"uk", "ukr", "ukr", "Ukrainian", "Українська"},
    Language{"ru", "rus", "rus", "Russian", "Русский"},
    Language{"sq", "sqi", "alb", "Albanian", "Shqip"},
    Language{"hr", "hrv", "hrv", "Croatian", "Hrvatski"},
    Language{"sr", "srp", "srp", "Serbian", "Српски"},
    Language{"bs", "bos", "bos", "Bosnian", "Bosanski"},
    Language{"el", "ell", "gre", "Greek", "Ελληνικά"},
    Language{"pt", "por", "por", "Portuguese", "Português"},
    Language{"es", "spa", "spa", "Spanish", "Español"},
    Language{"fr", "fra", "fre", "French", "Français"},
    Language{"it", "ita", "ita", "Italian", "Italiano"},
    Language{"de", "deu", "ger", "German", "Deutsch"},
    Language{"nl", "nld", "dut", "Dutch", "Nederlands"},
    Language{"zh", "zho", "chi", "Chinese", "中文"},
    Language{"ja", "jpn", "jpn", "Japanese", "日本語"},
    Language{"ko", "kor", "kor", "Korean", "한국어"},
    Language{"vi", "vie", "vie", "Vietnamese", "Tiếng Việt"},
    Language{"th", "tha", "tha", "Thai", "ไทย"},
    Language{"ms", "msa", "may", "Malay", "Bahasa Melayu"},
    Language{"tl", "tgl", "tgl", "Tagalog", "Tagalog"},
    Language{"sw", "swa", "swa", "Swahili", "Kiswahili"},
    Language{"yo", "yor", "yor", "Yoruba", "Yorùbá"},
    Language{"ig", "ibo", "ibo", "Igbo", "Igbo"},
    Language{"ha", "hau", "hau", "Hausa", "Hausa"},
    Language{"tw", "twi", "twi", "Twi", "Twi"},
    Language{"ln", "lin", "lin", "Lingala", "Lingála"},
};

struct LanguageAlias {
    std::string_view alias; // an ISO 639-3 individual code or another common name, folded
    std::string_view code;
};

constexpr std::array kLanguageAliases{
    LanguageAlias{"cmn", "zh"},      LanguageAlias{"mandarin", "zh"}, LanguageAlias{"pes", "fa"},
    LanguageAlias{"farsi", "fa"},    LanguageAlias{"arb", "ar"},      LanguageAlias{"kmr", "ku"},
    LanguageAlias{"ckb", "ku"},      LanguageAlias{"kurmanji", "ku"}, LanguageAlias{"sorani", "ku"},
    LanguageAlias{"swh", "sw"},      LanguageAlias{"npi", "ne"},      LanguageAlias{"pbu", "ps"},
    LanguageAlias{"lvs", "lv"},      LanguageAlias{"ekk", "et"},      LanguageAlias{"zsm", "ms"},
    LanguageAlias{"als", "sq"},      LanguageAlias{"panjabi", "pa"},  LanguageAlias{"bangla", "bn"},
    LanguageAlias{"filipino", "tl"}, LanguageAlias{"gaelic", "gd"},   LanguageAlias{"cymraeg", "cy"},
};

bool asciiLetters(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

} // namespace

std::string languageCode(std::string_view codeOrName) {
    std::string_view trimmed = text::trim(codeOrName);
    if (trimmed.empty()) return {};
    std::string lower = text::toLowerAscii(trimmed);
    // A BCP 47 tag: the primary subtag carries the language ("cy-GB" → "cy").
    if (auto dash = lower.find_first_of("-_"); (dash == 2 || dash == 3) && asciiLetters(lower.substr(0, dash)))
        lower.resize(dash);
    if (lower.size() == 2 && asciiLetters(lower)) return lower;
    if (lower.size() == 3 && asciiLetters(lower)) {
        for (const auto& lang : kLanguages)
            if (lang.iso2t == lower || lang.iso2b == lower) return std::string(lang.code);
    }
    std::string folded = text::fold(trimmed);
    for (const auto& lang : kLanguages)
        if (text::fold(lang.nameEn) == folded || text::fold(lang.nameNative) == folded) return std::string(lang.code);
    for (const auto& alias : kLanguageAliases)
        if (alias.alias == folded || alias.alias == lower) return std::string(alias.code);
    return {};
}

std::string_view languageName(std::string_view code) {
    for (const auto& lang : kLanguages)
        if (lang.code == code) return lang.nameEn;
    return {};
}

// ------------------------------------------------------------------------------------ helpers

namespace {

// Thrown while mapping a record: the record is rejected with this field and reason.
struct Reject {
    std::string field;
    std::string reason;
};

// A record mapped ahead of the writer (Importer::streamFile) that needs what only the database, or
// the records written before it, can tell: it is mapped again by the writer, in order.
struct NeedsDatabase {};

// A file read record by record met what only the whole-document reading handles exactly, after
// records from it were written: importPath takes the import back and runs it again that way.
struct StreamAbandoned {};
// A record's write failed in an import without a savepoint per record (Importer::m_guarded).
struct UnguardedWriteFailed {};

std::string describe(Node v) {
    switch (v.type()) {
    case Node::Type::String:
        return "text";
    case Node::Type::Boolean:
        return "true/false";
    case Node::Type::Array:
        return "a list";
    case Node::Type::Object:
        return "an object";
    case Node::Type::Null:
        return "null";
    case Node::Type::Number:
        break;
    }
    return "a number (" + v.dump() + ")";
}

std::string describe(const json& v) {
    return describe(Node(v));
}

// Quotes a value for a message, cut short at a UTF-8 boundary.
std::string inQuotes(std::string_view s, size_t max = 80) {
    std::string out = "\"";
    if (s.size() > max) {
        size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut;
        out += s.substr(0, cut);
        out += "…";
    } else {
        out += s;
    }
    out += '"';
    return out;
}

std::string at(const std::string& base, std::string_view key) {
    if (base.empty()) return std::string(key);
    std::string out;
    out.reserve(base.size() + 1 + key.size());
    out += base;
    out += '.';
    out += key;
    return out;
}

std::string at(const std::string& base, size_t index) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
    std::string out;
    out.reserve(base.size() + static_cast<size_t>(end - digits) + 2);
    out += base;
    out += '[';
    out.append(digits, end);
    out += ']';
    return out;
}

// By a view, not the C string: found by comparing lengths and bytes, with no strlen at each
// member passed on the way (a tenth of the reading threads' time went in such comparisons).
const json* member(const json& obj, std::string_view key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

// The text of a member that must be text if it is there ("" if it is not).
std::string_view textOf(Node obj, const char* key, const std::string& base) {
    auto v = obj.find(key);
    if (!v) return {};
    if (!v->isString()) throw Reject{at(base, key), "must be text, not " + describe(*v)};
    return v->str();
}

std::string getText(Node obj, const char* key, const std::string& base) {
    return std::string(textOf(obj, key, base));
}

std::string getTrimmed(Node obj, const char* key, const std::string& base) {
    return std::string(text::trim(textOf(obj, key, base)));
}

std::optional<Node> getArray(Node obj, const char* key, const std::string& base) {
    auto v = obj.find(key);
    if (v && !v->isArray()) throw Reject{at(base, key), "must be a list, not " + describe(*v)};
    return v;
}

std::optional<Node> getObject(Node obj, const char* key, const std::string& base) {
    auto v = obj.find(key);
    if (v && !v->isObject()) throw Reject{at(base, key), "must be an object, not " + describe(*v)};
    return v;
}

void requireObject(Node v, const std::string& path) {
    if (!v.isObject()) throw Reject{path, "must be an object, not " + describe(v)};
}

std::optional<double> parseNumber(std::string_view s) {
    s = text::trim(s);
    if (s.empty()) return std::nullopt;
    if (s.front() == '+') s.remove_prefix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

// A number, or text holding one (tabular data is all text).
std::optional<double> numberOf(const std::optional<Node>& v) {
    if (!v) return std::nullopt;
    if (v->isNumber()) return v->number();
    if (v->isString()) return parseNumber(v->str());
    return std::nullopt;
}

json numberJson(double value) {
    if (std::floor(value) == value && std::fabs(value) < 9e15) return static_cast<int64_t>(value);
    return value;
}

// Expected types of the fields HSDS defines, checked so a wrongly typed field rejects the record
// instead of travelling into the stored copy and out again in an export that does not validate.
enum class Want { Text, Number, List, Object };
struct FieldType {
    const char* key;
    Want want;
};

// clang-format off
constexpr std::array<FieldType, 31> kServiceFields{{
    {"organization_id", Want::Text}, {"program_id", Want::Text}, {"alternate_name", Want::Text},
    {"description", Want::Text}, {"url", Want::Text}, {"email", Want::Text}, {"interpretation_services", Want::Text},
    {"application_process", Want::Text}, {"fees_description", Want::Text}, {"wait_time", Want::Text},
    {"fees", Want::Text}, {"accreditations", Want::Text}, {"eligibility_description", Want::Text},
    {"assured_date", Want::Text}, {"assurer_email", Want::Text}, {"licenses", Want::Text}, {"alert", Want::Text},
    {"last_modified", Want::Text}, {"phones", Want::List}, {"schedules", Want::List}, {"service_areas", Want::List},
    {"service_at_locations", Want::List}, {"languages", Want::List}, {"funding", Want::List},
    {"cost_options", Want::List}, {"required_documents", Want::List}, {"contacts", Want::List},
    {"attributes", Want::List}, {"metadata", Want::List}, {"organization", Want::Object}, {"program", Want::Object},
}};
// clang-format on

// clang-format off
constexpr std::array<FieldType, 19> kOrganisationFields{{
    {"alternate_name", Want::Text}, {"description", Want::Text}, {"email", Want::Text}, {"website", Want::Text},
    {"tax_status", Want::Text}, {"tax_id", Want::Text}, {"year_incorporated", Want::Number},
    {"legal_status", Want::Text}, {"logo", Want::Text}, {"uri", Want::Text}, {"parent_organization_id", Want::Text},
    {"funding", Want::List}, {"contacts", Want::List}, {"phones", Want::List}, {"locations", Want::List},
    {"programs", Want::List}, {"organization_identifiers", Want::List}, {"attributes", Want::List},
    {"metadata", Want::List},
}};
// clang-format on

// Whether `v` is of the type wanted, and its name for a message.
std::pair<bool, const char*> typeOk(Node v, Want want) {
    switch (want) {
    case Want::Text:
        return {v.isString(), "text"};
    case Want::Number:
        return {v.isNumber(), "a number"};
    case Want::List:
        return {v.isArray(), "a list"};
    case Want::Object:
        return {v.isObject(), "an object"};
    }
    return {false, ""};
}

// The first field of `fields` (in their order) the object holds with another type rejects it.
// The object's members are each looked up among the fields, rather than every field among the
// members: a record holds far fewer of them than HSDS defines.
// One instance (and one name table) per list of fields.
template <const auto& fields> void checkTypes(Node obj, const std::string& base) {
    if (!obj.isObject()) return;
    constexpr size_t N = fields.size();
    static const auto byName = [] {
        std::unordered_map<std::string_view, size_t> names;
        for (size_t i = 0; i < N; ++i)
            names.emplace(fields[i].key, i);
        return names;
    }();
    size_t first = N;
    obj.eachMember([&](std::string_view key, Node value) {
        auto field = byName.find(key);
        if (field != byName.end() && field->second < first && !typeOk(value, fields[field->second].want).first)
            first = field->second;
    });
    if (first == N) return;
    const FieldType& field = fields[first];
    const Node v = *obj.find(field.key);
    throw Reject{at(base, field.key), std::string("must be ") + typeOk(v, field.want).second + ", not " + describe(v)};
}

// Finds the first text longer than the limit, or nesting deeper than any HSDS record has (the
// walk recurses), leaving the path (innermost first) in `path` and the text's length in `bytes`.
// Nulls are not seen (feeds use null for "absent"; Node passes over them).
enum class Scrub { Fine, TooLong, TooDeep };
constexpr int kMaxDepth = 32;

Scrub scrub(Node v, size_t maxBytes, std::vector<std::string>& path, int depth, size_t& bytes) {
    if (v.isString()) {
        bytes = v.str().size();
        return bytes > maxBytes ? Scrub::TooLong : Scrub::Fine;
    }
    if (!v.isStructured()) return Scrub::Fine;
    if (depth > kMaxDepth) return Scrub::TooDeep;
    Scrub found = Scrub::Fine;
    if (v.isObject()) {
        v.eachMember([&](std::string_view key, Node member) {
            found = scrub(member, maxBytes, path, depth + 1, bytes);
            if (found == Scrub::Fine) return false;
            path.push_back("." + std::string(key));
            return true;
        });
    } else {
        v.eachItem([&](Node item, size_t i) {
            found = scrub(item, maxBytes, path, depth + 1, bytes);
            if (found == Scrub::Fine) return false;
            path.push_back("[" + std::to_string(i) + "]");
            return true;
        });
    }
    return found;
}

void scrubRecord(Node rec, size_t maxBytes) {
    if (rec.fits(maxBytes, kMaxDepth)) return; // as nearly every record does: no need to walk in order
    std::vector<std::string> path;
    size_t bytes = 0;
    Scrub found = scrub(rec, maxBytes, path, 0, bytes);
    if (found == Scrub::Fine) return;
    std::string field;
    for (auto it = path.rbegin(); it != path.rend(); ++it)
        field += *it;
    if (!field.empty() && field.front() == '.') field.erase(0, 1);
    if (found == Scrub::TooDeep)
        throw Reject{field, "is nested more than " + std::to_string(kMaxDepth) + " levels deep; no HSDS record is"};
    throw Reject{field, "is " + std::to_string(bytes) + " bytes long; the limit for one field is " +
                            std::to_string(maxBytes) + " bytes (maxFieldBytes)"};
}

std::string recordIdOf(Node rec, size_t index) {
    if (auto v = rec.find("id"); v && v->isString()) {
        const std::string_view id = v->str();
        if (!text::trim(id).empty() && id.size() <= 200 && text::isValidUtf8(id)) return std::string(id);
    }
    return "#" + std::to_string(index);
}

std::string recordIdOf(const json& rec, size_t index) {
    return recordIdOf(Node(rec), index);
}

std::string requireId(Node obj, const std::string& base, const char* what) {
    auto v = obj.find("id");
    if (!v) throw Reject{at(base, "id"), std::string("missing: every ") + what + " needs an id"};
    if (!v->isString() || text::trim(v->str()).empty())
        throw Reject{at(base, "id"), "must be a non-empty string, not " + describe(*v)};
    return std::string(text::trim(v->str()));
}

std::string cleanPhone(std::string_view number) {
    std::string out;
    for (char c : number)
        if (c != '"') out += c; // some feeds (and the HSDS examples) quote the number inside the string
    return std::string(text::trim(out));
}

// "HH:MM" for minutes from midnight up to 24:00.
std::string clockText(int minutes) {
    const int hours = minutes / 60, rest = minutes % 60;
    return {static_cast<char>('0' + hours / 10), static_cast<char>('0' + hours % 10), ':',
            static_cast<char>('0' + rest / 10), static_cast<char>('0' + rest % 10)};
}

// "10:00", "10:00:00", "9:30", with an optional "Z" or UTC offset (ignored: UK local time).
bool parseTimeOfDay(std::string_view s, int& minutes) {
    s = text::trim(s);
    if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.remove_suffix(1);
    if (auto sign = s.find_first_of("+-", 4); sign != std::string_view::npos) s = s.substr(0, sign);
    if (s.size() == 4 || (s.size() == 7 && s[1] == ':')) { // "9:30", "9:30:00": a leading zero
        char padded[8] = {'0'};
        std::memcpy(padded + 1, s.data(), s.size());
        return timeutil::parseClock(std::string_view(padded, s.size() + 1), minutes);
    }
    return timeutil::parseClock(s, minutes);
}

constexpr std::array<std::string_view, 7> kDayCodes{"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

// The opening-time rows of a plain weekly schedule, or nullopt with `why` when the schedule says
// something rows cannot (monthly, every other week, no times…).
std::optional<std::vector<OpeningTime>> weeklyRows(Node sch, const std::string& path, std::string& why) {
    const std::string_view freq = text::trim(textOf(sch, "freq", path));
    if (!freq.empty() && !text::iequals(freq, "WEEKLY")) {
        why = "freq is " + inQuotes(freq) + " and only weekly schedules become opening times";
        return std::nullopt;
    }
    if (auto interval = sch.find("interval")) {
        auto n = numberOf(interval);
        if (!n || *n != 1) {
            why = "it repeats every " + interval->dump() + " weeks";
            return std::nullopt;
        }
    }
    const std::string_view byday = text::trim(textOf(sch, "byday", path));
    const std::string_view opensAt = text::trim(textOf(sch, "opens_at", path));
    const std::string_view closesAt = text::trim(textOf(sch, "closes_at", path));
    if (byday.empty()) {
        why = "it names no days (byday)";
        return std::nullopt;
    }
    if (opensAt.empty() || closesAt.empty()) {
        why = "it has no opens_at/closes_at";
        return std::nullopt;
    }
    std::vector<int> days;
    for (size_t start = 0; start <= byday.size();) { // comma-separated codes, any case, blanks skipped
        size_t end = byday.find(',', start);
        if (end == std::string_view::npos) end = byday.size();
        const std::string_view part = text::trim(byday.substr(start, end - start));
        start = end + 1;
        if (part.empty()) continue;
        auto upper = [](char c) { return static_cast<char>(c - 32 * (c >= 'a' && c <= 'z')); };
        auto it = std::find_if(kDayCodes.begin(), kDayCodes.end(), [&](std::string_view code) {
            return part.size() == 2 && upper(part[0]) == code[0] && upper(part[1]) == code[1];
        });
        if (it == kDayCodes.end()) {
            why = "byday " + inQuotes(part) + " is not a weekday code (MO…SU)";
            return std::nullopt;
        }
        int day = static_cast<int>(it - kDayCodes.begin()) + 1;
        if (std::find(days.begin(), days.end(), day) == days.end()) days.push_back(day);
    }
    int opens = 0, closes = 0;
    if (!parseTimeOfDay(opensAt, opens) || opens >= 24 * 60) {
        why = "opens_at " + inQuotes(opensAt) + " is not a time of day";
        return std::nullopt;
    }
    if (!parseTimeOfDay(closesAt, closes)) {
        why = "closes_at " + inQuotes(closesAt) + " is not a time of day";
        return std::nullopt;
    }
    if (opens == closes) {
        why = "it opens and closes at the same time";
        return std::nullopt;
    }
    std::string note = getTrimmed(sch, "description", path);
    if (note.empty()) note = getTrimmed(sch, "notes", path);
    std::vector<OpeningTime> rows;
    for (int day : days) {
        if (closes > opens) {
            rows.push_back({day, clockText(opens), clockText(closes), note});
        } else {
            // Overnight: until midnight, then from midnight the next day.
            rows.push_back({day, clockText(opens), "24:00", note});
            if (closes > 0) rows.push_back({day % 7 + 1, "00:00", clockText(closes), note});
        }
    }
    return rows;
}

// A service area's code: from our own export's URI, else by name, extent or description.
const Area* areaOf(Node area, const std::string& path) {
    std::string uri = getTrimmed(area, "uri", path);
    for (std::string_view prefix : {std::string_view("urn:signpost:area:"),
                                    std::string_view("http://statistics.data.gov.uk/id/statistical-geography/")}) {
        if (text::startsWith(uri, prefix))
            if (const Area* a = areaByCode(std::string_view(uri).substr(prefix.size()))) return a;
    }
    for (const char* key : {"name", "extent", "description"}) {
        std::string value = getTrimmed(area, key, path);
        if (value.empty() || value.size() > 120) continue;
        if (const Area* a = findArea(value)) return a;
    }
    return nullptr;
}

bool containsWords(const std::string& haystack, const std::string& needle) {
    std::string h = " " + text::join(text::tokenize(haystack), " ") + " ";
    std::string n = text::join(text::tokenize(needle), " ");
    return n.empty() || h.find(" " + n + " ") != std::string::npos;
}

// What we know of a record's probation extensions (the "signpost" attributes).
struct Extensions {
    std::optional<CommissioningRoute> route;
    std::vector<SupervisionType> supervision;
    bool womenOnly = false, highRisk = false, hub = false, coLocated = false, sample = false;
    std::string nameCy, descriptionCy, keywords, sourceId;
};

// The attribute's taxonomy name, code and display name: views into the record (or the import's
// taxonomy terms), trimmed, read while the record is.
struct Term {
    std::string_view taxonomy, code, name;
};

struct PreparedOrg {
    Organisation org;
    bool topLevel = false;
    bool hasDescription = false, hasWebsite = false, hasEmail = false, hasPhone = false;
    std::optional<std::string> nameCy; // set when the record carries our extensions
    jsonparse::ObjectText extra;
    uint64_t idHash = 0; // util::IdMap::hashOf(org.id), made by a reading thread (0: not made)
};

// The list-valued fields of an HSDS service (what a list page may leave out).
constexpr std::array<std::string_view, 11> kServiceLists{
    "phones",       "schedules",          "service_areas", "service_at_locations", "languages", "funding",
    "cost_options", "required_documents", "contacts",      "attributes",           "metadata"};

// The service fields the model holds (everything else a record has is kept for export).
const std::set<std::string_view> kModelledServiceFields{"id",
                                                        "name",
                                                        "description",
                                                        "url",
                                                        "email",
                                                        "status",
                                                        "minimum_age",
                                                        "maximum_age",
                                                        "eligibility_description",
                                                        "assured_date",
                                                        "last_modified",
                                                        "organization",
                                                        "organization_id",
                                                        "service_at_locations",
                                                        "schedules",
                                                        "service_areas",
                                                        "languages",
                                                        "contacts",
                                                        "phones",
                                                        "attributes"};

struct PreparedService {
    Service service;
    jsonparse::ObjectText extra; // what the record holds beyond the model, as JSON texts
    // Each embedded location's unmodelled fields by location id, as the JSON text written ("" for
    // none): written out where they were read, while they are warm, not kept as values.
    std::vector<std::pair<std::string, std::string>> locationExtras;
    std::optional<PreparedOrg> organisation;
    bool authoritative = false; // carries "signpost" attributes: extensions come from the record
    std::vector<std::string> unmappedTerms;
    std::vector<Problem> warnings;
    // Which collections (kServiceLists, by position) the record states. A list page (HSDS
    // service_list) leaves them out: an absent collection keeps what is stored, an empty one
    // clears it.
    std::bitset<kServiceLists.size()> lists;
    bool hasLocations = false, hasSchedules = false, hasContacts = false, hasAreas = false, hasLanguages = false,
         hasAttributes = false;
    bool states(std::string_view list) const { // `list` one of kServiceLists
        for (size_t i = 0; i < kServiceLists.size(); ++i)
            if (list == kServiceLists[i]) return lists[i];
        return false;
    }
    // Made ahead by the reading thread (Importer::streamFile): the service as DirectoryStore
    // writes it if nothing of it is stored yet. A stored service is merged first and made again.
    std::optional<DirectoryStore::PreparedService> ready;
    uint64_t idHash = 0; // util::IdMap::hashOf(service.id), made by a reading thread (0: not made)
};

// What follows from the record once any stored copy is merged in: its unmapped terms become
// search words, and its contacts are sample data when the service is. Doing it twice changes
// nothing, so the reading thread does it ahead for a service that turns out to be new.
void completeService(PreparedService& p) {
    Service& s = p.service;
    for (const auto& term : p.unmappedTerms) {
        if (containsWords(s.keywords, term)) continue;
        if (!s.keywords.empty()) s.keywords += ' ';
        s.keywords += term;
    }
    for (auto& contact : s.contacts)
        contact.sample = s.sample;
}

// The service as DirectoryStore writes it, with what the record holds beyond the model: the
// service's extra when `writeExtra` (always for a stored service, so a dropped field goes; for a
// new one only if there is any), each embedded location's (the last for a repeated id).
// The service moves into what is returned, not copied (a copy was a twentieth of a reading
// thread's time): p.service is left empty, unless this throws, when it is as it was.
DirectoryStore::PreparedService readyToWrite(PreparedService& p, bool writeExtra) {
    auto ready = DirectoryStore::prepare(std::move(p.service));
    try {
        if (writeExtra) ready.extra = p.extra.dump(true);
        if (!p.locationExtras.empty()) {
            const auto& locations = ready.service.locations;
            ready.locationExtras.resize(locations.size());
            for (const auto& [id, extra] : p.locationExtras)
                for (size_t i = 0; i < locations.size(); ++i)
                    if (locations[i].id == id) ready.locationExtras[i] = extra;
        }
    } catch (...) {
        p.service = std::move(ready.service);
        throw;
    }
    return ready;
}

// Where a record came from, for problems and duplicate messages.
struct Where {
    const std::string& file; // the import's own, which outlives every record read from the file
    size_t index = 0;
    std::string label; // "services.json contents[3]", "services.csv line 4"
};

// Tabular data: one row of one table (a CSV file or a tabular.json array).
struct TabRow {
    json obj = json::object();
    std::string file;
    std::string where;
    size_t index = 0;
    bool used = false;
    std::optional<Problem> bad; // invalid data in this row or a row attached to it
};
using Tables = std::map<std::string, std::vector<TabRow>>;

constexpr std::array<const char*, 8> kLinkColumns{
    "service_id", "location_id", "organization_id", "contact_id", "service_at_location_id",
    "phone_id",   "link_id",     "resource_id"};

bool isNumericColumn(std::string_view column) {
    static const std::set<std::string_view> numeric{"latitude",    "longitude",  "extension", "timezone",
                                                    "count",       "interval",   "amount",    "year_incorporated",
                                                    "minimum_age", "maximum_age"};
    return numeric.count(column) > 0;
}

const std::set<std::string_view>& knownTables() {
    static const std::set<std::string_view> known{"organizations",
                                                  "programs",
                                                  "services",
                                                  "attributes",
                                                  "service_at_location",
                                                  "service_at_locations",
                                                  "locations",
                                                  "phones",
                                                  "contacts",
                                                  "addresses",
                                                  "schedules",
                                                  "funding",
                                                  "service_areas",
                                                  "required_documents",
                                                  "languages",
                                                  "accessibility",
                                                  "taxonomy_terms",
                                                  "taxonomies",
                                                  "metadata",
                                                  "meta_table_descriptions",
                                                  "cost_options",
                                                  "organization_identifiers"};
    return known;
}

enum class Kind { Service, Organization, ServiceAtLocation, Location, TaxonomyTerm, Taxonomy, Metadata, Unknown };

// Whether the object names any of `keys`, even with null: a record is classified as written.
bool hasAny(Node obj, std::initializer_list<const char*> keys) {
    for (const char* key : keys)
        if (obj.mentions(key)) return true;
    return false;
}

Kind classify(Node obj) {
    if (!obj.isObject()) return Kind::Unknown;
    if (auto service = obj.find("service"); service && service->isObject()) return Kind::ServiceAtLocation;
    if (hasAny(obj, {"status",
                     "service_areas",
                     "service_at_locations",
                     "eligibility_description",
                     "minimum_age",
                     "maximum_age",
                     "assured_date",
                     "assurer_email",
                     "program",
                     "program_id",
                     "cost_options",
                     "required_documents",
                     "fees",
                     "fees_description",
                     "application_process",
                     "interpretation_services",
                     "wait_time",
                     "accreditations",
                     "licenses",
                     "alert",
                     "organization",
                     "organization_id"}))
        return Kind::Service;
    if (hasAny(obj, {"services", "website", "legal_status", "year_incorporated", "tax_status", "tax_id", "logo",
                     "parent_organization_id", "organization_identifiers", "programs"}))
        return Kind::Organization;
    if (hasAny(obj, {"location_type", "latitude", "longitude", "addresses", "transportation", "external_identifier",
                     "accessibility"}))
        return Kind::Location;
    if (hasAny(obj, {"taxonomy", "taxonomy_detail", "term_uri", "parent_id", "taxonomy_id", "code"}))
        return Kind::TaxonomyTerm;
    if (hasAny(obj, {"openapi_url", "profile"}) || (obj.mentions("version") && !obj.mentions("id")))
        return Kind::Metadata;
    if (obj.mentions("id") && hasAny(obj, {"version", "uri"})) return Kind::Taxonomy;
    return Kind::Unknown;
}

Kind classify(const json& obj) {
    return classify(Node(obj));
}

// A guess from the file name for records that show nothing distinctive.
Kind kindFromName(const std::string& fileName) {
    std::string name = text::toLowerAscii(fileName);
    if (name.find("service_at_location") != std::string::npos) return Kind::ServiceAtLocation;
    if (name.find("service") != std::string::npos) return Kind::Service;
    if (name.find("organi") != std::string::npos) return Kind::Organization;
    if (name.find("location") != std::string::npos) return Kind::Location;
    if (name.find("taxonomy_term") != std::string::npos) return Kind::TaxonomyTerm;
    if (name.find("taxonom") != std::string::npos) return Kind::Taxonomy;
    return Kind::Unknown;
}

// ------------------------------------------------------------------------------ parsing a file

// A large file is one list of records (or a page whose "contents" is): its records are parsed on
// two threads at once, each a JSON value of its own, and gathered into the document the whole
// parse would have made. The text is walked first for where each record starts and ends; only
// the records' own text goes to the parser, so anything wrong (a truncated file, a bad string
// inside a record, text after the end) leaves this without a document, and the caller parses the
// whole text for nlohmann's exact message (byte offset, line, column).
constexpr size_t kParallelParseBytes = 4 * 1024 * 1024;

// Where the JSON whitespace from `i` on ends.
size_t skipJsonSpace(std::string_view text, size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        ++i;
    return i;
}

json parseElements(std::string_view text, size_t at, size_t& end) {
    std::vector<std::pair<size_t, size_t>> spans;
    end = jsontext::walkArray(text, at, [&](size_t value) {
        size_t valueEnd = jsontext::valueEnd(text, value);
        spans.emplace_back(value, valueEnd);
        return valueEnd;
    });
    // Two halves by size: the second parsed on a thread of its own.
    size_t split = 0;
    for (size_t bytes = 0; split < spans.size() && bytes < (end - at) / 2; ++split)
        bytes += spans[split].second - spans[split].first;
    json::array_t out(spans.size());
    auto parseRange = [&](size_t from, size_t to) {
        jsonparse::Reader reader;
        for (size_t i = from; i < to; ++i)
            out[i] = reader.parse(text.substr(spans[i].first, spans[i].second - spans[i].first));
    };
    std::exception_ptr failure;
    {
        std::jthread second([&] {
            try {
                parseRange(split, spans.size());
            } catch (...) {
                failure = std::current_exception();
            }
        });
        parseRange(0, split);
    }
    if (failure) std::rethrow_exception(failure);
    return json(std::move(out));
}

std::optional<json> parseInParallel(std::string_view text) {
    if (text.size() < kParallelParseBytes || std::thread::hardware_concurrency() < 2) return std::nullopt;
    try {
        const size_t start = skipJsonSpace(text, 0);
        if (start >= text.size()) return std::nullopt;
        json doc;
        size_t end = 0;
        if (text[start] == '[') {
            doc = parseElements(text, start, end);
        } else if (text[start] == '{') {
            doc = json::object();
            end = jsontext::walkObject(text, start, [&](std::string_view name, size_t value) {
                size_t valueEnd = 0;
                json parsed;
                if (text[value] == '[') {
                    parsed = parseElements(text, value, valueEnd);
                } else {
                    valueEnd = jsontext::valueEnd(text, value);
                    parsed = json::parse(text.substr(value, valueEnd - value));
                }
                // The name through the parser too, so its escapes read as they would; the last of
                // a repeated name wins, as in a whole parse.
                doc[json::parse(name).get<std::string>()] = std::move(parsed);
                return valueEnd;
            });
        } else {
            return std::nullopt;
        }
        if (skipJsonSpace(text, end) != text.size()) return std::nullopt;
        return doc;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// ------------------------------------------------------------------------------------ Importer

class Importer {
  public:
    Importer(db::Database& db, const ImportOptions& options, ImportReport& report, bool stream, bool guarded)
        : m_db(db), m_store(db), m_options(options), m_report(report), m_stream(stream), m_guarded(guarded) {}

    void importAny(const fs::path& path);
    DirectoryStore& store() { return m_store; }
    void finishProgress() {
        if (m_options.progress) m_options.progress(m_done, std::max(m_done, m_total));
    }

  private:
    void importDirectory(const fs::path& dir);
    void importJsonFile(const fs::path& file);
    bool streamFile(std::string_view text, const std::string& file);
    void importMetadataFile(const fs::path& file);
    void importCsvFiles(const std::vector<fs::path>& files);
    void importDocument(json& doc, const std::string& file);
    // `single`: the list holds the file's one top-level record (labels name the file alone).
    void importRecords(json& list, const std::string& file, const std::string& labelBase, Kind fallback,
                       bool single = false);
    void importTables(Tables& tables);
    std::optional<util::FileText> readWhole(const fs::path& file);
    bool readCsvTable(const fs::path& file, Tables& tables);
    void coerceRow(TabRow& row);

    void serviceRecord(json& rec, const Where& where);
    void storeService(PreparedService& p, const Where& where);
    void organisationRecord(json& rec, const Where& where);
    void locationRecord(json& rec, const Where& where);
    void termRecord(const json& rec);

    // `ahead`: mapped on another thread, ahead of the writer; throws NeedsDatabase where the
    // record refers to an organization or location by id.
    void prepareService(Node rec, const std::string& file, PreparedService& p, bool ahead = false);
    PreparedOrg mapOrganisation(Node org, const std::string& base, bool topLevel);
    // The location, and its unmodelled fields as the JSON text to keep ("" for none).
    std::pair<Location, std::string> mapLocation(Node loc, const std::string& base,
                                                 const std::function<std::string()>& fallbackId,
                                                 std::vector<Problem>& warnings, const std::string& file,
                                                 const std::string& recordId);
    Term termOf(Node attribute, const std::string& path);
    void readExtension(std::string_view code, std::string_view value, Extensions& ext, const std::string& path,
                       const std::function<void(std::string, std::string)>& warnFn);
    bool writeOrganisation(const PreparedOrg& p);
    bool organisationKnown(const std::string& id);
    std::optional<Location> storedLocation(const std::string& id);

    void reject(const std::string& file, const std::string& recordId, const std::string& field,
                const std::string& reason) {
        m_report.rejected.push_back({file, recordId, field, reason});
    }
    void warn(const std::string& file, const std::string& recordId, const std::string& field,
              const std::string& reason) {
        m_report.warnings.push_back({file, recordId, field, reason});
    }
    void fileError(const std::string& file, const std::string& reason) {
        m_report.fileErrors.push_back({file, "", "", reason});
    }
    void tick() {
        ++m_done;
        if (m_options.progress && (m_done % 64 == 0 || m_done == m_total)) m_options.progress(m_done, m_total);
    }

    db::Database& m_db;
    DirectoryStore m_store;
    const ImportOptions& m_options;
    ImportReport& m_report;
    const bool m_stream; // large lists of services are read record by record (streamFile)
    // Each service record is written inside a savepoint of its own, so a write that fails takes
    // back the part written. Unguarded, a failed write abandons the import (UnguardedWriteFailed)
    // and importPath runs it again guarded: a savepoint copies every page the record changes, a
    // tenth of a large import's time, for a failure that validated records almost never meet.
    const bool m_guarded;
    util::IdMap<std::string> m_services;                          // id → where first seen
    std::unordered_map<std::string, std::string> m_organisations; // top-level organization records
    std::unordered_map<std::string, std::string> m_locations;     // standalone location records
    util::IdMap<char> m_orgWritten;                               // written by this import
    util::IdMap<char> m_orgInDb;                                  // whether the directory had it before this import
    std::unordered_map<std::string, json> m_terms; // taxonomy terms seen, by id
    size_t m_done = 0;
    size_t m_total = 0;
    // A large file's parsed document is freed on a thread of its own while the import goes on
    // (a 100,000-service file's took a tenth of the import); joined when the importer goes.
    std::vector<std::jthread> m_freeing;
};

// ------------------------------------------------------------------------------------ sources

std::optional<util::FileText> Importer::readWhole(const fs::path& file) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec) {
        fileError(file.string(), "cannot read: " + ec.message());
        return std::nullopt;
    }
    if (size > m_options.maxFileBytes) {
        fileError(file.string(), "is " + std::to_string(size) + " bytes; the limit is " +
                                     std::to_string(m_options.maxFileBytes) + " bytes (maxFileBytes)");
        return std::nullopt;
    }
    std::string why;
    auto content = util::FileText::read(file, why);
    if (!content) fileError(file.string(), why);
    return content;
}

void Importer::importAny(const fs::path& path) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        fileError(path.string(), "no such file or folder");
        return;
    }
    if (fs::is_directory(status)) {
        importDirectory(path);
        return;
    }
    std::string ext = text::toLowerAscii(path.extension().string());
    if (ext == ".csv")
        importCsvFiles({path});
    else if (text::toLowerAscii(path.filename().string()) == "datapackage.json")
        importMetadataFile(path);
    else
        importJsonFile(path);
}

void Importer::importDirectory(const fs::path& dir) {
    std::vector<fs::path> jsons, csvs, dirs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (entry.is_directory()) {
            dirs.push_back(entry.path());
            continue;
        }
        std::string ext = text::toLowerAscii(entry.path().extension().string());
        if (ext == ".json")
            jsons.push_back(entry.path());
        else if (ext == ".csv")
            csvs.push_back(entry.path());
    }
    if (ec) {
        fileError(dir.string(), "cannot list the folder: " + ec.message());
        return;
    }
    std::sort(jsons.begin(), jsons.end());
    std::sort(csvs.begin(), csvs.end());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& file : jsons) {
        if (text::toLowerAscii(file.filename().string()) == "datapackage.json")
            importMetadataFile(file);
        else
            importJsonFile(file);
    }
    if (!csvs.empty()) importCsvFiles(csvs);
    for (const auto& sub : dirs)
        importDirectory(sub);
}

// datapackage.json describes the CSV files beside it; the files themselves carry the data, so
// the descriptor only has to be readable JSON (the HSDS example's is a bare path string).
void Importer::importMetadataFile(const fs::path& file) {
    auto content = readWhole(file);
    if (!content) return;
    ++m_report.filesRead;
    // Checkouts without symlink support leave the link's target path as the file's text (the
    // HSDS example does): nothing to read there, the CSV files beside it are the data.
    if (!json::accept(content->view()))
        warn(file.string(), "", "",
             "is not JSON (" + inQuotes(text::trim(content->view()), 60) +
                 "; perhaps a link that was not checked out); the CSV files beside it are read on their own");
}

void Importer::importJsonFile(const fs::path& file) {
    auto content = readWhole(file);
    if (!content) return;
    if (m_stream && streamFile(content->view(), file.string())) {
        ++m_report.filesRead;
        return;
    }
    json doc;
    try {
        if (auto parsed = parseInParallel(content->view()))
            doc = std::move(*parsed);
        else
            doc = json::parse(content->view());
    } catch (const json::parse_error& e) {
        // nlohmann's message carries line and column; the byte offset helps with one-line files.
        std::string what = e.what();
        if (auto pos = what.find("] "); pos != std::string::npos) what.erase(0, pos + 2);
        fileError(file.string(), "is not valid JSON (byte " + std::to_string(e.byte) + "): " + what +
                                     "; nothing from this file was imported");
        return;
    }
    const bool large = content->size() >= kParallelParseBytes;
    content.reset();
    ++m_report.filesRead;
    importDocument(doc, file.string());
    if (large) m_freeing.emplace_back([spent = std::move(doc)] {}); // freed with the thread's copy
}

// A large file that is one list of services, or one page of them ({"contents": [...]}), is read
// record by record while it is written. Two reading threads parse each record and map it
// (everything that needs no database: organizations and locations named only by id, and merging
// into a stored service, are left to the writer) and hand batches to this thread, which writes
// them in the file's order. Reading then overlaps writing, and memory holds a few batches instead
// of the whole parsed document (2.2 GiB at peak for a 352 MB file of 100,000 services).
// Whatever the whole-document reading would treat otherwise ends it: a record of another kind or
// of no clear kind (kinds are settled per page there), a tabular member, a repeated "contents",
// or any fault in the text, whose message comes from the whole reading. If nothing was written
// yet the file is read whole instead (false); after writes StreamAbandoned unwinds the import,
// and importPath runs it again without streaming, so results and messages are the same.
bool Importer::streamFile(std::string_view text, const std::string& file) {
    if (text.size() < kParallelParseBytes || std::thread::hardware_concurrency() < 2) return false;
    const size_t start = skipJsonSpace(text, 0);
    if (start >= text.size() || (text[start] != '[' && text[start] != '{')) return false;
    const bool page = text[start] == '{';
    const std::string name = fs::path(file).filename().string();
    const std::string labelBase = page ? name + " contents" : name;

    struct Item {
        size_t index = 0;
        std::string rid;
        json rec;
        std::optional<PreparedService> p; // absent: mapped by the writer (NeedsDatabase)
        std::optional<Reject> rejected;
    };
    struct Batch {
        std::vector<Item> items;
        size_t through = 0; // where in the text the batch's last record ends
        size_t maker = 0;   // the reading thread that made it, and frees it
    };
    struct Spans { // a batch's records in the text, numbered from `first`
        size_t number = 0;
        size_t first = 0;
        std::vector<std::pair<size_t, size_t>> spans;
    };
    constexpr size_t kBatch = 128;
    struct Abandon {};
    struct Stopped {};
    std::atomic<bool> abandoned = false;

    // Parsing and mapping is the larger part of an import, so two threads share it. A third
    // walks the text for where records start and end, and queues them in batches; each mapping
    // thread takes the earliest batch not yet taken, and the writer takes the mapped batches in
    // the file's order, whichever thread made them. The walk was the first mapping thread's
    // work before (it mapped a batch itself when the second had enough waiting): the writer
    // then waited for a batch while the other thread, too far ahead, waited for it (a tenth of
    // the stream with a core idle; docs/benchmarks.md). Written batches go back to the thread
    // that made them, to be freed there: freeing memory another thread allocated contends for
    // that thread's heap (it took a third of the writer's time).
    struct Maker {
        std::mutex spentMutex;
        std::vector<Batch> spent;
        void freeSpent() {
            std::vector<Batch> freeing;
            std::lock_guard lock(spentMutex);
            freeing.swap(spent);
        } // freed here, outside the lock
    };
    std::array<Maker, 2> makers;
    // Batches of spans, in the file's order, for whichever mapping thread is free first, so the
    // batch the writer waits for is always one a thread is working on. A span is two numbers:
    // the walk runs far ahead (100,000 records of a 352 MB file in about 0.1 s), never waiting
    // to be scheduled again while a mapping thread waits for it (a walk 8 batches ahead left
    // them 0.2 s without work).
    constexpr size_t kQueuedSpans = 1024;
    util::BoundedQueue<Spans> toMappers(kQueuedSpans);
    // Mapped batches by number, until the writer takes them. A thread holding a batch more than
    // kMappedAhead past the one the writer waits for waits for it; the one it waits for always
    // goes in, and whichever thread holds it is never waiting, so the writer is never stuck.
    constexpr size_t kMappedAhead = 8;
    struct Mapped {
        std::mutex mutex;
        std::condition_variable changed;
        std::map<size_t, Batch> batches;
        size_t next = 0;     // the batch the writer takes next
        int makersLeft = 2;  // reading threads still running
        bool closed = false; // the writer has stopped
    } mapped;
    auto deposit = [&](size_t number, Batch batch) {
        std::unique_lock lock(mapped.mutex);
        mapped.changed.wait(lock, [&] { return mapped.closed || number < mapped.next + kMappedAhead; });
        if (mapped.closed) return false;
        mapped.batches.emplace(number, std::move(batch));
        mapped.changed.notify_all();
        return true;
    };
    auto makerDone = [&] {
        std::lock_guard lock(mapped.mutex);
        --mapped.makersLeft;
        mapped.changed.notify_all();
    };

    auto mapBatch = [&](const Spans& work, jsonparse::Reader& reader, size_t maker) {
        Batch batch;
        batch.maker = maker;
        batch.items.reserve(work.spans.size());
        for (size_t i = 0; i < work.spans.size(); ++i) {
            const auto [at, end] = work.spans[i];
            Item item;
            item.index = work.first + i;
            // Mapped from simdjson's reading where it lies; a text simdjson refuses is read as
            // nlohmann reads it (and may throw its error, which abandons the stream).
            const std::string_view recordText = text.substr(at, end - at);
            std::optional<Node> rec = reader.node(recordText);
            if (!rec) {
                item.rec = reader.parse(recordText);
                rec.emplace(item.rec);
            }
            if (classify(*rec) != Kind::Service) throw Abandon{};
            item.rid = recordIdOf(*rec, item.index);
            try {
                PreparedService p;
                prepareService(*rec, file, p, true);
                completeService(p);
                try {
                    p.ready = readyToWrite(p, !p.extra.empty());
                } catch (const std::exception&) {
                    // The writer makes it again, in order, and reports why it cannot be stored.
                }
                // The ids' hashes for the writer's lookups, made here where the ids are in cache
                // and no longer change.
                p.idHash = util::IdMap<std::string>::hashOf(p.ready ? p.ready->service.id : p.service.id);
                if (p.organisation) p.organisation->idHash = util::IdMap<char>::hashOf(p.organisation->org.id);
                item.p = std::move(p);
                item.rec = json(); // mapped: freed here while it is warm, not with the batch
            } catch (const Reject& r) {
                item.rejected = r;
            } catch (const NeedsDatabase&) {
                // The writer maps it, from a copy (simdjson's reading is gone by then).
                if (item.rec.is_null()) item.rec = rec->toJson();
            }
            batch.items.push_back(std::move(item));
            batch.through = end;
        }
        return batch;
    };
    // The readers make more work than the writer can take on a machine of two cores, and the
    // writer is what the whole import waits on: they run behind it (docs/benchmarks.md: 0.95x
    // the import's time on two cores, where three runnable threads otherwise share them evenly).
    constexpr int kBehindWriter = 10;
    auto mapper = [&](size_t maker) {
        util::lowerThreadPriority(kBehindWriter);
        try {
            jsonparse::Reader reader;
            while (auto work = toMappers.pop()) {
                if (abandoned) break;
                if (!deposit(work->number, mapBatch(*work, reader, maker))) break;
                makers[maker].freeSpent();
            }
        } catch (...) {
            abandoned = true;
        }
        toMappers.close();
        makerDone();
    };
    std::jthread firstMapper(mapper, 0);
    std::jthread secondMapper(mapper, 1);
    // The walk for where records start and end is a small part of the work (a twentieth): a
    // thread of its own, so neither mapping thread waits on the other's walking.
    std::jthread walker([&] {
        util::lowerThreadPriority(kBehindWriter);
        try {
            Spans work;
            size_t index = 0;
            auto hand = [&] {
                if (abandoned) throw Stopped{};
                const size_t number = work.number;
                if (!toMappers.push(std::move(work))) throw Stopped{};
                work = Spans{number + 1, index, {}};
                work.spans.reserve(kBatch);
            };
            auto record = [&](size_t at) {
                const size_t end = jsontext::valueEnd(text, at);
                work.spans.emplace_back(at, end);
                ++index;
                if (work.spans.size() == kBatch) hand();
                return end;
            };
            size_t end = 0;
            if (!page) {
                end = jsontext::walkArray(text, start, record);
            } else {
                bool contents = false;
                end = jsontext::walkObject(text, start, [&](std::string_view rawName, size_t value) {
                    const std::string key = json::parse(rawName).get<std::string>();
                    if (key == "contents") {
                        if (contents || text[value] != '[') throw Abandon{};
                        contents = true;
                        return jsontext::walkArray(text, value, record);
                    }
                    if (text::toLowerAscii(key).ends_with(".csv")) throw Abandon{};
                    const size_t valueEnd = jsontext::valueEnd(text, value);
                    if (!json::accept(text.substr(value, valueEnd - value))) throw Abandon{};
                    return valueEnd;
                });
                if (!contents) throw Abandon{};
            }
            if (skipJsonSpace(text, end) != text.size()) throw Abandon{};
            if (!work.spans.empty()) hand();
        } catch (const Stopped&) {
        } catch (...) {
            abandoned = true;
        }
        toMappers.close();
    });
    struct CloseOnExit {
        util::BoundedQueue<Spans>& toMappers;
        Mapped& mapped;
        ~CloseOnExit() { // if the writer stops early, before the readers are joined
            toMappers.close();
            std::lock_guard lock(mapped.mutex);
            mapped.closed = true;
            mapped.changed.notify_all();
        }
    } closeOnExit{toMappers, mapped};

    const size_t totalBefore = m_total;
    size_t seen = 0;
    for (;;) {
        std::optional<Batch> batch;
        {
            std::unique_lock lock(mapped.mutex);
            mapped.changed.wait(lock, [&] { return mapped.batches.count(mapped.next) || mapped.makersLeft == 0; });
            auto it = mapped.batches.find(mapped.next);
            if (it == mapped.batches.end()) break; // the readers are done, and this one never came
            batch = std::move(it->second);
            mapped.batches.erase(it);
            ++mapped.next;
            mapped.changed.notify_all();
        }
        seen += batch->items.size();
        // The number of records is known at the end; until then progress estimates it by bytes.
        m_total = totalBefore +
                  std::max(seen, static_cast<size_t>(static_cast<double>(seen) * static_cast<double>(text.size()) /
                                                     static_cast<double>(std::max<size_t>(batch->through, 1))));
        auto& items = batch->items;
        constexpr size_t kLookAhead = 4; // the slots of the service a few ahead asked for now
        for (size_t k = 0; k < items.size(); ++k) {
            if (k + kLookAhead < items.size())
                if (const auto& ahead = items[k + kLookAhead].p) {
                    m_services.prefetch(ahead->idHash);
                    if (ahead->organisation) m_orgWritten.prefetch(ahead->organisation->idHash);
                }
            auto& item = items[k];
            tick();
            if (item.rejected) {
                reject(file, item.rid, item.rejected->field, item.rejected->reason);
                continue;
            }
            Where where{file, item.index, labelBase + "[" + std::to_string(item.index) + "]"};
            if (!item.p) {
                PreparedService p;
                try {
                    prepareService(Node(item.rec), file, p);
                } catch (const Reject& r) {
                    reject(file, item.rid, r.field, r.reason);
                    continue;
                }
                item.p = std::move(p);
            }
            storeService(*item.p, where);
        }
        Maker& maker = makers[batch->maker];
        std::lock_guard lock(maker.spentMutex);
        maker.spent.push_back(std::move(*batch));
    }
    walker.join();
    firstMapper.join();
    secondMapper.join();
    m_total = totalBefore + seen;
    if (abandoned) {
        if (seen > 0) throw StreamAbandoned{};
        m_total = totalBefore;
        return false;
    }
    return true;
}

void Importer::importDocument(json& doc, const std::string& file) {
    std::string name = fs::path(file).filename().string();
    auto shapeError = [&](const std::string& found) {
        --m_report.filesRead;
        fileError(file, "is not an HSDS 3.0 document: expected a service, organization, location, "
                        "service_at_location or taxonomy term object, a list page ({\"contents\": [...]}) or "
                        "tabular.json; found " +
                            found);
    };
    if (doc.is_object()) {
        bool tabular = false;
        for (const auto& [key, value] : doc.items())
            if (text::toLowerAscii(key).ends_with(".csv") && value.is_array()) tabular = true;
        if (tabular) {
            Tables tables;
            for (auto& [key, value] : doc.items()) {
                std::string table = text::toLowerAscii(key);
                if (!table.ends_with(".csv")) continue;
                table.resize(table.size() - 4);
                if (!value.is_array()) {
                    warn(file, "", key, "is not a list of rows; ignored");
                    continue;
                }
                for (size_t i = 0; i < value.size(); ++i) {
                    TabRow row;
                    row.file = file;
                    row.where = name + " " + key + "[" + std::to_string(i) + "]";
                    row.index = i;
                    if (!value[i].is_object()) {
                        reject(file, "#" + std::to_string(i), key + "[" + std::to_string(i) + "]",
                               "a table row must be an object, not " + describe(value[i]));
                        continue;
                    }
                    row.obj = std::move(value[i]);
                    coerceRow(row);
                    tables[table].push_back(std::move(row));
                }
            }
            importTables(tables);
            return;
        }
        if (doc.contains("contents")) {
            json& contents = doc["contents"];
            if (!contents.is_array())
                return shapeError("a \"contents\" that is " + describe(contents) + ", not a list");
            importRecords(contents, file, name + " contents", kindFromName(name));
            return;
        }
        Kind kind = classify(doc);
        if (kind == Kind::Unknown && (doc.contains("id") || doc.contains("name"))) {
            kind = kindFromName(name);
            if (kind == Kind::Unknown) kind = Kind::Service; // so a record missing its status is rejected, not lost
        }
        if (kind == Kind::Unknown) {
            std::string keys;
            for (const auto& [key, value] : doc.items()) {
                if (keys.size() > 60) {
                    keys += ", …";
                    break;
                }
                keys += (keys.empty() ? "" : ", ") + key;
            }
            return shapeError("an object with fields {" + keys + "}");
        }
        json list = json::array();
        list.push_back(std::move(doc));
        importRecords(list, file, name, kind, true);
        return;
    }
    if (doc.is_array()) {
        importRecords(doc, file, name, kindFromName(name));
        return;
    }
    shapeError(describe(doc));
}

void Importer::importRecords(json& list, const std::string& file, const std::string& labelBase, Kind fallback,
                             bool single) {
    std::vector<Kind> kinds(list.size());
    std::map<Kind, size_t> counts;
    for (size_t i = 0; i < list.size(); ++i) {
        kinds[i] = classify(list[i]);
        if (kinds[i] != Kind::Unknown) ++counts[kinds[i]];
    }
    // Records that show nothing distinctive take the page's kind.
    Kind dominant = fallback;
    size_t best = 0;
    for (const auto& [kind, n] : counts) {
        if (n <= best) continue;
        best = n;
        dominant = kind;
    }
    if (dominant == Kind::Unknown) dominant = Kind::Service;
    for (auto& kind : kinds)
        if (kind == Kind::Unknown) kind = dominant;

    // A service at several locations appears once per location in a service_at_location list:
    // gather those into one service record (first appearance sets the order).
    std::vector<size_t> order;
    std::unordered_map<std::string, size_t> salService; // service id → index of the merged record
    for (size_t i = 0; i < list.size(); ++i) {
        if (kinds[i] != Kind::ServiceAtLocation) {
            order.push_back(i);
            continue;
        }
        json& sal = list[i];
        if (!sal.is_object() || !sal.contains("service") || !sal["service"].is_object()) {
            order.push_back(i); // rejected below
            continue;
        }
        json service = std::move(sal["service"]);
        sal.erase("service");
        std::string sid = service.contains("id") && service["id"].is_string() ? service["id"].get<std::string>() : "";
        auto found = sid.empty() ? salService.end() : salService.find(sid);
        if (found != salService.end()) {
            json& merged = list[found->second];
            if (merged["service_at_locations"].is_array()) merged["service_at_locations"].push_back(std::move(sal));
            list[i] = json(); // consumed
            continue;
        }
        json sals = service.contains("service_at_locations") && service["service_at_locations"].is_array()
                        ? std::move(service["service_at_locations"])
                        : json::array();
        sals.push_back(std::move(sal));
        service["service_at_locations"] = std::move(sals);
        list[i] = std::move(service);
        kinds[i] = Kind::Service;
        if (!sid.empty()) salService.emplace(sid, i);
        order.push_back(i);
    }

    m_total += order.size();
    for (size_t i : order) {
        Where where{file, i, single ? labelBase : labelBase + "[" + std::to_string(i) + "]"};
        switch (kinds[i]) {
        case Kind::Service:
            serviceRecord(list[i], where);
            break;
        case Kind::Organization:
            organisationRecord(list[i], where);
            break;
        case Kind::Location:
            locationRecord(list[i], where);
            break;
        case Kind::TaxonomyTerm:
            termRecord(list[i]);
            tick();
            break;
        case Kind::Taxonomy:
        case Kind::Metadata:
            tick();
            break;
        case Kind::ServiceAtLocation:
            tick();
            reject(file, recordIdOf(list[i], i), "service",
                   "a service_at_location needs the service it places (a \"service\" object); skipped");
            break;
        case Kind::Unknown:
            break;
        }
    }
}

void Importer::termRecord(const json& rec) {
    ++m_report.taxonomyTermsSeen;
    if (const json* id = member(rec, "id"); id && id->is_string()) m_terms[id->get<std::string>()] = rec;
}

// ------------------------------------------------------------------------------------ tabular

bool Importer::readCsvTable(const fs::path& file, Tables& tables) {
    auto content = readWhole(file);
    if (!content) return false;
    csv::Table table;
    try {
        table = csv::parse(content->view());
    } catch (const Error& e) {
        fileError(file.string(),
                  std::string("is not valid CSV: ") + e.what() + "; nothing from this file was imported");
        return false;
    }
    for (size_t c = 0; c < table.header.size(); ++c) {
        if (auto bad = text::firstInvalidUtf8(table.header[c]); bad != std::string::npos) {
            fileError(file.string(), "the header (line 1) is not valid UTF-8 at byte " + std::to_string(bad) +
                                         " of column " + std::to_string(c + 1) +
                                         "; nothing from this file was imported");
            return false;
        }
    }
    ++m_report.filesRead;
    std::string name = file.filename().string();
    std::string tableName = text::toLowerAscii(file.stem().string());
    auto& rows = tables[tableName];
    for (size_t r = 0; r < table.rows.size(); ++r) {
        auto& fields = table.rows[r];
        size_t line = r < table.rowLines.size() ? table.rowLines[r] : 0;
        TabRow row;
        row.file = file.string();
        row.where = name + " line " + std::to_string(line);
        row.index = r;
        std::string rowId =
            !fields.empty() && text::isValidUtf8(fields[0]) && !fields[0].empty() && fields[0].size() <= 200
                ? fields[0]
                : "#" + std::to_string(r);
        if (fields.size() > table.header.size()) {
            reject(file.string(), rowId, "",
                   "line " + std::to_string(line) + " has " + std::to_string(fields.size()) +
                       " fields but the header has " + std::to_string(table.header.size()) + "; the row was skipped");
            continue;
        }
        if (fields.size() < table.header.size())
            warn(file.string(), rowId, "",
                 "line " + std::to_string(line) + " has " + std::to_string(fields.size()) + " fields, the header " +
                     std::to_string(table.header.size()) + "; the missing ones are taken as empty");
        for (size_t c = 0; c < fields.size(); ++c) {
            const std::string& value = fields[c];
            if (value.empty() || table.header[c].empty()) continue;
            if (auto bad = text::firstInvalidUtf8(value); bad != std::string::npos) {
                if (!row.bad)
                    row.bad = Problem{file.string(), rowId, table.header[c],
                                      "is not valid UTF-8 (byte " + std::to_string(bad) + " of the field, " + name +
                                          " line " + std::to_string(line) + "); the record was not imported"};
                continue;
            }
            row.obj[table.header[c]] = value;
        }
        coerceRow(row);
        rows.push_back(std::move(row));
    }
    return true;
}

// Tabular cells are text (CSV) or loosely typed (tabular.json): give each the type the JSON
// schema has, so what lands in `extra` exports valid.
void Importer::coerceRow(TabRow& row) {
    for (auto it = row.obj.begin(); it != row.obj.end();) {
        json& v = *it;
        if (v.is_null()) {
            it = row.obj.erase(it);
            continue;
        }
        if (isNumericColumn(it.key())) {
            if (v.is_string()) {
                if (auto n = parseNumber(v.get_ref<const std::string&>())) {
                    v = numberJson(*n);
                } else if (it.key() != "minimum_age" && it.key() != "maximum_age" && it.key() != "latitude" &&
                           it.key() != "longitude") {
                    // Ages reject and coordinates warn later, when the record is mapped.
                    warn(row.file, recordIdOf(row.obj, row.index), it.key(),
                         inQuotes(v.get_ref<const std::string&>()) + " is not a number (" + row.where + "); dropped");
                    it = row.obj.erase(it);
                    continue;
                }
            }
        } else if (v.is_number() || v.is_boolean()) {
            v = v.dump();
        }
        ++it;
    }
}

void Importer::importCsvFiles(const std::vector<fs::path>& files) {
    Tables tables;
    for (const auto& file : files)
        readCsvTable(file, tables);
    importTables(tables);
}

void Importer::importTables(Tables& t) {
    for (const auto& [name, rows] : t) {
        if (!knownTables().count(name) && !rows.empty())
            warn(rows.front().file, "", "", "table " + inQuotes(name) + " is not part of HSDS 3.0; ignored");
    }
    for (auto& row : t["taxonomy_terms"]) {
        row.used = true;
        termRecord(row.obj);
    }
    for (const char* ignored : {"taxonomies", "meta_table_descriptions"})
        for (auto& row : t[ignored])
            row.used = true;
    if (t.count("service_at_locations")) {
        auto& alias = t["service_at_locations"];
        auto& sal = t["service_at_location"];
        for (auto& row : alias)
            sal.push_back(std::move(row));
        alias.clear();
    }

    using Index = std::unordered_map<std::string, TabRow*>;
    auto indexBy = [&](const char* table) {
        Index map;
        for (auto& row : t[table]) {
            const json* id = member(row.obj, "id");
            if (id && id->is_string()) map.try_emplace(id->get<std::string>(), &row);
        }
        return map;
    };
    Index orgs = indexBy("organizations"), services = indexBy("services"), locations = indexBy("locations"),
          sals = indexBy("service_at_location"), contacts = indexBy("contacts"), phones = indexBy("phones"),
          programs = indexBy("programs");

    auto linked = [&](const TabRow& row, std::initializer_list<std::pair<const char*, Index*>> links) -> TabRow* {
        for (const auto& [column, map] : links) {
            const json* id = member(row.obj, column);
            if (!id || !id->is_string()) continue;
            auto it = map->find(id->get<std::string>());
            if (it != map->end()) return it->second;
        }
        return nullptr;
    };
    auto strip = [](json obj) {
        for (const char* column : kLinkColumns)
            obj.erase(column);
        return obj;
    };
    auto attach = [&](TabRow& child, TabRow& parent, const char* key) {
        if (child.bad && !parent.bad) parent.bad = child.bad;
        parent.obj[key].push_back(strip(std::move(child.obj)));
        child.used = true;
    };
    auto attachAll = [&](const char* table, const char* key,
                         std::initializer_list<std::pair<const char*, Index*>> links) {
        for (auto& row : t[table])
            if (TabRow* parent = linked(row, links)) attach(row, *parent, key);
    };

    // A package is complete: a service with no rows in a child table has none of them.
    for (auto& row : t["services"])
        for (std::string_view key : kServiceLists)
            row.obj[std::string(key)] = json::array();

    // Innermost first, so each row is complete before it moves into its parent.
    attachAll("languages", "languages",
              {{"service_id", &services}, {"location_id", &locations}, {"phone_id", &phones}});
    attachAll("phones", "phones",
              {{"contact_id", &contacts},
               {"service_at_location_id", &sals},
               {"service_id", &services},
               {"location_id", &locations},
               {"organization_id", &orgs}});
    attachAll("contacts", "contacts",
              {{"service_at_location_id", &sals},
               {"service_id", &services},
               {"location_id", &locations},
               {"organization_id", &orgs}});
    attachAll("schedules", "schedules",
              {{"service_at_location_id", &sals}, {"service_id", &services}, {"location_id", &locations}});
    attachAll("addresses", "addresses", {{"location_id", &locations}});
    attachAll("accessibility", "accessibility", {{"location_id", &locations}});
    for (auto& row : t["attributes"]) {
        if (!member(row.obj, "taxonomy_term")) {
            if (const json* tid = member(row.obj, "taxonomy_term_id"); tid && tid->is_string()) {
                auto it = m_terms.find(tid->get<std::string>());
                if (it != m_terms.end()) row.obj["taxonomy_term"] = strip(it->second);
            }
        }
        if (TabRow* parent = linked(row, {{"link_id", &services}, {"link_id", &orgs}, {"link_id", &locations}}))
            attach(row, *parent, "attributes");
    }
    attachAll("service_areas", "service_areas", {{"service_id", &services}});
    attachAll("cost_options", "cost_options", {{"service_id", &services}});
    attachAll("required_documents", "required_documents", {{"service_id", &services}});
    attachAll("funding", "funding", {{"service_id", &services}, {"organization_id", &orgs}});
    attachAll("organization_identifiers", "organization_identifiers", {{"organization_id", &orgs}});
    attachAll("metadata", "metadata",
              {{"resource_id", &services}, {"resource_id", &orgs}, {"resource_id", &locations}});
    // A location may serve several services: each service_at_location gets its own copy.
    for (auto& sal : t["service_at_location"]) {
        if (TabRow* loc = linked(sal, {{"location_id", &locations}})) {
            sal.obj["location"] = strip(loc->obj);
            if (loc->bad && !sal.bad) sal.bad = loc->bad;
            loc->used = true;
        }
        if (TabRow* service = linked(sal, {{"service_id", &services}})) {
            json copy = std::move(sal.obj);
            copy.erase("service_id");
            copy.erase("service_at_location_id");
            if (sal.bad && !service->bad) service->bad = sal.bad;
            service->obj["service_at_locations"].push_back(std::move(copy));
            sal.used = true;
        }
    }
    for (auto& row : t["services"]) {
        const json* pid = member(row.obj, "program_id");
        if (!pid || !pid->is_string() || member(row.obj, "program")) continue;
        auto it = programs.find(pid->get<std::string>());
        if (it == programs.end()) continue;
        const json& program = it->second->obj;
        it->second->used = true;
        // The nested program object needs id, name and description to validate.
        if (member(program, "name") && member(program, "description")) row.obj["program"] = strip(program);
    }
    for (auto& row : t["programs"])
        row.used = true;

    // Rows that belong to nothing: say so, and reject the ones that were bad anyway.
    for (auto& [name, rows] : t) {
        if (name == "organizations" || name == "services" || name == "locations" || !knownTables().count(name))
            continue;
        for (auto& row : rows) {
            if (row.used) continue;
            std::string rid = recordIdOf(row.obj, row.index);
            if (row.bad)
                reject(row.bad->file, rid, row.bad->field, row.bad->reason);
            else
                warn(row.file, rid, "",
                     row.where + " is not linked to any service, organization or location in this "
                                 "import; ignored");
        }
    }

    // Organizations first, so services link to them; then services; then locations no service here uses.
    m_total += t["organizations"].size() + t["services"].size();
    for (auto& row : t["organizations"]) {
        if (row.bad) {
            tick();
            reject(row.bad->file, recordIdOf(row.obj, row.index), row.bad->field, row.bad->reason);
            continue;
        }
        organisationRecord(row.obj, Where{row.file, row.index, row.where});
    }
    for (auto& row : t["services"]) {
        if (row.bad) {
            tick();
            reject(row.bad->file, recordIdOf(row.obj, row.index), row.bad->field, row.bad->reason);
            continue;
        }
        serviceRecord(row.obj, Where{row.file, row.index, row.where});
    }
    for (auto& row : t["locations"]) {
        if (row.used) continue;
        ++m_total;
        if (row.bad) {
            tick();
            reject(row.bad->file, recordIdOf(row.obj, row.index), row.bad->field, row.bad->reason);
            continue;
        }
        row.obj.erase("organization_id");
        locationRecord(row.obj, Where{row.file, row.index, row.where});
    }
}

// ------------------------------------------------------------------------------------ mapping

Term Importer::termOf(Node attribute, const std::string& path) {
    std::optional<Node> term = getObject(attribute, "taxonomy_term", path);
    if (!term) {
        std::string tid = getTrimmed(attribute, "taxonomy_term_id", path);
        auto it = tid.empty() ? m_terms.end() : m_terms.find(tid);
        if (it == m_terms.end()) return {};
        term = Node(it->second);
    }
    // Where the term is, named only in a message: most records have nothing wrong with it.
    auto textIn = [&](Node obj, const char* key, bool inDetail) -> std::string_view {
        auto v = obj.find(key);
        if (!v) return {};
        if (!v->isString()) {
            std::string base = at(path, "taxonomy_term");
            if (inDetail) base = at(base, "taxonomy_detail");
            throw Reject{at(base, key), "must be text, not " + describe(*v)};
        }
        return text::trim(v->str());
    };
    Term out;
    out.taxonomy = textIn(*term, "taxonomy", false);
    if (out.taxonomy.empty()) {
        auto detail = term->find("taxonomy_detail");
        if (detail && !detail->isObject())
            throw Reject{at(at(path, "taxonomy_term"), "taxonomy_detail"),
                         "must be an object, not " + describe(*detail)};
        if (detail) out.taxonomy = textIn(*detail, "name", true);
    }
    out.code = textIn(*term, "code", false);
    out.name = textIn(*term, "name", false);
    return out;
}

void Importer::readExtension(std::string_view code, std::string_view value, Extensions& ext, const std::string& path,
                             const std::function<void(std::string, std::string)>& warnFn) {
    auto colon = code.find(':');
    const std::string_view key = code.substr(0, colon);
    const std::string_view v = value.empty() && colon != std::string::npos ? code.substr(colon + 1) : value;
    auto flag = [&](bool& out) {
        if (v == "true" || v == "1" || v == "yes")
            out = true;
        else if (v == "false" || v == "0" || v == "no" || v.empty())
            out = false;
        else
            warnFn(path + ".value", inQuotes(v) + " is not true or false; taken as false");
    };
    if (key == "route") {
        if (auto route = parseCommissioningRoute(v))
            ext.route = route;
        else
            warnFn(path, inQuotes(v) + " is not a commissioning route Signpost knows; ignored");
        return;
    }
    if (key == "supervision") {
        auto type = parseSupervisionType(v);
        if (!type)
            warnFn(path, inQuotes(v) + " is not a supervision type Signpost knows; ignored");
        else if (std::find(ext.supervision.begin(), ext.supervision.end(), *type) == ext.supervision.end())
            ext.supervision.push_back(*type);
        return;
    }
    const std::pair<const char*, bool*> flags[] = {{"women_only", &ext.womenOnly},
                                                   {"high_risk_suitable", &ext.highRisk},
                                                   {"hub", &ext.hub},
                                                   {"co_located", &ext.coLocated},
                                                   {"sample", &ext.sample}};
    for (const auto& [name, out] : flags) {
        if (key != name) continue;
        flag(*out);
        return;
    }
    const std::pair<const char*, std::string*> texts[] = {{"name_cy", &ext.nameCy},
                                                          {"description_cy", &ext.descriptionCy},
                                                          {"keywords", &ext.keywords},
                                                          {"source_id", &ext.sourceId}};
    for (const auto& [name, out] : texts) {
        if (key != name) continue;
        *out = std::string(v);
        return;
    }
    // "extensions" is the marker that makes the record authoritative; it carries nothing else.
    if (key != "extensions")
        warnFn(path, "Signpost attribute " + inQuotes(code) + " is not one this version knows; ignored");
}

std::optional<Location> Importer::storedLocation(const std::string& id) {
    auto q = m_db.cached("SELECT id, name, address, city, postcode, latitude, longitude FROM location WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return Location{q->getText(0), q->getText(1),      q->getText(2),     q->getText(3),
                    q->getText(4), q->getOptDouble(5), q->getOptDouble(6)};
}

std::pair<Location, std::string> Importer::mapLocation(Node loc, const std::string& base,
                                                       const std::function<std::string()>& fallbackId,
                                                       std::vector<Problem>& warnings, const std::string& file,
                                                       const std::string& recordId) {
    requireObject(loc, base);
    Location l;
    l.id = loc.has("id") ? requireId(loc, base, "location") : fallbackId(); // made only when used
    l.name = getTrimmed(loc, "name", base);
    jsonparse::ObjectText extra;
    loc.eachMember([&](std::string_view key, Node value) {
        if (key != "id" && key != "name" && key != "latitude" && key != "longitude" && key != "addresses")
            extra.set(key, value.dump());
    });
    if (auto addresses = getArray(loc, "addresses", base)) {
        std::vector<std::string> kept;
        addresses->eachItem([&](Node a, size_t i) {
            std::string path = at(at(base, "addresses"), i);
            requireObject(a, path);
            if (i > 0) {
                kept.push_back(a.dump());
                return;
            }
            std::string line1 = getTrimmed(a, "address_1", path), line2 = getTrimmed(a, "address_2", path);
            l.address = line1.empty() ? line2 : (line2.empty() ? line1 : line1 + ", " + line2);
            l.city = getTrimmed(a, "city", path);
            l.postcode = getTrimmed(a, "postal_code", path);
            // address_2 stays in extra so export can split the street lines again.
            std::string rest;
            a.appendJsonWithout(rest, {"address_1", "city", "postal_code"});
            kept.push_back(std::move(rest));
        });
        extra.setArray("addresses", kept);
    }
    const auto lat = loc.find("latitude");
    const auto lon = loc.find("longitude");
    if (lat || lon) {
        auto la = numberOf(lat), lo = numberOf(lon);
        if (la && lo && std::fabs(*la) <= 90 && std::fabs(*lo) <= 180) {
            l.latitude = la;
            l.longitude = lo;
        } else {
            warnings.push_back({file, recordId, at(base, lat ? "latitude" : "longitude"),
                                "coordinates (" + (lat ? lat->dump() : "none") + ", " + (lon ? lon->dump() : "none") +
                                    ") are not a valid latitude/longitude pair; dropped, the location is kept"});
        }
    }
    return {std::move(l), extra.dump(true)};
}

bool Importer::organisationKnown(const std::string& id) {
    if (m_orgWritten.contains(id)) return true;
    if (const char* known = m_orgInDb.find(id)) return *known != 0;
    auto q = m_db.cached("SELECT 1 FROM organisation WHERE id = ?1");
    q->bind(1, id);
    bool found = q->step();
    m_orgInDb.tryEmplace(id, found ? 1 : 0);
    return found;
}

PreparedOrg Importer::mapOrganisation(Node org, const std::string& base, bool topLevel) {
    requireObject(org, base);
    PreparedOrg p;
    p.topLevel = topLevel;
    p.org.id = requireId(org, base, "organization");
    checkTypes<kOrganisationFields>(org, base);
    p.org.name = getTrimmed(org, "name", base);
    if (p.org.name.empty()) throw Reject{at(base, "name"), "missing: an organization needs a name"};
    p.hasDescription = org.has("description");
    p.org.description = getText(org, "description", base);
    p.hasWebsite = org.has("website");
    p.org.website = getTrimmed(org, "website", base);
    p.hasEmail = org.has("email");
    p.org.email = getTrimmed(org, "email", base);
    if (auto phones = getArray(org, "phones", base)) {
        p.hasPhone = true;
        phones->eachItem([&](Node phone, size_t i) {
            if (!p.org.phone.empty()) return true;
            requireObject(phone, at(at(base, "phones"), i));
            p.org.phone = cleanPhone(getText(phone, "number", at(at(base, "phones"), i)));
            return false;
        });
    }
    std::vector<std::string> keptAttributes;
    if (auto attributes = getArray(org, "attributes", base)) {
        attributes->eachItem([&](Node a, size_t i) {
            std::string path = at(at(base, "attributes"), i);
            requireObject(a, path);
            Term term = termOf(a, path);
            if (term.taxonomy != kSignpostTaxonomy) {
                keptAttributes.push_back(a.dump());
                return;
            }
            const std::string_view value = textOf(a, "value", path);
            if (!p.nameCy) p.nameCy = std::string();
            if (term.code == "name_cy") p.nameCy = std::string(value);
            // Our export gives a non-UUID id a derived UUID and the original here.
            if (term.code == "source_id" && !value.empty()) p.org.id = std::string(value);
        });
    }
    org.eachMember([&](std::string_view key, Node value) {
        if (key == "id" || key == "name" || key == "description" || key == "website" || key == "email" ||
            key == "services" || key == "attributes")
            return;
        p.extra.set(key, value.dump());
    });
    if (!keptAttributes.empty()) p.extra.setArray("attributes", keptAttributes);
    return p;
}

bool Importer::writeOrganisation(const PreparedOrg& p) {
    const std::string& id = p.org.id;
    // A service's copy of its organization never overrides the one already written by this import.
    const uint64_t idHash = p.idHash ? p.idHash : util::IdMap<char>::hashOf(id); // made ahead, if read ahead
    const bool written = m_orgWritten.contains(id, idHash);
    if (!p.topLevel && written) return false;
    // Into an empty directory, one this import has not written is not there.
    auto existing = !written && m_store.loadBeganEmpty() ? std::nullopt : m_store.organisation(id);
    // ISA status and the sample flag are ours, not the publisher's: keep them.
    Organisation o = existing ? *existing : Organisation{};
    o.id = id;
    o.name = p.org.name;
    if (p.topLevel || p.hasDescription) o.description = p.org.description;
    if (p.topLevel || p.hasWebsite) o.website = p.org.website;
    if (p.topLevel || p.hasEmail) o.email = p.org.email;
    if (p.topLevel || p.hasPhone) o.phone = p.org.phone;
    if (p.nameCy) o.nameCy = *p.nameCy;
    std::string extra;
    if (!p.topLevel && existing) {
        // A service's copy is often abbreviated: merge into what the full record left.
        auto stored = jsonparse::ObjectText::parse(m_store.organisationExtra(id));
        stored.merge(p.extra);
        extra = stored.dump(true);
    } else {
        extra = p.extra.dump(true);
    }
    m_store.upsertOrganisation(o, extra);
    m_orgWritten.tryEmplace(id, idHash, 1);
    ++m_report.organisationsWritten;
    return true;
}

void Importer::prepareService(Node rec, const std::string& file, PreparedService& p, bool ahead) {
    if (!rec.isObject()) throw Reject{"", "a service must be a JSON object, not " + describe(rec)};
    scrubRecord(rec, m_options.maxFieldBytes);
    Service& s = p.service;
    s.id = requireId(rec, "", "service");
    {
        auto name = rec.find("name");
        if (!name) throw Reject{"name", "missing: every service needs a name"};
        if (!name->isString()) throw Reject{"name", "must be text, not " + describe(*name)};
        s.name = std::string(text::trim(name->str()));
        if (s.name.empty()) throw Reject{"name", "must not be empty"};
        auto status = rec.find("status");
        if (!status)
            throw Reject{"status", "missing: every service needs a status (active, inactive, defunct or "
                                   "temporarily closed)"};
        if (!status->isString()) throw Reject{"status", "must be text, not " + describe(*status)};
        s.status = text::toLowerAscii(text::trim(status->str()));
        if (s.status != "active" && s.status != "inactive" && s.status != "defunct" && s.status != "temporarily closed")
            throw Reject{"status", inQuotes(status->str()) + " is not active, inactive, defunct or temporarily closed"};
    }
    checkTypes<kServiceFields>(rec, "");
    // One pass over the record's members (eachMember: a repeated name's last value, nulls left
    // out), where asking for each of 15 names walked all of them 15 times: which lists the record
    // states, and what it holds beyond the model, kept as published for export.
    rec.eachMember([&](std::string_view key, Node value) {
        for (size_t i = 0; i < kServiceLists.size(); ++i)
            if (key == kServiceLists[i]) p.lists[i] = true;
        if (!kModelledServiceFields.count(key) && !(value.isArray() && value.empty())) p.extra.set(key, value.dump());
    });
    p.hasLocations = p.states("service_at_locations");
    p.hasAreas = p.states("service_areas");
    p.hasLanguages = p.states("languages");
    p.hasAttributes = p.states("attributes");
    auto warnHere = [&](std::string field, std::string reason) {
        p.warnings.push_back({file, s.id, std::move(field), std::move(reason)});
    };

    s.description = getText(rec, "description", "");
    s.url = getTrimmed(rec, "url", "");
    s.email = getTrimmed(rec, "email", "");
    s.eligibility = getText(rec, "eligibility_description", "");
    for (auto [key, out] : {std::pair<const char*, std::optional<int>*>{"minimum_age", &s.minAge},
                            std::pair<const char*, std::optional<int>*>{"maximum_age", &s.maxAge}}) {
        auto v = rec.find(key);
        if (!v) continue;
        std::optional<double> n;
        if (v->isNumber())
            n = v->number();
        else if (v->isString())
            n = parseNumber(v->str());
        else
            throw Reject{key, "must be a whole number of years, not " + describe(*v)};
        if (!n) throw Reject{key, "must be a whole number of years, not " + inQuotes(v->str())};
        if (std::floor(*n) != *n) throw Reject{key, "must be a whole number of years, not " + v->dump()};
        if (*n < 0 || *n > 150) throw Reject{key, v->dump() + " is not an age"};
        *out = static_cast<int>(*n);
    }
    if (s.minAge && s.maxAge && *s.minAge > *s.maxAge)
        warnHere("minimum_age", "minimum_age is above maximum_age; kept as published");
    if (std::string assured = getTrimmed(rec, "assured_date", ""); !assured.empty()) {
        if (timeutil::parseIsoDate(assured))
            s.lastVerified = assured.substr(0, 10);
        else
            warnHere("assured_date", inQuotes(assured) + " is not a date (YYYY-MM-DD); dropped");
    }
    if (std::string modified = getTrimmed(rec, "last_modified", ""); !modified.empty()) {
        if (timeutil::parseIsoDate(modified))
            s.lastModified = modified;
        else
            warnHere("last_modified", inQuotes(modified) + " is not an ISO 8601 date-time; dropped");
    }
    {
        // The file's name, worked out once per file and reading thread rather than per record.
        thread_local std::string sourceOf, source;
        if (file != sourceOf || source.empty()) {
            sourceOf = file;
            source = "hsds:" + fs::path(file).filename().string();
        }
        s.source = source;
    }

    // Organization: an embedded object (written before the service) or a reference by id.
    auto link = [&](const std::string& orgId, const std::string& field) {
        if (orgId.empty()) return;
        if (ahead) throw NeedsDatabase{};
        if (organisationKnown(orgId))
            s.organisationId = orgId;
        else
            warnHere(field, "organization " + inQuotes(orgId) +
                                " is not in this import or the directory; the service "
                                "is imported without it");
    };
    if (auto org = getObject(rec, "organization", "")) {
        if (!org->has("name")) {
            link(requireId(*org, "organization", "organization"), "organization.id");
        } else {
            try {
                p.organisation = mapOrganisation(*org, "organization", false);
                s.organisationId = p.organisation->org.id;
            } catch (const Reject& r) {
                warnHere(r.field, r.reason + "; the organization was not imported and the service is not linked to it");
            }
        }
    } else {
        link(getTrimmed(rec, "organization_id", ""), "organization_id");
    }

    // Attributes: our needs and extensions, other taxonomies' terms mapped to needs where they
    // name one, else kept as search words. Everything not ours is kept for export.
    Extensions ext;
    auto addNeed = [&](std::string_view code) {
        if (std::find(s.needs.begin(), s.needs.end(), code) == s.needs.end()) s.needs.emplace_back(code);
    };
    if (auto attributes = getArray(rec, "attributes", "")) {
        std::vector<std::string> kept;
        attributes->eachItem([&](Node a, size_t i) {
            std::string path = at("attributes", i);
            requireObject(a, path);
            Term term = termOf(a, path);
            const std::string_view value = textOf(a, "value", path);
            if (term.taxonomy == kSignpostTaxonomy) {
                p.authoritative = true;
                readExtension(term.code, value, ext, path, std::ref(warnHere)); // no copy of the lambda made
                return;
            }
            if (term.taxonomy == kNeedsTaxonomy) {
                if (const Need* need = needByCode(term.code))
                    addNeed(need->code);
                else
                    warnHere(path, inQuotes(term.code) + " is not a Signpost need code; ignored");
                return;
            }
            kept.push_back(a.dump());
            const Need* need = term.code.empty() ? nullptr : findNeed(term.code);
            if (!need && !term.name.empty()) need = findNeed(term.name);
            if (need)
                addNeed(need->code);
            else if (!term.name.empty())
                p.unmappedTerms.emplace_back(term.name);
        });
        if (!kept.empty()) p.extra.setArray("attributes", kept);
    }
    if (p.authoritative) {
        s.commissioningRoute = ext.route;
        s.supervisionTypes = ext.supervision;
        s.womenOnly = ext.womenOnly;
        s.highRiskSuitable = ext.highRisk;
        s.hub = ext.hub;
        s.coLocated = ext.coLocated;
        s.sample = ext.sample;
        s.nameCy = ext.nameCy;
        s.descriptionCy = ext.descriptionCy;
        s.keywords = ext.keywords;
        // Our export gives non-UUID ids a derived UUID and the original here.
        if (!ext.sourceId.empty()) s.id = ext.sourceId;
    }

    // Service areas → area codes; the ones we cannot place stay for export.
    if (auto areas = getArray(rec, "service_areas", "")) {
        std::vector<std::string> kept;
        areas->eachItem([&](Node area, size_t i) {
            std::string path = at("service_areas", i);
            requireObject(area, path);
            if (const Area* a = areaOf(area, path)) {
                if (std::find(s.areas.begin(), s.areas.end(), a->code) == s.areas.end()) s.areas.emplace_back(a->code);
                return;
            }
            kept.push_back(area.dump());
            std::string name = getTrimmed(area, "name", path);
            warnHere(at(path, "name"), (name.empty() ? std::string("the area") : inQuotes(name)) +
                                           " is not an area Signpost knows; kept for export, not searchable by area");
        });
        if (!kept.empty()) p.extra.setArray("service_areas", kept);
    }

    if (auto languages = getArray(rec, "languages", "")) {
        std::vector<std::string> kept;
        languages->eachItem([&](Node lang, size_t i) {
            std::string path = at("languages", i);
            requireObject(lang, path);
            std::string code = languageCode(textOf(lang, "code", path));
            if (code.empty()) code = languageCode(textOf(lang, "name", path));
            if (!code.empty()) {
                if (std::find(s.languages.begin(), s.languages.end(), code) == s.languages.end())
                    s.languages.push_back(code);
                return;
            }
            kept.push_back(lang.dump());
            warnHere(path, "language " + inQuotes(getText(lang, "code", path) + " " + getText(lang, "name", path)) +
                               " has no ISO 639-1 code Signpost knows; kept for export only");
        });
        if (!kept.empty()) p.extra.setArray("languages", kept);
    }

    // Locations from service_at_locations; their contacts and schedules are the fallback when the
    // service itself has none.
    std::vector<std::pair<Node, std::string>> salSchedules, salContacts, salPhones;
    if (auto sals = getArray(rec, "service_at_locations", "")) {
        std::vector<std::string> leftovers;
        sals->eachItem([&](Node sal, size_t i) {
            std::string path = at("service_at_locations", i);
            requireObject(sal, path);
            Location l;
            auto loc = getObject(sal, "location", path);
            auto fallbackId = [&] { return uuid::fromName(s.id + "/location/" + std::to_string(s.locations.size())); };
            if (loc) {
                auto [mapped, extra] = mapLocation(*loc, at(path, "location"), fallbackId, p.warnings, file, s.id);
                l = std::move(mapped);
                p.locationExtras.emplace_back(l.id, std::move(extra));
            } else if (std::string locId = getTrimmed(sal, "location_id", path); !locId.empty()) {
                if (ahead) throw NeedsDatabase{};
                auto stored = storedLocation(locId);
                if (!stored) {
                    warnHere(at(path, "location_id"), "location " + inQuotes(locId) +
                                                          " is not in this import or the "
                                                          "directory; skipped");
                    return;
                }
                l = std::move(*stored);
            } else {
                warnHere(path, "names no location; skipped");
                return;
            }
            bool duplicate = std::any_of(s.locations.begin(), s.locations.end(),
                                         [&](const Location& other) { return other.id == l.id; });
            jsonparse::ObjectText left;
            sal.eachMember([&](std::string_view key, Node value) {
                if (key != "location" && key != "location_id" && key != "service_id" && key != "contacts" &&
                    key != "phones" && key != "schedules")
                    left.set(key, value.dump());
            });
            for (const char* key : {"schedules", "contacts", "phones"}) {
                if (auto list = getArray(sal, key, path)) {
                    auto& target = std::string_view(key) == "schedules"  ? salSchedules
                                   : std::string_view(key) == "contacts" ? salContacts
                                                                         : salPhones;
                    list->eachItem([&](Node item, size_t j) { target.emplace_back(item, at(at(path, key), j)); });
                }
            }
            if (duplicate) return;
            if (!left.empty()) {
                std::string locationId;
                jsonparse::appendJsonString(locationId, l.id);
                left.set("location_id", std::move(locationId));
                leftovers.push_back(left.dump());
            }
            s.locations.push_back(std::move(l));
        });
        if (!leftovers.empty()) p.extra.setArray("service_at_locations", leftovers);
    }

    // Opening times: weekly schedules become rows; others are kept for export.
    {
        std::vector<std::pair<Node, std::string>> schedules;
        if (auto list = getArray(rec, "schedules", ""))
            list->eachItem([&](Node item, size_t i) { schedules.emplace_back(item, at("schedules", i)); });
        p.hasSchedules = p.states("schedules");
        if (schedules.empty()) {
            schedules = salSchedules;
            p.hasSchedules = p.hasSchedules || !salSchedules.empty();
        }
        std::vector<std::string> kept;
        std::set<std::string> seenIds;
        for (const auto& [sch, path] : schedules) {
            requireObject(sch, path);
            if (auto id = sch.find("id"); id && id->isString() && !seenIds.insert(std::string(id->str())).second)
                continue;
            std::string why;
            auto rows = weeklyRows(sch, path, why);
            if (!rows) {
                kept.push_back(sch.dump());
                warnHere(path, "not imported as opening times because " + why + "; kept for export");
                continue;
            }
            for (auto& row : *rows) {
                bool dup = std::any_of(s.openingTimes.begin(), s.openingTimes.end(), [&](const OpeningTime& o) {
                    return o.weekday == row.weekday && o.opens == row.opens && o.closes == row.closes;
                });
                if (!dup) s.openingTimes.push_back(std::move(row));
            }
        }
        if (!kept.empty()) p.extra.setArray("schedules", kept);
    }

    // Contacts: named contacts with their first phone, then bare phone numbers.
    {
        std::vector<std::pair<Node, std::string>> contacts, phones;
        if (auto list = getArray(rec, "contacts", ""))
            list->eachItem([&](Node item, size_t i) { contacts.emplace_back(item, at("contacts", i)); });
        if (auto list = getArray(rec, "phones", ""))
            list->eachItem([&](Node item, size_t i) { phones.emplace_back(item, at("phones", i)); });
        p.hasContacts = p.states("contacts") || p.states("phones");
        if (contacts.empty() && phones.empty()) {
            contacts = salContacts;
            phones = salPhones;
            p.hasContacts = p.hasContacts || !salContacts.empty() || !salPhones.empty();
        }
        auto phoneOf = [&](Node phone, const std::string& path) {
            requireObject(phone, path);
            std::string number = cleanPhone(textOf(phone, "number", path));
            if (auto ex = phone.find("extension"); ex && !number.empty()) {
                std::string extension = ex->isString() ? std::string(text::trim(ex->str())) : ex->dump();
                if (!extension.empty()) number += " ext. " + extension;
            }
            return number;
        };
        std::set<std::string> seenIds;
        for (const auto& [c, path] : contacts) {
            requireObject(c, path);
            Contact k;
            k.id = c.has("id") ? requireId(c, path, "contact")
                               : uuid::fromName(s.id + "/contact/" + std::to_string(s.contacts.size()));
            if (!seenIds.insert(k.id).second) continue;
            k.name = getTrimmed(c, "name", path);
            k.title = getTrimmed(c, "title", path);
            k.email = getTrimmed(c, "email", path);
            if (auto list = getArray(c, "phones", path))
                list->eachItem([&](Node phone, size_t j) {
                    if (!k.phone.empty()) return true;
                    k.phone = phoneOf(phone, at(at(path, "phones"), j));
                    return false;
                });
            s.contacts.push_back(std::move(k));
        }
        for (const auto& [ph, path] : phones) {
            std::string number = phoneOf(ph, path);
            if (number.empty()) continue;
            bool known =
                std::any_of(s.contacts.begin(), s.contacts.end(), [&](const Contact& k) { return k.phone == number; });
            if (known) continue;
            Contact k;
            k.id = ph.has("id") ? requireId(ph, path, "phone")
                                : uuid::fromName(s.id + "/contact/" + std::to_string(s.contacts.size()));
            if (!seenIds.insert(k.id).second) continue;
            k.phone = std::move(number);
            s.contacts.push_back(std::move(k));
        }
    }
}

// ------------------------------------------------------------------------------------ records

struct StoredExtensions {
    std::optional<CommissioningRoute> route;
    bool womenOnly, highRisk, hub, coLocated, sample;
    std::vector<SupervisionType> supervision;
    std::string nameCy, descriptionCy, keywords;
};

void Importer::serviceRecord(json& rec, const Where& where) {
    tick();
    std::string rid = recordIdOf(rec, where.index);
    PreparedService p;
    try {
        prepareService(Node(rec), where.file, p);
    } catch (const Reject& r) {
        reject(where.file, rid, r.field, r.reason);
        return;
    }
    storeService(p, where);
}

void Importer::storeService(PreparedService& p, const Where& where) {
    // A reading thread that made the service ready to write moved it there: it comes back for
    // what follows, and goes again (moved) once it is settled.
    if (p.ready) p.service = std::move(p.ready->service);
    Service& s = p.service;
    bool handedOver = false; // s is in p.ready
    const uint64_t idHash = p.idHash ? p.idHash : util::IdMap<std::string>::hashOf(s.id);
    auto [seen, fresh] = m_services.tryEmplace(s.id, idHash, where.label);
    if (!fresh) {
        reject(where.file, s.id, "id",
               "duplicate service id: already imported from " + *seen + " in this import; this later copy was skipped");
        return;
    }
    bool wroteOrg = false, writing = false;
    try {
        std::optional<db::Savepoint> sp;
        if (m_guarded) sp.emplace(m_db, "hsds_record");
        std::optional<StoredExtensions> stored;
        // Into an empty directory, an id this import has not written is not there.
        const bool isNew = m_store.loadBeganEmpty();
        if (!isNew) {
            auto q =
                m_db.cached("SELECT commissioning_route, women_only, high_risk_suitable, hub, co_located, "
                            "supervision_types, name_cy, description_cy, keywords, sample FROM service WHERE id = ?1");
            q->bind(1, s.id);
            if (q->step()) {
                StoredExtensions e;
                if (!q->isNull(0)) e.route = parseCommissioningRoute(q->getTextView(0));
                e.womenOnly = q->getBool(1);
                e.highRisk = q->getBool(2);
                e.hub = q->getBool(3);
                e.coLocated = q->getBool(4);
                for (const auto& code : text::split(q->getTextView(5), ' '))
                    if (auto type = parseSupervisionType(code)) e.supervision.push_back(*type);
                e.nameCy = q->getText(6);
                e.descriptionCy = q->getText(7);
                e.keywords = q->getText(8);
                e.sample = q->getBool(9);
                stored = std::move(e);
            }
        }
        // A feed without our extensions (most publishers') must not wipe what practitioners set.
        if (!p.authoritative && stored) {
            s.commissioningRoute = stored->route;
            s.womenOnly = stored->womenOnly;
            s.highRiskSuitable = stored->highRisk;
            s.hub = stored->hub;
            s.coLocated = stored->coLocated;
            s.supervisionTypes = stored->supervision;
            s.nameCy = stored->nameCy;
            s.descriptionCy = stored->descriptionCy;
            s.keywords = stored->keywords;
            s.sample = stored->sample;
        }
        if (stored &&
            !(p.hasLocations && p.hasSchedules && p.hasContacts && p.hasAreas && p.hasLanguages && p.hasAttributes)) {
            if (auto old = m_store.service(s.id)) {
                if (!p.hasLocations) s.locations = old->locations;
                if (!p.hasSchedules) s.openingTimes = old->openingTimes;
                if (!p.hasContacts) s.contacts = old->contacts;
                if (!p.hasAreas) s.areas = old->areas;
                if (!p.hasLanguages) s.languages = old->languages;
                if (!p.hasAttributes) s.needs = old->needs;
            }
            if (auto storedExtra = m_store.serviceExtra(s.id); !storedExtra.empty()) {
                json old = json::parse(storedExtra, nullptr, false);
                if (old.is_object())
                    for (size_t i = 0; i < kServiceLists.size(); ++i)
                        if (const std::string key(kServiceLists[i]); !p.lists[i] && old.contains(key))
                            p.extra.set(key, old[key].dump());
            }
        }
        // All that is written is made before anything is, so a record that cannot be stored is
        // turned away with nothing of it written (and without a savepoint, nothing to undo).
        // What upsertPrepared leaves of it is freed with the batch, on the thread that read it.
        if (!p.ready || stored) {
            completeService(p);
            p.ready = readyToWrite(p, true);
        } else {
            p.ready->service = std::move(s);
        }
        p.ready->isNew = isNew;
        handedOver = true;
        writing = true;
        if (p.organisation) wroteOrg = writeOrganisation(*p.organisation);
        // Nothing that can reject the record may follow upsertPrepared: its search-index update is
        // queued (BulkWrite) and would outlive a rollback of this savepoint.
        m_store.upsertPrepared(std::move(*p.ready));
        if (sp) sp->release();
        if (stored)
            ++m_report.servicesUpdated;
        else
            ++m_report.servicesInserted;
    } catch (const std::exception& e) {
        // Part of the record may be written, with no savepoint to take it back: the import starts
        // again with one per record.
        if (writing && !m_guarded) throw UnguardedWriteFailed{};
        if (handedOver) s = std::move(p.ready->service); // upsertPrepared reads it, and leaves it
        if (wroteOrg) {
            m_orgWritten.erase(p.organisation->org.id);
            m_orgInDb.erase(p.organisation->org.id);
            --m_report.organisationsWritten;
        }
        m_services.erase(s.id, idHash);
        reject(where.file, s.id, "", std::string("could not be stored: ") + e.what());
        return;
    }
    for (auto& w : p.warnings)
        m_report.warnings.push_back(std::move(w));
}

void Importer::organisationRecord(json& rec, const Where& where) {
    tick();
    std::string rid = recordIdOf(rec, where.index);
    json services = json::array();
    if (rec.is_object() && rec.contains("services")) {
        if (!rec["services"].is_array()) {
            reject(where.file, rid, "services", "must be a list, not " + describe(rec["services"]));
            return;
        }
        services = std::move(rec["services"]);
        rec.erase("services");
    }
    std::string orgId;
    try {
        if (!rec.is_object()) throw Reject{"", "an organization must be a JSON object, not " + describe(rec)};
        scrubRecord(Node(rec), m_options.maxFieldBytes);
        PreparedOrg p = mapOrganisation(Node(rec), "", true);
        auto [seen, fresh] = m_organisations.try_emplace(p.org.id, where.label);
        if (!fresh)
            throw Reject{"id", "duplicate organization id: already imported from " + seen->second +
                                   " in this import; this later copy was skipped"};
        try {
            db::Savepoint sp(m_db, "hsds_record");
            writeOrganisation(p);
            sp.release();
            orgId = p.org.id;
        } catch (const std::exception& e) {
            m_orgWritten.erase(p.org.id);
            m_organisations.erase(p.org.id);
            reject(where.file, p.org.id, "", std::string("could not be stored: ") + e.what());
        }
    } catch (const Reject& r) {
        reject(where.file, rid, r.field, r.reason);
    }
    m_total += services.size();
    for (size_t i = 0; i < services.size(); ++i) {
        json& service = services[i];
        if (service.is_object() && !service.contains("organization")) {
            if (!orgId.empty())
                service["organization_id"] = orgId;
            else if (rec.is_object() && rec.contains("id") && rec["id"].is_string())
                service["organization_id"] = rec["id"];
        }
        serviceRecord(service, Where{where.file, i, where.label + " services[" + std::to_string(i) + "]"});
    }
}

// A location on its own updates the services that already use it.
void Importer::locationRecord(json& rec, const Where& where) {
    tick();
    std::string rid = recordIdOf(rec, where.index);
    std::vector<Problem> warnings;
    try {
        if (!rec.is_object()) throw Reject{"", "a location must be a JSON object, not " + describe(rec)};
        scrubRecord(Node(rec), m_options.maxFieldBytes);
        std::string id = requireId(Node(rec), "", "location");
        auto [seen, fresh] = m_locations.try_emplace(id, where.label);
        if (!fresh)
            throw Reject{"id", "duplicate location id: already imported from " + seen->second +
                                   " in this import; this later copy was skipped"};
        auto [location, extra] = mapLocation(
            Node(rec), "", [&] { return id; }, warnings, where.file, id);
        std::vector<std::string> users;
        {
            auto q = m_db.cached("SELECT s.id FROM service s JOIN service_location sl ON sl.service_rowid = s.rowid "
                                 "JOIN location l ON l.rowid = sl.location_rowid WHERE l.id = ?1 ORDER BY s.id");
            q->bind(1, id);
            while (q->step())
                users.push_back(q->getText(0));
        }
        if (users.empty()) {
            warn(where.file, id, "", "location is not used by any service in the directory; nothing to update");
            return;
        }
        try {
            db::Savepoint sp(m_db, "hsds_record");
            for (const auto& serviceId : users) {
                auto service = m_store.service(serviceId);
                if (!service) continue;
                for (auto& l : service->locations)
                    if (l.id == id) l = location;
                m_store.upsertService(*service);
            }
            m_store.setLocationExtra(id, extra);
            sp.release();
        } catch (const std::exception& e) {
            m_locations.erase(id);
            throw Reject{"", std::string("could not be stored: ") + e.what()};
        }
    } catch (const Reject& r) {
        reject(where.file, rid, r.field, r.reason);
        return;
    }
    for (auto& w : warnings)
        m_report.warnings.push_back(std::move(w));
}

} // namespace

namespace {

ImportReport importOnce(db::Database& db, const std::filesystem::path& path, const ImportOptions& options, bool stream,
                        bool guarded) {
    ImportReport report;
    // One transaction for the whole import (or a savepoint inside the caller's), so a bulk load
    // pays for one commit and strict mode can take everything back.
    // Room to build the search text index on a second thread at the end (DirectoryStore::
    // BulkWrite, AnyOrder): attached before the transaction, which then begins DEFERRED.
    std::optional<DirectoryStore::IndexSpace> space;
    if (!db.inTransaction()) space.emplace(db);
    std::optional<db::Transaction> tx;
    std::optional<db::Savepoint> outer;
    if (db.inTransaction())
        outer.emplace(db, "hsds_import");
    else
        tx.emplace(db, space->available() ? db::Transaction::Mode::Deferred : db::Transaction::Mode::Immediate);
    Importer importer(db, options, report, stream, guarded);
    {
        // Search-index updates are queued and applied in one batch before the commit (FTS5
        // would otherwise flush a tiny segment at every per-record savepoint).
        DirectoryStore::BulkWrite bulk(importer.store(), space ? &*space : nullptr, DirectoryStore::Arrival::AnyOrder);
        if (!guarded) bulk.allOrNothing();
        importer.importAny(path);
        importer.finishProgress();
        if (options.strict && !report.ok()) {
            if (tx)
                tx->rollback();
            else
                outer->rollback();
            report.rolledBack = true;
            report.servicesInserted = report.servicesUpdated = report.organisationsWritten = 0;
            return report;
        }
        bulk.finish();
        report.textIndexBuiltBeside = bulk.textBuiltBeside();
        // Committed while the BulkWrite still frees its queue on a thread of its own.
        if (tx)
            tx->commit();
        else
            outer->release();
    }
    return report;
}

} // namespace

ImportReport importPath(db::Database& db, const std::filesystem::path& path, const ImportOptions& options) {
    // Whatever a run that gives up wrote has been rolled back with its transaction (or savepoint).
    if (!options.stream) return importOnce(db, path, options, false, true);
    for (bool guarded : {false, true}) {
        try {
            return importOnce(db, path, options, true, guarded);
        } catch (const UnguardedWriteFailed&) {
            // Again, each record in a savepoint: the one that failed is reported and the rest kept.
        } catch (const StreamAbandoned&) {
            break;
        }
    }
    return importOnce(db, path, options, false, true);
}

} // namespace signpost::directory::hsds
