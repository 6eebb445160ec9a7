#pragma once
// The schema of a device's local database (client and signpost-cli): the provider directory and
// its search index now; referral drafts, the sync outbox and the audit log as later steps append.
// Steps are only ever appended: a shipped step never changes, so every earlier database upgrades.
#include "signpost/db/Migrations.hpp"

#include <span>

namespace signpost::schema {

std::span<const db::Migration> localMigrations();

// The rows the queue indexes hold (schema v10): live records of the collections that have queues.
// The directory (most of a device's records) stays out of them, so a pulled directory record
// writes three index entries fewer. SQLite uses a partial index only for a query whose WHERE
// holds each of its terms as written, so every queue query appends this text
// (client/core/src/Queues.cpp). The collections are ORed equalities, not `IN (...)`: SQLite
// evaluates an IN list of three or more constants by building a temporary table, and every write
// of a record evaluates this condition for each index, old row and new (v9 did: nine temporary
// tables per upsert).
inline constexpr const char* kQueueRows =
    "deleted = 0 AND (collection = 'referral' OR collection = 'appointment' OR collection = 'alert')";
// The queue indexes. Each queue is one ordered range of one covering index on `record` (schema
// v5, client/core/src/Queues.cpp), keyed by what the queue selects on: the owner (a
// practitioner's queues), the area (a supervisor's or an admin's), the organisation (a
// provider's). A device keeps only those its users' queues read (v12): each is made when a user
// of that role signs in, or when a queue first reads it, from the records already there.
enum class QueueIndex { Owner, Area, Organisation };
const char* queueIndexName(QueueIndex index);
// The record column the index is keyed by after the collection: owner, area or organisation.
const char* queueIndexColumn(QueueIndex index);
// Makes the index if the device does not keep it yet; true when it did.
bool ensureQueueIndex(db::Database& db, QueueIndex index);
// Drops every queue index the device keeps (a new user's are made for them).
void dropQueueIndexes(db::Database& db);

inline int localSchemaVersion() { return static_cast<int>(localMigrations().size()); }

// How much of a device database search reads through a memory map (OpenOptions::mmapSizeBytes):
// more than a national directory's file, and only address space until pages are touched.
inline constexpr int64_t kLocalMmapBytes = int64_t{1} << 30;

// Page size of a device database made new (OpenOptions::pageSizeBytes). 16 KiB, not SQLite's 4:
// a service row is about 1 KB, so a 4 KiB page held three or four and a load split pages every
// few rows; a 100,000-service seed takes 0.90x the time, and search is unchanged
// (docs/benchmarks.md). A database made before keeps its 4 KiB pages.
inline constexpr int kLocalPageBytes = 16 * 1024;

// How the search index (service_fts) splits text into words; search splits what a person types
// the same way, with FTS5's own tokenizer (db::FtsTokenizer).
inline constexpr const char* kServiceTextTokenizer = "unicode61 remove_diacritics 2";

// Opens (creating if needed) a local database and migrates it to the latest schema.
db::Database openLocal(const std::string& path, db::OpenOptions options = {});

} // namespace signpost::schema
