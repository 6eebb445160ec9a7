// Text folding, tokenizing, UTF-8 validation, dates and UK time, the area and need tables, and
// the allocator the executables run on.
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Allocator.hpp"
#include "signpost/util/BoundedQueue.hpp"
#include "signpost/util/FileText.hpp"
#include "signpost/util/IdMap.hpp"
#include "signpost/util/JsonNode.hpp"
#include "signpost/util/JsonParse.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Thread.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <variant>

#include <unistd.h>
#include <vector>

using namespace signpost;
using namespace signpost::domain;

TEST_CASE("folding removes case and Welsh accents") {
    CHECK(text::fold("Ynys Môn") == "ynys mon");
    CHECK(text::fold("ŵ ŷ â ê î ô û Ŵ Ŷ Â") == "w y a e i o u w y a");
    CHECK(text::fold("Caerffili") == "caerffili");
    CHECK(text::fold("ẁ ẃ ẅ ỳ") == "w w w y");
    CHECK(text::fold("Ελλάδα") == "Ελλάδα"); // non-Latin passes through
}

TEST_CASE("tokenizing splits on punctuation and keeps Welsh letters whole") {
    CHECK(text::tokenize("Debt-advice, (Bolton)!") == std::vector<std::string>{"debt", "advice", "bolton"});
    CHECK(text::tokenize("Tŷ Dŵr") == std::vector<std::string>{"ty", "dwr"});
    CHECK(text::tokenize("\" OR 1=1; --") == std::vector<std::string>{"or", "1", "1"});
    CHECK(text::tokenize("").empty());
    CHECK(text::tokenize("   ...   ").empty());
    // A word is folded whole, whichever of its letters needed it.
    CHECK(text::tokenize("debtAdvice cafés Caffi tŷ99 x") ==
          std::vector<std::string>{"debtadvice", "cafes", "caffi", "ty99", "x"});
    CHECK(text::tokenize(std::string("ab\xFF"
                                     "cd",
                                     5)) == std::vector<std::string>{"ab", "cd"}); // a bad byte separates
}

TEST_CASE("a token is the same whether its letters came in lower or upper case") {
    // Random text from lower- and upper-case pieces, Welsh letters, digits, separators and bad
    // bytes, tokenized as it is and with every ASCII letter in upper case, gives the same tokens,
    // each already folded.
    const std::vector<std::string> pieces{"a", "b", "z", "0", "9", "E",    "Q",    "ŵ",  "Ŷ",    "â",      "é",
                                          " ", "-", "'", "’", ",", "\xFF", "\xC3", "\n", "debt", "Bolton", "llety"};
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        const size_t n = rng() % 24;
        for (size_t i = 0; i < n; ++i)
            text += pieces[rng() % pieces.size()];
        std::string upper = text;
        for (char& c : upper)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        CAPTURE(text);
        CHECK(text::tokenize(text) == text::tokenize(upper));
        for (const auto& token : text::tokenize(text))
            CHECK(text::fold(token) == token);
    }
}

TEST_CASE("UTF-8 validation finds the first bad byte") {
    CHECK(text::isValidUtf8("Ynys Môn"));
    CHECK_FALSE(text::isValidUtf8(std::string("ab\xC3", 3)));          // truncated sequence
    CHECK_FALSE(text::isValidUtf8(std::string("\xC0\xAF", 2)));        // overlong
    CHECK_FALSE(text::isValidUtf8(std::string("\xED\xA0\x80", 3)));    // surrogate
    CHECK(text::firstInvalidUtf8(std::string("ok\xFFok", 5)) == 2);
    CHECK(text::printable(std::string("ok\xFFMôn", 7)) == "ok\\xFFMôn");
    CHECK(text::isValidUtf8(text::printable(std::string("\xC3\x28\xA0", 3))));
}

TEST_CASE("ISO dates parse only when real") {
    CHECK(timeutil::parseIsoDate("1970-01-02") == 1);
    CHECK(timeutil::parseIsoDate("2024-02-29").has_value());
    CHECK_FALSE(timeutil::parseIsoDate("2023-02-29").has_value());
    CHECK_FALSE(timeutil::parseIsoDate("2023-13-01").has_value());
    CHECK_FALSE(timeutil::parseIsoDate("yesterday").has_value());
    CHECK(timeutil::parseIsoDate("2023-03-15T10:30:45.123Z").has_value());
    CHECK(timeutil::isoDate(*timeutil::parseIsoDate("2026-11-22")) == "2026-11-22");
    int minutes = 0;
    CHECK(timeutil::parseClock("10:00:00", minutes));
    CHECK(minutes == 600);
    CHECK(timeutil::parseClock("24:00", minutes));
    CHECK_FALSE(timeutil::parseClock("25:00", minutes));
    CHECK_FALSE(timeutil::parseClock("9am", minutes));
}

TEST_CASE("date-times are written in UTC, each second its own, asked in any order and on any thread") {
    CHECK(timeutil::isoDateTimeUtc(0) == "1970-01-01T00:00:00Z");
    CHECK(timeutil::isoDateTimeUtc(1795348800) == "2026-11-22T12:00:00Z");
    CHECK(timeutil::isoDateTimeUtc(1795348800) == "2026-11-22T12:00:00Z"); // asked again
    CHECK(timeutil::isoDateTimeUtc(1795348801) == "2026-11-22T12:00:01Z");
    CHECK(timeutil::isoDateTimeUtc(0) == "1970-01-01T00:00:00Z");
    CHECK(timeutil::isoDateTimeUtc(86399) == "1970-01-01T23:59:59Z");
    std::string other;
    std::thread([&] { other = timeutil::isoDateTimeUtc(1782907200); }).join();
    CHECK(other == "2026-07-01T12:00:00Z");
    CHECK(timeutil::isoDateTimeUtc(86399) == "1970-01-01T23:59:59Z");
}

TEST_CASE("UK local time follows British Summer Time") {
    // 2026-07-01 12:00 UTC is 13:00 BST on a Wednesday.
    auto summer = timeutil::ukLocalTime(1782907200);
    CHECK(summer.summerTime);
    CHECK(summer.weekday == 3);
    CHECK(summer.minuteOfDay == 13 * 60);
    // 2026-11-22 12:00 UTC is 12:00 GMT on a Sunday.
    auto winter = timeutil::ukLocalTime(1795348800);
    CHECK_FALSE(winter.summerTime);
    CHECK(winter.weekday == 7);
    CHECK(winter.minuteOfDay == 12 * 60);
    // BST 2026 starts 29 March 01:00 UTC.
    CHECK_FALSE(timeutil::ukLocalTime(1774745999).summerTime);
    CHECK(timeutil::ukLocalTime(1774746000).summerTime);
}

