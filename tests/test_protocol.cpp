// Reading pull pages from their text (sync::pullResponseFromText) against reading them as JSON
// objects (sync::pullResponseFromJson): the same records, the same checks, the same messages.
#include "signpost/Error.hpp"
#include "signpost/sync/Protocol.hpp"

#include <doctest/doctest.h>

#include <climits>
#include <map>
#include <optional>
#include <random>

using namespace signpost;
using nlohmann::json;

namespace {

bool all(std::string_view) { return true; }
bool none(std::string_view) { return false; }

// Fields chosen to reach every kind of value the parser meets, and a number just before each
// closing brace (the parser reads one character past a number).
json awkwardFields(int i) {
    return json{{"name", "Ynys Môn ŵŷâ \"quoted\" back\\slash\nnew line \t tab \x01 control 😀"},
                {"count", -42 - i},
                {"big", 18446744073709551615ull},
                {"ratio", 1.5e-7},
                {"flag", true},
                {"off", false},
                {"nothing", nullptr},
                {"list", json::array({1, "two", json::object(), json::array(), json{{"deep", json{{"fields", 7}}}}})},
                {"fields", json{{"inner", json{{"x", 1}}}}}, // a member called "fields" inside fields
                {"last", 3}};
}

sync::PullResponse samplePage() {
    sync::PullResponse page;
    for (int i = 0; i < 4; ++i) {
        sync::Record r;
        r.collection = i % 2 ? "service" : "referral";
        r.id = "id-" + std::to_string(i);
        r.seq = 100 + i;
        r.area = "bolton";
        r.status = i % 2 ? "" : "submitted";
        r.fields = i == 3 ? json::object() : awkwardFields(i);
        r.versions = {{"name", 100 + i}, {"count", 7}};
        page.records.push_back(r);
    }
    sync::Record gone;
    gone.collection = "service";
    gone.id = "gone";
    gone.seq = 99;
    gone.deleted = true;
    page.records.push_back(gone);
    page.removals.push_back({"referral", "moved", 98});
    page.nextCursor = 104;
    page.hasMore = true;
    page.horizon = 12;
    page.serverTime = "2026-11-23T10:00:00Z";
    return page;
}

void checkSame(const sync::PullResponse& a, const sync::PullResponse& b) {
    REQUIRE(a.records.size() == b.records.size());
    for (size_t i = 0; i < a.records.size(); ++i) {
        const auto &x = a.records[i], &y = b.records[i];
        CHECK(x.collection == y.collection);
        CHECK(x.id == y.id);
        CHECK(x.seq == y.seq);
        CHECK(x.deleted == y.deleted);
        CHECK(x.area == y.area);
        CHECK(x.organisation == y.organisation);
        CHECK(x.owner == y.owner);
        CHECK(x.status == y.status);
        // Versions arrive as text or as a map, never both.
        CHECK((x.versionsText.empty() || x.versions.empty()));
        CHECK((y.versionsText.empty() || y.versions.empty()));
        CHECK((x.versionsText.empty() ? x.versions : sync::versionsFromText(x.versionsText)) ==
              (y.versionsText.empty() ? y.versions : sync::versionsFromText(y.versionsText)));
        const json fx = x.fieldsText.empty() ? x.fields : json::parse(x.fieldsText);
        const json fy = y.fieldsText.empty() ? y.fields : json::parse(y.fieldsText);
        CHECK(fx == fy);
    }
    REQUIRE(a.removals.size() == b.removals.size());
    for (size_t i = 0; i < a.removals.size(); ++i) {
        CHECK(a.removals[i].collection == b.removals[i].collection);
        CHECK(a.removals[i].id == b.removals[i].id);
        CHECK(a.removals[i].seq == b.removals[i].seq);
    }
    CHECK(a.nextCursor == b.nextCursor);
    CHECK(a.hasMore == b.hasMore);
    CHECK(a.horizon == b.horizon);
    CHECK(a.resync == b.resync);
    CHECK(a.serverTime == b.serverTime);
}

// The message each reader gives, or nullopt when it accepts the page.
std::optional<std::string> objectsSay(const std::string& body) {
    try {
        sync::pullResponseFromJson(sync::parseJson(body));
        return std::nullopt;
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Parse);
        return std::string(e.what());
    }
}
std::optional<std::string> textSays(const std::string& body) {
    try {
        sync::pullResponseFromText(body, all);
        return std::nullopt;
    } catch (const Error& e) {
        CHECK(e.domain() == ErrorDomain::Parse);
        return std::string(e.what());
    }
}

} // namespace

TEST_CASE("a pull page read from its text holds what reading it as objects gives") {
    const sync::PullResponse page = samplePage();
    for (int indent : {-1, 2}) { // compact as the server writes it, and spread over lines
        CAPTURE(indent);
        const std::string body = sync::toJson(page).dump(indent);
        const sync::PullResponse objects = sync::pullResponseFromJson(sync::parseJson(body));
        checkSame(sync::pullResponseFromText(body, none), objects);
        checkSame(sync::pullResponseFromText(body, all), objects);

        // Kept as text: the fields are the page's own bytes, and no objects were built.
        const sync::PullResponse kept = sync::pullResponseFromText(body, all);
        for (const auto& r : kept.records) {
            CHECK(r.fields == json::object());
            REQUIRE(!r.fieldsText.empty());
            CHECK(body.find(r.fieldsText) != std::string::npos);
            CHECK(r.fieldsText.front() == '{');
            CHECK(r.fieldsText.back() == '}');
        }
        // Not kept: objects, and no text.
        for (const auto& r : sync::pullResponseFromText(body, none).records) CHECK(r.fieldsText.empty());
    }
}

