#pragma once
// Filling an empty SQLite R*Tree in one pass (a packed tree, built bottom-up) instead of a row at a
// time: SQLite's rtree module has no bulk load, and each insert descends the tree, may split or
// reinsert, and writes back every node it changed (0.5 s of CPU for the 90,000 boxes of a
// 100,000-service directory; docs/benchmarks.md). The tree is written straight into the table's
// shadow tables in the format rtree.c documents (its "Database Format of R-Tree Tables", part of
// SQLite's file format): the module then reads, searches, inserts into and deletes from it as from
// one it built itself, and `rtreecheck()` accepts it (tests/test_db.cpp).
#include "signpost/db/Database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace signpost::db {

// One entry of a two-dimensional R*Tree declared `rtree(id, min0, max0, min1, max1)`.
struct RtreeBox {
    int64_t id = 0;
    double min0 = 0, max0 = 0, min1 = 0, max1 = 0;
};

// Fills `schema`.`table`, a two-dimensional `rtree` (32-bit float coordinates) that holds no row,
// with `boxes`, inside `db`'s open transaction: all or nothing (a savepoint of its own). Each
// coordinate is stored as the module would store it (a minimum rounded down to a float, a maximum
// up), leaves are filled to nine tenths so the next inserts need not split at once, and boxes
// near each other share nodes (Sort-Tile-Recursive: sorted into vertical slices by their second
// dimension, each slice by the first).
//
// Returns false, writing nothing, if the table holds rows or is not such a table (the caller then
// inserts row by row). Throws Error (Validation) for a box with a minimum above its maximum or a
// coordinate that is not a finite number, or (Sqlite) for a repeated id or a failed write; the
// table is then as it was.
bool packRtree(Database& db, const std::string& schema, const std::string& table, std::vector<RtreeBox> boxes);

// Empties `schema`.`table` (a table packRtree filled, or any rtree) by rewriting its shadow tables
// as CREATE VIRTUAL TABLE leaves them: one row-by-row DELETE of 90,000 boxes costs seconds.
void clearRtree(Database& db, const std::string& schema, const std::string& table);

} // namespace signpost::db
