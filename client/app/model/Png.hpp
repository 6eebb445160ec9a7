#pragma once
// PNG encoding for screenshots: 8-bit RGBA, no interlace, each row filtered with "Up" or "None";
// deflate by zlib (compress2), chunk CRCs by zlib's crc32.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace signpost::app {

// `rgba`: width × height × 4 bytes, top row first.
std::string encodePng(const uint8_t* rgba, int width, int height);
void writePng(const std::filesystem::path& path, const uint8_t* rgba, int width, int height);

// Reads back what encodePng wrote (tests; and the screenshot checks in C++ tools): RGBA pixels,
// or empty when the file is not such a PNG.
std::vector<uint8_t> decodePng(const std::string& png, int& width, int& height);

} // namespace signpost::app