TEST_CASE("a page's records view its own text, which outlives the body it was read from") {
    // Read the way the server writes it, and (a name spelt with an escape, which the server never
    // writes) as objects: either way each record's texts lie inside the text the page keeps, and
    // hold what the objects hold.
    std::string written = sync::toJson(samplePage()).dump();
    std::string other = written;
    REQUIRE(other.find("\"has_more\"") != std::string::npos);
    other.replace(other.find("\"has_more\""), 10, R"("has\u005fmore")");
    for (std::string* body : {&written, &other}) {
        const sync::PullResponse objects = sync::pullResponseFromJson(sync::parseJson(*body));
        sync::PullResponse page = sync::pullResponseFromText(std::string(*body), all);
        std::string(body->size(), 'x').swap(*body); // the caller's copy is gone
        REQUIRE(page.text);
        const std::string_view kept = *page.text;
        REQUIRE(page.records.size() == objects.records.size());
        for (size_t i = 0; i < page.records.size(); ++i) {
            const auto& r = page.records[i];
            CAPTURE(r.id);
            for (std::string_view view : {r.fieldsText, r.versionsText}) {
                if (view.empty()) continue;
                CHECK(view.data() >= kept.data());
                CHECK(view.data() + view.size() <= kept.data() + kept.size());
            }
            CHECK(json::parse(r.fieldsText) == objects.records[i].fields);
        }
        // Moved, the page's texts stay where they were.
        const sync::PullResponse moved = std::move(page);
        CHECK(json::parse(moved.records.at(0).fieldsText) == objects.records.at(0).fields);
    }
}

TEST_CASE("only the collections asked for keep their fields as text") {
    const std::string body = sync::toJson(samplePage()).dump();
    const sync::PullResponse page =
        sync::pullResponseFromText(body, [](std::string_view c) { return c == "service"; });
    for (const auto& r : page.records) {
        CAPTURE(r.id);
        if (r.collection == "service") CHECK(!r.fieldsText.empty());
        else {
            CHECK(r.fieldsText.empty());
            CHECK(r.fields == awkwardFields(std::stoi(r.id.substr(3))));
        }
    }
}

TEST_CASE("a repeated fields member: the last one wins, as when read as objects") {
    const std::string body =
        R"({"protocol":1,"records":[{"collection":"service","id":"a","seq":1,"fields":{"name":"first"},)"
        R"("versions":{},"fields":{"name":"second","n":2}}],"removals":[],"next_cursor":1,"has_more":false})";
    const auto text = sync::pullResponseFromText(body, all);
    const auto objects = sync::pullResponseFromJson(sync::parseJson(body));
    checkSame(text, objects);
    CHECK(json::parse(text.records.at(0).fieldsText)["name"] == "second");
}

TEST_CASE("versions read from the text are the versions the objects hold, member for member") {
    const std::string head = R"({"protocol":1,"removals":[],"next_cursor":3,"has_more":false,"records":[)";
    const std::vector<std::string> good = {
        // Repeated members, in either order and across a repeated versions object: the last wins.
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":"x","a":1}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":{"n":1},"a":2,"b":3}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1,"b":2},"versions":{"c":3}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":"x"},"versions":{"a":4}}]})",
        // Numbers at the edges: negative, the largest signed and unsigned, an exponent-free zero.
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"n":-7,"z":0,)"
               R"("max":9223372036854775807,"u":18446744073709551615}}]})",
        // Names with escapes and Welsh letters, versions before fields, fields named "versions".
        head + R"({"versions":{"we\"ird":1,"\u0175yn":2,"":3},"collection":"service","id":"a","seq":1,)"
               R"("fields":{"versions":{"x":"not a version"}}}]})",
        // Several records, one with no versions at all.
        head + R"({"collection":"service","id":"a","seq":1,"fields":{"x":1},"versions":{"x":1}},)"
               R"({"collection":"service","id":"b","seq":2,"fields":{},"versions":{}},)"
               R"({"collection":"referral","id":"c","seq":3,"fields":{"notes":"n"},"versions":{"notes":3,"x":2}}]})",
    };
    for (const auto& body : good) {
        CAPTURE(body);
        const auto objects = sync::pullResponseFromJson(sync::parseJson(body));
        checkSame(sync::pullResponseFromText(body, all), objects);
        checkSame(sync::pullResponseFromText(body, none), objects);
    }
    const auto page = sync::pullResponseFromText(good[0], all);
    CHECK(page.records.at(0).versions == std::map<std::string, int64_t>{{"a", 1}});
    CHECK(sync::pullResponseFromText(good[3], all).records.at(0).versions == std::map<std::string, int64_t>{{"a", 4}});
}

