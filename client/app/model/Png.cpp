#include "Png.hpp"

#include "signpost/Error.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>

namespace signpost::app {

namespace {
void put32(std::string& out, uint32_t v) {
    out.push_back(static_cast<char>((v >> 24) & 0xFF));
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
    out.push_back(static_cast<char>(v & 0xFF));
}

uint32_t get32(const std::string& s, size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

void chunk(std::string& out, const char* type, const std::string& data) {
    put32(out, static_cast<uint32_t>(data.size()));
    std::string body(type, 4);
    body += data;
    out += body;
    put32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";
} // namespace

std::string encodePng(const uint8_t* rgba, int width, int height) {
    const size_t stride = static_cast<size_t>(width) * 4;
    // Filter "Up" (2) on every row but the first: screenshots are mostly flat colour, which
    // this turns into long runs of zeros for deflate.
    std::string raw;
    raw.reserve((stride + 1) * static_cast<size_t>(height));
    for (int y = 0; y < height; ++y) {
        const uint8_t* row = rgba + stride * static_cast<size_t>(y);
        if (y == 0) {
            raw.push_back(0);
            raw.append(reinterpret_cast<const char*>(row), stride);
        } else {
            raw.push_back(2);
            const uint8_t* above = row - stride;
            for (size_t i = 0; i < stride; ++i) raw.push_back(static_cast<char>(static_cast<uint8_t>(row[i] - above[i])));
        }
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string deflated(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), 6) != Z_OK)
        throw Error(ErrorDomain::Internal, "PNG: compression failed");
    deflated.resize(size);

    std::string out(kSignature, 8);
    std::string header;
    put32(header, static_cast<uint32_t>(width));
    put32(header, static_cast<uint32_t>(height));
    header += std::string("\x08\x06\x00\x00\x00", 5); // 8 bits, RGBA, deflate, adaptive, no interlace
    chunk(out, "IHDR", header);
    chunk(out, "IDAT", deflated);
    chunk(out, "IEND", {});
    return out;
}

void writePng(const std::filesystem::path& path, const uint8_t* rgba, int width, int height) {
    std::string png = encodePng(rgba, width, height);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error::io("cannot write " + path.string());
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    if (!out) throw Error::io("cannot write " + path.string());
}

std::vector<uint8_t> decodePng(const std::string& png, int& width, int& height) {
    width = height = 0;
    if (png.size() < 8 + 25 || std::memcmp(png.data(), kSignature, 8) != 0) return {};
    std::string idat;
    size_t at = 8;
    int w = 0, h = 0;
    while (at + 12 <= png.size()) {
        uint32_t length = get32(png, at);
        if (at + 12 + length > png.size()) return {};
        std::string type = png.substr(at + 4, 4);
        std::string data = png.substr(at + 8, length);
        uint32_t crc = get32(png, at + 8 + length);
        std::string body = png.substr(at + 4, 4 + length);
        if (crc != static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))))
            return {};
        if (type == "IHDR") {
            if (length != 13 || data[8] != 8 || data[9] != 6 || data[12] != 0) return {};
            w = static_cast<int>(get32(data, 0));
            h = static_cast<int>(get32(data, 4));
        } else if (type == "IDAT") {
            idat += data;
        } else if (type == "IEND") {
            break;
        }
        at += 12 + length;
    }
    if (w <= 0 || h <= 0) return {};
    const size_t stride = static_cast<size_t>(w) * 4;
    std::string raw((stride + 1) * static_cast<size_t>(h), '\0');
    uLongf size = static_cast<uLongf>(raw.size());
    if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                   static_cast<uLong>(idat.size())) != Z_OK ||
        size != raw.size())
        return {};
    std::vector<uint8_t> pixels(stride * static_cast<size_t>(h));
    for (int y = 0; y < h; ++y) {
        const uint8_t filter = static_cast<uint8_t>(raw[static_cast<size_t>(y) * (stride + 1)]);
        const uint8_t* src = reinterpret_cast<const uint8_t*>(raw.data()) + static_cast<size_t>(y) * (stride + 1) + 1;
        uint8_t* dst = pixels.data() + static_cast<size_t>(y) * stride;
        for (size_t i = 0; i < stride; ++i) {
            uint8_t up = y > 0 ? dst[i - stride] : 0;
            if (filter == 0) dst[i] = src[i];
            else if (filter == 2) dst[i] = static_cast<uint8_t>(src[i] + up);
            else return {}; // only what encodePng writes
        }
    }
    width = w;
    height = h;
    return pixels;
}

} // namespace signpost::app
