// Benchmarks: commands that print figures (never timed assertions in tests). Each prints the bare
// baseline measured in the same run, on the same data, so the overhead ratio shows.
#include "Commands.hpp"
#include "Progress.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Hsds.hpp"
#include "signpost/directory/Search.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/util/Allocator.hpp"
#include "signpost/util/Time.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <unistd.h>

namespace signpost::cli {

using namespace signpost::directory;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

struct Percentiles {
    double p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;
    size_t n = 0;
};

Percentiles percentiles(std::vector<double> samples) {
    Percentiles p;
    if (samples.empty()) return p;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) { return samples[std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())))]; };
    p.p50 = at(0.50);
    p.p95 = at(0.95);
    p.p99 = at(0.99);
    p.max = samples.back();
    double sum = 0;
    for (double s : samples) sum += s;
    p.mean = sum / static_cast<double>(samples.size());
    p.n = samples.size();
    return p;
}

void printRow(const char* label, const Percentiles& p) {
    std::printf("  %-34s n=%-5zu p50 %7.3f  p95 %7.3f  p99 %7.3f  max %7.3f  mean %7.3f ms\n", label, p.n, p.p50, p.p95,
                p.p99, p.max, p.mean);
}

void printRatio(const char* label, const Percentiles& ours, const Percentiles& bare) {
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    std::printf("  %-34s p50 %5.2fx  p95 %5.2fx  p99 %5.2fx\n", label, ratio(ours.p50, bare.p50), ratio(ours.p95, bare.p95),
                ratio(ours.p99, bare.p99));
}

// Words a practitioner types, as type-ahead prefixes: every keystroke from the second letter.
constexpr std::array<const char*, 28> kWords{
    "debt",      "housing",  "mentoring", "recovery",  "women",    "employment", "family",     "counselling",
    "benefits",  "tenancy",  "alcohol",   "training",  "advice",   "wellbeing",  "mediation",  "homeless",
    "drugs",     "money",    "support",   "community", "bolton",   "cardiff",    "wrexham",    "newport",
    "llesiant",  "gwaith",   "anxiety",   "parenting"};

struct BenchQuery {
    SearchQuery query;
    bool filtered = false;
};

std::vector<BenchQuery> makeQueries(size_t count, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> areaCodes;
    for (const auto& a : domain::allAreas())
        if (a.kind == domain::AreaKind::LocalAuthority || a.kind == domain::AreaKind::Pdu) areaCodes.emplace_back(a.code);
    std::vector<std::string> needCodes;
    for (const auto& n : domain::allNeeds()) needCodes.emplace_back(n.code);
    std::vector<BenchQuery> out;
    while (out.size() < count) {
        std::string word = kWords[rng() % kWords.size()];
        size_t length = 2 + rng() % (word.size() - 1); // 2 … full word
        BenchQuery b;
        b.query.text = word.substr(0, length);
        if (rng() % 4 == 0) { // a second word being typed: "debt adv"
            std::string second = kWords[rng() % kWords.size()];
            b.query.text = word + " " + second.substr(0, 2 + rng() % (second.size() - 1));
        }
        b.query.limit = 20;
        if (rng() % 2 == 0) {
            b.filtered = true;
            b.query.areas = {areaCodes[rng() % areaCodes.size()]};
            switch (rng() % 4) {
            case 0: b.query.needs = {needCodes[rng() % needCodes.size()]}; break;
            case 1: b.query.women = WomenFilter::Only; break;
            case 2: b.query.age = 21; break;
            default: break;
            }
        }
        out.push_back(std::move(b));
    }
    return out;
}

