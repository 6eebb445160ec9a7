#pragma once
// signpost_rank: the FTS5 ranking function directory search uses.
//
// It is Okapi BM25 with two changes from FTS5's built-in bm25():
//  - IDF is ln(1 + (N − n + 0.5)/(n + 0.5)), always positive. The built-in clamps IDF to 1e-6 for
//    any word in more than half the rows, so in a small local directory (a borough's two dozen
//    services, most mentioning "wellbeing") every result would score zero and rank arbitrarily.
//  - Only the first `nTextPhrases` phrases count: those are what the person typed; the filter
//    tokens that follow (areas, needs, eligibility) add nothing to relevance, and skipping them
//    saves one full doclist scan per filter per query (IDF needs each phrase's row count).
// Document length counts only the four text columns, for the same reason.
//
// SQL: signpost_rank(service_fts, nTextPhrases, wName, wDescription, wOrganisation, wKeywords)
// returns a negative score: lower is better, as with bm25().
struct sqlite3;

namespace signpost::directory {

// Registers signpost_rank on this connection (idempotent).
void registerRankFunction(sqlite3* db);

} // namespace signpost::directory
