#pragma once
// FTS5's own tokenizer, for text that must be split exactly as a full-text index splits it: the
// words a person searches for and the dictionary kept beside the index. A word FTS5 would split
// in two, quoted as one phrase, is a phrase query, and an index that keeps no positions
// (detail = column) refuses those (docs/search.md, "An index without positions").
#include "signpost/db/Database.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct fts5_tokenizer;
struct Fts5Tokenizer;

namespace signpost::db {

class FtsTokenizer {
  public:
    // What the text is: a document being indexed, or the words of a query.
    enum class Purpose { Document, Query };

    // `spec` as a table's `tokenize` option gives it: the tokenizer's name, then its arguments
    // ("unicode61 remove_diacritics 2"). Throws signpost::Error if `db` has no FTS5, or FTS5 no
    // such tokenizer, or the tokenizer refuses the arguments. The tokenizer belongs to `db`'s
    // connection, which must outlive it.
    FtsTokenizer(Database& db, std::string_view spec);
    ~FtsTokenizer();
    FtsTokenizer(const FtsTokenizer&) = delete;
    FtsTokenizer& operator=(const FtsTokenizer&) = delete;

    // Each token of `text` in order, folded as the index folds it, with the offset in `text` just
    // past where it was found; `token` lasts until `visit` returns. What `visit` throws comes out
    // of this call.
    void forEachToken(std::string_view text, Purpose purpose,
                      const std::function<void(std::string_view token, size_t end)>& visit) const;
    std::vector<std::string> tokenize(std::string_view text, Purpose purpose) const;

  private:
    std::unique_ptr<fts5_tokenizer> m_methods;
    Fts5Tokenizer* m_tokenizer = nullptr;
};

} // namespace signpost::db