TEST_CASE("the Wales structure: six PDUs, 22 local authorities with Welsh names") {
    int pdus = 0, las = 0;
    for (const Area& a : allAreas()) {
        if (a.kind == AreaKind::Pdu) ++pdus;
        if (a.kind == AreaKind::LocalAuthority && a.code.substr(0, 3) == "W06") {
            ++las;
            CHECK(!a.nameCy.empty());
            CHECK(!pduOf(a.code).empty());
        }
    }
    CHECK(pdus == 6);
    CHECK(las == 22);
    CHECK(pduOf("W06000022") == "PDU-GWENT");           // Newport
    CHECK(pduOf("W06000001") == "PDU-NWALES");          // Isle of Anglesey
    CHECK(std::string(areaByCode("W06000001")->nameCy) == "Ynys Môn");
}

TEST_CASE("Greater Manchester: ten boroughs in one region") {
    auto boroughs = descendantsOf(kGreaterManchester);
    CHECK(boroughs.size() == 10);
    CHECK(areaByCode("E08000001")->nameEn == "Bolton");
    auto up = ancestorsOf("E08000001");
    CHECK(up == std::vector<std::string_view>{kGreaterManchester, kEnglandAndWales});
}

TEST_CASE("every area is found by its code, and nothing else is") {
    for (const Area& a : allAreas()) {
        CAPTURE(a.code);
        CHECK(areaByCode(a.code) == &a);
        CHECK(areaByCode(std::string(a.code) + "0") == nullptr);
        CHECK(areaByCode(a.code.substr(0, a.code.size() - 1)) == nullptr);
    }
    for (std::string_view unknown : {"", "e08000001", "E08000000", "W06000099", "ZZZ", "\xff"})
        CHECK(areaByCode(unknown) == nullptr);
}

TEST_CASE("areas resolve from codes and English or Welsh names, ignoring case and accents") {
    CHECK(findArea("bolton")->code == "E08000001");
    CHECK(findArea("Casnewydd")->code == "W06000022");
    CHECK(findArea("ynys mon")->code == "W06000001");
    CHECK(findArea("Cardiff & Vale")->code == "PDU-CARDIFFVALE");
    CHECK(findArea("caerdydd a'r fro")->code == "PDU-CARDIFFVALE");
    CHECK(findArea("w06000015")->code == "W06000015");
    CHECK(findArea("Gwent")->kind == AreaKind::Pdu);
    CHECK(findArea("Atlantis") == nullptr);
    CHECK(findArea("") == nullptr);
}

TEST_CASE("needs resolve from codes, names and single unambiguous words") {
    CHECK(findNeed("finance")->code == "finance");
    CHECK(findNeed("Accommodation")->code == "accommodation");
    CHECK(findNeed("debt")->code == "finance");
    CHECK(findNeed("Llety")->code == "accommodation");
    CHECK(findNeed("wellbeing.mentoring")->parent == "wellbeing");
    CHECK(findNeed("nonsense") == nullptr);
    CHECK(needAncestors("wellbeing.emotional") == std::vector<std::string_view>{"wellbeing"});
}

TEST_CASE("area centres and distances") {
    auto bolton = areaCentre("E08000001");
    REQUIRE(bolton);
    CHECK(bolton->latitude == doctest::Approx(53.58).epsilon(0.01));
    auto wales = areaCentre(kWales);
    REQUIRE(wales);
    CHECK(wales->latitude > 51.3);
    CHECK(wales->latitude < 53.5);
}

TEST_CASE("postcodes normalise to their district") {
    CHECK(directory::normalisePostcode("bl11aa") == "BL1 1AA");
    CHECK(directory::postcodeDistrictOf("cf10 1ep") == "CF10");
    CHECK(directory::postcodeDistrictOf("M1") == "M1");
    CHECK(directory::postcodeDistrictOf(" sk14 ") == "SK14");
}

TEST_CASE("UUIDs: random ones differ, named ones are stable and well formed") {
    auto a = uuid::random(), b = uuid::random();
    CHECK(a != b);
    CHECK(uuid::isValid(a));
    CHECK(a[14] == '4');
    CHECK(uuid::fromName("seed:x") == uuid::fromName("seed:x"));
    CHECK(uuid::fromName("seed:x") != uuid::fromName("seed:y"));
    CHECK(uuid::isValid(uuid::fromName("seed:x")));
    CHECK_FALSE(uuid::isValid("not-a-uuid"));
}

