#pragma once
#include <string>

namespace signpost::app {

struct AppOptions;
inline constexpr const char* kBenchPassphrase = "bench passphrase";

// Prepares (or reuses) the benchmark database and runs the measuring child process.
int runBenchParent(const AppOptions& options, const std::string& selfPath);

} // namespace signpost::app
