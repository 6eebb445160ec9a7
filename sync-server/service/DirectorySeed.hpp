#pragma once
// Loads the provider directory into the server's records, so every device syncs it.
#include "store/ServerStore.hpp"

#include <cstddef>

namespace signpost::server {

// The real seed directory (assets/seed/directory.json). Re-running updates in place.
// `withSampleIsa` (demos and tests only): every organisation gets a sample Information Sharing
// Agreement, in force for a year from today, granting the usual person and referral fields. Real
// ISAs are recorded by an admin on the organisation record (isa_status, isa_from, isa_to,
// isa_fields); the seed data asserts none, since none are published.
size_t seedDirectory(ServerStore& store, bool withSampleIsa = false);
// N deterministic synthetic services and their organisations (sample data), for scale.
size_t seedSyntheticDirectory(ServerStore& store, size_t services, uint64_t seed = 20261122);

} // namespace signpost::server
