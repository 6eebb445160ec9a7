#pragma once
// The schema of a device's local database (client and signpost-cli): the provider directory and
// its search index now; referral drafts, the sync outbox and the audit log as later steps append.
// Steps are only ever appended: a shipped step never changes, so every earlier database upgrades.
#include "signpost/db/Migrations.hpp"

#include <span>

namespace signpost::schema {

std::span<const db::Migration> localMigrations();
inline int localSchemaVersion() { return static_cast<int>(localMigrations().size()); }

// Opens (creating if needed) a local database and migrates it to the latest schema.
db::Database openLocal(const std::string& path, db::OpenOptions options = {});

} // namespace signpost::schema