TEST_CASE("UUIDs: time-ordered ones carry their millisecond and sort in the order they were made") {
    // 2100-01-01T00:00:00.123Z: later than any id this process has made (ids continue from the
    // last one when the clock is behind it).
    const int64_t t = 4102444800123;
    auto first = uuid::timeOrdered(t);
    CHECK(uuid::isValid(first));
    CHECK(first.substr(0, 13) == "03bb2cc3-d87b"); // the 48-bit millisecond count, in hex
    CHECK(first[14] == '7');
    CHECK((first[19] == '8' || first[19] == '9' || first[19] == 'a' || first[19] == 'b')); // RFC variant
    // The same millisecond, an earlier one (a clock stepped back), then a later one: each id
    // sorts after the one before, as text, so an index keyed by them is appended to.
    std::vector<std::string> ids{first};
    for (int i = 0; i < 5000; ++i) ids.push_back(uuid::timeOrdered(t));
    ids.push_back(uuid::timeOrdered(t - 60'000));
    ids.push_back(uuid::timeOrdered(t + 1));
    ids.push_back(uuid::timeOrdered());
    for (size_t i = 1; i < ids.size(); ++i) {
        INFO(ids[i - 1], " then ", ids[i]);
        CHECK(ids[i - 1] < ids[i]);
        CHECK(uuid::isValid(ids[i]));
        CHECK(ids[i][14] == '7');
    }
    CHECK(ids[ids.size() - 2].substr(0, 8) == first.substr(0, 8)); // t + 1 keeps the same leading bits
    // Named ones led by a time: stable for the same name and time, ordered by time first.
    CHECK(uuid::fromName("audit:d:1", t) == uuid::fromName("audit:d:1", t));
    CHECK(uuid::fromName("audit:d:2", t) != uuid::fromName("audit:d:1", t));
    CHECK(uuid::fromName("audit:d:9", t) < uuid::fromName("audit:d:1", t + 1000));
    CHECK(uuid::isValid(uuid::fromName("audit:d:1", t)));
    CHECK(uuid::fromName("audit:d:1", t)[14] == '8');
}

// ------------------------------------------------------------------ JSON object members as text

namespace {
using nlohmann::json;

// What forEachMember sees, as (name, value) pairs decoded by the library.
std::vector<std::pair<std::string, json>> membersOf(std::string_view text) {
    std::vector<std::pair<std::string, json>> out;
    jsontext::forEachMember(text, [&](std::string_view name, std::string_view value) {
        CHECK(value.size() > 0);
        CHECK(value.front() != ' ');
        CHECK(value.back() != ' ');
        out.emplace_back(jsontext::unquoteName(name), json::parse(value));
    });
    return out;
}

json randomValue(std::mt19937& rng, int depth) {
    static const char* strings[] = {"", "plain", "quote \" inside", "back\\slash", "ends in backslash \\",
                                    "brace } bracket ] comma , colon :", "ŵyn a ŷ", "tab\tnew\nline", "\x01 control",
                                    "{\"looks\": [\"like json\"]}"};
    switch (rng() % (depth > 2 ? 5 : 7)) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<int64_t>(rng()) - 2'000'000'000;
    case 3: return static_cast<double>(rng() % 100000) / 7.0;
    case 4: return strings[rng() % std::size(strings)];
    case 5: {
        json a = json::array();
        for (unsigned i = rng() % 4; i > 0; --i) a.push_back(randomValue(rng, depth + 1));
        return a;
    }
    default: {
        json o = json::object();
        for (unsigned i = rng() % 4; i > 0; --i) o[strings[rng() % std::size(strings)]] = randomValue(rng, depth + 1);
        return o;
    }
    }
}
} // namespace

TEST_CASE("an object's members are found in its text, each value exactly as written") {
    std::mt19937 rng(7);
    for (int round = 0; round < 400; ++round) {
        json object = json::object();
        for (unsigned i = rng() % 8; i > 0; --i) object["k" + std::to_string(rng() % 20) + (i % 3 ? "" : "\"é\\")] = randomValue(rng, 0);
        for (int indent : {-1, 0, 3}) { // compact as the server writes it, and spread over lines
            const std::string text = object.dump(indent);
            CAPTURE(text);
            const auto members = membersOf(text);
            REQUIRE(members.size() == object.size());
            size_t i = 0;
            for (auto it = object.begin(); it != object.end(); ++it, ++i) { // dump writes members in this order
                CHECK(members[i].first == it.key());
                CHECK(members[i].second == *it);
            }
        }
    }
    // The value's text is the bytes between the colon and the separator, space trimmed.
    std::vector<std::string> values;
    jsontext::forEachMember(" {\"a\" :  1.5e3 ,\"b\":\"x\\\"}\" , \"c\":[ {\"]\":\"[\"} ] }\n",
                            [&](std::string_view, std::string_view v) { values.emplace_back(v); });
    CHECK(values == std::vector<std::string>{"1.5e3", "\"x\\\"}\"", "[ {\"]\":\"[\"} ]"});
    // Repeated names are each visited; a reader keeps the last.
    CHECK(membersOf(R"({"a":1,"a":2})").size() == 2);
    CHECK(membersOf("{}").empty());
    CHECK(membersOf(" { } ").empty());
}

TEST_CASE("a string's end is found past any run of backslashes and escaped quotes") {
    for (int run = 0; run <= 6; ++run) {
        // Runs of backslashes before an escaped quote, before the closing quote, and alone.
        const std::string slashes(static_cast<size_t>(run), '\\');
        const json object = {{"a" + slashes, slashes + "\"" + slashes}, {"b", slashes}, {"c\"" + slashes, "\"" + slashes + "\""}};
        const std::string text = object.dump();
        CAPTURE(text);
        const auto members = membersOf(text);
        REQUIRE(members.size() == object.size());
        size_t i = 0;
        for (auto it = object.begin(); it != object.end(); ++it, ++i) {
            CHECK(members[i].first == it.key());
            CHECK(members[i].second == *it);
        }
        CHECK(jsontext::valueEnd(text, 0) == text.size());
    }
}

TEST_CASE("a string's end is found wherever its quotes and backslashes fall among the bytes read 8 at a time") {
    // Every length up to a few blocks, with an escaped quote, an escaped backslash or a plain
    // quote-free run at every offset, and a name that starts anywhere in a block.
    for (size_t length = 0; length <= 40; ++length) {
        for (size_t at = 0; at <= length; ++at) {
            for (const char* inner : {"\"", "\\", "é", "}]"}) {
                std::string value(length, 'x');
                value.insert(at, inner);
                const json object = {{"a" + std::string(at % 11, 'n'), value}, {"z", value + "\\"}};
                const std::string text = object.dump();
                CAPTURE(text);
                const auto members = membersOf(text);
                REQUIRE(members.size() == 2);
                CHECK(members[0].second == value);
                CHECK(members[1].first == "z");
                CHECK(members[1].second == value + "\\");
                CHECK(jsontext::valueEnd(text, 0) == text.size());
                // Cut at every third byte of the last member: never read past the end (ASan), always refused.
                const size_t last = text.rfind(':') + 1;
                for (size_t cut = last; cut + 2 < text.size(); cut += 3) {
                    const std::string part = text.substr(0, cut);
                    CHECK_THROWS_AS(jsontext::valueEnd(part, 0), Error);
                }
            }
        }
    }
}

TEST_CASE("text that is not one object is refused, never read past its end") {
    const std::string whole = R"({"name":"Bolton \"Advice\"","n":[1,{"x":null}],"ok":true,"s":"\\"})";
    REQUIRE(membersOf(whole).size() == 4);
    // Every truncation (the view ends there: nothing past it may be read).
    for (size_t cut = 0; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        const std::string part = whole.substr(0, cut); // its own allocation, so ASan sees any over-read
        CHECK_THROWS_AS(jsontext::forEachMember(part, [](std::string_view, std::string_view) {}), Error);
    }
    for (const char* bad : {"", "[]", "1", "\"s\"", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{\"a\":1 \"b\":2}",
                            "{\"a\":1} x", "{\"a\":1}}", "{\"a\":\"unterminated}"}) {
        CAPTURE(bad);
        try {
            jsontext::forEachMember(bad, [](std::string_view, std::string_view) {});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.domain() == ErrorDomain::Parse);
            CHECK(std::string(e.what()).find("not one JSON object") != std::string::npos);
        }
    }
    CHECK(jsontext::unquoteName(R"("plain")") == "plain");
    CHECK(jsontext::unquoteName(R"("q\"\u0175")") == "q\"ŵ");
    CHECK_THROWS_AS(jsontext::unquoteName(R"("bad\x")"), Error);
}