int runBenchSearch(const Context& ctx, const ParsedArgs& args) {
    const size_t services = static_cast<size_t>(args.intValue("--services", 100000, 100, 5'000'000));
    const size_t queries = static_cast<size_t>(args.intValue("--queries", 1000, 10, 1'000'000));
    const uint64_t seed = static_cast<uint64_t>(args.intValue("--seed", 20261122, 0, INT64_MAX));
    auto dir = std::filesystem::temp_directory_path() / ("signpost-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    struct Cleanup {
        std::filesystem::path path;
        bool keep;
        ~Cleanup() {
            std::error_code ec;
            if (!keep) std::filesystem::remove_all(path, ec);
        }
    } cleanup{dir, args.has("--keep")};

    std::printf("signpost-cli bench search: %zu synthetic services, %zu type-ahead queries (seed %llu)\n", services,
                queries, static_cast<unsigned long long>(seed));
    std::printf("database: %s\nallocator: %s\n\n", (dir / "bench.db").c_str(), allocator::name().c_str());

    // --reuse: keep the synthetic directory in --db between runs (seeding 100k takes a while).
    const bool reuse = args.has("--reuse");
    const std::string dbPath = reuse ? ctx.dbPath : (dir / "bench.db").string();
    auto db = schema::openLocal(dbPath);
    if (reuse && DirectoryStore(db).serviceCount() >= static_cast<int64_t>(services)) {
        std::printf("Reusing %s (%lld services)\n", dbPath.c_str(), static_cast<long long>(DirectoryStore(db).serviceCount()));
    } else {
        Progress progress("Seeding");
        SyntheticOptions options{services, seed, [&](size_t d, size_t t) { progress.update(d, t); }};
        auto start = Clock::now();
        SyntheticReport report;
        {
            db::ExclusiveLoad load(db); // as `seed` loads (its own file, a rollback journal)
            report = generateSynthetic(db, options);
        }
        progress.finish();
        double ms = msSince(start);
        std::printf("Seed (generate + write + index, one transaction): %zu services in %.2f s = %.0f services/s%s\n",
                    report.services, ms / 1000, static_cast<double>(report.services) / (ms / 1000),
                    report.indexBuiltBeside ? " (index built beside the rows)" : "");
        // The floor, on the same text: FTS5 alone indexing what the seed indexed (the same table
        // options, rows in rowid order, automerge off as the bulk path sets it, one transaction
        // into a file of its own, with the same page size), with no service rows, children, cards
        // or R*Tree.
        struct Row {
            int64_t rowid;
            std::array<std::string, 5> columns;
        };
        std::vector<Row> rows;
        {
            auto q = db.prepare("SELECT rowid, name, description, organisation, keywords, tags FROM service_fts ORDER BY rowid");
            while (q.step()) {
                Row row{q.getInt64(0), {}};
                for (int c = 0; c < 5; ++c) row.columns[static_cast<size_t>(c)] = q.getText(c + 1);
                rows.push_back(std::move(row));
            }
        }
        db::OpenOptions bareOptions;
        bareOptions.pageSizeBytes = schema::kLocalPageBytes;
        db::Database bare((dir / "bare-fts.db").string(), bareOptions);
        bare.exec("CREATE VIRTUAL TABLE f USING fts5(name, description, organisation, keywords, tags, "
                  "tokenize = 'unicode61 remove_diacritics 2', columnsize = 0);"
                  "INSERT INTO f (f, rank) VALUES ('automerge', 0);");
        start = Clock::now();
        {
            db::Transaction txn(bare);
            auto insert = bare.prepare("INSERT INTO f (rowid, name, description, organisation, keywords, tags) "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
            for (const auto& row : rows) {
                const auto& c = row.columns;
                insert.bindAll(row.rowid, c[0], c[1], c[2], c[3], c[4]);
                insert.exec();
                insert.reset();
            }
            txn.commit();
        }
        const double bareMs = msSince(start);
        std::printf("  the bare FTS5 insert of the same %zu rows: %.2f s = %.0f rows/s (target for the seed: "
                    ">= 50,000 services/s; the seed takes %.1fx the bare index)\n",
                    rows.size(), bareMs / 1000, static_cast<double>(rows.size()) / (bareMs / 1000), ms / bareMs);
    }
    if (!args.has("--no-import")) {
        auto exportPath = dir / "export.json";
        auto start = Clock::now();
        size_t exported;
        {
            std::ofstream out(exportPath, std::ios::binary);
            exported = hsds::exportServices(db, out);
        }
        double exportMs = msSince(start);
        auto importDb = schema::openLocal((dir / "import.db").string());
        start = Clock::now();
        hsds::ImportReport report;
        {
            db::ExclusiveLoad load(importDb); // as `import` loads
            report = hsds::importPath(importDb, exportPath);
        }
        double importMs = msSince(start);
        size_t imported = report.servicesInserted + report.servicesUpdated;
        std::printf("HSDS export: %zu services in %.2f s = %.0f services/s (%.1f MB)\n", exported, exportMs / 1000,
                    static_cast<double>(exported) / (exportMs / 1000),
                    static_cast<double>(std::filesystem::file_size(exportPath)) / 1e6);
        std::printf(
            "HSDS import (parse + map + write + index): %zu services in %.2f s = %.0f services/s, %zu rejected%s\n",
            imported, importMs / 1000, static_cast<double>(imported) / (importMs / 1000), report.rejected.size(),
            report.textIndexBuiltBeside ? " (text index built beside the cards)" : "");
    }

    DirectorySearch search(db);
    auto set = makeQueries(queries, seed);
    // Warm the page cache and the statement cache once, as a running client would be.
    for (size_t i = 0; i < std::min<size_t>(set.size(), 200); ++i) search.search(set[i].query);

    std::vector<double> oursAll, oursPlain, oursFiltered, bareAll, bareRanked, naive;
    std::vector<std::pair<double, size_t>> slowest;
    size_t capped = 0;
    // Bare retrieval: the same expression, the same candidate limit, no ranking at all.
    auto bare = db.prepare("SELECT rowid FROM service_fts WHERE service_fts MATCH ?1 LIMIT ?2");
    // Bare ranked: the same again, ranked by FTS5's own bm25().
    auto bareBm25 = db.prepare("SELECT rowid, bm25(service_fts, 10.0, 1.0, 4.0, 6.0, 0.0) FROM service_fts "
                               "WHERE service_fts MATCH ?1 LIMIT ?2");
    auto naiveStmt = db.prepare("SELECT rowid FROM service_fts WHERE service_fts MATCH ?1 ORDER BY rank LIMIT 20");
    const bool runNaive = !args.has("--no-naive");
    for (const auto& b : set) {
        // Ours: query building, synonyms, filters, ranking, top-k and the result details.
        auto start = Clock::now();
        auto outcome = search.search(b.query);
        double ms = msSince(start);
        oursAll.push_back(ms);
        slowest.emplace_back(ms, oursAll.size() - 1);
        (b.filtered ? oursFiltered : oursPlain).push_back(ms);
        capped += outcome.capped;

        // Bare: the same MATCH expression straight into FTS5 with the same candidate limit.
        std::string expr = search.matchExpression(b.query);
        start = Clock::now();
        bare.bind(1, expr).bind(2, static_cast<int64_t>(DirectorySearch::kCandidateCap + 1));
        while (bare.step()) {
        }
        bare.reset();
        bareAll.push_back(msSince(start));
        start = Clock::now();
        bareBm25.bind(1, expr).bind(2, static_cast<int64_t>(DirectorySearch::kCandidateCap + 1));
        while (bareBm25.step()) {
        }
        bareBm25.reset();
        bareRanked.push_back(msSince(start));
    }
    // Naive: the typed text as one FTS5 prefix query, fully ranked (what a plain FTS5 type-ahead
    // would do without a candidate cap). A pass of its own: each one walks whole doclists, and run
    // between the others it pushed their pages out of the cache (p99 11 ms instead of 2.3 ms).
    for (size_t i = 0; runNaive && i < set.size(); ++i) {
        const auto& b = set[i];
        std::string plain = "\"" + b.query.text.substr(0, b.query.text.find(' ')) + "\"*";
        auto start = Clock::now();
        naiveStmt.bind(1, plain);
        while (naiveStmt.step()) {
        }
        naiveStmt.reset();
        naive.push_back(msSince(start));
    }
    auto ours = percentiles(oursAll), bareP = percentiles(bareAll);
    std::printf("\nType-ahead latency (%zu queries: word prefixes of 2+ letters, half with area/need/eligibility filters):\n",
                set.size());
    printRow("signpost search (all)", ours);
    printRow("signpost search (no filters)", percentiles(oursPlain));
    printRow("signpost search (with filters)", percentiles(oursFiltered));
    printRow("bare FTS5 MATCH, same expression", bareP);
    printRow("bare MATCH ranked by FTS5 bm25()", percentiles(bareRanked));
    if (runNaive) printRow("naive FTS5 prefix ORDER BY rank", percentiles(naive));
    std::printf("\nOverhead over the bare MATCH (target <= 1.5x; p99 target <= 2 ms):\n");
    printRatio("signpost / bare", ours, bareP);
    if (args.has("--show-slowest")) {
        std::sort(slowest.rbegin(), slowest.rend());
        std::printf("\nSlowest queries:\n");
        for (size_t i = 0; i < std::min<size_t>(10, slowest.size()); ++i) {
            const auto& b = set[slowest[i].second];
            std::printf("  %7.3f ms (bare %7.3f)  \"%s\"%s  %s\n", slowest[i].first, bareAll[slowest[i].second],
                        b.query.text.c_str(), b.filtered ? " [filtered]" : "",
                        search.matchExpression(b.query).substr(0, 160).c_str());
        }
    }
    std::printf("\n%zu of %zu queries reached the %zu-candidate cap (ranked among the first candidates).\n", capped,
                set.size(), DirectorySearch::kCandidateCap);
    return kExitOk;
}

// --- bench queues -----------------------------------------------------------------------------
// 50,000 referrals (with appointments and alerts) arrive through the real pull path (sealed by a
// device vault), then every role's queues are read repeatedly, beside the bare indexed count of one
// queue as the floor.

int runBenchQueues(const Context&, const ParsedArgs& args) {
    const size_t referrals = static_cast<size_t>(args.intValue("--referrals", 50'000, 100, 5'000'000));
    const size_t rounds = static_cast<size_t>(args.intValue("--rounds", 200, 10, 100'000));
    std::mt19937_64 rng(static_cast<uint64_t>(args.intValue("--seed", 20261122, 0, INT64_MAX)));
    auto dir = std::filesystem::temp_directory_path() / ("signpost-bench-queues-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    struct Cleanup {
        std::filesystem::path dir;
        bool keep;
        ~Cleanup() {
            std::error_code ec;
            if (!keep) std::filesystem::remove_all(dir, ec);
        }
    } cleanup{dir, args.has("--keep")};
    auto db = schema::openLocal((dir / "queues.db").string());
    // Every role's queues are read from this one database: it keeps all three queue indexes, as a
    // device keeps the one of each role signed in on it (schema v12), made before the records come.
    for (auto index : {schema::QueueIndex::Owner, schema::QueueIndex::Area, schema::QueueIndex::Organisation})
        schema::ensureQueueIndex(db, index);
    client::LocalStore store(db);
    auto vault = store.openVault("bench passphrase", crypto::KdfCost::Minimum);
    store.setVault(&vault);

    std::vector<std::string> pdus;
    for (const auto& a : domain::allAreas())
        if (a.kind == domain::AreaKind::Pdu) pdus.emplace_back(a.code);
    const size_t practitioners = 200, organisations = 40;
    const char* statuses[] = {"draft", "submitted", "returned", "approved", "sent", "accepted", "in_progress",
                              "completed", "withdrawn", "declined"};
    const int weights[] = {8, 15, 4, 8, 12, 10, 18, 18, 4, 3};
    std::discrete_distribution<int> pickStatus(std::begin(weights), std::end(weights));
    const std::time_t now = std::time(nullptr);
    auto at = [&](int64_t secondsAgo) { return timeutil::isoDateTimeUtc(static_cast<std::time_t>(now - secondsAgo)); };

    std::printf("Building %zu referrals (+ appointments, alerts) through the pull path…\n", referrals);
    auto buildStart = Clock::now();
    int64_t seq = 0;
    size_t appointments = 0, alerts = 0;
    sync::PullResponse page;
    auto flush = [&] {
        page.nextCursor = seq;
        store.applyPull(page);
        page.records.clear();
    };
    for (size_t i = 0; i < referrals; ++i) {
        sync::Record r;
        r.collection = "referral";
        r.id = "ref-" + std::to_string(i);
        r.seq = ++seq;
        r.status = statuses[pickStatus(rng)];
        r.owner = "prac-" + std::to_string(rng() % practitioners);
        r.area = pdus[rng() % pdus.size()];
        const bool sent = r.status != "draft" && r.status != "submitted" && r.status != "returned" && r.status != "approved";
        if (sent) r.organisation = "org-" + std::to_string(rng() % organisations);
        const int64_t age = static_cast<int64_t>(rng() % (120 * 86400));
        nlohmann::json history = nlohmann::json::array();
        history.push_back({{"from", "draft"}, {"to", "submitted"}, {"by", r.owner}, {"at", at(age)}});
        if (r.status != "draft" && r.status != "submitted")
            history.push_back({{"from", "submitted"}, {"to", r.status}, {"by", "sup"}, {"at", at(age / 2)}});
        r.fields = {{"status", r.status}, {"area", r.area}, {"owner", r.owner},
                    {"crn", "X" + std::to_string(100000 + i % 900000)}, {"given_name", "Sample"},
                    {"family_name", "Person " + std::to_string(i)}, {"date_of_birth", "1990-01-01"},
                    {"needs", {{{"need", "finance"}, {"complexity", "medium"}}}},
                    {"reason", "Needs help with debts after release."}, {"risk_summary", "Sample risk summary."},
                    {"service_id", "svc-" + std::to_string(rng() % 1000)}, {"history", history},
                    {"submitted_at", at(age)}};
        if (sent) {
            r.fields["organisation_id"] = r.organisation;
            r.fields["sent_at"] = at(age / 2);
        }
        for (auto it = r.fields.begin(); it != r.fields.end(); ++it) r.versions[it.key()] = r.seq;
        if (r.status == "draft") { // a draft is never pulled: it lives on its author's device
            r.fields.erase("history");
            r.fields.erase("submitted_at");
        }
        page.records.push_back(r);
        if (sent && rng() % 2 == 0) {
            sync::Record a;
            a.collection = "appointment";
            a.id = "appt-" + std::to_string(appointments++);
            a.seq = ++seq;
            a.status = rng() % 3 ? "scheduled" : "attended";
            a.area = r.area;
            a.organisation = r.organisation;
            a.owner = r.owner;
            const int64_t offset = static_cast<int64_t>(rng() % (40 * 86400)) - 20 * 86400;
            a.fields = {{"referral_id", r.id}, {"starts_at", at(offset)}, {"status", a.status}, {"area", a.area},
                        {"organisation_id", a.organisation}, {"owner", a.owner}};
            for (auto it = a.fields.begin(); it != a.fields.end(); ++it) a.versions[it.key()] = a.seq;
            page.records.push_back(a);
            if (rng() % 10 == 0) {
                sync::Record al;
                al.collection = "alert";
                al.id = "alert-" + std::to_string(alerts++);
                al.seq = ++seq;
                al.status = "open";
                al.area = r.area;
                al.owner = r.owner;
                al.fields = {{"referral_id", r.id}, {"appointment_id", a.id}, {"kind", "unacceptable_absence"},
                             {"status", "open"}, {"area", r.area}, {"owner", r.owner},
                             {"history", {{{"to", "open"}, {"at", at(offset > 0 ? 0 : -offset)}}}}};
                for (auto it = al.fields.begin(); it != al.fields.end(); ++it) al.versions[it.key()] = al.seq;
                page.records.push_back(al);
            }
        }
        if (page.records.size() >= 5000) flush();
    }
    flush();
    std::printf("  built in %.1f s: %zu referrals, %zu appointments, %zu open alerts\n\n", msSince(buildStart) / 1000,
                referrals, appointments, alerts);

    client::Queues queues(db);
    std::vector<double> practitioner, supervisor, provider, bare;
    size_t shown = 0;
    for (size_t i = 0; i < rounds; ++i) {
        const std::string prac = "prac-" + std::to_string(rng() % practitioners);
        auto t = Clock::now();
        for (const auto& q : queues.practitioner(prac)) shown += q.items.size();
        practitioner.push_back(msSince(t));

        sync::Principal sup{"sup", domain::Role::Supervisor, {pdus[rng() % pdus.size()]}, ""};
        t = Clock::now();
        for (const auto& q : queues.supervisor(sup)) shown += q.items.size();
        supervisor.push_back(msSince(t));

        sync::Principal prov{"prov", domain::Role::Provider, {}, "org-" + std::to_string(rng() % organisations)};
        t = Clock::now();
        for (const auto& q : queues.provider(prov)) shown += q.items.size();
        provider.push_back(msSince(t));

        t = Clock::now();
        auto q = db.cached("SELECT count(*) FROM record INDEXED BY queue_by_owner WHERE collection = 'referral' AND owner = ?1 AND "
                           "status = 'submitted' AND deleted = 0");
        q->bind(1, prac);
        if (q->step()) shown += static_cast<size_t>(q->getInt64(0) > 0);
        bare.push_back(msSince(t));
    }
    std::printf("Queues over %zu referrals, %zu rounds (every queue of the role, up to 200 items each):\n", referrals, rounds);
    auto p = percentiles(practitioner), s = percentiles(supervisor), v = percentiles(provider), b = percentiles(bare);
    printRow("practitioner (5 queues)", p);
    printRow("supervisor (4 queues, 1 PDU)", s);
    printRow("provider (3 queues)", v);
    printRow("bare: one indexed count", b);
    std::printf("  target: every queue answers in <= 20 ms (p99 above: %.2f / %.2f / %.2f ms)\n", p.p99, s.p99, v.p99);
    std::printf("  (%zu items listed in all)\n", shown);
    return kExitOk;
}

} // namespace

const std::vector<Command>& benchCommands() {
    static const std::vector<Command> commands{
        {{"bench search",
          "bench search [--services N] [--queries Q] [--seed S]",
          "Benchmark directory seeding, HSDS import and type-ahead search",
          "Builds a synthetic directory of N services (default 100000) in a temporary database, times\n"
          "seeding and an HSDS export/import round trip, then runs Q type-ahead queries (default 1000)\n"
          "and prints p50/p95/p99 latency beside the bare FTS5 MATCH of the same expressions.",
          {{"--services", "N", "Synthetic services to generate (default 100000)"},
           {"--queries", "Q", "Queries to time (default 1000)"},
           {"--seed", "S", "Random seed (default 20261122)"},
           {"--no-import", "", "Skip the HSDS export/import round trip"},
           {"--no-naive", "", "Skip the naive fully-ranked baseline"},
           {"--keep", "", "Keep the temporary databases"},
           {"--reuse", "", "Seed into --db once and reuse it on later runs"},
           {"--show-slowest", "", "List the ten slowest queries with their FTS5 expressions"}},
          0,
          0},
         runBenchSearch},
        {{"bench queues", "bench queues [--referrals N] [--rounds R] [--seed S] [--keep]",
          "Benchmark the practitioner, supervisor and provider queues",
          "Loads N referrals (default 50000) with appointments and alerts into a temporary device database\n"
          "through the pull path, then times every role's queues R times (default 200) beside a bare\n"
          "indexed count.",
          {{"--referrals", "N", "Referrals to load (default 50000)"}, {"--rounds", "R", "Rounds to time (default 200)"},
           {"--seed", "S", "Random seed"}, {"--keep", "", "Keep the temporary database"}},
          0,
          0},
         runBenchQueues},
    };
    return commands;
}

} // namespace signpost::cli
