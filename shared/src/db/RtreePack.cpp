#include "signpost/db/RtreePack.hpp"

#include "signpost/Error.hpp"
#include "signpost/db/Transaction.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>

namespace signpost::db {

namespace {

// Bytes of one cell of a two-dimensional tree: the 8-byte id, then four 4-byte coordinates.
constexpr size_t kCellBytes = 8 + 4 * 4;
constexpr size_t kNodeHeader = 4; // the tree's depth (root only) and the node's cell count

struct Cell {
    int64_t id; // an entry's id in a leaf, a child's node number above
    std::array<float, 4> c;
};

std::string quoted(const std::string& name) {
    std::string out = "\"";
    for (char ch : name) {
        if (ch == '"') out += '"';
        out += ch;
    }
    return out + '"';
}

// As the rtree module stores a coordinate: a float no greater than a minimum, no less than a
// maximum, so a stored box always holds the one given (rtree.c's rtreeValueDown / rtreeValueUp,
// whose factors these are: the same inputs give the same floats as an INSERT).
constexpr double kTowardsZero = 1.0 - 1.0 / 8388608.0;
constexpr double kAwayFromZero = 1.0 + 1.0 / 8388608.0;
float roundedDown(double d) {
    float f = static_cast<float>(d);
    if (f > d) f = static_cast<float>(d * (d < 0 ? kAwayFromZero : kTowardsZero));
    return f;
}
float roundedUp(double d) {
    float f = static_cast<float>(d);
    if (f < d) f = static_cast<float>(d * (d < 0 ? kTowardsZero : kAwayFromZero));
    return f;
}

void putBig16(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void putBig32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void putBig64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

void encodeNode(std::vector<uint8_t>& blob, size_t nodeBytes, const Cell* cells, size_t count, int depth) {
    blob.assign(nodeBytes, 0);
    putBig16(blob.data(), static_cast<uint32_t>(depth)); // 0 in every node but the root
    putBig16(blob.data() + 2, static_cast<uint32_t>(count));
    uint8_t* p = blob.data() + kNodeHeader;
    for (size_t i = 0; i < count; ++i, p += kCellBytes) {
        putBig64(p, static_cast<uint64_t>(cells[i].id));
        for (int k = 0; k < 4; ++k)
            putBig32(p + 8 + 4 * k, std::bit_cast<uint32_t>(cells[i].c[k]));
    }
}

Cell boundingCell(int64_t id, const Cell* cells, size_t count) {
    Cell out{id, cells[0].c};
    for (size_t i = 1; i < count; ++i) {
        out.c[0] = std::min(out.c[0], cells[i].c[0]);
        out.c[1] = std::max(out.c[1], cells[i].c[1]);
        out.c[2] = std::min(out.c[2], cells[i].c[2]);
        out.c[3] = std::max(out.c[3], cells[i].c[3]);
    }
    return out;
}

// The table's node size if it is a two-dimensional float rtree holding no row; 0 if not.
size_t emptyTreeNodeBytes(Database& db, const std::string& schema, const std::string& table) {
    auto q = db.prepare("SELECT sql FROM " + quoted(schema) + ".sqlite_schema WHERE type = 'table' AND name = ?1");
    q.bind(1, table);
    if (!q.step()) return 0;
    std::string sql;
    for (char ch : q.getTextView(0))
        if (!std::isspace(static_cast<unsigned char>(ch)))
            sql += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (sql.find("usingrtree(") == std::string::npos) return 0; // rtree_i32 and other modules: no
    if (db.prepare("SELECT * FROM " + quoted(schema) + "." + quoted(table) + " LIMIT 0").columnCount() != 5) return 0;
    if (db.queryInt64("SELECT EXISTS (SELECT 1 FROM " + quoted(schema) + "." + quoted(table + "_rowid") + ")")
            .value_or(1) != 0)
        return 0;
    const int64_t bytes = db.queryInt64("SELECT length(data) FROM " + quoted(schema) + "." + quoted(table + "_node") +
                                        " WHERE nodeno = 1")
                              .value_or(0);
    if (bytes < static_cast<int64_t>(kNodeHeader + 3 * kCellBytes)) return 0;
    return static_cast<size_t>(bytes);
}

} // namespace

bool packRtree(Database& db, const std::string& schema, const std::string& table, std::vector<RtreeBox> boxes) {
    for (const auto& b : boxes) {
        for (double v : {b.min0, b.max0, b.min1, b.max1})
            if (!std::isfinite(v))
                throw Error(ErrorDomain::Validation,
                            "R*Tree box " + std::to_string(b.id) + ": a coordinate is not a finite number");
        if (b.min0 > b.max0 || b.min1 > b.max1)
            throw Error(ErrorDomain::Validation,
                        "R*Tree box " + std::to_string(b.id) + ": a minimum is above its maximum");
    }
    const size_t nodeBytes = emptyTreeNodeBytes(db, schema, table);
    if (nodeBytes == 0) return false;
    if (boxes.empty()) return true;

    // Entries in id order for the rowid map; a repeated id is refused before anything is written.
    std::sort(boxes.begin(), boxes.end(), [](const RtreeBox& a, const RtreeBox& b) { return a.id < b.id; });
    for (size_t i = 1; i < boxes.size(); ++i)
        if (boxes[i].id == boxes[i - 1].id)
            throw Error(ErrorDomain::Sqlite, SQLITE_CONSTRAINT_PRIMARYKEY,
                        "R*Tree box " + std::to_string(boxes[i].id) + " given twice");

    const size_t capacity = (nodeBytes - kNodeHeader) / kCellBytes; // at most 51: rtree.c's limit
    const size_t fill = std::max<size_t>(2, capacity * 9 / 10);

    std::vector<Cell> cells(boxes.size());
    for (size_t i = 0; i < boxes.size(); ++i) {
        const auto& b = boxes[i];
        cells[i] = {b.id, {roundedDown(b.min0), roundedUp(b.max0), roundedDown(b.min1), roundedUp(b.max1)}};
    }

    // Levels from the leaves up: each packs its cells into nodes of `fill` (as near as an even
    // split gives) until what is left fits the root. Nodes are numbered from 2 in the order made.
    struct Node {
        int64_t number;
        std::vector<Cell> cells;
    };
    std::vector<Node> nodes;                          // every node but the root
    std::vector<std::pair<int64_t, int64_t>> parents; // (node, parent)
    std::vector<int64_t> leafOf(cells.size(), 1);     // each entry's leaf, by position in `boxes`
    int depth = 0;
    int64_t nextNumber = 2;
    auto centre = [](const Cell& c, int dim) { return static_cast<double>(c.c[2 * dim]) + c.c[2 * dim + 1]; };
    std::vector<size_t> order;
    while (cells.size() > capacity) {
        const size_t n = cells.size();
        const size_t count = (n + fill - 1) / fill;
        const size_t slices = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(count))));
        order.resize(n);
        for (size_t i = 0; i < n; ++i)
            order[i] = i;
        auto by = [&](int dim) {
            return [&, dim](size_t a, size_t b) {
                const double ca = centre(cells[a], dim), cb = centre(cells[b], dim);
                return ca != cb ? ca < cb : cells[a].id < cells[b].id;
            };
        };
        std::sort(order.begin(), order.end(), by(1));
        auto firstOf = [&](size_t node) { return n * node / count; }; // an even split into `count`
        for (size_t s = 0; s < slices; ++s) {
            const size_t from = firstOf(count * s / slices), to = firstOf(count * (s + 1) / slices);
            std::sort(order.begin() + static_cast<std::ptrdiff_t>(from),
                      order.begin() + static_cast<std::ptrdiff_t>(to), by(0));
        }
        std::vector<Cell> above;
        above.reserve(count);
        const size_t firstNode = nodes.size();
        for (size_t k = 0; k < count; ++k) {
            Node node{nextNumber++, {}};
            node.cells.reserve(firstOf(k + 1) - firstOf(k));
            for (size_t i = firstOf(k); i < firstOf(k + 1); ++i) {
                node.cells.push_back(cells[order[i]]);
                if (depth == 0) leafOf[order[i]] = node.number; // the leaves' cells are `boxes`, in order
            }
            above.push_back(boundingCell(node.number, node.cells.data(), node.cells.size()));
            nodes.push_back(std::move(node));
        }
        if (depth > 0) // the children named in this level's cells have these nodes as parents
            for (size_t k = firstNode; k < nodes.size(); ++k)
                for (const auto& child : nodes[k].cells)
                    parents.emplace_back(child.id, nodes[k].number);
        cells = std::move(above);
        ++depth;
    }
    for (const auto& child : cells)
        if (depth > 0) parents.emplace_back(child.id, 1);

    const std::string prefix = quoted(schema) + ".";
    Savepoint sp(db, "rtree_pack");
    db.exec("DELETE FROM " + prefix + quoted(table + "_node") + " WHERE nodeno <> 1; DELETE FROM " + prefix +
            quoted(table + "_parent"));
    std::vector<uint8_t> blob;
    {
        auto root = db.prepare("UPDATE " + prefix + quoted(table + "_node") + " SET data = ?1 WHERE nodeno = 1");
        encodeNode(blob, nodeBytes, cells.data(), cells.size(), depth);
        root.bindBlob(1, blob.data(), blob.size());
        root.exec();
        auto insert = db.prepare("INSERT INTO " + prefix + quoted(table + "_node") + " (nodeno, data) VALUES (?1, ?2)");
        for (const auto& node : nodes) {
            encodeNode(blob, nodeBytes, node.cells.data(), node.cells.size(), 0);
            insert.bind(1, node.number).bindBlob(2, blob.data(), blob.size());
            insert.exec();
            insert.reset();
        }
    }
    {
        std::sort(parents.begin(), parents.end());
        auto insert =
            db.prepare("INSERT INTO " + prefix + quoted(table + "_parent") + " (nodeno, parentnode) VALUES (?1, ?2)");
        for (const auto& [node, parent] : parents) {
            insert.bind(1, node).bind(2, parent);
            insert.exec();
            insert.reset();
        }
    }
    {
        auto insert =
            db.prepare("INSERT INTO " + prefix + quoted(table + "_rowid") + " (rowid, nodeno) VALUES (?1, ?2)");
        for (size_t i = 0; i < boxes.size(); ++i) {
            insert.bind(1, boxes[i].id).bind(2, leafOf[i]);
            insert.exec();
            insert.reset();
        }
    }
    sp.release();
    return true;
}

void clearRtree(Database& db, const std::string& schema, const std::string& table) {
    const std::string prefix = quoted(schema) + ".";
    Savepoint sp(db, "rtree_clear");
    db.exec("DELETE FROM " + prefix + quoted(table + "_rowid") + "; DELETE FROM " + prefix + quoted(table + "_parent") +
            "; DELETE FROM " + prefix + quoted(table + "_node") + " WHERE nodeno <> 1; UPDATE " + prefix +
            quoted(table + "_node") + " SET data = zeroblob(length(data)) WHERE nodeno = 1");
    sp.release();
}

} // namespace signpost::db