TEST_CASE("an array's elements are visited as they stand in the text, and text that is not one array is refused") {
    std::vector<std::string> seen;
    jsontext::forEachElement(" [ \"a\\\"]\" , 1.5e3,{\"]\":[\"[\"]} ,[],true , null,-2]\n",
                             [&](std::string_view v) { seen.emplace_back(v); });
    CHECK(seen == std::vector<std::string>{"\"a\\\"]\"", "1.5e3", "{\"]\":[\"[\"]}", "[]", "true", "null", "-2"});
    seen.clear();
    jsontext::forEachElement(" [ ] ", [&](std::string_view v) { seen.emplace_back(v); });
    CHECK(seen.empty());
    const std::string whole = R"(["u-1/d-1",["x",{"y":"]"}],"\\"])";
    for (size_t cut = 0; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        const std::string part = whole.substr(0, cut); // its own allocation, so ASan sees any over-read
        CHECK_THROWS_AS(jsontext::forEachElement(part, [](std::string_view) {}), Error);
    }
    for (const char* bad : {"{}", "1", "[1,]", "[,1]", "[1 2]", "[1]x", "[\"a]", "\"[]\"", "[1]]"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(jsontext::forEachElement(bad, [](std::string_view) {}), Error);
    }
}

// ------------------------------------------------------------------ a quick check of JSON text

TEST_CASE("the quick JSON check answers yes only for text the library accepts") {
    // Accepted by both: what a server writes, spaces, escapes, a surrogate pair, numbers of
    // every form a double holds.
    for (const std::string& good : std::vector<std::string>{
             R"({"a":1})", " {\"a\" : [1, 2.5, -3, true, false, null]}\n", R"([])", R"("s")", R"(0)",
             R"({"q":"\"quoted\" back\\slash \/ \b\f\n\r\t \u0175 \u0000"})", R"({"pair":"\ud83d\ude00"})",
             R"({"e":[1e5,1.5E-7,-1.7e+308,1e-300,0.5]})", R"({"ends in backslash":"\\"})", "{\"w\":\"ŵŷâ 😀\"}",
             R"({"big":18446744073709551615})", "{\"del\":\"\x7f\"}", "[" + std::string(305, '1') + "]"}) {
        CAPTURE(good);
        CHECK(json::accept(good));
        CHECK(jsontext::surelyValid(good));
    }
    // Refused by both: each thing the library refuses that SQLite's grammar check lets pass
    // (ill-formed UTF-8, an unpaired surrogate, a number beyond a double), and grammar errors.
    const std::string nulInside("{\"a\":\"x\0y\"}", 11);
    for (const std::string& bad : std::vector<std::string>{
             nulInside, "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc3\"}",
             R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})", R"({"a":"\ud800x"})",
             R"({"a":"\ud800\"})", R"({"a":1e999})", R"({"a":-1e309})", "{\"a\":1" + std::string(400, '0') + "}", "",
             "{", R"({"a":1,})", R"({"a":01})", R"({"a":.5})", R"({"a":"\x"})", "{\"a\":\"tab\there\"}", R"({"a":1} x)",
             R"({'a':1})", R"({"a":NaN})", R"({"a":"\u12"})", "{\"a\":\f1}"}) {
        CAPTURE(bad);
        CHECK_FALSE(json::accept(bad));
        CHECK_FALSE(jsontext::surelyValid(bad));
    }
    // What it leaves to the library: a value too small for a double (the library reads 0), a
    // byte-order mark, and a NUL after the value (where SQLite, and the library, stop reading).
    // "Read it with the library", not "wrong".
    const std::string nulAfter("{\"a\":1}\0x", 9);
    for (const std::string& left : std::vector<std::string>{R"([1e-400])", "\xef\xbb\xbf{}", nulAfter}) {
        CAPTURE(left);
        CHECK(json::accept(left));
        CHECK_FALSE(jsontext::surelyValid(left));
    }
    // Long text: a sync page's worth.
    json page = json::array();
    for (int i = 0; i < 2000; ++i) page.push_back(json{{"id", i}, {"name", "Ynys Môn \"" + std::to_string(i) + "\""}});
    CHECK(jsontext::surelyValid(page.dump()));
    CHECK(jsontext::surelyValid(page.dump(2)));
}

TEST_CASE("the quick JSON check never says yes to damaged text the library refuses") {
    // Random damage to good text, aimed at what the two checks differ on: the check may refuse
    // text the library accepts, never the other way round.
    std::mt19937 rng(11);
    static const std::vector<std::string> pieces = {
        "\"", "\\", "\\u", "d800", "dc00", "\\ud83d", "\\ude00", "e", "E", "999", "e999", "-", "+", ".", ",", ":", "{",
        "}", "[", "]", std::string(1, '\0'), "\xff", "\xc3", "\x80", "\xed\xa0\x80", " ", "\t", "\f", "0", "1", "null", "tru"};
    size_t sure = 0, accepted = 0;
    for (int round = 0; round < 6000; ++round) {
        json value = json::object();
        for (unsigned i = rng() % 6; i > 0; --i) value["k" + std::to_string(rng() % 9)] = randomValue(rng, 0);
        std::string text = value.dump(rng() % 3 == 0 ? 1 : -1);
        for (unsigned edits = 1 + rng() % 3; edits > 0; --edits) {
            const size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
            switch (rng() % 4) {
            case 0: text.insert(at, pieces[rng() % pieces.size()]); break;
            case 1:
                if (at < text.size()) text.replace(at, 1, pieces[rng() % pieces.size()]);
                break;
            case 2: text.erase(at, 1 + rng() % 3); break;
            default: text.resize(at); break;
            }
        }
        CAPTURE(text);
        const bool library = json::accept(text);
        const bool quick = jsontext::surelyValid(text);
        if (quick) CHECK(library);
        sure += quick;
        accepted += library;
    }
    // The damage leaves a fair share of texts good, and the check says yes to most of those.
    CHECK(accepted > 300);
    CHECK(sure * 10 > accepted * 8);
}

namespace {
// The same value down to each number's kind (unsigned, signed, floating) and a zero's sign; but
// the library's signed 0 (read from "-0") matches the reader's unsigned one (JsonParse.hpp).
bool sameValue(const json& a, const json& b) {
    if (a.is_number_integer() && b.is_number_unsigned() && a.get<int64_t>() == 0 && b.get<uint64_t>() == 0) return true;
    if (a.type() != b.type()) return false;
    switch (a.type()) {
    case json::value_t::object: {
        if (a.size() != b.size()) return false;
        for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
            if (ia.key() != ib.key() || !sameValue(*ia, *ib)) return false;
        return true;
    }
    case json::value_t::array: {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!sameValue(a[i], b[i])) return false;
        return true;
    }
    case json::value_t::number_float:
        return a.get<double>() == b.get<double>() && std::signbit(a.get<double>()) == std::signbit(b.get<double>());
    default:
        return a == b;
    }
}

// What reading gives: the value, or the library's exception message.
template <typename Read> std::variant<json, std::string> readingOf(Read&& read) {
    try {
        return read();
    } catch (const json::exception& e) {
        return std::string(e.what());
    }
}

