// Directory commands: import, export, search, seed, shell, info.
#include "Commands.hpp"
#include "Progress.hpp"
#include "SearchArgs.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/directory/Search.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Assets.hpp"
#include "signpost/util/Text.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace signpost::cli {

using namespace signpost::directory;

namespace {


double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void printProblems(std::ostream& out, const char* heading, const std::vector<hsds::Problem>& problems, size_t max) {
    if (problems.empty()) return;
    out << heading << " (" << problems.size() << "):\n";
    size_t n = 0;
    for (const auto& p : problems) {
        if (++n > max) {
            out << "  … and " << (problems.size() - max) << " more (use --all-problems to list every one)\n";
            break;
        }
        std::string line = (p.file.empty() ? "" : p.file + ": ") + (p.recordId.empty() ? "" : "record " + p.recordId + ": ") +
                           (p.field.empty() ? "" : p.field + ": ") + p.reason;
        out << "  " << text::printable(line) << "\n";
    }
}

// ------------------------------------------------------------------------------------ import

int runImport(const Context& ctx, const ParsedArgs& args) {
    const std::filesystem::path path = args.positionals.at(0);
    if (!std::filesystem::exists(path)) throw Error::io(path.string() + " does not exist");
    auto db = ctx.openDatabase();
    hsds::ImportOptions options;
    options.strict = args.has("--strict");
    Progress progress("Importing", !args.has("--quiet"));
    options.progress = [&](size_t done, size_t total) { progress.update(done, total); };
    auto start = std::chrono::steady_clock::now();
    hsds::ImportReport report;
    {
        db::ExclusiveLoad load(db); // this command has the file to itself
        report = hsds::importPath(db, path, options);
    }
    progress.finish();
    double seconds = secondsSince(start);
    size_t shown = args.has("--all-problems") ? SIZE_MAX : 20;
    printProblems(std::cerr, "Files not imported", report.fileErrors, shown);
    printProblems(std::cerr, "Records rejected", report.rejected, shown);
    if (!args.has("--quiet")) printProblems(std::cout, "Warnings", report.warnings, shown);
    size_t applied = report.servicesInserted + report.servicesUpdated;
    if (report.rolledBack) {
        std::cout << "Nothing imported: --strict and " << report.rejected.size() + report.fileErrors.size()
                  << " problem(s). The directory is unchanged.\n";
    } else {
        std::cout << "Imported " << applied << " services (" << report.servicesInserted << " new, " << report.servicesUpdated
                  << " updated) and " << report.organisationsWritten << " organisations from " << report.filesRead
                  << " file(s) in " << seconds << " s";
        if (seconds > 0 && applied > 0) std::cout << " (" << static_cast<long long>(applied / seconds) << " services/s)";
        std::cout << ".\n";
    }
    return report.ok() ? kExitOk : kExitRejected;
}

// ------------------------------------------------------------------------------------ export

int runExport(const Context& ctx, const ParsedArgs& args) {
    auto out = args.value("--out");
    if (!out) throw UsageError("export needs --out FILE");
    auto db = ctx.openDatabase();
    hsds::ExportOptions options;
    options.serviceIds = args.values("--service");
    Progress progress("Exporting");
    options.progress = [&](size_t done, size_t total) { progress.update(done, total); };
    // Write beside the target and rename, so a failed export never leaves half a file.
    std::filesystem::path target = *out;
    std::filesystem::path temp = target;
    temp += ".partial";
    size_t count;
    {
        std::ofstream file(temp, std::ios::binary | std::ios::trunc);
        if (!file) throw Error::io("cannot write " + temp.string());
        count = hsds::exportServices(db, file, options);
        file.flush();
        if (!file) throw Error::io("writing " + temp.string() + " failed");
    }
    std::filesystem::rename(temp, target);
    progress.finish();
    std::cout << "Exported " << count << " services as HSDS 3.0 JSON to " << target.string() << ".\n";
    return kExitOk;
}

// ------------------------------------------------------------------------------------ search

int runSearch(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    SearchQuery query;
    query.text = text::join(args.positionals, " ");
    applySearchOptions(db, args, query);
    DirectorySearch search(db);
    auto start = std::chrono::steady_clock::now();
    auto outcome = search.search(query);
    double ms = secondsSince(start) * 1000;
    if (args.has("--json")) {
        printResultsJson(std::cout, outcome);
    } else {
        printResults(std::cout, outcome, args.has("--cy"));
        if (args.has("--explain")) std::cout << "MATCH " << outcome.matchExpression << "\n";
        std::cout << "(" << outcome.results.size() << " shown, " << ms << " ms)\n";
    }
    return kExitOk;
}

// -------------------------------------------------------------------------------------- seed

int runSeed(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    if (args.has("--synthetic")) {
        SyntheticOptions options;
        options.services = static_cast<size_t>(args.intValue("--synthetic", 1000, 1, 10'000'000));
        options.seed = static_cast<uint64_t>(args.intValue("--seed", 20261122, 0, INT64_MAX));
        Progress progress("Generating");
        options.progress = [&](size_t done, size_t total) { progress.update(done, total); };
        auto start = std::chrono::steady_clock::now();
        SyntheticReport report;
        {
            db::ExclusiveLoad load(db);
            report = generateSynthetic(db, options);
        }
        progress.finish();
        double seconds = secondsSince(start);
        std::cout << "Generated " << report.services << " synthetic services and " << report.organisations
                  << " organisations in " << seconds << " s (" << static_cast<long long>(report.services / seconds)
                  << " services/s). Synthetic records are marked as sample data.\n";
        return kExitOk;
    }
    Progress progress("Seeding");
    SeedReport report;
    {
        db::ExclusiveLoad load(db);
        report = loadSeed(db, assets::dir(), [&](size_t done, size_t total) { progress.update(done, total); });
    }
    progress.finish();
    std::cout << "Seeded " << report.services << " services from " << report.organisations
              << " organisations (Greater Manchester Personal Wellbeing providers, Wales hubs and commissioned "
                 "services) and "
              << report.postcodeDistricts << " postcode districts into " << ctx.dbPath << ".\n";
    return kExitOk;
}

// ------------------------------------------------------------------------------------- shell

void shellHelp() {
    std::cout << "Type words to search as you would in the app (\"debt\", \"women\", \"housing\").\n"
                 "  :area NAME     filter by area (Bolton, Gwent, Caerdydd, Wales …); :area to clear\n"
                 "  :need NAME     filter by need (finance, accommodation, women …); :need to clear\n"
                 "  :near PC       sort by distance from a postcode district (BL1, CF10 …); :near to clear\n"
                 "  :welsh         toggle Welsh-language services only\n"
                 "  :cy            toggle showing names in Welsh\n"
                 "  :clear         clear every filter\n"
                 "  :help, :quit\n";
}

int runShell(const Context& ctx, const ParsedArgs&) {
    auto db = ctx.openDatabase();
    DirectorySearch search(db);
    SearchQuery query;
    query.limit = 8;
    bool welshNames = false;
    std::string area, need, near;
    std::cout << "Signpost directory search (" << DirectoryStore(db).serviceCount() << " services in " << ctx.dbPath
              << "). :help for commands, :quit to leave.\n";
    std::string line;
    while (true) {
        std::cout << "\nsearch";
        if (!area.empty()) std::cout << " [area " << area << "]";
        if (!need.empty()) std::cout << " [need " << need << "]";
        if (!near.empty()) std::cout << " [near " << near << "]";
        if (query.welshLanguage) std::cout << " [Cymraeg]";
        std::cout << "> " << std::flush;
        if (!std::getline(std::cin, line)) break;
        std::string_view input = text::trim(line);
        if (input.empty()) continue;
        try {
            if (input[0] == ':') {
                auto space = input.find(' ');
                std::string verb(input.substr(0, space));
                std::string arg = space == std::string_view::npos ? "" : std::string(text::trim(input.substr(space)));
                if (verb == ":quit" || verb == ":q" || verb == ":exit") break;
                if (verb == ":help") shellHelp();
                else if (verb == ":area") {
                    query.areas = arg.empty() ? std::vector<std::string>{} : std::vector<std::string>{resolveArea(arg)};
                    area = arg;
                } else if (verb == ":need") {
                    query.needs = arg.empty() ? std::vector<std::string>{} : std::vector<std::string>{resolveNeed(arg)};
                    need = arg;
                } else if (verb == ":near") {
                    if (arg.empty()) query.near.reset();
                    else query.near = resolveNear(db, arg);
                    near = arg;
                } else if (verb == ":welsh") query.welshLanguage = !query.welshLanguage;
                else if (verb == ":cy") welshNames = !welshNames;
                else if (verb == ":clear") {
                    query = SearchQuery{};
                    query.limit = 8;
                    area.clear();
                    need.clear();
                    near.clear();
                } else std::cout << "Unknown command " << verb << ". :help lists them.\n";
                continue;
            }
            query.text = std::string(input);
            auto start = std::chrono::steady_clock::now();
            auto outcome = search.search(query);
            double ms = secondsSince(start) * 1000;
            printResults(std::cout, outcome, welshNames);
            std::cout << "(" << ms << " ms)\n";
        } catch (const UsageError& e) {
            std::cout << e.what() << "\n";
        }
    }
    std::cout << "\n";
    return kExitOk;
}

// -------------------------------------------------------------------------------------- info

int runInfo(const Context& ctx, const ParsedArgs&) {
    auto db = ctx.openDatabase();
    DirectoryStore store(db);
    std::cout << "Database:        " << ctx.dbPath << "\n"
              << "Schema version:  " << db.userVersion() << " (this build: " << schema::localSchemaVersion() << ")\n"
              << "Organisations:   " << store.organisationCount() << "\n"
              << "Services:        " << store.serviceCount() << "\n"
              << "Postcode districts: " << db.queryInt64("SELECT count(*) FROM postcode_district").value_or(0) << "\n"
              << "Integrity:       " << db.integrityCheck() << "\n";
    return kExitOk;
}

} // namespace

