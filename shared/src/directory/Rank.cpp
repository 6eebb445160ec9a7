#include "signpost/directory/Rank.hpp"
#include "signpost/Error.hpp"

#include <sqlite3.h>

#include <cmath>
#include <vector>

namespace signpost::directory {

namespace {

constexpr int kTextColumns = 4;
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// Per-query constants, computed on the first row and cached with xSetAuxdata.
struct QueryData {
    int textPhrases = 0;
    std::vector<double> idf;
    double averageLength = 1;
};

int countRow(const Fts5ExtensionApi*, Fts5Context*, void* user) {
    ++*static_cast<sqlite3_int64*>(user);
    return SQLITE_OK;
}

QueryData* queryData(const Fts5ExtensionApi* api, Fts5Context* fts, int textPhrases, int& rc) {
    auto* data = static_cast<QueryData*>(api->xGetAuxdata(fts, 0));
    if (data) return data;
    auto owned = new QueryData;
    owned->textPhrases = std::min(textPhrases, api->xPhraseCount(fts));
    sqlite3_int64 rows = 0;
    rc = api->xRowCount(fts, &rows);
    sqlite3_int64 tokens = 0;
    for (int c = 0; c < kTextColumns && rc == SQLITE_OK; ++c) {
        sqlite3_int64 columnTokens = 0;
        rc = api->xColumnTotalSize(fts, c, &columnTokens);
        tokens += columnTokens;
    }
    owned->averageLength = rows > 0 ? std::max(1.0, static_cast<double>(tokens) / static_cast<double>(rows)) : 1.0;
    for (int i = 0; i < owned->textPhrases && rc == SQLITE_OK; ++i) {
        sqlite3_int64 hits = 0;
        rc = api->xQueryPhrase(fts, i, &hits, countRow);
        double n = static_cast<double>(hits), total = static_cast<double>(rows);
        owned->idf.push_back(std::log(1.0 + (total - n + 0.5) / (n + 0.5)));
    }
    if (rc != SQLITE_OK) {
        delete owned;
        return nullptr;
    }
    rc = api->xSetAuxdata(fts, owned, [](void* p) { delete static_cast<QueryData*>(p); });
    return rc == SQLITE_OK ? owned : nullptr;
}

void rank(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    int textPhrases = argc > 0 ? sqlite3_value_int(argv[0]) : api->xPhraseCount(fts);
    double weights[kTextColumns] = {1, 1, 1, 1};
    for (int c = 0; c < kTextColumns && c + 1 < argc; ++c) weights[c] = sqlite3_value_double(argv[c + 1]);
    int rc = SQLITE_OK;
    QueryData* data = queryData(api, fts, textPhrases, rc);
    if (!data) {
        sqlite3_result_error_code(ctx, rc == SQLITE_OK ? SQLITE_NOMEM : rc);
        return;
    }
    if (data->textPhrases == 0) {
        sqlite3_result_double(ctx, 0.0);
        return;
    }
    double frequency[16] = {};
    std::vector<double> more;
    double* freq = frequency;
    if (data->textPhrases > 16) {
        more.assign(static_cast<size_t>(data->textPhrases), 0.0);
        freq = more.data();
    }
    int instances = 0;
    rc = api->xInstCount(fts, &instances);
    for (int i = 0; i < instances && rc == SQLITE_OK; ++i) {
        int phrase = 0, column = 0, offset = 0;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK && phrase < data->textPhrases && column < kTextColumns) freq[phrase] += weights[column];
    }
    int length = 0;
    for (int c = 0; c < kTextColumns && rc == SQLITE_OK; ++c) {
        int columnLength = 0;
        rc = api->xColumnSize(fts, c, &columnLength);
        length += columnLength;
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    double norm = kK1 * (1 - kB + kB * static_cast<double>(length) / data->averageLength);
    double score = 0;
    for (int i = 0; i < data->textPhrases; ++i)
        score += data->idf[static_cast<size_t>(i)] * (freq[i] * (kK1 + 1)) / (freq[i] + norm);
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