// Reads `text` both ways; true when they agree. `accepted` counts texts the library took.
bool readsAlike(jsonparse::Reader& reader, const std::string& text, size_t* accepted = nullptr) {
    auto library = readingOf([&] { return json::parse(text); });
    auto fast = readingOf([&] { return reader.parse(text); });
    if (library.index() != fast.index()) return false;
    if (auto* message = std::get_if<std::string>(&library)) return *message == std::get<std::string>(fast);
    if (accepted) ++*accepted;
    return sameValue(std::get<json>(library), std::get<json>(fast));
}
} // namespace

TEST_CASE("JSON read through simdjson is the value nlohmann's parser gives, or its very error") {
    jsonparse::Reader reader;
    const std::string nulInside("{\"a\":\"x\0y\"}", 11), nulAfter("{\"a\":1}\0x", 9);
    std::string deep = std::string(1500, '[') + std::string(1500, ']'); // beyond simdjson's depth
    for (const std::string& text : std::vector<std::string>{
             // Values of every kind and number form, escapes, Welsh letters, a surrogate pair.
             R"({"a":1})", " {\"a\" : [1, 2.5, -3, true, false, null]}\n", "[]", "{}", R"("s")", "0", "-1", "1.0",
             "-0.0", "1E2", "0.1e1", "5e-324", "-1.7976931348623157e308",
             R"({"q":"\"quoted\" back\\slash \/ \b\f\n\r\t \u0175 \u0000"})", R"({"pair":"\ud83d\ude00"})",
             "{\"w\":\"Ynys Môn ŵŷâ 😀\"}", "[18446744073709551615, -9223372036854775808, 9223372036854775807]",
             // A repeated name keeps its last value.
             R"({"a":1,"b":2,"a":{"c":3}})",
             // What simdjson refuses or reads otherwise and the library accepts: integers beyond 64
             // bits (read as doubles), a value too small for a double, a byte-order mark, nesting
             // deeper than simdjson's limit, a NUL after the value.
             "18446744073709551616", "-9223372036854775809", "[123456789012345678901234567890]", "[1e-400]",
             "[-1e-400]", "\xef\xbb\xbf{\"a\":1}", deep, nulAfter,
             // Refused: ill-formed UTF-8, unpaired surrogates, numbers beyond a double, grammar.
             nulInside, "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc3\"}",
             R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})", R"({"a":1e999})", R"({"a":-1e309})",
             "", "   ", "{", "[1,2", R"({"a":1,})", R"({"a":01})", R"({"a":.5})", R"({"a":"\x"})",
             "{\"a\":\"tab\there\"}", R"({"a":1} x)", R"({'a':1})", R"({"a":NaN})", R"({"a":"\u12"})", "{\"a\":\f1}",
             "[1] [2]"}) {
        CAPTURE(text.size() > 200 ? text.substr(0, 200) : text);
        CHECK(readsAlike(reader, text));
    }
    // "-0" is the one difference kept: an unsigned zero here, a signed one from the library.
    const json negativeZero = reader.parse("-0");
    CHECK_FALSE(json::parse("-0").is_number_unsigned());
    CHECK(negativeZero == json::parse("-0"));
    CHECK(negativeZero.dump() == json::parse("-0").dump());
    CHECK(negativeZero.is_number_unsigned());
}

TEST_CASE("JSON read through simdjson agrees with nlohmann's parser on damaged text") {
    std::mt19937 rng(23);
    jsonparse::Reader reader;
    static const std::vector<std::string> pieces = {"\"",
                                                    "\\",
                                                    "\\u",
                                                    "d800",
                                                    "dc00",
                                                    "\\ud83d",
                                                    "\\ude00",
                                                    "\\u0175",
                                                    "e",
                                                    "E",
                                                    "999",
                                                    "e999",
                                                    "e-400",
                                                    "18446744073709551616",
                                                    "-9223372036854775809",
                                                    "-",
                                                    "+",
                                                    ".",
                                                    ",",
                                                    ":",
                                                    "{",
                                                    "}",
                                                    "[",
                                                    "]",
                                                    "0",
                                                    "1",
                                                    "-0.0",
                                                    std::string(1, '\0'),
                                                    "\xff",
                                                    "\xc3",
                                                    "\x80",
                                                    "\xed\xa0\x80",
                                                    "ŵ",
                                                    " ",
                                                    "\t",
                                                    "\f",
                                                    "null",
                                                    "tru",
                                                    "\xef\xbb\xbf"};
    size_t accepted = 0, alike = 0;
    const int rounds = 6000;
    for (int round = 0; round < rounds; ++round) {
        json value = json::object();
        for (unsigned i = rng() % 6; i > 0; --i)
            value["k" + std::to_string(rng() % 9)] = randomValue(rng, 0);
        std::string text = value.dump(rng() % 3 == 0 ? 1 : -1);
        for (unsigned edits = rng() % 4; edits > 0; --edits) {
            const size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
            switch (rng() % 4) {
            case 0:
                text.insert(at, pieces[rng() % pieces.size()]);
                break;
            case 1:
                if (at < text.size()) text.replace(at, 1, pieces[rng() % pieces.size()]);
                break;
            case 2:
                text.erase(at, 1 + rng() % 3);
                break;
            default:
                text.resize(at);
                break;
            }
        }
        CAPTURE(text);
        const bool same = readsAlike(reader, text, &accepted);
        CHECK(same);
        alike += same;
    }
    CHECK(alike == static_cast<size_t>(rounds));
    // Both outcomes are exercised: many texts stay good, many are refused.
    CHECK(accepted > 1500);
    CHECK(accepted < 5500);
}

TEST_CASE("a reader reads a record where it stands in a larger text, again and again") {
    jsonparse::Reader reader;
    std::mt19937 rng(5);
    json big = json::array();
    for (int i = 0; i < 20000; ++i)
        big.push_back(json{{"id", i}, {"name", "Ynys Môn " + std::to_string(i)}});
    const std::string bigText = big.dump();
    const json bigRead = json::parse(bigText); // its numbers unsigned, as read from text
    for (int round = 0; round < 50; ++round) {
        json record = randomValue(rng, 0);
        const std::string recordText = record.dump();
        // Not NUL-terminated: more JSON follows the record's last byte.
        const std::string around = "[" + recordText + ",{\"after\":[1,2,3]}]";
        CAPTURE(recordText);
        CHECK(sameValue(reader.parse(std::string_view(around).substr(1, recordText.size())), json::parse(recordText)));
        if (round % 10 == 0)
            CHECK(sameValue(reader.parse(bigText), bigRead)); // its buffers grow, then serve small texts
    }
}