TEST_CASE("versions written as the server writes them stay text; any other spelling is read into a map") {
    // The server writes each record's versions as versionsText does: kept byte for byte.
    const sync::PullResponse sample = samplePage();
    const std::string compact = sync::toJson(sample).dump();
    const auto page = sync::pullResponseFromText(compact, all);
    REQUIRE(page.records.size() == sample.records.size());
    for (size_t i = 0; i < page.records.size(); ++i) {
        CAPTURE(i);
        CHECK(page.records[i].versions.empty());
        CHECK(page.records[i].versionsText == sync::versionsText(sample.records[i].versions));
    }
    // The same meaning spelt otherwise: spaces, names out of order, a name escaped, a name
    // repeated, a name that needs an escape, a negative or unsigned number. Each is read into
    // the map (what versionsText would write of it is not what the page holds).
    const std::string head = R"({"protocol":1,"removals":[],"next_cursor":3,"has_more":false,"records":[)";
    const std::vector<std::pair<std::string, std::map<std::string, int64_t>>> spelt = {
        {R"({"a": 1,"b":2})", {{"a", 1}, {"b", 2}}},
        {R"({"b":2,"a":1})", {{"a", 1}, {"b", 2}}},
        {R"({"\u0061":1})", {{"a", 1}}},
        {R"({"a":1,"a":2})", {{"a", 2}}},
        {R"({"tab\there":1})", {{"tab\there", 1}}},
        {R"({"a":-0})", {}}, // 0 is "no version": the map names only the versioned
        {"{\n}", {}},
    };
    for (const auto& [versions, expected] : spelt) {
        CAPTURE(versions);
        const std::string body = head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":)" + versions + "}]}";
        const auto read = sync::pullResponseFromText(body, all);
        REQUIRE(read.records.size() == 1);
        CHECK(read.records[0].versionsText.empty());
        CHECK(read.records[0].versions == expected);
        checkSame(read, sync::pullResponseFromJson(sync::parseJson(body)));
    }
    // Written as versionsText writes them, names beyond ASCII and the edges of int64 included: text.
    const std::map<std::string, int64_t> edges{{"", 3}, {"Ynys Môn", 1}, {"max", INT64_MAX}, {"min", INT64_MIN}, {"ŵ", 2}};
    const std::string body = head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":)" +
                             sync::versionsText(edges) + "}]}";
    const auto read = sync::pullResponseFromText(body, all);
    REQUIRE(read.records.size() == 1);
    CHECK(read.records[0].versionsText == sync::versionsText(edges));
    CHECK(sync::versionsFromText(read.records[0].versionsText) == edges);
}

TEST_CASE("a good page with what the server never writes is read as objects, with the same result") {
    // A null head member (read as absent), a repeated member, members in another order: each
    // page is accepted by both readers with the same records, and kept collections still get
    // their fields as text.
    const std::string head = R"({"protocol":1,"removals":[],"next_cursor":3,"has_more":false,"records":[)";
    const std::vector<std::string> pages = {
        head + R"({"collection":"service","id":"a","seq":1,"area":null,"fields":{"x":1},"versions":{"x":1}}]})",
        head + R"({"collection":"service","id":"a","id":"b","seq":1,"fields":{"x":1},"versions":{"x":1}}]})",
        head + R"({"versions":{"x":1},"fields":{"x":[1,{"y":null}]},"seq":1,"id":"a","collection":"service","deleted":false}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{"x":1},"versions":{"x":1}}],"records":[]})",
        // Versions repeated, one spelt as the server writes them and one not, either way round:
        // the last wins, in one form.
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"b":1,"a":2},"versions":{"c":3}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"c":3},"versions":{"b":1,"a":2}}]})",
    };
    for (const auto& body : pages) {
        CAPTURE(body);
        const auto objects = sync::pullResponseFromJson(sync::parseJson(body));
        const auto text = sync::pullResponseFromText(body, all);
        checkSame(text, objects);
        checkSame(sync::pullResponseFromText(body, none), objects);
        for (const auto& r : text.records) {
            CHECK(!r.fieldsText.empty());
            CHECK(r.fields == json::object());
        }
    }
}

TEST_CASE("a damaged or wrong pull page gets the same error either way, and never a half-read page") {
    const std::string good = sync::toJson(samplePage()).dump();
    const std::string head = R"({"protocol":1,"removals":[],"next_cursor":1,"has_more":false,"records":[)";
    const std::vector<std::string> bad = {
        "",
        "not json",
        good.substr(0, good.size() / 2),                  // truncated mid-page
        good.substr(0, good.find("\"versions\"")),        // truncated inside the first record's fields
        good + "x",                                        // trailing bytes
        "[]",                                              // not an object
        head + R"({"collection":"service","id":"a","seq":1,"fields":[1,2],"versions":{}}]})", // fields an array
        head + R"({"collection":"service","id":"a","seq":1,"fields":"text","versions":{}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"versions":{}}]})",                // fields missing
        head + R"({"collection":"service","id":"a","seq":1,"fields":null,"versions":{}}]})",  // fields null
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"x":"1"}}]})",
        // Versions that are not all whole numbers, in every place the reader could lose track.
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1,"b":1.5,"c":3}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1,"b":{"c":2}}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":[1],"b":2}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":null}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":true}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1,"a":"x"}}]})", // last wins
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1},"versions":{"b":"x"}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":[1,2]}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":5}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":null}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{}}]})", // versions missing
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{"a":1}},)"
               R"({"collection":"service","id":"b","seq":2,"fields":{},"versions":{"z":1,"y":-1.0}}]})",
        head + R"({"collection":"service","id":"a","seq":"1","fields":{},"versions":{}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{},"versions":{},"extra":1}]})",
        head + R"({"id":"a","seq":1,"fields":{},"versions":{}}]})",
        // Head strings one byte over the limit.
        head + R"({"collection":"service","id":")" + std::string(65, 'i') + R"(","seq":1,"fields":{},"versions":{}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"owner":")" + std::string(65, 'o') + R"(","fields":{},"versions":{}}]})",
        head + R"({"collection":"service","id":"a","seq":1,"fields":{"x":"\ud800"},"versions":{}}]})", // lone surrogate
        head + "{\"collection\":\"service\",\"id\":\"a\",\"seq\":1,\"fields\":{\"x\":\"\xff\"},\"versions\":{}}]}", // not UTF-8
        head + R"({"collection":"service","id":"a","seq":1,"fields":{"x":1e999},"versions":{}}]})", // overflow
        R"({"protocol":1,"records":[],"removals":[{"collection":"a","id":"b"}],"next_cursor":1})",
        R"({"protocol":1,"records":{},"removals":[],"next_cursor":1})",
        R"({"records":[],"removals":[],"next_cursor":1})",
    };
    for (const auto& body : bad) {
        CAPTURE(body);
        const auto objects = objectsSay(body);
        const auto text = textSays(body);
        REQUIRE(objects.has_value());
        REQUIRE(text.has_value());
        CHECK(*text == *objects);
    }
}

