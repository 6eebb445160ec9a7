#include "signpost/directory/Search.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Rank.hpp"
#include "signpost/directory/Synonyms.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Time.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace signpost::directory {

using namespace signpost::domain;

double distanceKm(GeoPoint a, GeoPoint b) {
    constexpr double kEarthRadiusKm = 6371.0088;
    constexpr double kRad = 3.14159265358979323846 / 180.0;
    double dLat = (b.latitude - a.latitude) * kRad;
    double dLon = (b.longitude - a.longitude) * kRad;
    double h = std::sin(dLat / 2) * std::sin(dLat / 2) +
               std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) * std::sin(dLon / 2) * std::sin(dLon / 2);
    return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

namespace {

// Column weights: a word in the service's name counts most, then its keywords (needs, areas,
// publisher keywords), then the organisation, then the description. Tags never score
// (see Rank.hpp).
constexpr const char* kRank = "signpost_rank(service_fts, ?3, ?4, 10.0, 1.0, 4.0, 6.0, ?5, ?6)";
constexpr size_t kMaxTerms = 8; // a pasted paragraph must not become a 200-term query

constexpr std::array<std::string_view, 12> kStopWords{"a",   "an",  "and", "the", "of", "for",
                                                      "in",  "to",  "with", "at", "on", "or"};

bool isStopWord(std::string_view word) {
    return std::find(kStopWords.begin(), kStopWords.end(), word) != kStopWords.end();
}

// A term for the FTS5 expression. Each is one token as the index's tokenizer splits text
// (tokenizer()), letters and digits only, so wrapping it in double quotes is enough to make
// anything a person typed plain text: no column filters, operators, NEAR groups or SQL reach the
// parser, and no phrase of two tokens, which an index without positions refuses.
std::string quoteTerm(std::string_view term) {
    bool prefix = !term.empty() && term.back() == '*';
    if (prefix) term.remove_suffix(1);
    std::string out = "\"";
    for (char c : term) {
        if (c == '"') out += "\"\"";
        else out += c;
    }
    out += '"';
    if (prefix) out += '*';
    return out;
}

} // namespace

DirectorySearch::DirectorySearch(db::Database& db, std::time_t now) : m_db(db), m_now(now) {
    registerRankFunction(db.handle());
}

std::time_t DirectorySearch::now() const { return m_now ? m_now : std::time(nullptr); }

const db::FtsTokenizer& DirectorySearch::tokenizer() const {
    if (!m_tokenizer) m_tokenizer = std::make_unique<db::FtsTokenizer>(m_db, schema::kServiceTextTokenizer);
    return *m_tokenizer;
}

