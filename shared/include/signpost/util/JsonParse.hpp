#pragma once
// Reads JSON text into nlohmann::json several times faster than nlohmann's own parser: simdjson
// (Debian's libsimdjson) parses the text and the value is built from what it read. The value is
// the one json::parse(text) gives, for every text: whatever simdjson refuses or reads another way
// (a byte-order mark, an integer beyond 64 bits, which nlohmann reads as a double, a number
// beyond a double, malformed text) is handed to json::parse, so the same text gives the same
// value or throws the same exception with the same message. One difference is kept: "-0" reads
// as an unsigned 0 here (nlohmann: a signed 0); they compare equal and print alike.
//
// nlohmann's lexer was most of a large import's parsing time (it reads and copies every byte of
// every token): 2.4 s of CPU for a 352 MB feed of 100,000 services, against 0.1 s for simdjson
// and 0.7 s for building the values from it.
#include <memory>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace signpost::jsonparse {

class Node; // JsonNode.hpp

// Holds simdjson's buffers, reused from one text to the next: one per thread.
class Reader {
  public:
    Reader();
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    nlohmann::json parse(std::string_view text);
    // The text as simdjson reads it, valid until this reader reads another; nothing if simdjson
    // refuses it (parse() then reads it as nlohmann does, with nlohmann's message).
    std::optional<Node> node(std::string_view text);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace signpost::jsonparse
