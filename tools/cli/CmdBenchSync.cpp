// signpost-cli bench sync: the sync path measured end to end against a real signpost-server on
// loopback (started here as a child process), or --soak N: the convergence simulation for N seeds.
#include "Commands.hpp"
#include "Progress.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/client/CurlTransport.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "SyncSimulation.hpp"

#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

extern char** environ;

namespace signpost::cli {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kPassword = "bench-password-1";

json referralFields(size_t i) {
    return json{{"area", "PDU-GWENT"},
                {"crn", "X" + std::to_string(100000 + i % 900000)},
                {"given_name", "Person"},
                {"family_name", std::to_string(i)},
                {"date_of_birth", "1990-01-01"},
                {"supervision_type", "licence"},
                {"needs", json::array({json{{"need", "finance"}, {"complexity", "medium"}}})},
                {"reason", "Debts are building up since release."},
                {"risk_summary", "No concerns for a group setting."},
                {"service_id", "bench-service"},
                {"notes", "Drafted offline in a hub."}};
}

// CPU time of this whole process (every client thread), user and system.
double processCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

fs::path serverBinary() {
    fs::path self = fs::read_symlink("/proc/self/exe");
    fs::path server = self.parent_path() / "signpost-server";
    if (!fs::exists(server)) throw Error::io("signpost-server is not beside signpost-cli (" + server.string() + ")");
    return server;
}

int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

int runProcess(const std::vector<std::string>& argv, const std::string& logPath, pid_t* background = nullptr) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    setenv("SIGNPOST_PASSWORD", kPassword, 1);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error::io("cannot start " + argv[0]);
    if (background) {
        *background = pid;
        return 0;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error::io(argv[0] + " " + argv[1] + " failed; see " + logPath);
    return 0;
}

// A signpost-server on a free loopback port, stopped (SIGTERM) when this goes out of scope.
class ChildServer {
public:
    ChildServer(const fs::path& dataDir, const fs::path& log) : m_log(log.string()) {
        m_port = freePort();
        runProcess({serverBinary().string(), "serve", "--listen", "127.0.0.1:" + std::to_string(m_port), "--data-dir",
                    dataDir.string(), "--log-level", "warn"},
                   m_log, &m_pid);
        client::CurlTransport probe(url());
        for (int i = 0; i < 200; ++i) {
            try {
                if (probe.send({"GET", "/healthz", {}, {}}).status == 200) return;
            } catch (const client::TransportError&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw Error::io("signpost-server did not start; see " + m_log);
    }
    ~ChildServer() {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            int status = 0;
            waitpid(m_pid, &status, 0);
        }
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    // CPU seconds the server process has used so far (user + system), from /proc.
    double cpuSeconds() const {
        std::ifstream stat("/proc/" + std::to_string(m_pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        auto close = text.rfind(')'); // the command name may hold spaces
        if (close == std::string::npos) return 0;
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        double ticks = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i)
            if (i == 14 || i == 15) ticks += std::stod(field); // utime, stime
        return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }

private:
    std::string m_log;
    int m_port = 0;
    pid_t m_pid = -1;
};

void prepareServer(const fs::path& data, const fs::path& log, const std::string& usersCsv, size_t syntheticServices) {
    fs::create_directories(data);
    auto csv = data / "users.csv";
    std::ofstream(csv) << usersCsv;
    const std::string server = serverBinary().string();
    runProcess({server, "user", "import", csv.string(), "--data-dir", data.string()}, log.string());
    if (syntheticServices)
        runProcess({server, "directory", "seed", "--synthetic", std::to_string(syntheticServices), "--data-dir",
                    data.string()},
                   log.string());
    else runProcess({server, "directory", "seed", "--data-dir", data.string()}, log.string());
}

int soak(const ParsedArgs& args) {
    const uint64_t seeds = static_cast<uint64_t>(args.intValue("--soak", 1000, 1, 100'000'000));
    const uint64_t first = static_cast<uint64_t>(args.intValue("--first-seed", 1, 1, INT64_MAX));
    const int steps = static_cast<int>(args.intValue("--steps", 120, 10, 100'000));
    sim::Coverage coverage;
    auto start = Clock::now();
    for (uint64_t i = 0; i < seeds; ++i) {
        auto result = sim::runSimulation(first + i, steps, coverage);
        if (!result.ok) {
            std::printf("seed %llu FAILED (replay: signpost-cli bench sync --soak 1 --first-seed %llu):\n%s\n",
                        static_cast<unsigned long long>(result.seed), static_cast<unsigned long long>(result.seed),
                        result.failure.c_str());
            return kExitFailure;
        }
        if (Progress::stdoutIsTerminal()) std::printf("\r%llu/%llu seeds", static_cast<unsigned long long>(i + 1),
                                                      static_cast<unsigned long long>(seeds));
    }
    std::printf("\r%llu seeds from %llu, %d steps each, converged in %.1f s. Exercised:\n",
                static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(first), steps, secondsSince(start));
    for (const auto& [key, n] : coverage.counts) std::printf("  %-22s %lld\n", key.c_str(), static_cast<long long>(n));
    return kExitOk;
}

int runBenchSync(const Context&, const ParsedArgs& args) {
    if (args.has("--soak")) return soak(args);
    const size_t services = static_cast<size_t>(args.intValue("--services", 100000, 100, 10'000'000));
    const size_t referrals = static_cast<size_t>(args.intValue("--referrals", 20000, 0, 10'000'000));
    const size_t changes = static_cast<size_t>(args.intValue("--changes", 100, 1, 100000));
    const int rounds = static_cast<int>(args.intValue("--rounds", 20, 1, 10000));
    const int clients = static_cast<int>(args.intValue("--clients", 200, 1, 2000));
    const int seconds = static_cast<int>(args.intValue("--seconds", 60, 1, 3600));
    fs::path dir = fs::temp_directory_path() / ("signpost-bench-sync-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    struct Cleanup {
        fs::path path;
        bool keep;
        ~Cleanup() {
            std::error_code ec;
            if (!keep) fs::remove_all(path, ec);
        }
    } cleanup{dir, args.has("--keep")};
    std::printf("signpost-cli bench sync: a real signpost-server on 127.0.0.1 (work dir %s)\n\n", dir.c_str());

    // ------------------------------------------------------------ initial sync and increments
    {
        std::printf("Preparing: %zu synthetic directory services on the server…\n", services);
        prepareServer(dir / "server", dir / "server.log",
                      "writer,practitioner,Gwent,\nreader,supervisor,Gwent,\n", services);
        ChildServer server(dir / "server", dir / "server.log");

        auto writerDb = schema::openLocal((dir / "writer.db").string());
        client::CurlTransport writerNet(server.url());
        // Benchmark devices use cheap Argon2id parameters: the figures are about sync, and a
        // device derives its key once per sign-in anyway.
        client::LocalStore writerStore(writerDb);
        auto writerVault = writerStore.openVault("bench passphrase", crypto::KdfCost::Minimum);
        writerStore.setVault(&writerVault);
        client::EngineOptions noIndex;
        noIndex.materialiseDirectory = false;
        noIndex.vault = &writerVault;
        client::SyncEngine writer(writerDb, writerNet, noIndex);
        writer.signIn("writer", kPassword);
        writer.syncOnce(); // the writer's own initial pull (not measured)
        std::vector<std::string> ids;
        ids.reserve(referrals);
        {
            // Complete referrals, submitted at once (drafts would stay on the device).
            db::Transaction txn(writerDb);
            for (size_t i = 0; i < referrals; ++i) {
                ids.push_back(writerStore.create("referral", referralFields(i)));
                writerStore.transition("referral", ids.back(), "submitted");
            }
            txn.commit();
        }
        auto start = Clock::now();
        uint64_t sent0 = writerNet.bytesSent();
        auto pushed = writer.syncOnce();
        double pushSeconds = secondsSince(start);
        std::printf("Push of %zu new submitted referrals (%zu ops with their audit entries): %.2f s = %.0f ops/s, "
                    "%.0f bytes/op on the wire%s\n",
                    referrals, pushed.applied, pushSeconds, static_cast<double>(pushed.applied) / pushSeconds,
                    static_cast<double>(writerNet.bytesSent() - sent0) / std::max<double>(1, static_cast<double>(pushed.applied)),
                    pushed.complete ? "" : " (INCOMPLETE)");

        auto readerDb = schema::openLocal((dir / "reader.db").string());
        client::CurlTransport readerNet(server.url());
        client::LocalStore readerKeys(readerDb);
        auto readerVault = readerKeys.openVault("bench passphrase", crypto::KdfCost::Minimum);
        client::EngineOptions readerOptions = noIndex;
        readerOptions.vault = &readerVault;
        client::SyncEngine reader(readerDb, readerNet, readerOptions);
        reader.signIn("reader", kPassword);
        uint64_t received0 = readerNet.bytesReceived();
        start = Clock::now();
        auto initial = reader.syncOnce();
        double pullSeconds = secondsSince(start);
        uint64_t bytes = readerNet.bytesReceived() - received0;
        std::printf("\nInitial sync into an empty client: %zu records (%zu directory + %zu referrals) in %.2f s = %.0f records/s "
                    "(target >= 20,000)\n",
                    initial.pulled, services + services / 4 + 1, referrals, pullSeconds,
                    static_cast<double>(initial.pulled) / pullSeconds);
        std::printf("  bytes on the wire: %.1f MB gzip = %.0f bytes/record%s\n", static_cast<double>(bytes) / 1e6,
                    static_cast<double>(bytes) / std::max<double>(1, static_cast<double>(initial.pulled)),
                    initial.complete ? "" : " (INCOMPLETE)");
        client::LocalStore readerStore(readerDb);
        start = Clock::now();
        size_t indexed = readerStore.materialiseDirectory();
        double indexSeconds = secondsSince(start);
        std::printf("  then indexing the directory for search: %zu records in %.2f s = %.0f records/s (sync done to "
                    "searchable: %.2f s)\n",
                    indexed, indexSeconds, static_cast<double>(indexed) / indexSeconds, pullSeconds + indexSeconds);

        std::vector<double> roundMs;
        if (ids.empty()) std::printf("\nIncremental rounds skipped: they edit the pushed referrals (--referrals 0)\n");
        for (int r = 0; r < rounds && !ids.empty(); ++r) {
            {
                db::Transaction txn(writerDb);
                for (size_t c = 0; c < changes; ++c)
                    writerStore.update("referral", ids[(static_cast<size_t>(r) * changes + c) % ids.size()],
                                       json{{"notes", "round " + std::to_string(r) + " change " + std::to_string(c)}});
                // (each change also writes its audit entry, so a round pushes 2 × --changes ops)
                txn.commit();
            }
            start = Clock::now();
            auto report = writer.syncOnce();
            roundMs.push_back(secondsSince(start) * 1000);
            if (!report.complete) std::printf("  round %d failed: %s\n", r, report.error.c_str());
        }
        if (!roundMs.empty())
            std::printf("\nIncremental push+pull of %zu changes, %d rounds: p50 %.1f ms, p95 %.1f ms (target p95 <= 50 ms)\n",
                        changes, rounds, percentile(roundMs, 0.5), percentile(roundMs, 0.95));
    }

    // ----------------------------------------------------------------- concurrent clients
    {
        std::printf("\nPreparing %d users for the concurrency run…\n", clients);
        std::string csv;
        static const char* areas[] = {"Gwent", "Cardiff", "Bolton", "Manchester", "Swansea", "Wrexham", "North Wales",
                                      "Oldham", "Wigan", "Newport"};
        for (int i = 0; i < clients; ++i)
            csv += "load" + std::to_string(i) + ",practitioner," + areas[i % 10] + ",\n";
        prepareServer(dir / "load", dir / "load.log", csv, 0);
        ChildServer server(dir / "load", dir / "load.log");
        struct Client {
            db::Database db = db::Database::memory();
            std::unique_ptr<client::CurlTransport> net;
            std::unique_ptr<crypto::Vault> vault;
            std::unique_ptr<client::SyncEngine> engine;
        };
        std::vector<std::unique_ptr<Client>> pool;
        for (int i = 0; i < clients; ++i) {
            auto c = std::make_unique<Client>();
            db::migrate(c->db, schema::localMigrations());
            c->net = std::make_unique<client::CurlTransport>(server.url());
            client::LocalStore keys(c->db);
            c->vault = std::make_unique<crypto::Vault>(keys.openVault("bench passphrase", crypto::KdfCost::Minimum));
            client::EngineOptions options;
            options.vault = c->vault.get();
            c->engine = std::make_unique<client::SyncEngine>(c->db, *c->net, options);
            c->engine->signIn("load" + std::to_string(i), kPassword);
            c->engine->syncOnce();
            pool.push_back(std::move(c));
        }
        std::atomic<bool> stop{false};
        std::atomic<int64_t> ops{0}, pulledRecords{0}, errors{0}, roundsDone{0};
        std::mutex latencyMutex;
        std::vector<double> latencies;
        std::vector<std::thread> threads;
        std::printf("Running %d clients for %d s…\n", clients, seconds);
        std::fflush(stdout);
        auto begin = Clock::now();
        const double serverCpu0 = server.cpuSeconds();
        const double clientCpu0 = processCpuSeconds();
        for (int i = 0; i < clients; ++i) {
            threads.emplace_back([&, i] {
                Client& c = *pool[static_cast<size_t>(i)];
                client::LocalStore store(c.db);
                store.setVault(c.vault.get());
                const std::string area = store.principal()->areas.at(0);
                std::vector<double> mine;
                int n = 0;
                while (!stop) {
                    {
                        db::Transaction txn(c.db);
                        for (int k = 0; k < 5; ++k) {
                            json fields = referralFields(static_cast<size_t>(++n));
                            fields["area"] = area;
                            store.transition("referral", store.create("referral", fields), "submitted");
                        }
                        txn.commit();
                    }
                    auto t = Clock::now();
                    auto report = c.engine->syncOnce();
                    mine.push_back(secondsSince(t) * 1000);
                    ops += static_cast<int64_t>(report.applied);
                    pulledRecords += static_cast<int64_t>(report.pulled);
                    if (!report.complete) ++errors;
                    ++roundsDone;
                }
                std::lock_guard lock(latencyMutex);
                latencies.insert(latencies.end(), mine.begin(), mine.end());
            });
        }
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        stop = true;
        for (auto& t : threads) t.join();
        double elapsed = secondsSince(begin);
        const double serverCpu = server.cpuSeconds() - serverCpu0;
        const double clientCpu = processCpuSeconds() - clientCpu0;
        std::printf("%d concurrent clients pushing and pulling for %.0f s: %lld rounds, %.0f pushed ops/s, round "
                    "latency p50 %.1f ms p99 %.1f ms, %lld errors (target >= 5,000 ops/s, zero errors)\n",
                    clients, elapsed, static_cast<long long>(roundsDone.load()), static_cast<double>(ops.load()) / elapsed,
                    percentile(latencies, 0.5), percentile(latencies, 0.99), static_cast<long long>(errors.load()));
        // The clients run in this process on the same cores: say how the CPU was shared.
        const double perOp = ops.load() > 0 ? 1e6 / static_cast<double>(ops.load()) : 0.0;
        std::printf("  CPU: the server %.1f s (%.0f us per pushed op), the clients in this process %.1f s (%.0f us per "
                    "pushed op), of %.1f s on %ld cores\n",
                    serverCpu, serverCpu * perOp, clientCpu, clientCpu * perOp, elapsed, sysconf(_SC_NPROCESSORS_ONLN));
        // Practitioners in one area read each other's referrals, so every pushed op is pulled by
        // the other devices of its area: that fan-out is part of the load.
        std::printf("  pulled by the clients: %.0f records/s (%.1f per pushed op)\n",
                    static_cast<double>(pulledRecords.load()) / elapsed,
                    ops.load() > 0 ? static_cast<double>(pulledRecords.load()) / static_cast<double>(ops.load()) : 0.0);
    }
    return kExitOk;
}

} // namespace

const std::vector<Command>& benchSyncCommands() {
    static const std::vector<Command> commands{
        {{"bench sync",
          "bench sync [--services N] [--referrals N] [--changes N] [--rounds N] [--clients N] [--seconds S] | --soak N",
          "Benchmark sync against a real server on loopback, or soak the convergence simulation",
          "Starts signpost-server (from beside signpost-cli) on a free 127.0.0.1 port with N synthetic directory\n"
          "services, pushes the referrals from one client, then measures: the initial sync of everything into\n"
          "an empty client (records/s, bytes on the wire per record, then directory indexing), incremental\n"
          "push+pull rounds of --changes edits (p50/p95), and --clients concurrent clients pushing and pulling\n"
          "for --seconds (ops/s, p99, errors). --soak N instead runs N seeds of the convergence simulation.",
          {{"--services", "N", "Directory services on the server (default 100000)"},
           {"--referrals", "N", "Referrals pushed, then pulled (default 20000)"},
           {"--changes", "N", "Changes per incremental round (default 100)"},
           {"--rounds", "N", "Incremental rounds (default 20)"},
           {"--clients", "N", "Concurrent clients (default 200)"},
           {"--seconds", "S", "Length of the concurrent run (default 60)"},
           {"--soak", "N", "Run N seeds of the convergence simulation instead"},
           {"--first-seed", "S", "With --soak: start at seed S (replay one with --soak 1 --first-seed S)"},
           {"--steps", "N", "With --soak: random steps per seed (default 120)"},
           {"--keep", "", "Keep the work directory"}},
          0,
          0},
         runBenchSync},
    };
    return commands;
}

} // namespace signpost::cli