DirectorySearch::TextQuery DirectorySearch::textQuery(std::string_view text) const {
    TextQuery out;
    // Concept tokens and filter tags are made when services are indexed, never typed (Marks.hpp).
    const std::string typed = withoutIndexMarks(text);
    std::vector<std::string> tokens;
    bool lastIsPrefix = false; // the text ends inside a word, still being typed
    tokenizer().forEachToken(typed, db::FtsTokenizer::Purpose::Query, [&](std::string_view token, size_t end) {
        tokens.emplace_back(token);
        lastIsPrefix = end == typed.size();
    });
    if (tokens.size() > 1) {
        std::vector<std::string> kept;
        for (size_t i = 0; i < tokens.size(); ++i) {
            bool last = i + 1 == tokens.size();
            if (!last && isStopWord(tokens[i])) continue;
            kept.push_back(tokens[i]);
        }
        tokens = std::move(kept);
    }
    if (tokens.size() > kMaxTerms) tokens.resize(kMaxTerms);
    if (tokens.empty()) return out;

    // N for IDF: the number of searchable services (term '' in the dictionary).
    double total = 1;
    {
        auto q = m_db.cached("SELECT docs FROM search_term WHERE term = ''");
        if (q->step()) total = std::max<double>(1, static_cast<double>(q->getInt64(0)));
    }
    auto idf = [&](double n) { return std::log(1.0 + (total - n + 0.5) / (n + 0.5)); };

    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string& token = tokens[i];
        const bool prefix = lastIsPrefix && i + 1 == tokens.size();
        struct Term {
            std::string phrase; // quoted FTS5 phrase, maybe with a trailing *
            double idf;         // already scaled down for synonyms
        };
        double scale = 1.0;     // the typed word and its completions count in full
        std::vector<Term> terms;
        auto add = [&](std::string phrase, double value) {
            for (const auto& t : terms)
                if (t.phrase == phrase) return;
            terms.push_back({std::move(phrase), value * scale});
        };
        auto addWord = [&](std::string_view word) {
            auto q = m_db.cached("SELECT docs FROM search_term WHERE term = ?1");
            q->bind(1, word);
            double n = q->step() ? static_cast<double>(q->getInt64(0)) : 0.0;
            add(quoteTerm(word), idf(n));
        };
        // A word being typed becomes its most frequent completions in the dictionary, which
        // FTS5 ORs lazily; its own prefix query would read and merge every matching doclist
        // before returning a row. A prefix the dictionary has never seen falls back to FTS5.
        auto addPrefix = [&](std::string_view stem, int max, bool fallback) {
            std::string upper(stem);
            upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
            auto q = m_db.cached("SELECT term, docs FROM search_term WHERE term >= ?1 AND term < ?2 "
                                 "ORDER BY docs DESC, term LIMIT ?3");
            q->bind(1, stem).bind(2, upper).bind(3, max);
            bool any = false;
            while (q->step()) {
                any = true;
                const double n = static_cast<double>(q->getInt64(1));
                add(quoteTerm(q->getTextView(0)), idf(n));
            }
            if (!any && fallback) add(quoteTerm(std::string(stem) + "*"), idf(1));
        };
        if (prefix) addPrefix(token, kCompletions, true);
        else addWord(token);
        // A synonym is evidence of the same need, but weaker than the word itself. It is one
        // concept token, put beside the words of its group when each service was indexed
        // (Synonyms.hpp); a concept no indexed service carries is left out.
        scale = kSynonymWeight;
        std::vector<std::string> concepts;
        if (prefix) concepts = conceptsForPrefix(token);
        else if (auto c = conceptForWord(token); !c.empty()) concepts.push_back(std::move(c));
        for (const auto& c : concepts) {
            if (terms.size() >= static_cast<size_t>(kMaxVariants)) break;
            auto q = m_db.cached("SELECT docs FROM search_term WHERE term = ?1");
            q->bind(1, c);
            const double n = q->step() ? static_cast<double>(q->getInt64(0)) : 0.0;
            if (n > 0) add(quoteTerm(c), idf(n));
        }
        if (terms.size() > static_cast<size_t>(kMaxVariants)) terms.resize(static_cast<size_t>(kMaxVariants));

        if (!out.expr.empty()) {
            out.expr += " AND ";
            out.idfs += ',';
        }
        if (terms.size() > 1) out.expr += '(';
        for (size_t t = 0; t < terms.size(); ++t) {
            if (t) out.expr += " OR ";
            out.expr += terms[t].phrase;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%s%.4f", t == 0 ? "" : " ", terms[t].idf);
            out.idfs += buf;
        }
        if (terms.size() > 1) out.expr += ')';
        out.phrases += static_cast<int>(terms.size());
    }
    return out;
}

