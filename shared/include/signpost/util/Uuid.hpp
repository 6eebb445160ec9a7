#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace signpost::uuid {

// A random (version 4) UUID from libsodium's CSPRNG: client-generated ids never collide offline.
std::string random();
// A time-ordered (RFC 9562 version 7) UUID: 48 bits of Unix milliseconds, then 74 random bits,
// strictly increasing within the process (a clock that steps back, or many ids in one
// millisecond, continue from the last id). Ids written one after another land beside each other
// in every index keyed by them, on the device and the server, instead of on a random page each:
// ops and records are made with these.
std::string timeOrdered();
std::string timeOrdered(int64_t unixMillis); // the same, at a given time (tests)
// A stable UUID derived from a name (BLAKE2b, laid out as an RFC 9562 version 8 UUID): the same
// name always gives the same id, so seeds, synthetic data and derived child records re-import
// in place instead of duplicating.
std::string fromName(std::string_view name);
// The same, led by 48 bits of Unix milliseconds as in version 7, so derived ids made over time
// (a device's audit entries) are also written in order.
std::string fromName(std::string_view name, int64_t unixMillis);
bool isValid(std::string_view text);

} // namespace signpost::uuid
