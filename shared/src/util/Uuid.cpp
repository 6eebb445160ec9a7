#include "signpost/util/Uuid.hpp"

#include <sodium.h>

#include <cstdint>
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

std::string fromName(std::string_view name) {
    uint8_t bytes[16];
    crypto_generichash(bytes, sizeof bytes, reinterpret_cast<const unsigned char*>(name.data()), name.size(),
                       reinterpret_cast<const unsigned char*>("signpost.uuid.v1"), 16);
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