std::string DirectorySearch::buildMatch(const SearchQuery& q, const TextQuery& typed, std::string* local) const {
    std::vector<std::string> parts;
    if (!typed.expr.empty()) parts.push_back("(" + typed.expr + ")");

    auto tagGroup = [&](const std::vector<std::string>& alternatives) {
        if (alternatives.empty()) return;
        // Tags need no column filter: no text holds one (Marks.hpp), and checking a filter walks
        // the position list of every row the doclist visits.
        std::string group = "(";
        for (size_t i = 0; i < alternatives.size(); ++i) {
            if (i) group += " OR ";
            group += alternatives[i];
        }
        parts.push_back(group + ")");
    };

    if (!q.areas.empty()) {
        // A service matches an area when it covers that area or anything inside it (in<code>),
        // or covers something containing it (cov<ancestor>): "jagged edges" both ways.
        std::vector<std::string> alternatives;
        for (const auto& area : q.areas) {
            alternatives.push_back(tags::token(tags::kWithin, area));
            for (auto ancestor : ancestorsOf(area)) alternatives.push_back(tags::token(tags::kCovers, ancestor));
        }
        std::sort(alternatives.begin(), alternatives.end());
        alternatives.erase(std::unique(alternatives.begin(), alternatives.end()), alternatives.end());
        // FTS5 numbers phrases left to right: the typed words' come first, then this group.
        if (local) {
            for (size_t i = 0; i < alternatives.size(); ++i) {
                if (alternatives[i].rfind(tags::kWithin, 0) != 0) continue;
                if (!local->empty()) *local += ' ';
                *local += std::to_string(static_cast<size_t>(typed.phrases) + i);
            }
        }
        tagGroup(alternatives);
    }
    if (!q.needs.empty()) {
        std::vector<std::string> alternatives;
        for (const auto& need : q.needs) alternatives.push_back(tags::token(tags::kNeed, need));
        tagGroup(alternatives);
    }
    if (q.supervision)
        tagGroup({tags::token(tags::kSupervision, toCode(*q.supervision)), std::string(tags::kAnySupervision)});
    if (q.route) tagGroup({tags::token(tags::kRoute, toCode(*q.route))});
    if (q.women == WomenFilter::Only) tagGroup({std::string(tags::kWomenOnly)});
    if (q.highRiskSuitable) tagGroup({std::string(tags::kHighRisk)});
    if (q.welshLanguage) tagGroup({std::string(tags::kWelsh)});
    if (q.hub) tagGroup({std::string(tags::kHub)});
    if (q.coLocated) tagGroup({std::string(tags::kCoLocated)});

    std::string expr;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) expr += " AND ";
        expr += parts[i];
    }
    if (q.women == WomenFilter::Exclude) {
        // FTS5 has no unary NOT: with nothing else to match, start from every supervision tag.
        if (expr.empty()) expr = "(" + std::string(tags::kAnySupervision) + " OR " + std::string(tags::kSupervision) + "*)";
        expr = "(" + expr + ") NOT " + std::string(tags::kWomenOnly);
    }
    return expr;
}

std::string DirectorySearch::postFilterSql(const SearchQuery& q) const {
    std::string sql;
    if (q.age) sql += " AND (s.min_age IS NULL OR s.min_age <= ?100) AND (s.max_age IS NULL OR s.max_age >= ?100)";
    if (q.openNow)
        sql += " AND EXISTS (SELECT 1 FROM json_each(s.opening_times) o WHERE o.value ->> 0 = ?101"
               " AND o.value ->> 1 <= ?102 AND o.value ->> 2 > ?102)";
    return sql;
}

std::string DirectorySearch::localAreasJson(const SearchQuery& q) const {
    nlohmann::json codes = nlohmann::json::array();
    for (const auto& area : q.areas) {
        codes.push_back(area);
        for (auto inside : descendantsOf(area)) codes.push_back(std::string(inside));
    }
    return codes.dump();
}

void DirectorySearch::bindPostFilters(db::Statement& stmt, const SearchQuery& q, int) const {
    if (q.age) stmt.bind(100, *q.age);
    if (q.openNow) {
        auto local = timeutil::ukLocalTime(now());
        char clock[16];
        std::snprintf(clock, sizeof clock, "%02d:%02d", local.minuteOfDay / 60, local.minuteOfDay % 60);
        stmt.bind(101, local.weekday);
        stmt.bind(102, std::string_view(clock));
    }
}

std::vector<std::pair<int64_t, double>> DirectorySearch::candidates(const SearchQuery& q, const std::string& match,
                                                                    const TextQuery& typed, const std::string& local,
                                                                    size_t cap, bool& capped) {
    const bool hasText = typed.phrases > 0;
    const std::string post = postFilterSql(q);
    std::string sql = "SELECT service_fts.rowid, ";
    sql += hasText ? kRank : "0.0";
    sql += " FROM service_fts";
    if (!post.empty()) sql += " JOIN service s ON s.rowid = service_fts.rowid";
    sql += " WHERE service_fts MATCH ?1" + post + " LIMIT ?2";
    auto stmt = m_db.cached(sql);
    stmt->bind(1, match);
    stmt->bind(2, static_cast<int64_t>(cap + 1));
    if (hasText) {
        stmt->bind(3, typed.phrases);
        stmt->bind(4, typed.idfs);
        stmt->bind(5, local);
        stmt->bind(6, kLocalBoost);
    }
    bindPostFilters(*stmt, q, 100);
    std::vector<std::pair<int64_t, double>> out;
    out.reserve(std::min<size_t>(cap + 1, 4096));
    while (stmt->step()) out.emplace_back(stmt->getInt64(0), stmt->getDouble(1));
    capped = out.size() > cap;
    if (capped) out.resize(cap);
    return out;
}

