#pragma once
// signpost-server's behaviour, independent of the HTTP library: routing, authentication,
// authorisation, push and pull, errors as JSON, metrics and one log line per request.
// Thread-safe: the HTTP layer calls handle() from its worker threads.
#include "Http.hpp"
#include "store/ServerStore.hpp"
#include "signpost/sync/Access.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace signpost::server {

enum class LogLevel { Error, Warn, Info, Debug };

struct ServiceOptions {
    int64_t tokenLifetimeSeconds = 12 * 3600;
    // Failed logins allowed per username and per address in the window before 429.
    int maxFailuresPerUser = 5;
    int maxFailuresPerAddress = 20;
    int64_t failureWindowSeconds = 15 * 60;
    LogLevel logLevel = LogLevel::Info;
    std::function<void(const std::string& line)> log;   // one JSON line per request; null: silent
    std::function<int64_t()> clock;                     // unix seconds; null: the system clock
    // How often a maintenance thread calls ServerStore::maintain() (WAL checkpoints) on a store of
    // its own; zero: never (the store then checkpoints on its request connections).
    std::chrono::milliseconds maintenanceInterval{0};
};

// How a bearer token is stored: BLAKE2b-256, hex. The token itself is never stored.
std::string tokenHash(const std::string& token);

// Argon2id (libsodium crypto_pwhash_str, interactive limits).
std::string hashPassword(const std::string& password);
bool verifyPassword(const std::string& hash, const std::string& password);

struct NewUser {
    std::string username;
    domain::Role role;
    std::vector<std::string> areas;
    std::string organisation;
};

class SyncService {
public:
    using StoreFactory = std::function<std::unique_ptr<ServerStore>()>;
    SyncService(StoreFactory factory, ServiceOptions options = {});
    ~SyncService();

    HttpResponse handle(const HttpRequest& request);

    // Administration (signpost-server user …, tests).
    User addUser(const std::string& username, const std::string& password, domain::Role role,
                 std::vector<std::string> areas, std::string organisation, std::string displayName = {});
    // Many users sharing one password, hashed once (a pilot's set-up, a load test).
    void importUsers(const std::vector<NewUser>& users, const std::string& password);
    void disableUser(const std::string& username);
    void resetPassword(const std::string& username, const std::string& password);
    std::vector<User> listUsers();
    size_t purgeTombstonesBefore(int64_t seq);
    // Agreements whose grants changed by date since the last sweep (isa_from arrived, isa_to
    // passed): their referrals are re-shared (reshareReferrals), once. The maintenance thread
    // runs it when the UTC date changes (and at start); tests call it directly. Returns the
    // referrals re-shared.
    size_t reshareAgreementsChangedByDate();

    struct Counters {
        std::atomic<int64_t> opsApplied{0}, opsDuplicate{0}, opsConflict{0}, opsRejected{0}, conflicts{0};
    };
    const Counters& counters() const { return m_counters; }

private:
    class Lease; // a store checked out of the pool
    struct Route;
    struct Context;

    HttpResponse dispatch(Context& ctx);
    HttpResponse login(Context& ctx);
    HttpResponse logout(Context& ctx);
    HttpResponse me(Context& ctx);
    // The practitioners and supervisors a supervisor may hand a referral to: active, working in
    // an area that overlaps the caller's (an admin: everyone). Names and areas only.
    HttpResponse colleagues(Context& ctx);
    HttpResponse push(Context& ctx);
    // The ops of a push applied and committed, each in its savepoint, under the write lock.
    sync::PushResponse applyOps(Context& ctx, sync::PushRequest& request);
    HttpResponse pull(Context& ctx);
    // What a pull asks for (its query), read before anything is applied.
    struct PullAsk {
        int64_t cursor = 0;
        size_t limit = 0;
        size_t maxBytes = 0;
        int64_t horizon = 0;
        uint32_t protocol = sync::MinProtocolVersion; // the page's form: 1 names every version
    };
    static PullAsk pullAsk(const HttpRequest& request);
    // One pull page as the body of GET /v1/pull, with its read-ahead headers set on `headers`.
    std::string pullPage(Context& ctx, const PullAsk& ask, std::map<std::string, std::string>& headers);
    HttpResponse metrics(Context& ctx);
    void authenticate(Context& ctx);

    std::unique_ptr<ServerStore> acquire();
    void giveBack(std::unique_ptr<ServerStore> store);
    int64_t now() const;
    bool loginAllowed(const std::string& key, int limit, int64_t& retryAfter);
    void loginFailed(const std::string& key);
    void recordMetrics(const std::string& route, int status, double ms);
    void logLine(const Context& ctx, int status, double ms, size_t bytesOut);

    StoreFactory m_factory;
    ServiceOptions m_options;
    std::mutex m_poolMutex;
    std::vector<std::unique_ptr<ServerStore>> m_pool;
    std::mutex m_writeMutex; // one writer at a time: SQLite allows no more, and it keeps seqs ordered

    std::mutex m_failMutex;
    std::map<std::string, std::vector<int64_t>> m_failures; // "u:name" / "a:address" → times

    std::mutex m_metricsMutex;
    std::map<std::pair<std::string, int>, int64_t> m_requests;
    std::vector<double> m_bucketBounds;
    std::vector<int64_t> m_buckets;
    double m_latencySum = 0;
    int64_t m_latencyCount = 0;
    Counters m_counters;

    void maintenanceLoop();
    std::mutex m_maintenanceMutex;
    std::condition_variable m_maintenanceWake;
    bool m_stopping = false;
    std::thread m_maintenance;
};

} // namespace signpost::server
