#pragma once
// gzip bodies on the sync wire, both ways (zlib). The cpprestsdk listener does not decompress
// requests, and a small body can inflate to gigabytes, so decompression stops at a limit.
#include <string>
#include <string_view>

namespace signpost::sync {

std::string gzipCompress(std::string_view data, int level = 6);
// Throws signpost::Error{Parse} for a corrupt stream and {Validation} past maxOutput bytes.
std::string gzipDecompress(std::string_view data, size_t maxOutput);
bool looksGzipped(std::string_view data);

} // namespace signpost::sync
