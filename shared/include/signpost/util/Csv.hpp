#pragma once
// RFC 4180 CSV: quoted fields, "" escapes, CRLF or LF, newlines inside quotes, a UTF-8 BOM.
#include <string>
#include <string_view>
#include <vector>

namespace signpost::csv {

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<size_t> rowLines; // 1-based line where each row starts, for error messages
    int column(std::string_view name) const; // index in header, or -1
};

// Throws signpost::Error (Parse) with the line number for an unterminated quoted field.
Table parse(std::string_view text);

// One field for writing: quoted (with "" for ") when it holds a comma, quote or line break.
std::string field(std::string_view value);

} // namespace signpost::csv