namespace {
// JSON text written by hand, as no nlohmann dump would: names out of order and repeated, nulls
// among members and items, numbers of every form.
std::string randomText(std::mt19937& rng, int depth) {
    static const char* names[] = {"a", "b", "ab", "", "id", "\u0175", "a\\\"q", "b"};
    static const char* scalars[] = {"null",
                                    "null",
                                    "true",
                                    "false",
                                    "0",
                                    "-0",
                                    "-0.0",
                                    "7",
                                    "-12",
                                    "3.25",
                                    "1e2",
                                    "18446744073709551615",
                                    "-9223372036854775808",
                                    "\"\"",
                                    "\"text\"",
                                    "\"esc \\\" \\\\ \\u0175 \\ud83d\\ude00\"",
                                    "\"Ynys M\u00f4n\""};
    const unsigned kind = rng() % (depth > 3 ? 2 : 4);
    if (kind < 2) return scalars[rng() % std::size(scalars)];
    std::string out(1, kind == 2 ? '[' : '{');
    for (unsigned i = rng() % 6; i > 0; --i) {
        if (out.size() > 1) out += ',';
        if (kind == 3) out += std::string("\"") + names[rng() % std::size(names)] + "\":";
        out += randomText(rng, depth + 1);
    }
    out += kind == 2 ? ']' : '}';
    return out;
}

// Calls check(text, nlohmann's value, simdjson's view) for 4,000 random texts (randomText).
template <class F> void eachRandomText(uint32_t seed, jsonparse::Reader& reader, F&& check) {
    std::mt19937 rng(seed);
    for (int round = 0; round < 4000; ++round) {
        const std::string text = randomText(rng, 0);
        CAPTURE(text);
        const json library = json::parse(text);
        const auto fast = reader.node(text);
        REQUIRE(fast);
        check(text, library, *fast);
    }
}

// Everything the Node interface shows of a value, as text.
std::string shown(jsonparse::Node v) {
    using T = jsonparse::Node::Type;
    std::string out;
    switch (v.type()) {
    case T::Null:
        return "null";
    case T::Boolean:
        return v.toJson().dump();
    case T::Number: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "n%.17g", v.number());
        return buf;
    }
    case T::String:
        return "s" + std::to_string(v.str().size()) + ":" + std::string(v.str());
    case T::Array:
        out = "[" + std::to_string(v.size()) + "]";
        v.eachItem([&](jsonparse::Node item, size_t i) { out += " " + std::to_string(i) + "=" + shown(item); });
        break;
    case T::Object:
        out = "{" + std::to_string(v.size()) + "}";
        v.eachMember([&](std::string_view name, jsonparse::Node value) {
            out += " " + std::string(name) + "=" + shown(value);
            auto found = v.find(name);
            if (!found || shown(*found) != shown(value)) out += " (find differs)";
        });
        for (const char* name : {"a", "b", "ab", "", "id", "missing"}) {
            out += std::string(" ") + (v.mentions(name) ? "m" : "-") + (v.has(name) ? "h" : "-");
            if (auto found = v.find(name)) out += shown(*found);
        }
        break;
    }
    return out + " as " + v.toJson().dump();
}
} // namespace

namespace {
// Where a value starting at text[at] ends, read byte by byte as the walk always read it: what
// the block-at-a-time scan must agree with. Nothing (nullopt) for text that ends first.
std::optional<size_t> valueEndByteByByte(const std::string& text, size_t at) {
    if (text[at] == '"') {
        for (size_t i = at + 1; i < text.size(); ++i) {
            if (text[i] == '\\')
                ++i;
            else if (text[i] == '"')
                return i + 1;
        }
        return std::nullopt;
    }
    size_t depth = 0;
    for (size_t i = at; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i)
                if (text[i] == '\\') ++i;
            if (i >= text.size()) return std::nullopt;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return std::nullopt;
}
} // namespace

TEST_CASE("a nested value's end is found a block at a time exactly where byte by byte finds it") {
    std::mt19937 rng(17);
    // Long strings put quotes, brackets and backslashes on both sides of every 64-byte boundary;
    // runs of backslashes test what escapes what.
    static const char* strings[] = {"\\\\", "\\\"", "\\\\\\\"", "{[}]", "\\\\\\\\", "x\\\"}]", "plain text "};
    size_t ended = 0, unterminated = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string value;
        std::function<void(int)> make = [&](int depth) {
            const unsigned kind = rng() % (depth > 4 ? 2 : 4);
            if (kind == 0) {
                value += '"';
                for (unsigned i = rng() % 12; i > 0; --i)
                    value += strings[rng() % std::size(strings)];
                value += std::string(rng() % 70, 'a') + '"';
            } else if (kind == 1) {
                value += std::to_string(rng() % 1000);
            } else {
                const bool object = kind == 3;
                value += object ? '{' : '[';
                for (unsigned i = rng() % 6; i > 0; --i) {
                    if (object) value += "\"k\":";
                    make(depth + 1);
                    value += ',';
                }
                value += object ? '}' : ']';
            }
        };
        value += rng() % 2 ? '{' : '[';
        make(1);
        value += rng() % 2 ? '}' : ']';
        const std::string prefix(rng() % 70, ' ');
        std::string text = prefix + value + std::string(rng() % 3, ' ') + (rng() % 2 ? "]" : ",{\"next\":1}");
        if (rng() % 5 == 0) text.resize(prefix.size() + rng() % (value.size() + 1)); // cut short
        if (text.size() <= prefix.size()) continue;
        CAPTURE(text);
        const auto expected = valueEndByteByByte(text, prefix.size());
        if (expected) {
            CHECK(jsontext::valueEnd(text, prefix.size()) == *expected);
            ++ended;
        } else {
            CHECK_THROWS_AS(jsontext::valueEnd(text, prefix.size()), Error);
            ++unterminated;
        }
    }
    CHECK(ended > 1500);
    CHECK(unterminated > 100);
}

TEST_CASE("a value read where simdjson left it shows what the same value read by nlohmann shows") {
    jsonparse::Reader reader;
    // Fixed cases: the last of a repeated name counts, even a null; nulls are passed over and the
    // items after them numbered without them; members come in name order.
    const json repeated = json::parse(R"({"b":1,"a":2,"b":null,"a":[null,3,null,{"z":null,"y":4}],"c":"x","c":5})");
    const auto node = reader.node(R"({"b":1,"a":2,"b":null,"a":[null,3,null,{"z":null,"y":4}],"c":"x","c":5})");
    REQUIRE(node);
    CHECK(shown(*node) == shown(jsonparse::Node(repeated)));
    CHECK_FALSE(node->has("b"));
    CHECK(node->mentions("b"));
    CHECK(node->find("c")->number() == 5);
    CHECK(node->size() == 2);
    std::vector<std::string> order;
    node->eachMember([&](std::string_view name, jsonparse::Node) { order.emplace_back(name); });
    CHECK(order == std::vector<std::string>{"a", "c"});
    std::vector<size_t> indexes;
    node->find("a")->eachItem([&](jsonparse::Node item, size_t i) {
        indexes.push_back(i);
        return item.isObject(); // stops at the object
    });
    CHECK(indexes == std::vector<size_t>{0, 1});
    CHECK(node->toJson().dump() == R"({"a":[3,{"y":4}],"c":5})");
    CHECK_FALSE(reader.node("{\"a\":1e999}")); // refused: parse() reads it, with nlohmann's error

    size_t objects = 0;
    eachRandomText(41, reader, [&](const std::string& text, const json& library, jsonparse::Node fast) {
        CHECK(shown(fast) == shown(jsonparse::Node(library)));
        objects += text[0] == '{';
    });
    CHECK(objects > 800);
}

