#pragma once
// Directory search: what a practitioner types, plus filters, against the local FTS5 index.
// See docs/search.md for the design (filter tokens inside FTS, candidate cap, near-me by R*Tree).
#include "signpost/db/Database.hpp"
#include "signpost/db/FtsTokenizer.hpp"
#include "signpost/domain/Enums.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace signpost::directory {

struct GeoPoint {
    double latitude;
    double longitude;
};

double distanceKm(GeoPoint a, GeoPoint b);

enum class WomenFilter { Any, Only, Exclude };

struct SearchQuery {
    std::string text;                       // as typed; FTS syntax and SQL are just text here
    std::vector<std::string> areas;         // area codes (LA, PDU or region); a service matches any
    std::vector<std::string> needs;         // need codes; a service matches any (children included)
    std::optional<int> age;                 // the person's age: services whose range admits it
    WomenFilter women = WomenFilter::Any;
    std::optional<domain::SupervisionType> supervision;
    bool highRiskSuitable = false;          // only services confirmed suitable for high-risk people
    bool welshLanguage = false;             // only services delivered in Welsh
    std::optional<domain::CommissioningRoute> route;
    bool hub = false;                       // only hub-based services
    bool coLocated = false;                 // only services co-located with probation
    bool openNow = false;
    std::optional<GeoPoint> near;           // sort by distance from here
    int limit = 20;
    // Rank every match instead of the first `candidateCap` (see docs/search.md).
    bool exact = false;
};

struct SearchResult {
    int64_t rowid = 0;
    std::string id;
    std::string name;
    std::string nameCy;
    std::string organisation;
    std::string organisationCy;
    double score = 0;                        // bm25: lower is better
    std::optional<double> distanceKm;
    std::optional<std::string> lastVerified; // YYYY-MM-DD
    std::optional<int> daysSinceVerified;
    std::vector<std::string> areas;
    std::vector<std::string> needs;
    std::string town;                        // first location's city, for the result line
    std::string postcode;
    bool welshLanguage = false;
    bool womenOnly = false;
    bool hub = false;
    bool coLocated = false;
    bool highRiskSuitable = false;
    std::optional<domain::CommissioningRoute> route;
};

struct SearchOutcome {
    std::vector<SearchResult> results;
    // True when more matches existed than were ranked (the candidate cap was reached): the
    // results are the best of the first candidates, and the UI says "refine your search".
    bool capped = false;
    size_t candidates = 0;
    std::string matchExpression;             // the FTS5 expression run, for --explain and tests
};

class DirectorySearch {
public:
    // `now` is injectable so "open now" and "verified N days ago" are testable; 0 = the clock.
    explicit DirectorySearch(db::Database& db, std::time_t now = 0);

    SearchOutcome search(const SearchQuery& query);

    // The FTS5 MATCH expression for a query, or empty when the query has neither text nor
    // filters expressible in FTS.
    std::string matchExpression(const SearchQuery& query) const { return buildMatch(query, textQuery(query.text)); }
    // Only the part for the typed words.
    std::string textExpression(std::string_view text) const { return textQuery(text).expr; }

    // Candidates ranked per query in type-ahead (see docs/search.md); `exact` ranks them all.
    static constexpr size_t kCandidateCap = 300;
    // How many completions the word being typed expands to (most frequent first), and how many
    // variants (completions and synonym concepts) one word may have in all.
    static constexpr int kCompletions = 6;
    static constexpr int kMaxVariants = 8;
    // What a synonym's match is worth against the typed word's own.
    static constexpr double kSynonymWeight = 0.6;
    // A service that covers the searched area itself (or somewhere inside it) ranks ahead of one
    // that covers it only as part of a wider region: practitioners want the local provider.
    static constexpr double kLocalBoost = 1.5;

private:
    // The typed words as FTS5 phrases: the expression, how many phrases it holds (they come
    // first in the full expression, which is how signpost_rank tells them from filter tokens),
    // and each phrase's IDF from the term dictionary.
    struct TextQuery {
        std::string expr;
        int phrases = 0;
        std::string idfs;
    };
    TextQuery textQuery(std::string_view text) const;
    // The full FTS5 expression: the typed words, then the filters as tag groups. `local`
    // receives the indexes of the phrases that mark a service as local to a searched area
    // (in<area>), space-separated, for signpost_rank's local boost.
    std::string buildMatch(const SearchQuery& query, const TextQuery& typed, std::string* local = nullptr) const;
    std::time_t now() const;
    std::vector<std::pair<int64_t, double>> candidates(const SearchQuery& query, const std::string& match,
                                                       const TextQuery& text, const std::string& local, size_t cap,
                                                       bool& capped);
    SearchOutcome nearSearch(const SearchQuery& query, const std::string& match, const TextQuery& typed,
                             const std::string& local);
    // Reads every result's details in one statement (by rowid), keeping the results' order.
    void fill(std::vector<SearchResult>& results);
    std::optional<double> nearestKm(int64_t rowid, GeoPoint from);
    std::string postFilterSql(const SearchQuery& query) const;
    // JSON array of the searched areas and everything inside them ("local" coverage).
    std::string localAreasJson(const SearchQuery& query) const;
    void bindPostFilters(db::Statement& stmt, const SearchQuery& query, int firstIndex) const;

    // Splits typed text as the index splits it (made when first needed).
    const db::FtsTokenizer& tokenizer() const;

    db::Database& m_db;
    std::time_t m_now;
    mutable std::unique_ptr<db::FtsTokenizer> m_tokenizer;
};

} // namespace signpost::directory
