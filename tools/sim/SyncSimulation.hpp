#pragma once
// The deterministic convergence simulation (see SyncSimulation.cpp), as a library so both the
// test suite (1,000 seeds in CI) and `signpost-cli bench sync --soak N` run it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "service/Http.hpp"
#include "signpost/client/HttpTransport.hpp"

namespace signpost::sim {

// A device's request as the server's handler takes it, with no sockets between: the path split
// from its query parameters.
server::HttpRequest serverRequest(const client::TransportRequest& request, const std::string& remoteAddress);

// What the runs exercised, so a simulation that stopped conflicting (say) shows.
struct Coverage {
    std::map<std::string, int64_t> counts;
    void add(const std::string& key, int64_t n);
};

struct SimResult {
    uint64_t seed = 0;
    bool ok = true;
    std::string failure; // what broke, when !ok
};

// One seed: a random history under faults, then quiescence and every invariant.
SimResult runSimulation(uint64_t seed, int steps, Coverage& coverage);
// The paths a long enough run must have exercised at least once.
const std::vector<std::string>& pathsToExercise();

} // namespace signpost::sim