TEST_CASE("a value's JSON text is written from simdjson's reading as nlohmann writes the value") {
    jsonparse::Reader reader;
    // Every escape nlohmann writes (and the bytes it leaves), names out of order and repeated
    // (the last counting, a null dropping it), numbers of each kind, nulls inside.
    const std::vector<std::string> fixed = {
        R"({"b":1,"a":2,"b":null,"a":[null,3,null,{"z":null,"y":4}],"c":"x","c":5})",
        R"({"\u00e9":1,"z":2,"Z":3,"":4,"a\u0000b":5,"a":6})",
        R"(["\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001f \" \\ / \u007f \u0080 \u00ff \u0175 \ud83d\ude00"])",
        R"({"n":[0,-0,-0.0,1.0,1e2,1.5e-7,123456789012345678,18446744073709551615,-9223372036854775808,0.1,2.5e300]})",
        R"({"t":true,"f":false,"x":null,"o":{},"l":[],"d":{"k":null}})",
        R"("just text")",
        "null",
        "17",
        R"({"a":{"b":{"c":[{"d":null,"e":"\"q\""}]}}})"};
    for (const auto& text : fixed) {
        CAPTURE(text);
        const json library = json::parse(text);
        const auto fast = reader.node(text);
        REQUIRE(fast);
        CHECK(fast->dump() == jsonparse::Node(library).toJson().dump());
        CHECK(jsonparse::Node(library).dump() == jsonparse::Node(library).toJson().dump());
        std::string without, expected;
        fast->appendJsonWithout(without, {"a", "c"});
        json copy = jsonparse::Node(library).toJson();
        if (copy.is_object()) {
            copy.erase("a");
            copy.erase("c");
        }
        CHECK(without == copy.dump());
    }
    eachRandomText(43, reader, [&](const std::string&, const json& library, jsonparse::Node fast) {
        CHECK(fast.dump() == jsonparse::Node(library).toJson().dump());
    });
    // Strings, byte by byte below 0x80, and with UTF-8 beyond.
    for (int c = 0; c < 0x80; ++c) {
        const std::string text = std::string("a") + static_cast<char>(c) + "b";
        std::string out;
        jsonparse::appendJsonString(out, text);
        CHECK(out == json(text).dump());
    }
    std::string out;
    jsonparse::appendJsonString(out, "Ynys M\u00f4n \u0175 \xF0\x9F\x98\x80");
    CHECK(out == json("Ynys M\u00f4n \u0175 \xF0\x9F\x98\x80").dump());
    // An object of texts is written as nlohmann writes the object they make.
    jsonparse::ObjectText object;
    CHECK(object.dump(true).empty());
    CHECK(object.dump() == "{}");
    object.set("zeta", "1");
    object.set("\u00e9", R"("x")");
    object.set("Alpha", "[]");
    object.setArray("list", {"1", R"({"a":2})"});
    object.set("zeta", "true"); // replaced
    json expected = {
        {"zeta", true}, {"\u00e9", "x"}, {"Alpha", json::array()}, {"list", json::parse(R"([1,{"a":2}])")}};
    CHECK(object.dump() == expected.dump());
    auto merged = jsonparse::ObjectText::parse(R"({"list":null,"keep":"k","zeta":false})");
    merged.merge(object);
    json update = json::parse(R"({"list":null,"keep":"k","zeta":false})");
    update.update(expected);
    CHECK(merged.dump() == update.dump());
    CHECK(jsonparse::ObjectText::parse("[1,2]").empty());
    CHECK(jsonparse::ObjectText::parse("not json").empty());
}

TEST_CASE("a file's text is mapped when large, read when small, and its faults are named") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("signpost-filetext-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return dir / name;
    };
    std::string large;
    for (int i = 0; large.size() < 3 * util::FileText::kMapFromBytes; ++i)
        large += "{\"i\":" + std::to_string(i) + "},\n";
    const std::string small = "[\"Ynys Môn\"]";
    std::string why;
    for (const auto& [name, bytes, mapped] : std::vector<std::tuple<std::string, std::string, bool>>{
             {"large.json", large, true}, {"small.json", small, false}, {"empty.json", "", false}}) {
        CAPTURE(name);
        auto text = util::FileText::read(write(name, bytes), why);
        REQUIRE(text);
        CHECK(text->mapped() == mapped);
        CHECK(text->view() == bytes);
        // Moved, it still holds the bytes; the moved-from one holds none.
        util::FileText moved = std::move(*text);
        CHECK(moved.view() == bytes);
        CHECK(text->size() == 0);
    }
    // A small threshold maps a small file too.
    auto tiny = util::FileText::read(dir / "small.json", why, 4);
    REQUIRE(tiny);
    CHECK(tiny->mapped());
    CHECK(tiny->view() == small);

    CHECK_FALSE(util::FileText::read(dir / "missing.json", why));
    CHECK(why.find("cannot open") != std::string::npos);
    CHECK(why.find("No such file") != std::string::npos);
    CHECK_FALSE(util::FileText::read(dir, why));
    CHECK(why == "is not a regular file");
    fs::remove_all(dir);
}

TEST_CASE("nested text is walked in one pass: each visitor says where its value ends") {
    const std::string text = R"( {"records":[{"id":"a","fields":{"x":[1,"]"]}},{"id":"b\"}","fields":{}}],"n":2} )";
    std::vector<std::string> ids, fields;
    std::string n;
    const size_t end = jsontext::walkObject(text, 0, [&](std::string_view name, size_t at) -> size_t {
        if (name != "\"records\"") {
            const size_t to = jsontext::valueEnd(text, at);
            n = text.substr(at, to - at);
            return to;
        }
        return jsontext::walkArray(text, at, [&](size_t record) {
            return jsontext::walkObject(text, record, [&](std::string_view member, size_t from) {
                const size_t to = jsontext::valueEnd(text, from);
                (member == "\"id\"" ? ids : fields).push_back(text.substr(from, to - from));
                return to;
            });
        });
    });
    CHECK(end == text.size() - 1); // just past the closing brace; the space after is the caller's
    CHECK(ids == std::vector<std::string>{"\"a\"", "\"b\\\"}\""});
    CHECK(fields == std::vector<std::string>{R"({"x":[1,"]"]})", "{}"});
    CHECK(n == "2");
    CHECK(jsontext::walkArray(" [ ] ", 0, [](size_t) -> size_t { FAIL("no elements"); return 0; }) == 4);
    // A visitor that claims a value ends where it cannot is an error, never a read past the text.
    CHECK_THROWS_AS(jsontext::walkObject(R"({"a":1})", 0, [](std::string_view, size_t at) { return at; }), Error);
    CHECK_THROWS_AS(jsontext::walkArray("[1]", 0, [](size_t) { return size_t{99}; }), Error);
    // Damaged text is refused as forEachMember refuses it.
    for (const char* bad : {"", "{", R"({"a":1,})", R"({"a" 1})", "[1 2]", R"({"a":1]})"}) {
        CAPTURE(bad);
        const std::string_view s(bad);
        CHECK_THROWS_AS(s.size() && s[0] == '['
                            ? jsontext::walkArray(s, 0, [&](size_t at) { return jsontext::valueEnd(s, at); })
                            : jsontext::walkObject(s, 0, [&](std::string_view, size_t at) { return jsontext::valueEnd(s, at); }),
                        Error);
    }
}