namespace {
// Pieces aimed at what the quick grammar check and the library could differ on (quotes, escapes,
// surrogates, exponents, bytes that are not UTF-8, a NUL) and at the shape (brackets, separators),
// and `name`, a member name of the message as written.
std::vector<std::string> grammarPieces(const std::string& name) {
    return {"\"", "\\", "\\u", "d800", "\\udc00", "e", "e999", "-", ".", ",", ":", "{", "}", "[", "]", std::string(1, '\0'),
            "\xff", "\xc3", " ", "1", "null", name};
}

// One or two random edits: a piece put in or put in place of a character, a whole member put
// just after a brace (where an object's first member stands), or a few characters cut.
void damage(std::string& body, std::mt19937& rng, const std::vector<std::string>& pieces,
            const std::vector<std::string>& members) {
    for (unsigned edits = 1 + rng() % 2; edits > 0; --edits) {
        const size_t at = rng() % (body.size() + 1);
        switch (rng() % 4) {
        case 0: body.insert(at, pieces[rng() % pieces.size()]); break;
        case 1: {
            const size_t brace = body.find('{', at);
            if (brace != std::string::npos) body.insert(brace + 1, members[rng() % members.size()]);
            break;
        }
        case 2:
            if (at < body.size()) body.replace(at, 1, pieces[rng() % pieces.size()]);
            break;
        default: body.erase(at, 1 + rng() % 4); break;
        }
    }
}

} // namespace

TEST_CASE("randomly damaged pages: the text reader and the objects agree on every one") {
    // Damage aimed at what the quick grammar check and the library could differ on (quotes,
    // escapes, surrogates, exponents, bytes that are not UTF-8, a NUL) and at the page's own
    // shape (brackets, separators, names). Each damaged page is accepted by both readers with the
    // same records, or refused by both with the same message.
    std::mt19937 rng(5);
    static const std::vector<std::string> pieces = grammarPieces("\"seq\":");
    // Whole members, put where a member may stand: repeated, of another type, unknown.
    static const std::vector<std::string> members = {
        "\"id\":\"x\",",      "\"seq\":7,",       "\"seq\":1.5,",        "\"seq\":\"7\",",     "\"fields\":{},",
        "\"fields\":[],",     "\"versions\":{\"a\":1},", "\"versions\":{\"a\":-0},", "\"deleted\":true,", "\"deleted\":1,",
        "\"deleted\":null,",  "\"area\":null,",     "\"owner\":7,",         "\"status\":\"x\",",  "\"extra\":1,",
        "\"collection\":\"service\","};
    const std::string compact = sync::toJson(samplePage()).dump();
    const std::string spread = sync::toJson(samplePage()).dump(1);
    size_t accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = round % 4 ? compact : spread;
        damage(body, rng, pieces, members);
        CAPTURE(body);
        const auto objects = objectsSay(body);
        const auto text = textSays(body);
        REQUIRE(objects.has_value() == text.has_value());
        if (objects) {
            CHECK(*text == *objects);
            continue;
        }
        ++accepted;
        checkSame(sync::pullResponseFromText(body, all), sync::pullResponseFromJson(sync::parseJson(body)));
        checkSame(sync::pullResponseFromText(body, none), sync::pullResponseFromJson(sync::parseJson(body)));
    }
    CHECK(accepted > 200); // damage that leaves a good page (inside a string, say) is read too
}

// ------------------------------------------------------------------------------------ push

namespace {

json pushBody() {
    json ops = json::array();
    for (int i = 0; i < 6; ++i) {
        json op{{"op_id", "op-" + std::to_string(i)}, {"schema", 2}, {"collection", "referral"}, {"id", "r-" + std::to_string(i)}};
        if (i % 3 == 0) {
            op["type"] = "create";
            json fields = json::object();
            const json values = awkwardFields(i);
            for (auto it = values.begin(); it != values.end(); ++it) fields[it.key()] = json{{"value", *it}};
            op["fields"] = fields;
        } else if (i % 3 == 1) {
            op["type"] = "update";
            op["fields"] = json{{"notes", json{{"value", awkwardFields(i)}, {"base", 7}, {"base_value", "before"}}},
                                {"list", json{{"value", json::array({1, 2})}, {"base", 0}, {"base_value", nullptr}}},
                                {"gone", json{{"value", nullptr}}}};
        } else {
            op["type"] = "transition";
            op["to"] = "submitted";
            op["from"] = "draft";
            op["reason"] = "ready";
            op["client_time"] = "2026-11-24T10:00:00Z";
        }
        ops.push_back(op);
    }
    return json{{"protocol", sync::ProtocolVersion}, {"device_id", "dev-1"}, {"ops", ops}};
}

std::string pushError(json body, bool moved) {
    try {
        if (moved) sync::pushRequestFromJson(std::move(body));
        else sync::pushRequestFromJson(static_cast<const json&>(body));
    } catch (const Error& e) {
        return e.what();
    }
    return "accepted";
}

} // namespace