const std::vector<Command>& directoryCommands() {
    static const std::vector<Command> commands = [] {
        std::vector<Command> list;
        list.push_back({{"import",
                         "import PATH [--strict] [--quiet]",
                         "Import an Open Referral UK / HSDS 3.0 directory feed",
                         "PATH is an HSDS JSON file (a service, a /services page, organizations…), a folder of JSON\n"
                         "files, or an HSDS tabular datapackage folder (services.csv, organizations.csv, …).\n"
                         "Records update in place by id. A bad record is listed (file, record, field, reason) and\n"
                         "skipped; the rest land. Exit status 3 when anything was rejected, 1 when nothing could be\n"
                         "read. With --strict nothing is imported unless everything is good.",
                         {{"--strict", "", "All or nothing: any rejected record rolls back the whole import"},
                          {"--quiet", "", "No progress bar or warnings"},
                          {"--all-problems", "", "List every problem, not just the first 20"}},
                         1,
                         1},
                        runImport});
        list.push_back({{"export",
                         "export --out FILE [--service ID]…",
                         "Export services as HSDS 3.0 JSON (a /services page)",
                         "The file validates against the HSDS 3.0 service schema and imports back unchanged.\n"
                         "ISA status and other internal probation fields are never exported.",
                         {{"--out", "FILE", "Where to write the JSON"}, {"--service", "ID", "Only this service", true}},
                         0,
                         0},
                        runExport});
        auto options = searchOptions();
        options.push_back({"--json", "", "Print results as JSON"});
        options.push_back({"--cy", "", "Show names in Welsh where the directory has them"});
        options.push_back({"--explain", "", "Print the FTS5 expression that ran"});
        list.push_back({{"search",
                         "search TEXT [--area A] [--need N] [--near POSTCODE|LAT,LON] [--limit K] [--json] [options]",
                         "Search the local directory as you would in the app",
                         "Words match names, descriptions, organisations and keywords, in English or Welsh, ignoring\n"
                         "case and accents; the last word is a prefix (\"hous\" finds housing). Practitioners' words\n"
                         "are widened to the directory's (\"housing\" also finds Accommodation, \"drugs\" Dependency\n"
                         "and Recovery). Each result says how many days ago it was verified.",
                         options,
                         0,
                         64},
                        runSearch});
        list.push_back({{"seed",
                         "seed [--synthetic N [--seed S]]",
                         "Load the seed directory, or generate a synthetic one for scale",
                         "Without options: the real Greater Manchester Personal Wellbeing providers, the Wales\n"
                         "structure (hubs, commissioned services) and postcode-district centroids from assets/.\n"
                         "Contact details not published by the providers are marked as sample data.\n"
                         "--synthetic N: N deterministic services spread over every area and need (sample data).",
                         {{"--synthetic", "N", "Generate N synthetic services"},
                          {"--seed", "S", "Random seed for --synthetic (default 20261122)"}},
                         0,
                         0},
                        runSeed});
        list.push_back({{"shell", "shell", "Interactive search prompt over the local directory", "", {}, 0, 0},
                        runShell});
        list.push_back({{"info", "info", "Schema version, counts and integrity of the local database", "", {}, 0, 0},
                        runInfo});
        return list;
    }();
    return commands;
}

} // namespace signpost::cli