TEST_CASE("an id map finds, adds and removes as a std::map does, through growth and colliding hashes") {
    // Against std::map, over random operations on ids from a small pool (so that finds, repeats
    // and erases of present keys are common) and across several doublings of the table. Half the
    // operations use a hash squeezed into 16 values, so keys share slots and long runs form: the
    // key itself must tell them apart, and an erase must leave the rest of its run reachable.
    std::mt19937_64 rng(20261125);
    for (const bool colliding : {false, true}) {
        CAPTURE(colliding);
        util::IdMap<std::string> map;
        std::map<std::string, std::string> expected;
        auto hashOf = [&](const std::string& key) {
            const uint64_t h = util::IdMap<std::string>::hashOf(key);
            return colliding ? (h % 16) * 1024 + 1 : h; // never 0, and always one of 16 low slots
        };
        std::vector<std::string> pool;
        for (int i = 0; i < 3000; ++i)
            pool.push_back(uuid::fromName("id map " + std::to_string(i)));
        for (int op = 0; op < 40000; ++op) {
            const std::string& key = pool[rng() % pool.size()];
            const uint64_t hash = hashOf(key);
            map.prefetch(hash);
            switch (rng() % 4) {
            case 0:
            case 1: {
                const std::string value = "v" + std::to_string(op);
                auto [stored, fresh] = map.tryEmplace(key, hash, value);
                auto [it, inserted] = expected.try_emplace(key, value);
                REQUIRE(fresh == inserted);
                REQUIRE(*stored == it->second);
                break;
            }
            case 2: {
                const std::string* found = map.find(key, hash);
                auto it = expected.find(key);
                REQUIRE((found != nullptr) == (it != expected.end()));
                if (found) REQUIRE(*found == it->second);
                REQUIRE(map.contains(key, hash) == (found != nullptr));
                break;
            }
            default:
                REQUIRE(map.erase(key, hash) == (expected.erase(key) == 1));
                break;
            }
            REQUIRE(map.size() == expected.size());
        }
        CHECK(map.size() > 500); // the table grew past its first size (1,024 slots, half used)
        for (const auto& key : pool) {
            const std::string* found = map.find(key, hashOf(key));
            auto it = expected.find(key);
            REQUIRE((found != nullptr) == (it != expected.end()));
            if (found) CHECK(*found == it->second);
        }
        map.clear();
        CHECK(map.empty());
        CHECK_FALSE(map.contains(pool[0], hashOf(pool[0])));
        CHECK(map.tryEmplace(pool[0], hashOf(pool[0]), "again").second);
    }
    // Without a hash given, the map makes its own; an empty key is a key like any other.
    util::IdMap<char> set;
    CHECK(set.tryEmplace("", 1).second);
    CHECK_FALSE(set.tryEmplace("", 2).second);
    CHECK(*set.find("") == 1);
    CHECK(set.contains(""));
    CHECK_FALSE(set.contains("a"));
    CHECK(set.erase(""));
    CHECK_FALSE(set.erase(""));
}

TEST_CASE("a bounded queue hands items over in order, never holds more than its capacity, and closes from either side") {
    util::BoundedQueue<int> queue(3);
    std::atomic<int> pushed{0};
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i) {
            REQUIRE(queue.push(i));
            ++pushed;
        }
        queue.close();
    });
    // Nothing taken yet: the producer stops at the capacity.
    for (int spin = 0; spin < 200 && pushed.load() < 3; ++spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(pushed.load() == 3);
    int expected = 0;
    while (auto item = queue.pop()) CHECK(*item == expected++);
    CHECK(expected == 1000);
    producer.join();
    CHECK_FALSE(queue.pop()); // closed and drained

    // The consumer stops early: a producer waiting for room is released and told so.
    util::BoundedQueue<std::string> small(1);
    std::atomic<bool> refused{false};
    std::thread blocked([&] {
        REQUIRE(small.push("first"));
        refused = !small.push("second"); // waits: the queue is full
    });
    for (int spin = 0; spin < 200 && !small.pop(); ++spin) {}
    small.close();
    blocked.join();
    // "second" either got in before close (then pop drains it) or was refused: never lost silently.
    auto rest = small.pop();
    CHECK((refused.load() ? !rest.has_value() : rest == std::optional<std::string>("second")));
}

TEST_CASE("the executables run on the allocator they were linked with") {
    // Linked is not enough: tcmalloc must be the malloc the process calls (it comes before the C
    // library in the lookup order).
    CHECK(allocator::isTcmalloc() == static_cast<bool>(SIGNPOST_EXPECT_TCMALLOC));
    const std::string name = allocator::name();
    CAPTURE(name);
    if (SIGNPOST_EXPECT_TCMALLOC)
        CHECK(name.rfind("tcmalloc (gperftools ", 0) == 0);
    else
        CHECK(name == "system malloc");
}

TEST_CASE("a thread that feeds a writer runs behind it, and only that thread") {
    const int before = util::threadNice();
    int inside = before, afterAgain = before;
    bool lowered = false, loweredPastTheTop = false;
    std::thread feeder([&] {
        lowered = util::lowerThreadPriority(10);
        inside = util::threadNice();
        loweredPastTheTop = util::lowerThreadPriority(50); // held at the lowest there is
        afterAgain = util::threadNice();
    });
    feeder.join();
#ifdef __linux__
    REQUIRE(lowered);
    CHECK(inside == std::min(before + 10, 19));
    CHECK(loweredPastTheTop);
    CHECK(afterAgain == 19);
#else
    CHECK_FALSE(lowered);
#endif
    CHECK(util::threadNice() == before); // the calling thread, and the process, are as they were
    CHECK_FALSE(util::lowerThreadPriority(0));
    std::thread later([&] { inside = util::threadNice(); });
    later.join();
    CHECK(inside == before); // a new thread starts from the process's own
}
