#include "signpost/schema/LocalSchema.hpp"
#include "signpost/directory/DirectoryStore.hpp"

#include <sqlite3.h>

#include <array>
#include <optional>

namespace signpost::schema {

namespace {

// The search index (FTS rows, result cards, location boxes, word dictionary) is derived from the
// directory tables by today's DirectoryStore, which reads today's tables: a step cannot build it
// while later steps have yet to bring the tables to today's shape. The last step that changed the
// directory's tables or the index's (v16) rebuilds it, for every version it upgrades from; a later
// such step takes the rebuild over (v14 did before v16).
void rebuildDirectoryIndex(db::Database& db) { directory::DirectoryStore(db).reindexAll(); }

// v1: the directory tables. Child tables hang off the service's integer rowid (compact indexes,
// cascade on delete); organisations are referenced by their public id, deferred, so a sync page
// or an import may carry a service before its organisation.
void v1Directory(db::Database& db) {
    db.exec(R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE organisation (
    rowid       INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    name_cy     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    isa_status  TEXT NOT NULL DEFAULT 'none' CHECK (isa_status IN ('none', 'in_force', 'expired')),
    isa_from    TEXT,
    isa_to      TEXT,
    sample      INTEGER NOT NULL DEFAULT 0,
    extra       TEXT  -- HSDS fields we do not model, kept for a faithful export (JSON object)
);

CREATE TABLE service (
    rowid               INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    organisation_id     TEXT REFERENCES organisation(id) DEFERRABLE INITIALLY DEFERRED,
    name                TEXT NOT NULL CHECK (length(name) > 0),
    name_cy             TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    description_cy      TEXT NOT NULL DEFAULT '',
    url                 TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'active',
    commissioning_route TEXT CHECK (commissioning_route IN
                            ('dynamic_framework', 'co_commissioned', 'grant_funded', 'statutory', 'informal')),
    min_age             INTEGER,
    max_age             INTEGER,
    women_only          INTEGER NOT NULL DEFAULT 0,
    high_risk_suitable  INTEGER NOT NULL DEFAULT 0,
    hub                 INTEGER NOT NULL DEFAULT 0,
    co_located          INTEGER NOT NULL DEFAULT 0,
    supervision_types   TEXT NOT NULL DEFAULT '',  -- space-separated codes; '' = open to all
    languages           TEXT NOT NULL DEFAULT '',  -- space-separated ISO 639-1 codes
    eligibility         TEXT NOT NULL DEFAULT '',
    keywords            TEXT NOT NULL DEFAULT '',
    last_verified       TEXT,                      -- YYYY-MM-DD
    last_modified       TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT '',
    sample              INTEGER NOT NULL DEFAULT 0,
    extra               TEXT
);
CREATE INDEX service_by_organisation ON service(organisation_id);

CREATE TABLE service_area (
    service_rowid INTEGER NOT NULL REFERENCES service(rowid) ON DELETE CASCADE,
    area_code     TEXT NOT NULL,
    PRIMARY KEY (service_rowid, area_code)
) WITHOUT ROWID;
CREATE INDEX service_area_by_area ON service_area(area_code);

CREATE TABLE service_need (
    service_rowid INTEGER NOT NULL REFERENCES service(rowid) ON DELETE CASCADE,
    need_code     TEXT NOT NULL,
    PRIMARY KEY (service_rowid, need_code)
) WITHOUT ROWID;
CREATE INDEX service_need_by_need ON service_need(need_code);

CREATE TABLE location (
    rowid     INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL DEFAULT '',
    address   TEXT NOT NULL DEFAULT '',
    city      TEXT NOT NULL DEFAULT '',
    postcode  TEXT NOT NULL DEFAULT '',
    latitude  REAL CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
    longitude REAL CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
    extra     TEXT
);

CREATE TABLE service_location (
    service_rowid  INTEGER NOT NULL REFERENCES service(rowid) ON DELETE CASCADE,
    location_rowid INTEGER NOT NULL REFERENCES location(rowid) ON DELETE CASCADE,
    position       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_rowid, location_rowid)
) WITHOUT ROWID;
CREATE INDEX service_location_by_location ON service_location(location_rowid);

CREATE TABLE contact (
    rowid         INTEGER PRIMARY KEY,
    id            TEXT NOT NULL,
    service_rowid INTEGER NOT NULL REFERENCES service(rowid) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    sample        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_by_service ON contact(service_rowid);

CREATE TABLE opening_time (
    service_rowid INTEGER NOT NULL REFERENCES service(rowid) ON DELETE CASCADE,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens         TEXT NOT NULL CHECK (opens GLOB '[0-2][0-9]:[0-5][0-9]'),
    closes        TEXT NOT NULL CHECK (closes GLOB '[0-2][0-9]:[0-5][0-9]'),
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX opening_time_by_service ON opening_time(service_rowid, weekday);
)sql");
}

// v2: search (docs/search.md). FTS5 over the text a practitioner types (name, description,
// organisation, keywords) plus a `tags` column of filter tokens (areas, needs, eligibility) so
// filters intersect doclists inside FTS instead of probing rows after it. unicode61 with
// remove_diacritics 2 folds case and accents (ŵ ŷ â → w y a). No FTS prefix indexes and no
// column sizes: type-ahead expands the word being typed through `search_term` (the dictionary
// of indexed words with document counts) into its most frequent completions, which FTS5 then
// iterates lazily; ranking uses per-column presence, so per-row sizes are never read. Both keep
// bulk indexing close to FTS5's own floor (docs/benchmarks.md).
// An R*Tree over service locations answers "near me" by bounding box before exact distance.
// The result card (v7): what a search result shows, one row per indexed service, so a page of
// results is one primary-key lookup each. Derived, like service_fts: DirectoryStore writes it
// beside the FTS row. v2 creates it too (a fresh database has it from there on); v7 creates and
// fills it for databases that passed v2 before it existed.
constexpr const char* kServiceCardTable = R"sql(
CREATE TABLE IF NOT EXISTS service_card (
    rowid               INTEGER PRIMARY KEY,   -- the service's rowid
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    name_cy             TEXT NOT NULL DEFAULT '',
    organisation        TEXT NOT NULL DEFAULT '',
    organisation_cy     TEXT NOT NULL DEFAULT '',
    last_verified       TEXT,
    welsh               INTEGER NOT NULL DEFAULT 0,
    women_only          INTEGER NOT NULL DEFAULT 0,
    hub                 INTEGER NOT NULL DEFAULT 0,
    co_located          INTEGER NOT NULL DEFAULT 0,
    high_risk_suitable  INTEGER NOT NULL DEFAULT 0,
    commissioning_route TEXT,
    town                TEXT,                  -- the first location's city and postcode
    postcode            TEXT,
    areas               TEXT NOT NULL DEFAULT '', -- space-separated codes, sorted
    needs               TEXT NOT NULL DEFAULT ''
);
)sql";

void v2Search(db::Database& db) {
    db.exec(kServiceCardTable);
    db.exec(R"sql(
CREATE VIRTUAL TABLE service_fts USING fts5(
    name, description, organisation, keywords, tags,
    tokenize = 'unicode61 remove_diacritics 2',
    columnsize = 0
);
CREATE VIRTUAL TABLE service_vocab USING fts5vocab(service_fts, 'col');
-- term '' holds the number of searchable services (N for IDF).
CREATE TABLE search_term (
    term TEXT PRIMARY KEY,
    docs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE VIRTUAL TABLE service_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon);
CREATE TABLE postcode_district (
    district  TEXT PRIMARY KEY,
    latitude  REAL NOT NULL,
    longitude REAL NOT NULL,
    area_code TEXT
) WITHOUT ROWID;
)sql");
    // Indexed by v16 (rebuildDirectoryIndex).
}

// v3: sync. `record` mirrors what the server holds for this user (fields with per-field server
// versions), plus local changes not yet acknowledged (`local`). Every local write puts the row
// and its op in `outbox` in one transaction; pulled changes are written here directly and never
// enter the outbox. Directory records are also materialised into the directory tables (search);
// `reindex` marks the ones waiting for that. Rejected ops move to `rejected_op`, visible, and
// never block the queue.
void v3Sync(db::Database& db) {
    db.exec(R"sql(
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE record (
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    seq          INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    area         TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL DEFAULT '{}',
    versions     TEXT NOT NULL DEFAULT '{}',
    local        INTEGER NOT NULL DEFAULT 0,
    base         TEXT NOT NULL DEFAULT 'null', -- the server's last copy (Record JSON), null if never synced
    revert       INTEGER NOT NULL DEFAULT 0,   -- an op on it was rejected or lost a conflict
    reindex      INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX record_by_status ON record(collection, status);
CREATE INDEX record_to_reindex ON record(reindex) WHERE reindex = 1;
CREATE TABLE outbox (
    op_seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id      TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_by_record ON outbox(collection, record_id);
CREATE TABLE rejected_op (
    op_id      TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
);
)sql");
}

// v4: referrals. The device's hash-chained audit log (client/core/AuditLog.hpp), and indexes the
// queues read: a practitioner's own referrals by status, a supervisor's areas by status.
void v4Referrals(db::Database& db) {
    db.exec(R"sql(
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    user       TEXT NOT NULL,
    device     TEXT NOT NULL,
    action     TEXT NOT NULL,
    collection TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_log(at);
CREATE INDEX record_by_owner ON record(collection, owner, status);
CREATE INDEX record_by_area ON record(collection, area, status);
CREATE INDEX record_by_organisation ON record(collection, organisation, status);
)sql");
}

// v5: queues read in index order. `queue_at` is the time a queue orders a record by: an
// appointment's start, else when the record entered its current status (the last transition in
// its history, or the device's own last write while a change is local). `link` is what a queue
// line shows beside it: a referral's service, an appointment's or alert's referral. The queue
// indexes cover every column a queue reads, so a queue is one ordered index range with a LIMIT:
// no sort, and no visit to the (large, partly sealed) record rows.
void v5Queues(db::Database& db) {
    db.exec(R"sql(
ALTER TABLE record ADD COLUMN queue_at TEXT NOT NULL DEFAULT '';
ALTER TABLE record ADD COLUMN link TEXT NOT NULL DEFAULT '';
UPDATE record SET
    queue_at = CASE
        WHEN collection = 'appointment' THEN coalesce(json_extract(fields, '$.starts_at'), '')
        ELSE coalesce(json_extract(fields, '$.history[#-1].at'), updated_at) END,
    link = coalesce(CASE WHEN collection = 'referral' THEN json_extract(fields, '$.service_id')
                         ELSE json_extract(fields, '$.referral_id') END, '')
WHERE json_valid(fields);
DROP INDEX record_by_owner;
DROP INDEX record_by_area;
DROP INDEX record_by_organisation;
CREATE INDEX queue_by_owner ON record(collection, owner, status, queue_at, area, organisation, link, local, deleted)
    WHERE deleted = 0;
CREATE INDEX queue_by_area ON record(collection, area, status, queue_at, owner, organisation, link, local, deleted)
    WHERE deleted = 0;
CREATE INDEX queue_by_organisation ON record(collection, organisation, status, queue_at, area, owner, link, local,
    deleted) WHERE deleted = 0;
)sql");
}

// v6: `record` becomes a rowid table with (collection, id) unique. A record row is 1–3 KB of
// fields and versions; in a WITHOUT ROWID table a row lives in the key's b-tree, which keeps only
// about 1 KB of a row on its page (4 KB pages) and spills the rest to an overflow page per row,
// and new rows land in key order (random ids). As a rowid table the row stays on its page and
// new rows append: a pulled page of directory records writes about 2.5× faster
// (docs/benchmarks.md). The queue indexes now carry `id` after `queue_at`, because an index on a
// rowid table holds the rowid, not the key: queues stay one ordered, covering index range.
void v6RecordRowid(db::Database& db) {
    // Rows go out to a temporary table and back rather than through ALTER TABLE … RENAME, which
    // re-checks the whole schema and made every new database ~50 % slower to create.
    db.exec(R"sql(
CREATE TEMP TABLE record_v5 AS
    SELECT collection, id, seq, deleted, area, organisation, owner, status, fields, versions, local, base,
           revert, reindex, updated_at, queue_at, link FROM main.record;
DROP TABLE main.record;
CREATE TABLE main.record (
    collection   TEXT NOT NULL,
    id           TEXT NOT NULL,
    seq          INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    area         TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL DEFAULT '{}',
    versions     TEXT NOT NULL DEFAULT '{}',
    local        INTEGER NOT NULL DEFAULT 0,
    base         TEXT NOT NULL DEFAULT 'null', -- the server's last copy (Record JSON), null if never synced
    revert       INTEGER NOT NULL DEFAULT 0,   -- an op on it was rejected or lost a conflict
    reindex      INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL DEFAULT '',
    queue_at     TEXT NOT NULL DEFAULT '',
    link         TEXT NOT NULL DEFAULT '',
    UNIQUE (collection, id)
);
INSERT INTO main.record (collection, id, seq, deleted, area, organisation, owner, status, fields, versions, local,
                         base, revert, reindex, updated_at, queue_at, link)
    SELECT * FROM temp.record_v5 ORDER BY seq;
DROP TABLE temp.record_v5;
CREATE INDEX main.record_by_status ON record(collection, status);
CREATE INDEX main.record_to_reindex ON record(reindex) WHERE reindex = 1;
CREATE INDEX main.queue_by_owner ON record(collection, owner, status, queue_at, id, area, organisation, link, local,
    deleted) WHERE deleted = 0;
CREATE INDEX main.queue_by_area ON record(collection, area, status, queue_at, id, owner, organisation, link, local,
    deleted) WHERE deleted = 0;
CREATE INDEX main.queue_by_organisation ON record(collection, organisation, status, queue_at, id, area, owner, link,
    local, deleted) WHERE deleted = 0;
)sql");
}

// v7: result cards (kServiceCardTable). A page of results read each service's row, its
// organisation by id, its first location, its areas and its needs: five b-tree descents per
// result, 0.3–0.4 ms of a type-ahead query on 100k services. An existing directory's cards are
// built here from the same tables.
void v7ServiceCards(db::Database& db) {
    db.exec(kServiceCardTable);
    db.exec(R"sql(
DELETE FROM service_card;
INSERT INTO service_card (rowid, id, name, name_cy, organisation, organisation_cy, last_verified, welsh, women_only,
                          hub, co_located, high_risk_suitable, commissioning_route, town, postcode, areas, needs)
SELECT s.rowid, s.id, s.name, s.name_cy, coalesce(o.name, ''), coalesce(o.name_cy, ''), s.last_verified,
       (' ' || s.languages || ' ') LIKE '% cy %', s.women_only, s.hub, s.co_located, s.high_risk_suitable,
       s.commissioning_route,
       (SELECT l.city FROM service_location sl JOIN location l ON l.rowid = sl.location_rowid
         WHERE sl.service_rowid = s.rowid ORDER BY sl.position LIMIT 1),
       (SELECT l.postcode FROM service_location sl JOIN location l ON l.rowid = sl.location_rowid
         WHERE sl.service_rowid = s.rowid ORDER BY sl.position LIMIT 1),
       coalesce((SELECT group_concat(area_code, ' ') FROM service_area WHERE service_rowid = s.rowid), ''),
       coalesce((SELECT group_concat(need_code, ' ') FROM service_need WHERE service_rowid = s.rowid), '')
FROM service s LEFT JOIN organisation o ON o.id = s.organisation_id
WHERE s.rowid IN (SELECT rowid FROM service_fts);
)sql");
}

// v8: synonyms resolved when a service is indexed (directory/Synonyms.hpp): each indexed column
// carries the concept tokens of the synonym groups its words belong to, and search_term counts
// them; filter tags start with a mark no text holds (directory/Marks.hpp), so queries need no
// column filters. The index is derived from the directory tables, so it is built again from them,
// by v16 (rebuildDirectoryIndex).
void v8SynonymConcepts(db::Database&) {}

// Each queue index: its name, the column a queue selects on, and every column in its order.
struct QueueIndexSpec {
    const char* name;
    const char* key;
    const char* columns;
};
constexpr QueueIndexSpec kQueueIndexSpecs[] = { // in QueueIndex order
    {"queue_by_owner", "owner", "collection, owner, status, queue_at, id, area, organisation, link, local, deleted"},
    {"queue_by_area", "area", "collection, area, status, queue_at, id, owner, organisation, link, local, deleted"},
    {"queue_by_organisation", "organisation",
     "collection, organisation, status, queue_at, id, area, owner, link, local, deleted"},
};
static_assert(static_cast<size_t>(QueueIndex::Organisation) + 1 == std::size(kQueueIndexSpecs));
const QueueIndexSpec& specOf(QueueIndex index) { return kQueueIndexSpecs[static_cast<size_t>(index)]; }

// A queue index's definition, holding the rows `rows` selects.
std::string queueIndexSql(QueueIndex index, const std::string& rows, bool ifNotExists = false) {
    return std::string("CREATE INDEX ") + (ifNotExists ? "IF NOT EXISTS " : "") + "main." + specOf(index).name +
           " ON record(" + specOf(index).columns + ") WHERE " + rows + ";\n";
}

constexpr QueueIndex kQueueIndexes[] = {QueueIndex::Owner, QueueIndex::Area, QueueIndex::Organisation};

// The three queue indexes, holding the rows `where` selects.
void createQueueIndexes(db::Database& db, const std::string& rows) {
    std::string sql;
    for (QueueIndex index : kQueueIndexes) sql += std::string("DROP INDEX main.") + queueIndexName(index) + ";\n";
    for (QueueIndex index : kQueueIndexes) sql += queueIndexSql(index, rows);
    db.exec(sql);
}

// v9: the queue indexes hold only the collections that have queues. Every live record was in all
// three, so each pulled directory record wrote three index entries no queue ever read: an initial
// sync of 58,000 records took 3.4 s with them and 2.8–3.1 s without (docs/benchmarks.md, ninth
// session). Its condition, as shipped (v10 rewrites it):
void v9QueueRowsOnly(db::Database& db) {
    createQueueIndexes(db, "deleted = 0 AND collection IN ('referral', 'appointment', 'alert')");
}

// v10: the same rows, named by ORed equalities (kQueueRows). SQLite evaluates v9's IN list of
// three constants by building a temporary table each time, and a write of a record evaluates it
// for each of the three indexes, old row and new: nine temporary tables per upsert, most of the
// cost of writing a record (docs/benchmarks.md, tenth session).
void v10QueueRowsWithoutTemporaryTables(db::Database& db) { createQueueIndexes(db, kQueueRows); }

// v11: a service's areas and needs without the indexes by area and by need. No query reads them:
// filters by area and need are FTS tags (v2), and the rows are read by service (their primary
// keys). Each cost every directory write a b-tree insert per area and per need: loading 30,000
// services went from 9,785–9,928 to 10,465–10,484 services/s without them (docs/benchmarks.md).
void v11NoAreaAndNeedIndexes(db::Database& db) {
    db.exec("DROP INDEX IF EXISTS service_area_by_area; DROP INDEX IF EXISTS service_need_by_need;");
}

// v12: a device keeps only the queue indexes its users' queues read (ensureQueueIndex). Every
// pulled referral wrote an entry in all three, and a practitioner's device pulls its whole
// area's referrals: two of the three wide entries were for queues nobody on the device can
// open. The 200-client sync benchmark's devices spent about a sixth less CPU per op without
// them (docs/benchmarks.md, sixteenth session). The one a signed-in user's role reads is made
// again when the user next signs in or a queue first reads it.
void v12QueueIndexesByRole(db::Database& db) { dropQueueIndexes(db); }

// v13: the count by status only for conflicts. Every record written had an entry in an index by
// (collection, status), which only the count of open conflicts at the end of each sync reads
// (LocalStore::countWithStatus): now it holds conflicts alone, and a pulled referral or service
// writes one index entry fewer. A count of another collection reads that collection's records.
void v13StatusIndexForConflicts(db::Database& db) {
    db.exec("DROP INDEX IF EXISTS main.record_by_status;\n"
            "CREATE INDEX main.conflict_by_status ON record(status) WHERE collection = 'conflict' AND deleted = 0;\n");
}

// v14: a service's areas, needs, contacts and opening times are in its own row (areas and needs
// as space-separated codes, sorted; contacts and opening times as JSON arrays) instead of four
// tables of their own. Writing a service wrote eight rows and their index entries in those
// tables on average (4.4 opening times, 1.3 areas, 1.4 needs, 0.7 contacts), each checked
// against its foreign key: about a third of the time of loading a directory
// (docs/benchmarks.md, twenty-first session). Nothing reads them except with their service.
// Locations stay a table: an Open Referral location is an entity of its own, shared by services.
// The index was rebuilt here whatever the version upgraded from (v16 now does it): it is
// derived, today's code writes it from today's tables, and a rebuild costs about 10 s per 100,000
// services, once.
void v14ServiceChildrenInRow(db::Database& db) {
    db.exec(R"sql(
ALTER TABLE service ADD COLUMN areas TEXT NOT NULL DEFAULT '';
ALTER TABLE service ADD COLUMN needs TEXT NOT NULL DEFAULT '';
ALTER TABLE service ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE service ADD COLUMN opening_times TEXT NOT NULL DEFAULT '[]';
UPDATE service SET
    areas = coalesce((SELECT group_concat(area_code, ' ') FROM
                         (SELECT area_code FROM service_area WHERE service_rowid = service.rowid ORDER BY area_code)), ''),
    needs = coalesce((SELECT group_concat(need_code, ' ') FROM
                         (SELECT need_code FROM service_need WHERE service_rowid = service.rowid ORDER BY need_code)), ''),
    contacts = coalesce((SELECT json_group_array(json_object('id', id, 'name', name, 'title', title, 'phone', phone,
                                                             'email', email, 'sample', json(iif(sample, 'true', 'false'))))
                         FROM (SELECT * FROM contact WHERE service_rowid = service.rowid ORDER BY rowid)), '[]'),
    opening_times = coalesce((SELECT json_group_array(json_array(weekday, opens, closes, note)) FROM
                         (SELECT * FROM opening_time WHERE service_rowid = service.rowid ORDER BY weekday, opens)), '[]');
DROP TABLE service_area;
DROP TABLE service_need;
DROP TABLE contact;
DROP TABLE opening_time;
)sql");
    // The index is built again by v16.
}

// v15: the value lists a directory row is checked against (a service's commissioning route, an
// organisation's ISA status), named by ORed equalities. As v10 found for the queue indexes, SQLite
// evaluates an IN list of three or more constants by building a temporary table each time the
// statement runs: 1.3–1.5 µs of every service written, a fifth of its row's cost
// (docs/benchmarks.md, twenty-fifth session). A CHECK constraint is not part of how rows are
// stored, so the two tables' definitions are edited in place by SQLite's documented procedure for
// changing constraints (https://sqlite.org/lang_altertable.html#otheralter): every stored row
// already satisfies the equivalent check (NULL passes both). A definition that does not hold the
// text v1 wrote is left as it is, and so is every one where SQLite refuses schema edits.
void v15ChecksWithoutTemporaryTables(db::Database& db) {
    struct Edit {
        const char* table;
        const char* from; // as v1 wrote it
        const char* to;
    };
    const Edit edits[] = {
        {"service",
         "CHECK (commissioning_route IN\n"
         "                            ('dynamic_framework', 'co_commissioned', 'grant_funded', 'statutory', "
         "'informal'))",
         "CHECK (commissioning_route = 'dynamic_framework' OR commissioning_route = 'co_commissioned' OR "
         "commissioning_route = 'grant_funded' OR commissioning_route = 'statutory' OR "
         "commissioning_route = 'informal')"},
        {"organisation", "CHECK (isa_status IN ('none', 'in_force', 'expired'))",
         "CHECK (isa_status = 'none' OR isa_status = 'in_force' OR isa_status = 'expired')"},
    };
    const int64_t version = db.queryInt64("PRAGMA schema_version").value_or(0);
    struct SchemaEditing {
        db::Database& db;
        explicit SchemaEditing(db::Database& d) : db(d) { db.exec("PRAGMA writable_schema = ON"); }
        ~SchemaEditing() { sqlite3_exec(db.handle(), "PRAGMA writable_schema = OFF", nullptr, nullptr, nullptr); }
    };
    {
        SchemaEditing editing(db);
        std::optional<db::Statement> prepared;
        try {
            prepared.emplace(db, "UPDATE main.sqlite_schema SET sql = replace(sql, ?2, ?3) "
                                 "WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0");
        } catch (const Error&) {
            return; // a connection that may not edit its schema (SQLITE_DBCONFIG_DEFENSIVE): the checks stay
        }
        auto& update = *prepared;
        for (const Edit& e : edits) {
            update.bindAll(e.table, e.from, e.to);
            update.exec();
            update.reset();
        }
        // Every connection, this one included, reads the definitions again.
        db.exec("PRAGMA schema_version = " + std::to_string(version + 1));
    }
    // The edited definitions parse, or the migration fails and rolls back.
    db.exec("SELECT count(*) FROM service WHERE 0; SELECT count(*) FROM organisation WHERE 0;");
}

// v16: the search index keeps which columns hold each word, not where in them (FTS5's
// `detail = column` in place of `full`). Search never reads a position: its typed words are one
// token each (split by FTS5's own tokenizer, db::FtsTokenizer), filters are tags, and ranking asks
// only which columns a phrase is in (Rank.cpp). Without the positions the index is 0.58x the size
// and a 100,000-service import takes 0.88-0.91x the time (docs/benchmarks.md, thirty-second session).
// FTS5 fixes the option when a table is made, so the table is made again and the index rebuilt.
void v16IndexWithoutPositions(db::Database& db) {
    db.exec(std::string(R"sql(
DROP TABLE service_vocab;
DROP TABLE service_fts;
CREATE VIRTUAL TABLE service_fts USING fts5(
    name, description, organisation, keywords, tags,
    tokenize = ')sql") +
            kServiceTextTokenizer +
            R"sql(',
    columnsize = 0,
    detail = column
);
CREATE VIRTUAL TABLE service_vocab USING fts5vocab(service_fts, 'col');
)sql");
    rebuildDirectoryIndex(db);
}

const std::array kLocalMigrations{
    db::Migration{1, "directory tables", v1Directory},
    db::Migration{2, "directory search index", v2Search},
    db::Migration{3, "sync records and outbox", v3Sync},
    db::Migration{4, "referrals: audit log, queue indexes", v4Referrals},
    db::Migration{5, "queues in index order", v5Queues},
    db::Migration{6, "sync records in a rowid table", v6RecordRowid},
    db::Migration{7, "search result cards", v7ServiceCards},
    db::Migration{8, "synonyms resolved at index time, marked filter tags", v8SynonymConcepts},
    db::Migration{9, "queue indexes hold only the collections with queues", v9QueueRowsOnly},
    db::Migration{10, "queue index condition without temporary tables", v10QueueRowsWithoutTemporaryTables},
    db::Migration{11, "no unread indexes on a service's areas and needs", v11NoAreaAndNeedIndexes},
    db::Migration{12, "queue indexes kept only for the roles that read them", v12QueueIndexesByRole},
    db::Migration{13, "the index by status holds conflicts only", v13StatusIndexForConflicts},
    db::Migration{14, "a service's areas, needs, contacts and opening times in its row", v14ServiceChildrenInRow},
    db::Migration{15, "directory checks without temporary tables", v15ChecksWithoutTemporaryTables},
    db::Migration{16, "search index without word positions", v16IndexWithoutPositions},
};

} // namespace

const char* queueIndexName(QueueIndex index) { return specOf(index).name; }

const char* queueIndexColumn(QueueIndex index) { return specOf(index).key; }

void dropQueueIndexes(db::Database& db) {
    std::string sql;
    for (QueueIndex index : kQueueIndexes) sql += std::string("DROP INDEX IF EXISTS main.") + queueIndexName(index) + ";\n";
    db.exec(sql);
}

bool ensureQueueIndex(db::Database& db, QueueIndex index) {
    auto kept = db.cached("SELECT 1 FROM main.sqlite_schema WHERE type = 'index' AND name = ?1");
    kept->bind(1, queueIndexName(index));
    const bool exists = kept->step();
    kept->reset();
    if (exists) return false;
    db.exec(queueIndexSql(index, kQueueRows, true));
    return true;
}

std::span<const db::Migration> localMigrations() { return kLocalMigrations; }

db::Database openLocal(const std::string& path, db::OpenOptions options) {
    // A device's commits (a sync round's results, each page pulled, a person's edit) never pay for
    // copying the WAL back: that runs on a thread of its own.
    options.backgroundCheckpoint = true;
    // The directory is read far more than it is written: search reads it through a map.
    options.mmapSizeBytes = std::max<int64_t>(options.mmapSizeBytes, kLocalMmapBytes);
    if (options.pageSizeBytes == 0) options.pageSizeBytes = kLocalPageBytes;
    db::Database db(path, options);
    db::migrate(db, localMigrations());
    return db;
}

} // namespace signpost::schema
