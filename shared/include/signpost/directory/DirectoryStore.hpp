#pragma once
// Reads and writes the provider directory in a local database. Every write is atomic (it runs in
// a savepoint, so it composes with a caller's transaction) and keeps the search index in step.
#include "signpost/db/Database.hpp"
#include "signpost/db/FtsTokenizer.hpp"
#include "signpost/directory/Marks.hpp"
#include "signpost/domain/Directory.hpp"
#include "signpost/util/IdMap.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace signpost::directory {

namespace detail {
class IndexBuilder;
}

class DirectoryStore {
public:
    explicit DirectoryStore(db::Database& db);
    ~DirectoryStore();
    DirectoryStore(const DirectoryStore&) = delete;
    DirectoryStore& operator=(const DirectoryStore&) = delete;

    // Room to build the search index on a second thread while a large load writes the rows
    // (docs/search.md, "The index built beside the rows"): an in-memory database attached to the
    // connection, which the builder's own connection writes. A loader makes one before its
    // transaction (ATTACH cannot run inside one) and begins that transaction DEFERRED (BEGIN
    // IMMEDIATE would take the write lock on the attached database too, shutting the builder
    // out). Made inside a transaction it is unavailable and the load indexes as before.
    // Detached when destroyed, outside any transaction; one load uses it.
    class IndexSpace {
    public:
        explicit IndexSpace(db::Database& db);
        ~IndexSpace();
        IndexSpace(const IndexSpace&) = delete;
        IndexSpace& operator=(const IndexSpace&) = delete;
        bool available() const { return m_attached && !m_used; }
        static constexpr const char* kSchema = "signpost_index_build";

    private:
        friend class detail::IndexBuilder;
        db::Database& m_db;
        std::string m_uri;
        bool m_attached = false;
        bool m_used = false;
    };

    // Within a BulkWrite, search-index updates are queued and applied together by finish(),
    // before the caller commits. FTS5 flushes its in-memory index at every savepoint boundary,
    // so indexing record by record inside per-record savepoints writes one tiny segment per
    // record (25x slower for a 100k-service import). Records themselves stay atomic: each still
    // writes its rows in its own savepoint. If finish() is never reached the caller's
    // transaction rolls back and the queue is dropped.
    //
    // With an available IndexSpace, a load into an empty index whose entries arrive in rowid
    // order (a seed, a rebuild) has the index built on a second thread as they arrive, and
    // finish() puts the built index in place of the empty one. Anything else (an entry out of
    // order or repeated, the builder failing, a row gone by the end) falls back to the queue.
    // A load whose entries come in any order (an import) says so: into an empty index, finish()
    // then has the FTS table and dictionary built on a second thread from the sorted queue while
    // it writes the cards and boxes.
    enum class Arrival { RowidOrder, AnyOrder };
    class BulkWrite {
    public:
        explicit BulkWrite(DirectoryStore& store, IndexSpace* space = nullptr, Arrival arrival = Arrival::RowidOrder);
        ~BulkWrite();
        BulkWrite(const BulkWrite&) = delete;
        BulkWrite& operator=(const BulkWrite&) = delete;
        // The caller rolls its whole transaction back if any write of the load fails (a seed):
        // services and organisations are then written without a savepoint each, which would
        // copy every page the write changes so that the write alone could be undone. After a
        // failed write the transaction holds part of it and must not be committed.
        void allOrNothing() { m_store.m_writeWithoutSavepoint = true; }
        // `fullRebuild` forces the one-pass path (merge once, rebuild the word dictionary).
        void finish(bool fullRebuild = false);
        // After finish(): whether the index built beside the rows went in, or (AnyOrder) the
        // text index built beside the cards and boxes.
        bool indexBuiltBeside() const { return m_builtBeside; }
        bool textBuiltBeside() const { return m_textBuiltBeside; }

    private:
        bool installBuilt();
        void releasePending();
        DirectoryStore& m_store;
        bool m_active = true;
        bool m_builtBeside = false;
        bool m_textBuiltBeside = false;
        IndexSpace* m_space = nullptr; // AnyOrder: for finish()
        uint64_t m_rollbacksAtStart = 0; // Database::rollbacks() when the load began
        std::jthread m_freeing; // frees the applied entries while the caller commits
    };

    // What search keeps for one service (its FTS row, result card and location box).
    struct IndexEntry {
        int64_t rowid = 0;
        bool searchable = false; // false: only remove what was indexed
        bool created = false;    // the row was new: nothing of it is indexed yet
        std::string name, description, organisation, keywords, tags;
        bool located = false;
        double minLat = 0, maxLat = 0, minLon = 0, maxLon = 0;
        // The result card (service_card): what a search result shows.
        struct Card {
            std::string id, name, nameCy, organisation, organisationCy;
            std::optional<std::string> lastVerified, route, town, postcode;
            bool welsh = false, womenOnly = false, hub = false, coLocated = false, highRisk = false;
            std::string areas, needs; // space-separated, sorted, unique
        } card;
    };