SearchOutcome DirectorySearch::search(const SearchQuery& q) {
    SearchOutcome outcome;
    const int limit = std::clamp(q.limit, 1, 500);
    const TextQuery typed = textQuery(q.text);
    std::string local;
    outcome.matchExpression = buildMatch(q, typed, &local);
    if (q.near) return nearSearch(q, outcome.matchExpression, typed, local);

    const bool hasText = typed.phrases > 0;
    std::vector<int64_t> top;
    if (outcome.matchExpression.empty() || !hasText) {
        // Browsing (no words typed): alphabetical, every match considered.
        std::string sql = "SELECT s.rowid FROM service s WHERE s.status = 'active'";
        if (!outcome.matchExpression.empty())
            sql += " AND s.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH ?1)";
        sql += postFilterSql(q);
        // Local services first (see kLocalBoost), then alphabetical.
        sql += q.areas.empty() ? " ORDER BY" : " ORDER BY EXISTS (SELECT 1 FROM json_each(?3) a WHERE "
                                               "instr(' ' || s.areas || ' ', ' ' || a.value || ' ') > 0) DESC,";
        sql += " s.name COLLATE NOCASE, s.rowid LIMIT ?2";
        auto stmt = m_db.cached(sql);
        if (!outcome.matchExpression.empty()) stmt->bind(1, outcome.matchExpression);
        stmt->bind(2, limit);
        if (!q.areas.empty()) stmt->bind(3, localAreasJson(q));
        bindPostFilters(*stmt, q, 100);
        while (stmt->step()) top.push_back(stmt->getInt64(0));
        outcome.candidates = top.size();
    } else {
        size_t cap = q.exact ? std::numeric_limits<size_t>::max() - 1 : kCandidateCap;
        auto ranked = candidates(q, outcome.matchExpression, typed, local, cap, outcome.capped);
        outcome.candidates = ranked.size();
        auto better = [](const auto& a, const auto& b) {
            return a.second != b.second ? a.second < b.second : a.first < b.first;
        };
        size_t n = std::min<size_t>(static_cast<size_t>(limit), ranked.size());
        std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(), better);
        for (size_t i = 0; i < n; ++i) top.push_back(ranked[i].first);
        outcome.results.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            SearchResult r;
            r.rowid = ranked[i].first;
            r.score = ranked[i].second;
            outcome.results.push_back(std::move(r));
        }
        fill(outcome.results);
        return outcome;
    }
    for (int64_t rowid : top) {
        SearchResult r;
        r.rowid = rowid;
        outcome.results.push_back(std::move(r));
    }
    fill(outcome.results);
    return outcome;
}

std::optional<double> DirectorySearch::nearestKm(int64_t rowid, GeoPoint from) {
    auto stmt = m_db.cached(R"sql(
SELECT l.latitude, l.longitude FROM service_location sl JOIN location l ON l.rowid = sl.location_rowid
WHERE sl.service_rowid = ?1 AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL)sql");
    stmt->bind(1, rowid);
    std::optional<double> best;
    while (stmt->step()) {
        double d = distanceKm(from, {stmt->getDouble(0), stmt->getDouble(1)});
        if (!best || d < *best) best = d;
    }
    return best;
}

