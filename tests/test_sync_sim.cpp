// Runs the convergence simulation (tools/sim/SyncSimulation.cpp) over many seeds.
// SIGNPOST_SIM_SEEDS=N runs N seeds (default 1000); SIGNPOST_SIM_SEED=S replays one;
// SIGNPOST_SIM_STEPS sets the history length (default 120).
#include "SyncSimulation.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

namespace {
uint64_t envNumber(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}
} // namespace

TEST_CASE("every device converges with the server under faults, for every seed") {
    const uint64_t only = envNumber("SIGNPOST_SIM_SEED", 0);
    const uint64_t seeds = only ? 1 : envNumber("SIGNPOST_SIM_SEEDS", 1000);
    const int steps = static_cast<int>(envNumber("SIGNPOST_SIM_STEPS", 120));
    signpost::sim::Coverage coverage;
    for (uint64_t i = 0; i < seeds; ++i) {
        const uint64_t seed = only ? only : i + 1;
        auto result = signpost::sim::runSimulation(seed, steps, coverage);
        REQUIRE_MESSAGE(result.ok, "seed " << seed << " failed (replay: SIGNPOST_SIM_SEED=" << seed << "):\n"
                                            << result.failure);
    }
    std::string summary;
    for (const auto& [key, n] : coverage.counts) summary += "  " + key + ": " + std::to_string(n) + "\n";
    MESSAGE("over " << seeds << " seed(s):\n" << summary);
    // A simulation that stopped exercising a path would pass for the wrong reason.
    if (seeds >= 50)
        for (const auto& path : signpost::sim::pathsToExercise())
            CHECK_MESSAGE(coverage.counts[path] > 0, "the simulation never exercised: " << path);
}