    // A service made ready to write: every value upsertPrepared stores or indexes that follows
    // from the service alone (its lists as stored, its search text). prepare() reads no database
    // and touches nothing shared, so a bulk producer runs it on a thread of its own while the
    // writer writes (generateSynthetic); the writer adds what needs the database (the rowid, the
    // organisation's names). It throws Error::validation as upsertService would.
    struct PreparedService {
        domain::Service service;
        std::string supervision, languages, areas, needs, contacts, openingTimes;
        uint32_t slot = 0;  // the rowid block a new service takes (areaSlot)
        IndexEntry entry;   // without its rowid and organisation
        // What an Open Referral record holds beyond the model (JSON text, "" for none), written
        // with the rows when set, as setServiceExtra/setLocationExtra would; unset, what is
        // stored stays. Location extras go by position in service.locations.
        std::optional<std::string> extra;
        std::vector<std::optional<std::string>> locationExtras;
        // The caller knows no service has this id (an import into an empty directory, of an id
        // it has not written): the row is inserted without looking for it first. Were it wrong,
        // the id's UNIQUE constraint would fail the write.
        bool isNew = false;
    };
    // The rvalue form moves the service in only once all else is made: if it throws, the
    // caller's service is as it was (but for location ids it lacked, filled in).
    static PreparedService prepare(domain::Service&& service);
    static PreparedService prepare(const domain::Service& service) { return prepare(domain::Service(service)); }
    // Takes the index entry; what is left of `prepared` is the caller's to free (a producer
    // thread can, so the writer does not spend its time freeing strings).
    int64_t upsertPrepared(PreparedService&& prepared, bool* inserted = nullptr);

    // Inserts or updates in place by id. Renaming an organisation reindexes its services.
    // `extra` given: the HSDS fields kept beside it, written as setOrganisationExtra would write
    // them; not given, what is stored stays.
    void upsertOrganisation(const domain::Organisation& org, std::optional<std::string_view> extra = std::nullopt);
    // Within a BulkWrite, in a transaction: whether the directory held no services or
    // organisations when the load first asked (before it wrote any), so that a row of either the
    // load has not written is not there. False once anything has rolled back since the load
    // began: what the load remembers writing may then be more than is there.
    bool loadBeganEmpty();
    // Inserts or updates in place by id; locations, contacts, opening times, areas and needs are
    // replaced by the ones given. Returns the service's rowid; `inserted` (optional) says whether
    // it was new.
    int64_t upsertService(const domain::Service& service, bool* inserted = nullptr) {
        return upsertPrepared(prepare(service), inserted);
    }
    bool deleteService(std::string_view id);

    std::optional<domain::Service> service(std::string_view id);
    std::optional<domain::Service> serviceByRowid(int64_t rowid);
    std::optional<domain::Organisation> organisation(std::string_view id);
    std::vector<std::string> serviceIds();
    std::vector<std::string> organisationIds();
    int64_t serviceCount();
    int64_t organisationCount();

    // Raw HSDS fields kept beside a record for export (JSON object text, or empty).
    std::string serviceExtra(std::string_view id);
    std::string organisationExtra(std::string_view id);
    std::string locationExtra(std::string_view id);
    void setServiceExtra(std::string_view id, std::string_view json);
    void setOrganisationExtra(std::string_view id, std::string_view json);
    void setLocationExtra(std::string_view id, std::string_view json);

    void reindexService(int64_t rowid);
    void reindexAll();
    // Empties the search index (FTS rows, locations box, result cards, dictionary); the services
    // stay. For a wipe of the synced directory, or before reindexAll.
    void clearIndex();
    // Rebuilds search_term (the dictionary type-ahead completes against) from the FTS index.
    void refreshTermDictionary() { rebuildTermDictionary(); }

