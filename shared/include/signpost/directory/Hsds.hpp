#pragma once
// Open Referral UK / HSDS 3.0 import and export.
//
// Import accepts: one full service object, a paginated list page ({"contents": [...]}) of
// services, organizations (with nested services), service_at_locations or locations, a folder of
// such .json files, the HSDS tabular datapackage (a folder of CSV files such as services.csv,
// organizations.csv, …) and tabular.json (the same tables as JSON arrays keyed by file name).
// Records are applied one at a time, each atomically: a bad record is reported (file, record id,
// field, reason) and skipped, the good ones land. A file that cannot be parsed at all (truncated
// JSON, invalid UTF-8) is rejected whole and nothing from it is applied. With `strict`, any
// rejection rolls back the whole import.
//
// Export writes services as HSDS 3.0 JSON that validates against schema/service.json.
#include "signpost/db/Database.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace signpost::directory::hsds {

struct Problem {
    std::string file;     // path as given, or "" when not file-specific
    std::string recordId; // the record's id, or "#<index>" when it has none
    std::string field;    // dotted path within the record, e.g. "service_areas[0].name"; "" for the whole record
    std::string reason;   // a sentence a person understands
};

struct ImportOptions {
    bool strict = false;               // any rejection → nothing applied
    size_t maxFieldBytes = 64 * 1024;  // longer text fields reject the record
    size_t maxFileBytes = 512u * 1024 * 1024;
    // A large file (4 MB or more) that is one list of services, or one page of them, is read
    // record by record while it is written: less memory, and reading overlaps writing. What is
    // stored and reported is the same as reading every file whole, which `false` asks for.
    bool stream = true;
    // Called as records are processed (done, total); total may be 0 when unknown.
    std::function<void(size_t done, size_t total)> progress;
};

struct ImportReport {
    size_t filesRead = 0;
    size_t servicesInserted = 0;
    size_t servicesUpdated = 0;
    size_t organisationsWritten = 0;
    size_t taxonomyTermsSeen = 0;
    std::vector<Problem> rejected;     // records not applied
    std::vector<Problem> warnings;     // applied, but something was dropped or guessed
    std::vector<Problem> fileErrors;   // whole files not applied
    bool rolledBack = false;           // strict mode and something was rejected
    bool textIndexBuiltBeside = false; // a large import into an empty index (DirectoryStore::BulkWrite)
    bool ok() const { return rejected.empty() && fileErrors.empty(); }
};

ImportReport importPath(db::Database& db, const std::filesystem::path& path, const ImportOptions& options = {});

struct ExportOptions {
    std::vector<std::string> serviceIds; // empty: every service
    std::function<void(size_t done, size_t total)> progress;
};

// One service as an HSDS 3.0 service object (with organization, service_at_locations, schedules,
// service_areas, languages, contacts and attributes carrying our needs/eligibility extensions).
nlohmann::json exportService(db::Database& db, const std::string& serviceId);
// A paginated list page ({"total_items", …, "contents": [service, …]}) that import reads back.
size_t exportServices(db::Database& db, std::ostream& out, const ExportOptions& options = {});

// What HSDS has no field for travels as service attributes in two taxonomies of our own, which
// import reads back exactly: needs as terms of kNeedsTaxonomy (term code = need code), and the
// probation extensions as terms of kSignpostTaxonomy (code "women_only", "route:co_commissioned",
// "supervision:licence", "name_cy", …; the attribute value carries the value as text).
inline constexpr std::string_view kNeedsTaxonomy = "signpost-needs";
inline constexpr std::string_view kSignpostTaxonomy = "signpost";

// The ISO 639-1 code for a language given as an ISO 639-1/-2/-3 code, a BCP 47 tag or an English
// or native name ("cym", "wel", "cy-GB", "Welsh", "Cymraeg" → "cy"); empty when unknown.
std::string languageCode(std::string_view codeOrName);
// The English name of an ISO 639-1 code, or empty when we do not know it.
std::string_view languageName(std::string_view code);

} // namespace signpost::directory::hsds
