#include "signpost/util/Uuid.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace signpost::uuid {

namespace {
std::string format(uint8_t (&bytes)[16], uint8_t version) {
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | (version << 4));
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80); // RFC variant
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[bytes[i] >> 4];
        out += hex[bytes[i] & 0x0F];
    }
    return out;
}
void ensureSodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium failed to initialise");
}
} // namespace

std::string random() {
    ensureSodium();
    uint8_t bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    return format(bytes, 4);
}

namespace {
void putMillis(uint8_t (&bytes)[16], int64_t unixMillis) {
    const auto ms = static_cast<uint64_t>(std::max<int64_t>(unixMillis, 0));
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
}
} // namespace

std::string timeOrdered() {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    return timeOrdered(now);
}

std::string timeOrdered(int64_t unixMillis) {
    ensureSodium();
    // RFC 9562 6.2, method 2 ("monotonic random"): a new millisecond draws fresh random bits; the
    // same or an earlier one adds one to the last id's random bits (74 bits, so it never wraps
    // in practice), keeping ids in creation order within the process.
    static std::mutex mutex;
    static int64_t lastMillis = -1;
    static uint8_t last[16];
    std::lock_guard lock(mutex);
    uint8_t bytes[16];
    if (unixMillis > lastMillis) {
        lastMillis = unixMillis;
        putMillis(bytes, unixMillis);
        randombytes_buf(bytes + 6, 10);
        // Below the version nibble, with its top bit clear: half the range is left above the
        // first id of a millisecond, so adding one never carries into the timestamp in practice.
        bytes[6] &= 0x07;
        bytes[8] &= 0x3F; // below the variant bits
    } else {
        std::memcpy(bytes, last, sizeof bytes);
        bytes[6] &= 0x0F;
        bytes[8] &= 0x3F;
        // 74 bits: byte 6's low nibble, byte 7, byte 8's low six bits, bytes 9 to 15.
        int i = 15;
        for (; i >= 9; --i)
            if (++bytes[i] != 0) break;
        if (i < 9 && (++bytes[8] & 0x3F) == 0) {
            bytes[8] &= 0x3F;
            if (++bytes[7] == 0) bytes[6] = static_cast<uint8_t>((bytes[6] + 1) & 0x0F);
        }
    }
    std::string out = format(bytes, 7);
    std::memcpy(last, bytes, sizeof bytes); // format set the version and variant bits in place
    return out;
}

namespace {
void hashName(uint8_t (&bytes)[16], std::string_view name) {
    crypto_generichash(bytes, sizeof bytes, reinterpret_cast<const unsigned char*>(name.data()), name.size(),
                       reinterpret_cast<const unsigned char*>("signpost.uuid.v1"), 16);
}
} // namespace

std::string fromName(std::string_view name, int64_t unixMillis) {
    uint8_t bytes[16];
    hashName(bytes, name);
    putMillis(bytes, unixMillis);
    return format(bytes, 8);
}

std::string fromName(std::string_view name) {
    uint8_t bytes[16];
    hashName(bytes, name);
    return format(bytes, 8);
}

bool isValid(std::string_view t) {
    if (t.size() != 36) return false;
    for (size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

} // namespace signpost::uuid