TEST_CASE("a push read by moving its values out holds what reading it by copying gives, and the same errors") {
    const json body = pushBody();
    const sync::PushRequest copied = sync::pushRequestFromJson(body);
    json spent = body;
    const sync::PushRequest moved = sync::pushRequestFromJson(std::move(spent));
    REQUIRE(copied.ops.size() == 6);
    REQUIRE(moved.ops.size() == copied.ops.size());
    CHECK(moved.deviceId == "dev-1");
    CHECK(moved.protocol == sync::ProtocolVersion);
    for (size_t i = 0; i < copied.ops.size(); ++i) {
        CAPTURE(i);
        const auto &a = copied.ops[i], &b = moved.ops[i];
        CHECK(sync::toJson(a) == sync::toJson(b));
        REQUIRE(a.fields.size() == b.fields.size());
        for (const auto& [name, change] : a.fields) {
            CAPTURE(name);
            REQUIRE(b.fields.count(name));
            CHECK(b.fields.at(name).value == change.value);
            CHECK(b.fields.at(name).baseValue == change.baseValue);
            CHECK(b.fields.at(name).base == change.base);
            // and both are the value as sent
            const json& sent = body["ops"][i]["fields"][name];
            CHECK(b.fields.at(name).value == sent["value"]);
            CHECK(b.fields.at(name).baseValue == sent.value("base_value", json()));
        }
    }
    CHECK(copied.ops[1].fields.at("notes").baseValue == "before");
    CHECK(copied.ops[1].fields.at("notes").value == awkwardFields(1));

    // Each damage gets one message, naming where it is, whichever way the push is read.
    auto damaged = [&](auto change) {
        json b = body;
        change(b);
        return b;
    };
    const std::vector<std::pair<json, std::string>> cases{
        {damaged([](json& b) { b["ops"][1]["fields"]["notes"]["base"] = -1; }), "op.fields.notes.base must not be negative"},
        {damaged([](json& b) { b["ops"][1]["fields"]["notes"]["colour"] = 1; }), "op.fields.notes.colour is not a field of this message"},
        {damaged([](json& b) { b["ops"][1]["fields"]["notes"] = 3; }), "op.fields.notes must be a JSON object"},
        {damaged([](json& b) { b["ops"][0]["colour"] = "red"; }), "op.colour is not a field of this message"},
        {damaged([](json& b) { b["ops"][2]["to"] = 5; }), "op.to must be a string"},
        {damaged([](json& b) { b["ops"][2]["op_id"] = ""; }), "op.op_id must not be empty"},
        {damaged([](json& b) { b["ops"][4]["fields"] = json::array(); }), "op.fields must be an object"},
        {damaged([](json& b) { b.erase("device_id"); }), "push.device_id is required"},
        {damaged([](json& b) { b["extra"] = true; }), "push.extra is not a field of this message"},
    };
    for (const auto& [bad, message] : cases) {
        CAPTURE(message);
        CHECK(pushError(bad, false).find(message) != std::string::npos);
        CHECK(pushError(bad, true) == pushError(bad, false));
    }
}

TEST_CASE("versions written as text are what the library writes, and read back as the library reads them") {
    // The oracle: parse with the library, keep the whole numbers.
    auto oracle = [](std::string_view text) {
        std::map<std::string, int64_t> out;
        const json j = json::parse(text, nullptr, false);
        if (j.is_object())
            for (auto it = j.begin(); it != j.end(); ++it)
                if (it->is_number_integer()) out[it.key()] = it->get<int64_t>();
        return out;
    };
    for (std::string_view text : {R"({})", R"({"a":1,"b":-2,"c":9223372036854775807})", R"({"a":1,"a":2})",
                                  R"({"a":1,"a":"x"})", R"({"a":1.5,"b":"7","c":[1],"d":{"e":1},"f":null,"g":true,"h":3})",
                                  R"( { "sp ace" : 4 , "q\"uote" : 5, "\u0175yn": 6, "ŵ": 7 } )", R"({"a":1)", R"([1])",
                                  R"(7)", ""}) {
        CAPTURE(text);
        CHECK(sync::versionsFromText(text) == oracle(text));
    }
    const std::map<std::string, int64_t> versions{{"notes", 1}, {"q\"uote", -2}, {"back\\slash", 3}, {"ŵ", 4},
                                                  {std::string("nul\x01", 4), INT64_MAX}, {"", 0}};
    json dumped = json::object();
    for (const auto& [name, v] : versions) dumped[name] = v;
    CHECK(sync::versionsText(versions) == dumped.dump());
    CHECK(sync::versionsFromText(sync::versionsText(versions)) == versions);
    CHECK(sync::versionsText({}) == "{}");
}

TEST_CASE("compact versions: the commonest version once under \"\", the rest by name, read back whole") {
    using Versions = std::map<std::string, int64_t>;
    const json fields{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}};
    // A record written by one op: one member.
    CHECK(sync::versionsText({{"a", 7}, {"b", 7}, {"c", 7}, {"d", 7}, {"e", 7}}, fields) == R"({"":7})");
    // Another version, a field never written (0), a name that is not a field (always by name).
    const Versions mixed{{"a", 7}, {"b", 7}, {"c", 9}, {"e", 7}, {"gone", 7}};
    CHECK(sync::versionsText(mixed, fields) == R"({"":7,"c":9,"d":0,"gone":7})");
    CHECK(sync::versionsFromText(sync::versionsText(mixed, fields), fields) == mixed);
    CHECK(sync::versionsFromText(sync::versionsText(mixed, fields), sync::FieldsText{fields.dump()}) == mixed);
    // Equal counts: the latest. No version shared by two fields, one field, no fields: every
    // version by name, the form protocol 1 reads.
    CHECK(sync::versionsText({{"a", 3}, {"b", 3}, {"c", 8}, {"d", 8}}, fields) == R"({"":8,"a":3,"b":3,"e":0})");
    CHECK(sync::versionsText({{"a", 1}, {"b", 2}, {"c", 3}}, fields) == R"({"a":1,"b":2,"c":3})");
    CHECK(sync::versionsText({{"a", 4}}, json{{"a", 1}}) == R"({"a":4})");
    CHECK(sync::versionsText({{"x", 4}, {"y", 4}}, json::object()) == R"({"x":4,"y":4})");
    // The protocol 1 form reads as it did; a 0 is no version; "" gives only the fields it names.
    CHECK(sync::versionsFromText(R"({"a":7,"b":0,"gone":2})", fields) == Versions{{"a", 7}, {"gone", 2}});
    CHECK(sync::versionsFromText(R"({"":5,"b":0,"gone":2})", fields) ==
          Versions{{"a", 5}, {"c", 5}, {"d", 5}, {"e", 5}, {"gone", 2}});
    CHECK(sync::versionsFromText(R"({"":5})", sync::FieldsText{R"({"\u0175yn":1, "a b" : [1,{"x":2}]})"}) ==
          Versions{{"a b", 5}, {"ŵyn", 5}});
    CHECK(sync::versionsFromText(R"({"":5})", sync::FieldsText{"not an object"}).empty());

    // Any versions of any fields come back whole, from the object or its text.
    std::mt19937 rng(2026);
    const std::vector<std::string> names{"area", "notes", "status", "ŵ", "q\"uote", "b\\s", "x", "y"};
    for (int round = 0; round < 2000; ++round) {
        json f = json::object();
        Versions v;
        const int64_t seq = 1 + static_cast<int64_t>(rng() % 50);
        for (const auto& name : names) {
            const unsigned roll = rng() % 8;
            if (roll < 6) f[name] = static_cast<int>(rng() % 3);
            if (roll == 0) continue;                                    // no version
            if (roll < 5) v[name] = seq;                                // the record's own
            else v[name] = 1 + static_cast<int64_t>(rng() % 60);        // another, or not a field's
        }
        const std::string text = sync::versionsText(v, f);
        CAPTURE(f.dump());
        CAPTURE(text);
        CHECK(sync::versionsFromText(text, f) == v);
        CHECK(sync::versionsFromText(text, sync::FieldsText{f.dump()}) == v);
        CHECK(text.size() <= sync::versionsText(v).size());
        CHECK(json::parse(text).is_object());
    }
}

