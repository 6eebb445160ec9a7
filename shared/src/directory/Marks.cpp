#include "signpost/directory/Marks.hpp"

namespace signpost::directory {

namespace {
// U+E000–U+E0FF in UTF-8: EE 80 80 … EE 83 BF.
bool markAt(std::string_view text, size_t i) {
    return static_cast<unsigned char>(text[i]) == 0xEE && i + 2 < text.size() &&
           (static_cast<unsigned char>(text[i + 1]) & 0xFC) == 0x80;
}
} // namespace

bool hasIndexMark(std::string_view text) {
    for (size_t i = text.find('\xEE'); i != std::string_view::npos; i = text.find('\xEE', i + 1))
        if (markAt(text, i)) return true;
    return false;
}

std::string withoutIndexMarks(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (markAt(text, i)) {
            out += ' ';
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

} // namespace signpost::directory