    // Postcode district centroids for "near me" (assets/postcode-districts.csv).
    void upsertPostcodeDistrict(std::string_view district, double lat, double lon, std::string_view areaCode);
    struct Centroid {
        double latitude;
        double longitude;
        std::string areaCode;
    };
    std::optional<Centroid> postcodeDistrict(std::string_view postcodeOrDistrict);

private:
    void writeLocations(int64_t rowid, const domain::Service& service,
                        const std::vector<std::optional<std::string>>& extras);
    // The rowids of the locations linked to a service.
    std::vector<int64_t> linkedLocations(int64_t serviceRowid);
    // Deletes those of `locations` no service links any more (each an index lookup, where a
    // scan of every location took 14 ms a delete at 100,000 services).
    void dropUnlinkedLocations(const std::vector<int64_t>& locations);
    // The entry for a service, but for its organisation (static: no database, any thread).
    static IndexEntry entryFor(const domain::Service& service);
    // Adds the organisation's names (read here) and queues or applies the entry.
    void index(int64_t rowid, const std::string& organisationId, IndexEntry entry, bool created);
    // Sets the entry's organisation names to what the service's organisation holds now.
    void setOrganisation(IndexEntry& entry, const std::string& organisationId);
    // Replaces the row's index entry; with `countTerms` also keeps search_term in step (the bulk
    // path rebuilds the dictionary in one pass instead).
    void applyIndex(const IndexEntry& entry, bool countTerms);
    void removeFromIndex(int64_t rowid, bool countTerms);
    void countTerms(std::string_view text, int delta);
    // Splits text as the index splits it, for the dictionary (made when first needed).
    const db::FtsTokenizer& tokenizer();
    std::unique_ptr<db::FtsTokenizer> m_tokenizer;
    void rebuildTermDictionary();
    bool m_bulk = false;
    std::deque<IndexEntry> m_pending;
    std::unique_ptr<detail::IndexBuilder> m_builder; // within a BulkWrite given an IndexSpace
    std::pair<std::string, std::string> organisationNames(const std::string& id);
    // The organisation column's text for a pair of names (with its synonym concepts): the same
    // few thousand organisations recur across a load, so it is worked out once per pair.
    const std::string& organisationColumn(const std::string& name, const std::string& nameCy);
    std::unordered_map<std::string, std::string> m_organisationColumns;
    // Within a BulkWrite, what the load would otherwise look up for every service: each
    // organisation's names and search column (by id), and the next free rowid of each area slot.
    // Both hold rows this connection wrote or read inside the load's transaction (nothing else
    // can write meanwhile), so they stay true until something rolls back (Database::rollbacks),
    // when they are dropped and read afresh.
    struct OrganisationNames {
        std::string name, nameCy, column;
    };
    util::IdMap<OrganisationNames> m_loadOrganisations;
    std::unordered_map<uint32_t, int64_t> m_loadNextRowid;
    uint64_t m_loadRollbacks = 0;
    std::optional<bool> m_loadBeganEmpty; // loadBeganEmpty(), asked once per load
    uint64_t m_loadRollbacksAtStart = 0;
    size_t m_loadDeletes = 0;             // services deleted during a load (BulkWrite::installBuilt)
    bool m_writeWithoutSavepoint = false; // BulkWrite::allOrNothing()
    // Whether the load's caches may be used (a BulkWrite, in a transaction, nothing rolled back
    // since they were filled); drops them when not.
    bool loadCachesValid();
    // A load into an empty directory (loadBeganEmpty) drops, before its first write, the indexes
    // its writes do not read (those made by CREATE INDEX, not UNIQUE, on service and
    // service_location: by organisation, by location), and makes them again once, from the
    // sorted rows, before it ends: inserted row by row their keys arrive in no order
    // (docs/search.md, "A load into an empty directory builds two indexes at its end"). Whatever
    // would read one makes them again first (restoreLoadIndexes): an organisation's services
    // looked up, a location deleted (as a service replaced or deleted may leave one), or an
    // organisation written while SQLite counts a service naming one not yet there (it then looks
    // for the services the new row settles).
    void deferLoadIndexes();
    void restoreLoadIndexes();
    std::vector<std::pair<std::string, std::string>> m_deferredIndexes; // name, CREATE statement
    bool m_loadIndexesDecided = false;
    db::Database& m_db;
};

// The FTS tokens that carry filters (see docs/search.md). Each starts with kTagMark (Marks.hpp),
// which no typed or published text holds, so a tag can only come from here and a query needs no
// column filter to keep it apart from words; the rest is lower-case letters and digits.
namespace tags {
std::string token(std::string_view prefix, std::string_view code);
inline constexpr std::string_view kCovers = "\xEE\x80\x81" "cov";   // area the service names directly
inline constexpr std::string_view kWithin = "\xEE\x80\x81" "in";    // that area or any area containing it
inline constexpr std::string_view kNeed = "\xEE\x80\x81" "nd";      // need and its parent categories
inline constexpr std::string_view kRoute = "\xEE\x80\x81" "rt";
inline constexpr std::string_view kSupervision = "\xEE\x80\x81" "sv";
inline constexpr std::string_view kAnySupervision = "\xEE\x80\x81" "svany";
inline constexpr std::string_view kWomenOnly = "\xEE\x80\x81" "fwomenonly";
inline constexpr std::string_view kHighRisk = "\xEE\x80\x81" "fhighrisk";
inline constexpr std::string_view kWelsh = "\xEE\x80\x81" "fwelsh";
inline constexpr std::string_view kHub = "\xEE\x80\x81" "fhub";
inline constexpr std::string_view kCoLocated = "\xEE\x80\x81" "fcolocated";
std::string forService(const domain::Service& service);
} // namespace tags

uint32_t areaSlot(const std::vector<std::string>& areaCodes);

// Normalises a UK postcode or district ("bl1 1aa" → "BL1 1AA"; district "BL1").
std::string normalisePostcode(std::string_view postcode);
std::string postcodeDistrictOf(std::string_view postcode);

} // namespace signpost::directory
