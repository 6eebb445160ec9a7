#include "signpost/util/Csv.hpp"
#include "signpost/Error.hpp"

namespace signpost::csv {

int Table::column(std::string_view name) const {
    for (size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return static_cast<int>(i);
    return -1;
}

Table parse(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    Table table;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, fieldStarted = false;
    size_t line = 1, rowLine = 1, quoteLine = 0;
    auto endField = [&] {
        row.push_back(std::move(field));
        field.clear();
        fieldStarted = false;
    };
    auto endRow = [&] {
        endField();
        if (!(row.size() == 1 && row[0].empty())) { // skip blank lines
            if (table.header.empty()) table.header = std::move(row);
            else {
                table.rows.push_back(std::move(row));
                table.rowLines.push_back(rowLine);
            }
        }
        row.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = true;
            fieldStarted = true;
            quoteLine = line;
        } else if (c == ',') {
            endField();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        } else if (c == '\n') {
            endRow();
            rowLine = ++line;
        } else {
            field += c;
            fieldStarted = true;
        }
    }
    if (quoted) throw Error::parse("CSV quoted field opened on line " + std::to_string(quoteLine) + " is never closed");
    if (fieldStarted || !row.empty()) endRow();
    return table;
}

std::string field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace signpost::csv