TEST_CASE("a page with compact versions: kept as text, read whole with the fields, by both readers") {
    const std::string head = R"({"protocol":2,"removals":[],"next_cursor":3,"has_more":false,"records":[)";
    const std::string body = head +
        R"({"collection":"service","id":"s","seq":7,"fields":{"a":1,"b":2,"c":3},"versions":{"":7,"c":2}},)"
        R"({"collection":"referral","id":"r","seq":8,"fields":{"a":1,"b":2},"versions":{"":8,"gone":3}},)"
        R"({"collection":"service","id":"t","seq":9,"fields":{"a":1,"b":2},"versions":{"" : 9}}]})";
    const std::map<std::string, int64_t> s{{"a", 7}, {"b", 7}, {"c", 2}}, r{{"a", 8}, {"b", 8}, {"gone", 3}},
        t{{"a", 9}, {"b", 9}};
    for (bool keep : {true, false}) {
        CAPTURE(keep);
        const auto page = sync::pullResponseFromText(body, keep ? all : none);
        REQUIRE(page.records.size() == 3);
        CHECK(page.records[0].versionsText == R"({"":7,"c":2})"); // as written: kept as text
        CHECK(sync::versionsOf(page.records[0]) == s);
        CHECK(sync::versionsOf(page.records[1]) == r);
        CHECK(page.records[2].versionsText.empty()); // spelt otherwise: read into the map, whole
        CHECK(page.records[2].versions == t);
        CHECK(sync::versionsOf(page.records[2]) == t);
        // Written out again as objects: every version by name.
        CHECK(sync::toJson(page.records[0]).at("versions") == json{{"a", 7}, {"b", 7}, {"c", 2}});
    }
    const auto objects = sync::pullResponseFromJson(sync::parseJson(body));
    CHECK(objects.records.at(0).versions == s);
    CHECK(objects.records.at(1).versions == r);
    CHECK(objects.records.at(2).versions == t);
}

TEST_CASE("an op written as text is the text its objects write, byte for byte") {
    // Every member an op can have, each present and absent, with values of every kind.
    std::mt19937 rng(11);
    const json awkward = awkwardFields(3);
    std::vector<json> values{nullptr, "", "plain", "sealed:v1:looks sealed", 0, -7, 1.5e300, false, json::object(),
                             json::array()};
    for (auto it = awkward.begin(); it != awkward.end(); ++it) values.push_back(*it);
    values.push_back(awkward);
    const std::vector<std::string> texts{"", "a", "Ynys Môn \"q\" \\ \n ŵ", "\x01\x1f", "😀 emoji", "z"};
    auto pick = [&](const auto& list) { return list[std::uniform_int_distribution<size_t>(0, list.size() - 1)(rng)]; };
    const sync::OpType types[] = {sync::OpType::Create, sync::OpType::Update, sync::OpType::Transition,
                                  sync::OpType::Delete, sync::OpType::Resolve};
    for (int n = 0; n < 2000; ++n) {
        sync::Op op;
        op.opId = "op-" + std::to_string(n) + pick(texts);
        op.schema = static_cast<uint32_t>(rng() % 5);
        op.type = types[rng() % 5];
        op.collection = pick(texts) + "referral";
        op.recordId = pick(texts);
        const size_t fields = rng() % 4;
        for (size_t f = 0; f < fields; ++f) {
            sync::FieldChange change;
            change.value = pick(values);
            change.base = rng() % 3 ? 0 : static_cast<int64_t>(rng());
            if (rng() % 2) change.baseValue = pick(values);
            op.fields[pick(texts) + std::to_string(f % 2)] = change;
        }
        if (rng() % 2) op.toStatus = pick(texts);
        if (rng() % 2) op.fromStatus = pick(texts);
        if (rng() % 2) op.reason = pick(texts);
        if (rng() % 2) op.conflictId = pick(texts);
        if (rng() % 2) op.baseSeq = static_cast<int64_t>(rng() % 2 ? rng() : INT64_MAX);
        if (rng() % 2) op.clientTime = pick(texts);
        CAPTURE(n);
        REQUIRE(sync::opText(op) == sync::toJson(op).dump());
    }
    // A part writer is asked for each value and base_value, named by field and part, in the
    // order they are written, and what it writes stands where the value would.
    sync::Op op;
    op.opId = "op-1";
    op.collection = "referral";
    op.recordId = "r-1";
    op.fields["a"] = {json("one"), 3, json("zero")};
    op.fields["b"] = {json(2), 0, nullptr};
    std::vector<std::string> asked;
    const std::string text = sync::opText(op, [&](std::string& out, const std::string& field, std::string_view part,
                                                  const json& value) {
        asked.push_back(field + "." + std::string(part) + "=" + value.dump());
        out += "\"#" + field + "\"";
    });
    CHECK(asked == std::vector<std::string>{"a.base_value=\"zero\"", "a.value=\"one\"", "b.value=2"});
    const json parsed = json::parse(text);
    CHECK(parsed["fields"]["a"]["value"] == "#a");
    CHECK(parsed["fields"]["a"]["base_value"] == "#a");
    CHECK(parsed["fields"]["a"]["base"] == 3);
    CHECK(parsed["fields"]["b"]["value"] == "#b");
    CHECK_FALSE(parsed["fields"]["b"].contains("base_value"));
}

