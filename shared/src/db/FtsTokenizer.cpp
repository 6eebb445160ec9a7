#include "signpost/db/FtsTokenizer.hpp"
#include "signpost/util/Text.hpp"

#include <sqlite3.h>

#include <climits>
#include <exception>

namespace signpost::db {

namespace {

// The connection's FTS5 API, as SQLite documents reaching it (a pointer bound to fts5()).
fts5_api* fts5Of(Database& db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.handle(), "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return nullptr;
    }
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return api;
}

struct Visit {
    const std::function<void(std::string_view, size_t)>& visit;
    std::exception_ptr failed;
};

int onToken(void* context, int flags, const char* token, int bytes, int, int end) {
    auto& v = *static_cast<Visit*>(context);
    // A token at the position of the one before (a tokenizer's synonym) is not another word.
    if (flags & FTS5_TOKEN_COLOCATED) return SQLITE_OK;
    try {
        v.visit(std::string_view(token, static_cast<size_t>(bytes)), static_cast<size_t>(end));
    } catch (...) {
        v.failed = std::current_exception(); // not through SQLite's C frames
        return SQLITE_ABORT;
    }
    return SQLITE_OK;
}

} // namespace

FtsTokenizer::FtsTokenizer(Database& db, std::string_view spec) : m_methods(std::make_unique<fts5_tokenizer>()) {
    const std::vector<std::string> words = text::split(spec, ' ', true);
    if (words.empty()) throw Error(ErrorDomain::Internal, "no FTS5 tokenizer named");
    fts5_api* api = fts5Of(db);
    if (!api) throw Error(ErrorDomain::Sqlite, SQLITE_ERROR, "this SQLite has no FTS5");
    void* userData = nullptr;
    if (api->xFindTokenizer(api, words[0].c_str(), &userData, m_methods.get()) != SQLITE_OK)
        throw Error(ErrorDomain::Sqlite, SQLITE_ERROR, "FTS5 has no tokenizer " + words[0]);
    std::vector<const char*> args;
    for (size_t i = 1; i < words.size(); ++i)
        args.push_back(words[i].c_str());
    const int rc = m_methods->xCreate(userData, args.data(), static_cast<int>(args.size()), &m_tokenizer);
    if (rc != SQLITE_OK) throw Error(ErrorDomain::Sqlite, rc, "FTS5 tokenizer refused: " + std::string(spec));
}

FtsTokenizer::~FtsTokenizer() {
    if (m_tokenizer) m_methods->xDelete(m_tokenizer);
}

void FtsTokenizer::forEachToken(std::string_view text, Purpose purpose,
                                const std::function<void(std::string_view token, size_t end)>& visit) const {
    if (text.size() > static_cast<size_t>(INT_MAX)) throw Error::validation("text too long to split into words");
    Visit v{visit, nullptr};
    const int flags = purpose == Purpose::Query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT;
    const int rc = m_methods->xTokenize(m_tokenizer, &v, flags, text.data(), static_cast<int>(text.size()), onToken);
    if (v.failed) std::rethrow_exception(v.failed);
    if (rc != SQLITE_OK) throw Error(ErrorDomain::Sqlite, rc, "FTS5 could not split the text into words");
}

std::vector<std::string> FtsTokenizer::tokenize(std::string_view text, Purpose purpose) const {
    std::vector<std::string> tokens;
    forEachToken(text, purpose, [&](std::string_view token, size_t) { tokens.emplace_back(token); });
    return tokens;
}

} // namespace signpost::db
