#pragma once
// Versioned schema migrations on PRAGMA user_version. Each step runs in its own transaction
// together with the version bump, so a failure leaves the database at the previous version.
#include "signpost/db/Database.hpp"

#include <functional>
#include <span>
#include <string_view>

namespace signpost::db {

struct Migration {
    int version;                  // 1, 2, 3... contiguous
    std::string_view description; // shown by `signpost-cli db status`
    std::function<void(Database&)> up;
};

struct MigrationResult {
    int from = 0;
    int to = 0;
};

// Brings the database to `target` (default: the last step). Refuses a database newer than this
// build knows, rather than guessing at its shape.
MigrationResult migrate(Database& db, std::span<const Migration> steps, int target = -1);

} // namespace signpost::db