SearchOutcome DirectorySearch::nearSearch(const SearchQuery& q, const std::string& match, const TextQuery& typed,
                                          const std::string& local) {
    SearchOutcome outcome;
    outcome.matchExpression = match;
    const int limit = std::clamp(q.limit, 1, 500);
    const GeoPoint centre = *q.near;
    const std::string post = postFilterSql(q);

    // The box grows until it holds enough matches whose exact distance is inside the radius;
    // each service is examined once however many boxes it falls in.
    std::string boxSql = "SELECT g.id FROM service_geo g";
    if (!post.empty()) boxSql += " JOIN service s ON s.rowid = g.id";
    boxSql += " WHERE g.max_lat >= ?1 AND g.min_lat <= ?2 AND g.max_lon >= ?3 AND g.min_lon <= ?4" + post;
    std::string probeSql = "SELECT 1 FROM service_fts WHERE service_fts MATCH ?1 AND rowid = ?2";

    std::unordered_set<int64_t> examined;
    std::vector<std::pair<double, int64_t>> hits;
    constexpr std::array kRadiiKm{2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 20000.0};
    for (double radius : kRadiiKm) {
        double dLat = radius / 111.0;
        double cosLat = std::max(0.01, std::cos(centre.latitude * 3.14159265358979323846 / 180.0));
        double dLon = std::min(180.0, radius / (111.0 * cosLat));
        auto box = m_db.cached(boxSql);
        box->bind(1, centre.latitude - dLat).bind(2, centre.latitude + dLat);
        box->bind(3, centre.longitude - dLon).bind(4, centre.longitude + dLon);
        bindPostFilters(*box, q, 100);
        std::vector<int64_t> fresh;
        while (box->step()) {
            int64_t id = box->getInt64(0);
            if (examined.insert(id).second) fresh.push_back(id);
        }
        for (int64_t id : fresh) {
            if (!match.empty()) {
                auto probe = m_db.cached(probeSql);
                probe->bind(1, match).bind(2, id);
                if (!probe->step()) continue;
            }
            if (auto d = nearestKm(id, centre)) hits.emplace_back(*d, id);
        }
        outcome.candidates = hits.size();
        size_t within = static_cast<size_t>(
            std::count_if(hits.begin(), hits.end(), [&](const auto& h) { return h.first <= radius; }));
        if (within >= static_cast<size_t>(limit)) break;
    }
    std::sort(hits.begin(), hits.end());
    if (hits.size() > static_cast<size_t>(limit)) hits.resize(static_cast<size_t>(limit));
    for (const auto& [d, id] : hits) {
        SearchResult r;
        r.rowid = id;
        r.distanceKm = d;
        outcome.results.push_back(std::move(r));
    }
    // Services with no mapped location (phone, online, outreach) still match; they follow.
    if (outcome.results.size() < static_cast<size_t>(limit) && !match.empty()) {
        SearchQuery rest = q;
        rest.near.reset();
        rest.limit = limit;
        bool capped = false;
        for (const auto& [rowid, score] : candidates(rest, match, typed, local, kCandidateCap, capped)) {
            if (outcome.results.size() >= static_cast<size_t>(limit)) break;
            if (examined.count(rowid)) continue;
            auto geo = m_db.cached("SELECT 1 FROM service_geo WHERE id = ?1");
            geo->bind(1, rowid);
            if (geo->step()) continue; // located, just far away: already considered
            SearchResult r;
            r.rowid = rowid;
            r.score = score;
            outcome.results.push_back(std::move(r));
        }
    }
    fill(outcome.results);
    return outcome;
}

void DirectorySearch::fill(std::vector<SearchResult>& results) {
    if (results.empty()) return;
    nlohmann::json rowids = nlohmann::json::array();
    std::unordered_map<int64_t, size_t> position;
    for (size_t i = 0; i < results.size(); ++i) {
        rowids.push_back(results[i].rowid);
        position[results[i].rowid] = i;
    }
    // One row per result: the card DirectoryStore keeps beside each service's FTS row.
    auto stmt = m_db.cached(R"sql(
SELECT rowid, id, name, name_cy, organisation, organisation_cy, last_verified, welsh, women_only, hub, co_located,
       high_risk_suitable, commissioning_route, town, postcode, areas, needs
FROM service_card WHERE rowid IN (SELECT value FROM json_each(?1)))sql");
    stmt->bind(1, rowids.dump());
    const int64_t today = timeutil::daysSinceEpoch(now());
    while (stmt->step()) {
        auto it = position.find(stmt->getInt64(0));
        if (it == position.end()) continue;
        SearchResult& r = results[it->second];
        r.id = stmt->getText(1);
        r.name = stmt->getText(2);
        r.nameCy = stmt->getText(3);
        r.organisation = stmt->getText(4);
        r.organisationCy = stmt->getText(5);
        r.lastVerified = stmt->getOptText(6);
        if (r.lastVerified) {
            if (auto verified = timeutil::parseIsoDate(*r.lastVerified))
                r.daysSinceVerified = static_cast<int>(today - *verified);
        }
        r.welshLanguage = stmt->getBool(7);
        r.womenOnly = stmt->getBool(8);
        r.hub = stmt->getBool(9);
        r.coLocated = stmt->getBool(10);
        r.highRiskSuitable = stmt->getBool(11);
        if (!stmt->isNull(12)) r.route = parseCommissioningRoute(stmt->getTextView(12));
        r.town = stmt->getOptText(13).value_or("");
        r.postcode = stmt->getOptText(14).value_or("");
        r.areas = text::split(stmt->getTextView(15), ' ');
        r.needs = text::split(stmt->getTextView(16), ' ');
    }
}

} // namespace signpost::directory
