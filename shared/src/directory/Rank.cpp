#include "signpost/directory/Rank.hpp"
#include "signpost/Error.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace signpost::directory {

namespace {

constexpr int kTextColumns = 4;
constexpr double kK1 = 1.2;

// Per-query constants, parsed on the first row and cached with xSetAuxdata.
struct QueryData {
    int textPhrases = 0;
    std::vector<double> idf;
    std::vector<int> group; // phrase → the typed word it stands for
    double weights[kTextColumns] = {1, 1, 1, 1};
    std::vector<int> local; // phrases (filter tokens) that make a row local to the searched area
    double localBoost = 1.0;
};

QueryData* queryData(const Fts5ExtensionApi* api, Fts5Context* fts, int argc, sqlite3_value** argv) {
    if (auto* data = static_cast<QueryData*>(api->xGetAuxdata(fts, 0))) return data;
    auto* data = new QueryData;
    data->textPhrases = std::min(argc > 0 ? sqlite3_value_int(argv[0]) : 0, api->xPhraseCount(fts));
    const char* idfs = argc > 1 ? reinterpret_cast<const char*>(sqlite3_value_text(argv[1])) : nullptr;
    // 'idf idf,idf' : spaces separate a word's variants (its completions and synonyms), commas
    // separate the typed words.
    int group = 0;
    for (int i = 0; i < data->textPhrases; ++i) {
        double value = 1.0; // a phrase the caller gave no IDF for counts as an ordinary word
        if (idfs && *idfs) {
            while (*idfs == ' ') ++idfs;
            if (*idfs == ',') {
                ++group;
                ++idfs;
            }
            char* end = nullptr;
            value = std::strtod(idfs, &end);
            idfs = end;
        }
        data->idf.push_back(value);
        data->group.push_back(group);
    }
    for (int c = 0; c < kTextColumns && c + 2 < argc; ++c) data->weights[c] = sqlite3_value_double(argv[c + 2]);
    if (argc > 2 + kTextColumns) {
        const char* local = reinterpret_cast<const char*>(sqlite3_value_text(argv[2 + kTextColumns]));
        const int phrases = api->xPhraseCount(fts);
        while (local && *local) {
            char* end = nullptr;
            long index = std::strtol(local, &end, 10);
            if (end == local) break;
            if (index >= data->textPhrases && index < phrases) data->local.push_back(static_cast<int>(index));
            local = end;
        }
        if (argc > 3 + kTextColumns) data->localBoost = sqlite3_value_double(argv[3 + kTextColumns]);
    }
    if (api->xSetAuxdata(fts, data, [](void* p) { delete static_cast<QueryData*>(p); }) != SQLITE_OK) return nullptr;
    return data;
}

void rank(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    QueryData* data = queryData(api, fts, argc, argv);
    if (!data) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    // Each typed word scores as its best-matching variant: a service saying "wellbeing",
    // "emotional" and "counselling" has matched one word, not three.
    double score = 0, best = 0;
    int group = 0;
    for (int i = 0; i < data->textPhrases; ++i) {
        const auto index = static_cast<size_t>(i);
        if (data->group[index] != group) {
            score += best;
            best = 0;
            group = data->group[index];
        }
        Fts5PhraseIter it;
        int column = -1;
        double present = 0;
        if (api->xPhraseFirstColumn(fts, i, &it, &column) != SQLITE_OK) continue;
        while (column >= 0) {
            if (column < kTextColumns) present += data->weights[column];
            api->xPhraseNextColumn(fts, &it, &column);
        }
        if (present > 0) best = std::max(best, data->idf[index] * present * (kK1 + 1) / (present + kK1));
    }
    score += best;
    // Local first: a service covering the searched area itself, or somewhere inside it, leads
    // one that covers it only as part of a wider region. Its in<area> tag is in this row.
    for (int phrase : data->local) {
        Fts5PhraseIter it;
        int column = -1;
        if (api->xPhraseFirstColumn(fts, phrase, &it, &column) == SQLITE_OK && column >= 0) {
            score *= data->localBoost;
            break;
        }
    }
    sqlite3_result_double(ctx, -score);
}

fts5_api* ftsApi(sqlite3* db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
        sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    return api;
}

} // namespace

void registerRankFunction(sqlite3* db) {
    // A scalar marker tells us the connection already has the function (FTS5 would otherwise
    // keep adding copies to its list).
    sqlite3_stmt* stmt = nullptr;
    bool present = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_function_list WHERE name = 'signpost_rank_registered'", -1, &stmt,
                           nullptr) == SQLITE_OK)
        present = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    if (present) return;
    fts5_api* api = ftsApi(db);
    if (!api) throw Error(ErrorDomain::Sqlite, SQLITE_ERROR, "this SQLite has no FTS5: directory search needs it");
    int rc = api->xCreateFunction(api, "signpost_rank", nullptr, rank, nullptr);
    if (rc != SQLITE_OK) throw Error(ErrorDomain::Sqlite, rc, "cannot register signpost_rank");
    sqlite3_create_function_v2(
        db, "signpost_rank_registered", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
        [](sqlite3_context* ctx, int, sqlite3_value**) { sqlite3_result_int(ctx, 1); }, nullptr, nullptr, nullptr);
}

} // namespace signpost::directory
