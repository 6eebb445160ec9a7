#pragma once
// Loads the provider directory into the server's records, so every device syncs it.
#include "store/ServerStore.hpp"

#include <cstddef>

namespace signpost::server {

// The real seed directory (assets/seed/directory.json). Re-running updates in place.
size_t seedDirectory(ServerStore& store);
// N deterministic synthetic services and their organisations (sample data), for scale.
size_t seedSyntheticDirectory(ServerStore& store, size_t services, uint64_t seed = 20261122);

} // namespace signpost::server
