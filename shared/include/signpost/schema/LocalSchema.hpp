#pragma once
// The schema of a device's local database (client and signpost-cli): the provider directory and
// its search index now; referral drafts, the sync outbox and the audit log as later steps append.
// Steps are only ever appended: a shipped step never changes, so every earlier database upgrades.
#include "signpost/db/Migrations.hpp"

#include <span>

namespace signpost::schema {

std::span<const db::Migration> localMigrations();

// The rows the queue indexes hold (schema v9): live records of the collections that have queues.
// The directory (most of a device's records) stays out of them, so a pulled directory record
// writes three index entries fewer. SQLite uses a partial index only for a query whose WHERE
// holds each of its terms as written, so every queue query appends this text
// (client/core/src/Queues.cpp).
inline constexpr const char* kQueueRows = "deleted = 0 AND collection IN ('referral', 'appointment', 'alert')";
inline int localSchemaVersion() { return static_cast<int>(localMigrations().size()); }

// Opens (creating if needed) a local database and migrates it to the latest schema.
db::Database openLocal(const std::string& path, db::OpenOptions options = {});

} // namespace signpost::schema
