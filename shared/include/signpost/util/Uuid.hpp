#pragma once
#include <string>
#include <string_view>

namespace signpost::uuid {

// A random (version 4) UUID from libsodium's CSPRNG: client-generated ids never collide offline.
std::string random();
// A stable UUID derived from a name (BLAKE2b, laid out as an RFC 9562 version 8 UUID): the same
// name always gives the same id, so seeds, synthetic data and derived child records re-import
// in place instead of duplicating.
std::string fromName(std::string_view name);
bool isValid(std::string_view text);

} // namespace signpost::uuid