namespace {

// What reading a push says: its ops as the objects write them, or the message that refused it.
std::string pushSays(std::string_view body, bool asText, bool* readAsText = nullptr) {
    try {
        const sync::PushRequest r = asText ? sync::pushRequestFromText(body, readAsText)
                                           : sync::pushRequestFromJson(sync::parseJson(body));
        json ops = json::array();
        for (const auto& op : r.ops) ops.push_back(sync::toJson(op));
        return json{{"protocol", r.protocol}, {"device_id", r.deviceId}, {"ops", ops}}.dump();
    } catch (const Error& e) {
        return std::string("error: ") + e.what();
    }
}

// pushBody() as a device writes it: each op's stored text (sync::opText), put together.
std::string devicePush() {
    std::vector<std::string> stored;
    for (const auto& op : sync::pushRequestFromJson(pushBody()).ops) stored.push_back(sync::opText(op));
    return sync::pushRequestBody("dev-1", stored);
}

} // namespace

TEST_CASE("a push read from its text holds what reading it as objects gives, and the same errors") {
    const std::string device = devicePush();
    for (const std::string& body : {device, pushBody().dump(), pushBody().dump(2)}) {
        CAPTURE(body);
        bool asText = false;
        const std::string said = pushSays(body, true, &asText);
        CHECK(asText); // read in one pass, not as objects
        CHECK(said == pushSays(body, false));
        CHECK(said.rfind("error", 0) != 0);
    }
    // Values of every kind arrive as the library reads them.
    const sync::PushRequest read = sync::pushRequestFromText(device);
    REQUIRE(read.ops.size() == 6);
    CHECK(read.ops[1].fields.at("notes").value == awkwardFields(1));
    CHECK(read.ops[1].fields.at("notes").baseValue == "before");
    CHECK(read.ops[1].fields.at("notes").base == 7);
    CHECK(read.ops[1].fields.at("gone").value.is_null());
    CHECK(read.ops[0].fields.at("name").value == awkwardFields(0)["name"]);
    CHECK(read.ops[2].schema == 2);
    // An op that names no schema was written against the first.
    json old = pushBody();
    old["ops"][0].erase("schema");
    CHECK(sync::pushRequestFromText(old.dump()).ops[0].schema == 1);

    // What a device never writes is read as objects, and refused with their message.
    auto damaged = [&](auto change) {
        json b = pushBody();
        change(b);
        return b.dump();
    };
    const std::vector<std::string> refused{
        damaged([](json& b) { b["ops"][1]["fields"]["notes"]["base"] = -1; }),
        damaged([](json& b) { b["ops"][1]["fields"]["notes"]["colour"] = 1; }),
        damaged([](json& b) { b["ops"][1]["fields"]["notes"] = 3; }),
        damaged([](json& b) { b["ops"][0]["colour"] = "red"; }),
        damaged([](json& b) { b["ops"][2]["to"] = 5; }),
        damaged([](json& b) { b["ops"][2]["op_id"] = ""; }),
        damaged([](json& b) { b["ops"][2]["op_id"] = std::string(65, 'x'); }),
        damaged([](json& b) { b["ops"][2]["reason"] = std::string(4097, 'x'); }),
        damaged([](json& b) { b["ops"][2]["type"] = "teleport"; }),
        damaged([](json& b) { b["ops"][2]["schema"] = 99; }),
        damaged([](json& b) { b["ops"][2]["schema"] = 1.5; }),
        damaged([](json& b) { b["ops"][2].erase("id"); }),
        damaged([](json& b) { b["ops"][4]["fields"] = json::array(); }),
        damaged([](json& b) { b.erase("device_id"); }),
        damaged([](json& b) { b["protocol"] = "1"; }),
        damaged([](json& b) { b["extra"] = true; }),
        damaged([](json& b) { b["ops"] = json::array({1}); }),
        "[]",
        "{\"protocol\":1,\"device_id\":\"d\",\"ops\":[]} trailing",
    };
    for (const auto& body : refused) {
        CAPTURE(body);
        bool asText = true;
        const std::string said = pushSays(body, true, &asText);
        CHECK_FALSE(asText);
        CHECK(said.rfind("error: ", 0) == 0);
        CHECK(said == pushSays(body, false));
    }
    // What the objects accept but a device never writes (a null for an absent member, a member
    // repeated): read as objects, with their result.
    auto withFields = [](const std::string& fields) {
        return "{\"protocol\":1,\"device_id\":\"d\",\"ops\":[{\"op_id\":\"o\",\"type\":\"update\",\"collection\":"
               "\"referral\",\"id\":\"r\",\"fields\":" + fields + "}]}";
    };
    for (const std::string& body : {damaged([](json& b) { b["ops"][2]["to"] = nullptr; }),
                                    std::string("{\"protocol\":1,\"device_id\":\"d\",\"ops\":[1],\"ops\":[]}"),
                                    withFields("{\"a\":{\"value\":1},\"a\":{\"value\":2}}"),
                                    withFields("{\"a\":{\"value\":1}},\"fields\":{\"b\":{\"value\":2}}"),
                                    withFields("{\"a\":{\"value\":1,\"value\":2}}"),
                                    withFields("{\"a\":{\"value\":1,\"base\":1,\"base\":2}}"),
                                    withFields("{\"a\":{\"value\":1,\"base_value\":1,\"base_value\":2}}")}) {
        CAPTURE(body);
        bool asText = true;
        const std::string said = pushSays(body, true, &asText);
        CHECK_FALSE(asText);
        CHECK(said.rfind("error", 0) != 0);
        CHECK(said == pushSays(body, false));
    }
    // Too many ops: the count is the objects' message, not a half-read push.
    json many = pushBody();
    for (size_t i = many["ops"].size(); i <= sync::kMaxOpsPerPush; ++i) many["ops"].push_back(many["ops"][0]);
    const std::string manyText = many.dump();
    CHECK(pushSays(manyText, true).find("at most " + std::to_string(sync::kMaxOpsPerPush)) != std::string::npos);
    CHECK(pushSays(manyText, true) == pushSays(manyText, false));
}

