#pragma once
// signpost_rank: the FTS5 ranking function directory search uses (docs/search.md).
//
// A BM25-shaped score built for type-ahead over a service directory:
//  - Each typed phrase scores idf × sat(Σ weights of the text columns it occurs in), where
//    sat(x) = x(k1+1)/(x+k1). Presence per column, read with xPhraseFirstColumn, stands in for
//    term frequency: service texts are short, and it costs no position-list walk and no per-row
//    length lookup (the index is built with columnsize=0).
//  - IDF is ln(1 + (N − n + 0.5)/(n + 0.5)), always positive, with n taken from the search_term
//    dictionary and passed in by the caller. FTS5's bm25() clamps IDF to ~0 for any word in more
//    than half the rows (so a borough's two dozen services, most saying "wellbeing", would all
//    score zero), and computes n by scanning each phrase's whole doclist on every query.
//  - Only the first `nTextPhrases` phrases count: those are what the person typed; the filter
//    tokens after them (areas, needs, eligibility) add nothing to relevance.
//
//  - Local first: the score of a row holding any of the `local` phrases (the in<area> tags of
//    the searched areas) is multiplied by `boost`.
//
// SQL: signpost_rank(service_fts, nTextPhrases, 'idf0 idf1 …', wName, wDescription,
//                    wOrganisation, wKeywords [, 'local phrase indexes', boost])
//      → a negative score: lower is better, as bm25().
struct sqlite3;

namespace signpost::directory {

// Registers signpost_rank on this connection (idempotent).
void registerRankFunction(sqlite3* db);

} // namespace signpost::directory
