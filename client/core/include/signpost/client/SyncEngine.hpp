#pragma once
// Runs sync for one local database: sign in, push the outbox, pull changes, materialise the
// directory. syncOnce() is one round (the CLI's `sync`, tests); SyncLoop runs rounds on a timer
// with exponential backoff and jitter, and at once when nudged (a local write, a reconnect).
#include "signpost/client/HttpTransport.hpp"
#include "signpost/client/LocalStore.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

namespace signpost::client {

// Why a round (or a sign-in) failed, so the UI can say it in the person's language; core keeps
// no translations. `detail` is the server's or the error's own words, when there are any.
enum class SyncFailure { None, Offline, SignIn, Refused, Outdated, RateLimited, ServerTrouble, BadRequest, Damaged, Other };
struct FailureInfo {
    SyncFailure kind = SyncFailure::None;
    std::string detail;
};

// What the status bar shows.
struct SyncStatus {
    enum class State { SignedOut, Offline, Syncing, UpToDate, Error };
    State state = State::SignedOut;
    size_t done = 0;          // syncing n …
    size_t total = 0;         // … of m (ops to push, then records to pull when known)
    std::string lastSyncAt;   // ISO time of the last complete round
    std::string message;      // for Offline and Error: a sentence a person understands (English)
    SyncFailure failure = SyncFailure::None; // … and what it was, for the UI's own language
    std::string detail;       // the server's own words about it, if any
    size_t pending = 0;       // changes waiting to be sent
};

struct SyncReport {
    size_t pushed = 0, applied = 0, duplicates = 0, conflicts = 0, rejected = 0;
    size_t pulled = 0, removed = 0, indexed = 0;
    size_t conflictsWaiting = 0; // open conflicts this user can resolve
    bool resynced = false;
    bool complete = false;        // push and pull both finished
    int64_t cursor = 0;
    std::string error;            // empty when complete
};

struct EngineOptions {
    size_t pushBatch = 200;
    size_t pullLimit = 5000;
    size_t pullMaxBytes = 8u * 1024 * 1024;
    bool gzipRequests = true;
    bool materialiseDirectory = true; // index pulled directory records into search at the end
    std::function<std::time_t()> clock; // the device clock (tests skew it); null: the system clock
    const crypto::Vault* vault = nullptr; // unlocked at sign-in; without it referrals cannot sync
};

class SyncEngine {
public:
    SyncEngine(db::Database& db, HttpTransport& transport, EngineOptions options = {});

    // Signs in and keeps the token and the user in the local database.
    void signIn(const std::string& username, const std::string& password);
    void signOut();
    bool signedIn();

    SyncReport syncOnce();
    SyncStatus status() const;

    // Test hook: called between a push being answered and its results being recorded (a crash
    // there must neither lose nor duplicate anything).
    std::function<void()> afterPushAnswered;

private:
    std::string token(); // the bearer token kept in the local database; 401 if signed out
    TransportResponse call(const std::string& method, const std::string& path, const std::string& body, bool auth);
    // One request and its decoded answer; an empty token sends none. Touches no database, so the
    // pull's PageFetcher thread may run it.
    TransportResponse exchange(const std::string& method, const std::string& path, const std::string& body,
                               const std::string& token);
    // Pull pages fetched and read on other threads ahead of the one being applied (SyncEngine.cpp).
    class PageFetcher;
    // A pull's query (without the '?'): GET /v1/pull's, and a push's that brings the first page.
    std::string pullQuery(int64_t cursor, const std::string& horizon) const;
    std::string horizonFor(int64_t cursor);
    // Replaces `ahead` (stopped first) with a fetcher starting at `cursor`; `first`, if given, is
    // that page's answer already in hand (it came with a push's).
    void fetchFrom(std::unique_ptr<PageFetcher>& ahead, int64_t cursor,
                   std::optional<TransportResponse> first = std::nullopt);
    void push(SyncReport& report, std::unique_ptr<PageFetcher>& ahead);
    void pull(SyncReport& report, std::unique_ptr<PageFetcher>& ahead);
    void setStatus(SyncStatus::State state, std::string message = {}, FailureInfo failure = {});
    // Supervisors and admins: who a referral can be handed to, kept for offline use.
    void refreshColleagues();

    db::Database& m_db;
    LocalStore m_store;
    HttpTransport& m_transport;
    EngineOptions m_options;
    mutable std::mutex m_statusMutex;
    SyncStatus m_status;
};

// What kind of failure an exception from a round or a sign-in is.
FailureInfo classifyFailure(const std::exception& e);
// A person-readable reason for a failed round ("No connection to the server; …"), in English:
// for the CLI and the outbox's last-error column. The client translates classifyFailure().
std::string describeFailure(const std::exception& e);
std::string describeFailure(const FailureInfo& failure);

// Background rounds: every `interval` when all is well; after a failure, backoff doubling from
// `minBackoff` to `maxBackoff` with ±50% jitter (so a hub full of laptops does not retry in step);
// nudge() runs a round at once.
class SyncLoop {
public:
    struct Options {
        std::chrono::milliseconds interval{60'000};
        std::chrono::milliseconds minBackoff{2'000};
        std::chrono::milliseconds maxBackoff{300'000};
    };
    SyncLoop(std::function<SyncReport()> round, Options options);
    ~SyncLoop();
    void start();
    void stop();
    void nudge();
    std::chrono::milliseconds nextDelay() const; // for tests and the status bar

    // The pure backoff schedule: the delay after `failures` consecutive failures.
    static std::chrono::milliseconds backoff(int failures, const Options& options, std::mt19937& rng);

private:
    void run();
    std::function<SyncReport()> m_round;
    Options m_options;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    bool m_nudged = false;
    int m_failures = 0;
    std::chrono::milliseconds m_next{0};
    std::mt19937 m_rng{std::random_device{}()};
};

} // namespace signpost::client
