#include "signpost/sync/Gzip.hpp"
#include "signpost/Error.hpp"

#include <zlib.h>

#include <cstring>

namespace signpost::sync {

bool looksGzipped(std::string_view data) {
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gzipCompress(std::string_view data, int level) {
    z_stream zs{};
    // 15 window bits + 16: a gzip header rather than a raw zlib stream.
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error(ErrorDomain::Internal, "zlib deflateInit2 failed");
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw Error(ErrorDomain::Internal, "zlib deflate failed");
    out.resize(zs.total_out);
    return out;
}

std::string gzipDecompress(std::string_view data, size_t maxOutput) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw Error(ErrorDomain::Internal, "zlib inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buffer[64 * 1024];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buffer);
        zs.avail_out = sizeof buffer;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw Error(ErrorDomain::Parse, "the gzip body is corrupt or truncated");
        }
        size_t produced = sizeof buffer - zs.avail_out;
        if (out.size() + produced > maxOutput) {
            inflateEnd(&zs);
            throw Error(ErrorDomain::Validation,
                        "the body inflates past " + std::to_string(maxOutput / (1024 * 1024)) + " MB");
        }
        out.append(buffer, produced);
        if (rc == Z_OK && zs.avail_in == 0 && produced == 0) {
            inflateEnd(&zs);
            throw Error(ErrorDomain::Parse, "the gzip body is truncated");
        }
    }
    inflateEnd(&zs);
    return out;
}

} // namespace signpost::sync