TEST_CASE("randomly damaged pushes: the text reader and the objects agree on every one") {
    std::mt19937 rng(7);
    static const std::vector<std::string> pieces = grammarPieces("\"base\":");
    // Whole members, put where a member may stand: repeated, of another type, unknown.
    static const std::vector<std::string> members = {
        "\"op_id\":\"x\",", "\"schema\":1,",      "\"schema\":1.0,",   "\"schema\":\"1\",", "\"fields\":{},",
        "\"fields\":[],",   "\"value\":1,",       "\"base\":-0,",      "\"base\":null,",    "\"base_value\":null,",
        "\"to\":null,",     "\"type\":\"create\",", "\"extra\":1,",    "\"id\":\"\",",      "\"a\":{\"value\":1},",
        "\"protocol\":1,"};
    const std::string compact = devicePush();
    const std::string spread = pushBody().dump(1);
    size_t accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = round % 4 ? compact : spread;
        damage(body, rng, pieces, members);
        CAPTURE(body);
        const std::string objects = pushSays(body, false);
        REQUIRE(pushSays(body, true) == objects);
        if (objects.rfind("error", 0) != 0) ++accepted;
    }
    CHECK(accepted > 200); // damage that leaves a good push (inside a string, say) is read too
}

TEST_CASE("a push's answer: its results read, the pull page it brings found as text; a broken answer is a parse error") {
    const std::string results = R"({"op_id":"op-1","status":"applied","seq":7})";
    const std::string page =
        R"({"protocol":1,"records":[{"collection":"referral","id":"r-1","seq":7,"fields":{"reason":"a \"quoted\" ]} text"},"versions":{"reason":7}}],"removals":[],"next_cursor":7,"has_more":false,"horizon":0,"server_time":"2026-11-24T10:00:00Z"})";
    SUBCASE("without a page: the results alone") {
        const auto answer = sync::pushAnswerFromText(R"({"results":[)" + results + "]}");
        REQUIRE(answer.response.results.size() == 1);
        CHECK(answer.response.results[0].opId == "op-1");
        CHECK_FALSE(answer.pullPage.has_value());
    }
    SUBCASE("with one, last (with space around it), or named with an escape: the page's text exactly") {
        for (const std::string& body :
             {R"({"results":[)" + results + R"(],"pull":)" + page + "}", R"( { "results" : [)" + results + R"(] , "pull" : )" + page + " } \n",
              R"({"results":[)" + results + R"(],"p\u0075ll":)" + page + "}"}) {
            CAPTURE(body);
            const auto answer = sync::pushAnswerFromText(body);
            REQUIRE(answer.response.results.size() == 1);
            CHECK(answer.response.results[0].status == sync::OpStatus::Applied);
            REQUIRE(answer.pullPage.has_value());
            CHECK(*answer.pullPage == page);
            // And it reads as a page.
            const auto pulled = sync::pullResponseFromText(*answer.pullPage, [](std::string_view) { return true; });
            REQUIRE(pulled.records.size() == 1);
            CHECK(pulled.records[0].id == "r-1");
        }
    }
    SUBCASE("broken answers") {
        for (const std::string& body :
             {std::string("[]"), std::string(""), R"({"results":[)" + results + "]} trailing",
              R"({"results":[)" + results + R"(],"pull":)" + page, // cut short
              R"({"results":[)" + results + R"(,],"pull":)" + page + "}", R"({"results":"applied","pull":)" + page + "}",
              R"({"results":[)" + results + R"(],"surprise":1,"pull":)" + page + "}",
              // The page is the last member: one before the results is refused, not misread.
              R"({"pull":)" + page + R"(,"results":[)" + results + "]}",
              R"({"results":[)" + results + R"(],"pull":)" + page + R"(,"more":1})"}) {
            CAPTURE(body);
            // Refused by the answer's reader, or else by the page's: never read as something else.
            CHECK_THROWS_AS(
                {
                    const auto answer = sync::pushAnswerFromText(body);
                    if (answer.pullPage) sync::pullResponseFromText(*answer.pullPage, [](std::string_view) { return true; });
                },
                Error);
        }
    }
}
