#pragma once
// Loading the real seed directory (assets/seed/directory.json), the postcode-district centroids
// (assets/postcode-districts.csv), and generating a deterministic synthetic directory for scale.
#include "signpost/db/Database.hpp"
#include "signpost/domain/Directory.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>

namespace signpost::directory {

using ProgressFn = std::function<void(size_t done, size_t total)>;

struct SeedReport {
    size_t organisations = 0;
    size_t services = 0;
    size_t postcodeDistricts = 0;
};

// Loads the seed directory and the postcode centroids in one transaction; re-running updates in
// place (ids derive from each record's key).
SeedReport loadSeed(db::Database& db, const std::filesystem::path& assetsDir, const ProgressFn& progress = {});
// Loads only the postcode-district centroids; returns how many.
size_t loadPostcodeDistricts(db::Database& db, const std::filesystem::path& csvPath);

struct SyntheticOptions {
    size_t services = 1000;
    uint64_t seed = 20261122;   // same seed, same directory, on every machine
    ProgressFn progress;
};

struct SyntheticReport {
    size_t organisations = 0;
    size_t services = 0;
    bool indexBuiltBeside = false; // built on a second thread as the rows were written (an empty index)
};

// N services spread over every local authority (some covering a PDU, several LAs or a whole
// region) and every need, with realistic English and Welsh text, locations near the area's
// centre, opening times and sample contacts. Written in one transaction.
SyntheticReport generateSynthetic(db::Database& db, const SyntheticOptions& options);

// The pieces, for benchmarks and tests that want records without a database.
domain::Organisation syntheticOrganisation(size_t index, uint64_t seed);
domain::Service syntheticService(size_t index, size_t organisations, uint64_t seed);
inline size_t syntheticOrganisationCount(size_t services) { return services / 4 + 1; }

} // namespace signpost::directory
