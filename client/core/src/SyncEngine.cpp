#include "signpost/client/SyncEngine.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/Gzip.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Time.hpp"

#include <charconv>
#include <deque>
#include <future>
#include <optional>

namespace signpost::client {

using nlohmann::json;

namespace {

// An HTTP failure with the server's own message, kept apart from network failures.
struct ServerError : std::runtime_error {
    int status;
    std::string code;
    ServerError(int s, std::string c, const std::string& m) : std::runtime_error(m), status(s), code(std::move(c)) {}
};

std::string nowIso() { return timeutil::isoDateTimeUtc(std::time(nullptr)); }

// Pages of at least this many records are freed on a thread of their own (an initial sync's
// pages of directory records); smaller ones as they go.
constexpr size_t kFreeAsideRecords = 256;

} // namespace

FailureInfo classifyFailure(const std::exception& e) {
    if (dynamic_cast<const TransportError*>(&e)) return {SyncFailure::Offline, {}};
    if (auto* s = dynamic_cast<const ServerError*>(&e)) {
        if (s->status == 401) return {SyncFailure::SignIn, s->what()};
        if (s->status == 403) return {SyncFailure::Refused, s->what()};
        if (s->status == 426) return {SyncFailure::Outdated, {}};
        if (s->status == 429) return {SyncFailure::RateLimited, {}};
        if (s->status >= 500) return {SyncFailure::ServerTrouble, {}};
        return {SyncFailure::BadRequest, s->what()};
    }
    if (auto* err = dynamic_cast<const Error*>(&e); err && err->domain() == ErrorDomain::Parse)
        return {SyncFailure::Damaged, {}};
    return {SyncFailure::Other, e.what()};
}

std::string describeFailure(const FailureInfo& f) {
    switch (f.kind) {
    case SyncFailure::None: return {};
    case SyncFailure::Offline:
        return "No connection to the server. Your changes are kept on this device and will be sent when the "
               "connection is back.";
    case SyncFailure::SignIn: return "You need to sign in again: " + f.detail;
    case SyncFailure::Refused: return "The server refused this: " + f.detail;
    case SyncFailure::Outdated: return "This version of Signpost is too old for the server; please update it.";
    case SyncFailure::RateLimited: return "Too many attempts; wait a little and try again.";
    case SyncFailure::ServerTrouble: return "The server had a problem; Signpost will try again shortly.";
    case SyncFailure::BadRequest: return "The server could not use this request: " + f.detail;
    case SyncFailure::Damaged: return "The server's reply arrived damaged (a poor connection?); Signpost will try again.";
    case SyncFailure::Other: break;
    }
    return "Sync stopped: " + f.detail;
}

std::string describeFailure(const std::exception& e) { return describeFailure(classifyFailure(e)); }

SyncEngine::SyncEngine(db::Database& db, HttpTransport& transport, EngineOptions options)
    : m_db(db), m_store(db, options.clock), m_transport(transport), m_options(options) {
    m_store.setVault(options.vault);
    m_status.pending = m_store.outboxSize();
    m_status.lastSyncAt = m_store.state("last_sync_at").value_or("");
    if (m_store.state("token")) m_status.state = m_status.lastSyncAt.empty() ? SyncStatus::State::Offline : SyncStatus::State::UpToDate;
}

SyncStatus SyncEngine::status() const {
    std::lock_guard lock(m_statusMutex);
    return m_status;
}

void SyncEngine::setStatus(SyncStatus::State state, std::string message, FailureInfo failure) {
    std::lock_guard lock(m_statusMutex);
    m_status.state = state;
    m_status.message = std::move(message);
    m_status.failure = failure.kind;
    m_status.detail = std::move(failure.detail);
}

bool SyncEngine::signedIn() { return m_store.state("token").has_value(); }

std::string SyncEngine::token() {
    auto token = m_store.state("token");
    if (!token) throw ServerError(401, "unauthorized", "not signed in");
    return *token;
}

TransportResponse SyncEngine::call(const std::string& method, const std::string& path, const std::string& body,
                                   bool auth) {
    return exchange(method, path, body, auth ? token() : std::string());
}

TransportResponse SyncEngine::exchange(const std::string& method, const std::string& path, const std::string& body,
                                       const std::string& token) {
    TransportRequest request;
    request.method = method;
    request.path = path;
    request.headers["accept"] = "application/json";
    request.headers["accept-encoding"] = "gzip";
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    if (!body.empty()) {
        request.headers["content-type"] = "application/json";
        if (m_options.gzipRequests && body.size() > 512) {
            // zlib's default level, not the server's fastest: a device's link (a rural hub's
            // mobile signal) is what it is short of, not CPU. Level 1 sent 57 bytes an op where
            // this sends 49 (`bench sync`'s push); the CPU it saved only mattered to the benchmark,
            // whose 200 devices share the server's two cores.
            request.body = sync::gzipCompress(body, 6);
            request.headers["content-encoding"] = "gzip";
        } else {
            request.body = body;
        }
    }
    TransportResponse response = m_transport.send(request);
    if (auto enc = response.headers.find("content-encoding"); enc != response.headers.end() && enc->second == "gzip") {
        response.body = sync::gzipDecompress(response.body, sync::kMaxDecodedBytes);
        response.headers.erase(enc);
    }
    if (response.status != 200) {
        std::string code = "http_" + std::to_string(response.status), message = "HTTP " + std::to_string(response.status);
        json err = json::parse(response.body, nullptr, false);
        if (err.is_object()) {
            code = err.value("error", code);
            message = err.value("message", message);
        }
        throw ServerError(response.status, code, message);
    }
    return response;
}

void SyncEngine::signIn(const std::string& username, const std::string& password) {
    json body{{"username", username}, {"password", password}, {"device_id", m_store.deviceId()}};
    TransportResponse response = call("POST", "/v1/login", body.dump(), false);
    json reply = sync::parseJson(response.body);
    if (!reply.is_object() || !reply.contains("token") || !reply["token"].is_string() || !reply.contains("user"))
        throw Error(ErrorDomain::Parse, "the sign-in reply has no token");
    const json& user = reply["user"];
    sync::Principal who;
    who.userId = user.value("id", "");
    who.role = domain::parseRole(user.value("role", "")).value_or(domain::Role::Practitioner);
    for (const auto& a : user.value("areas", json::array()))
        if (a.is_string()) who.areas.push_back(a.get<std::string>());
    who.organisation = user.value("organisation", "");
    // A different user on this device starts from an empty view of the records.
    // Their vault goes too: the previous user's sealed records are gone, and the new user sets
    // their own passphrase. Unsent changes or drafts of the previous user stop the switch: they
    // would be lost.
    if (auto previous = m_store.principal(); previous && previous->userId != who.userId) {
        if (m_store.outboxSize() > 0)
            throw Error::validation("changes by another user are still waiting to be sent from this device; "
                                    "that user must sync first");
        if (const size_t drafts = m_store.heldDrafts(); drafts > 0)
            throw Error::validation("another user has " + std::to_string(drafts) +
                                    " referral draft(s) on this device; they must submit or delete them first");
        m_store.wipeForResync();
        m_db.exec("DELETE FROM record; DELETE FROM outbox; DELETE FROM rejected_op");
        m_store.clearState("vault");
        // The previous user's queue indexes go with their records: the device keeps the new
        // user's (below).
        schema::dropQueueIndexes(m_db);
    }
    m_store.setState("token", reply["token"].get<std::string>());
    m_store.setState("server_url_user", username);
    m_store.setPrincipal(who, username);
    // The index the user's queues read, made before their records arrive: each pull then writes
    // its entries as it goes (schema v12).
    schema::ensureQueueIndex(m_db, Queues::indexFor(who.role));
    setStatus(SyncStatus::State::Offline, "");
}

void SyncEngine::signOut() {
    try {
        call("POST", "/v1/logout", "{}", true);
    } catch (const std::exception&) {
        // signing out locally must work offline too
    }
    m_store.clearState("token");
    setStatus(SyncStatus::State::SignedOut);
}

std::string SyncEngine::pullQuery(int64_t cursor, const std::string& horizon) const {
    // `protocol`: this device reads compact versions (docs/sync-protocol.md, "Versions").
    return "protocol=" + std::to_string(sync::ProtocolVersion) + "&cursor=" + std::to_string(cursor) +
           "&limit=" + std::to_string(m_options.pullLimit) + "&max_bytes=" + std::to_string(m_options.pullMaxBytes) +
           (horizon.empty() ? "" : "&horizon=" + horizon);
}

std::string SyncEngine::horizonFor(int64_t cursor) {
    // The horizon this cursor chain began under: the server asks for a resync only if a purge
    // since then removed tombstones this device had not seen.
    return cursor == 0 ? "" : m_store.state("horizon").value_or("0");
}

// Pull pages fetched ahead of the one being applied. One thread makes every request, in order, so
// the transport is never used by two threads at once; each page is read (parsed) on a thread of
// its own while the next one is fetched. The next page's cursor comes from the response's headers,
// so asking for it waits neither for this page to be read nor for it to be applied: the server
// writes page n+1, this device reads page n and applies page n-1, on as many cores as there are.
//
// Which requests are made depends only on the pages, never on timing: page 0 is asked for at
// once, page n once page n-1 said there is more and the engine has taken page n-2. At most two
// pages wait beyond the one being applied. A request already allowed is made even if the engine
// stops meanwhile (its answer is dropped), so a simulation seed replays the same requests.
class SyncEngine::PageFetcher {
public:
    struct Page {
        int64_t from = 0;
        std::future<sync::PullResponse> page; // throws what fetching or reading it threw
    };

    // Pages from `from`; the first one already answered if `first` holds it (the page a push's
    // answer brought): then a thread starts only if more pages follow it.
    PageFetcher(SyncEngine& engine, int64_t from, std::string horizon, std::string bearer,
                std::optional<TransportResponse> first = std::nullopt) {
        int64_t n = 0;
        if (first) {
            const int64_t next = accept(std::move(*first), from, horizon);
            if (next < 0) {
                finish();
                return;
            }
            from = next;
            n = 1;
        }
        m_thread = std::thread([this, &engine, from, n, horizon = std::move(horizon), bearer = std::move(bearer)] {
            run(engine, from, n, horizon, bearer);
        });
    }
    ~PageFetcher() {
        {
            std::lock_guard lock(m_mutex);
            m_stopped = true;
        }
        m_wake.notify_all();
        if (m_thread.joinable()) m_thread.join();
    }
    PageFetcher(const PageFetcher&) = delete;
    PageFetcher& operator=(const PageFetcher&) = delete;

    // The next page in order; nullopt once the fetcher has asked for all it will (the last page
    // said there is no more or gave no cursor ahead, or a request failed: the page before holds
    // its error).
    std::optional<Page> next() {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [&] { return !m_ready.empty() || m_finished; });
        if (m_ready.empty()) return std::nullopt;
        Page page = std::move(m_ready.front());
        m_ready.pop_front();
        ++m_taken;
        m_wake.notify_all();
        return page;
    }

private:
    // A whole number the server put in a header; -1 if it is missing or not one.
    static int64_t headerNumber(const TransportResponse& r, const char* name) {
        auto it = r.headers.find(name);
        if (it == r.headers.end()) return -1;
        int64_t v = 0;
        auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
        return ec == std::errc() && end == it->second.data() + it->second.size() && v >= 0 ? v : -1;
    }

    void offer(Page page) {
        std::lock_guard lock(m_mutex);
        m_ready.push_back(std::move(page));
        m_wake.notify_all();
    }

    // Offers the page answered from `cursor` (or the failure to fetch it): where the next page
    // starts, or -1 if none is to be fetched ahead.
    int64_t accept(std::optional<TransportResponse> response, int64_t cursor, std::string& horizon,
                   std::exception_ptr failure = nullptr) {
        Page page;
        page.from = cursor;
        int64_t next = -1, more = -1, since = -1;
        if (response) {
            next = headerNumber(*response, "x-signpost-next-cursor");
            more = headerNumber(*response, "x-signpost-has-more");
            since = headerNumber(*response, "x-signpost-horizon");
            // Read on its own thread while more pages are fetched; the last page (most pulls
            // have only one) is read by the engine when it takes it: a thread started per
            // page was a few per cent of a device's time in small, frequent syncs.
            const auto policy = more == 1 ? std::launch::async : std::launch::deferred;
            page.page = std::async(policy, [body = std::move(response->body)]() mutable {
                return sync::pullResponseFromText(std::move(body), &LocalStore::storesFieldsAsText);
            });
        } else {
            std::promise<sync::PullResponse> failed;
            failed.set_exception(failure);
            page.page = failed.get_future();
        }
        offer(std::move(page));
        // Without the headers (or at the end, or after a failure) the engine reads the page
        // itself and starts again from its cursor.
        if (more != 1 || since < 0 || next <= cursor) return -1;
        // The horizon a chain from 0 began under is the first page's (the engine keeps it).
        if (cursor == 0) horizon = std::to_string(since);
        return next;
    }

    void run(SyncEngine& engine, int64_t cursor, int64_t first, std::string horizon, const std::string& bearer) {
        for (int64_t n = first;; ++n) {
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_taken >= n - 1 || m_stopped; });
                if (m_taken < n - 1) break; // stopped before this page was allowed
            }
            int64_t next = -1;
            try {
                next = accept(engine.exchange("GET", "/v1/pull?" + engine.pullQuery(cursor, horizon), "", bearer), cursor,
                              horizon);
            } catch (...) {
                accept(std::nullopt, cursor, horizon, std::current_exception());
            }
            if (next < 0) break;
            cursor = next;
        }
        finish();
    }

    void finish() {
        std::lock_guard lock(m_mutex);
        m_finished = true;
        m_wake.notify_all();
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Page> m_ready;
    int64_t m_taken = 0;
    bool m_stopped = false, m_finished = false;
    std::thread m_thread;
};

void SyncEngine::fetchFrom(std::unique_ptr<PageFetcher>& ahead, int64_t cursor,
                           std::optional<TransportResponse> first) {
    // The old fetcher's thread stops before the new one starts: two must never share the transport.
    ahead.reset();
    ahead = std::make_unique<PageFetcher>(*this, cursor, horizonFor(cursor), token(), std::move(first));
}

void SyncEngine::push(SyncReport& report, std::unique_ptr<PageFetcher>& ahead) {
    const std::string device = m_store.deviceId();
    size_t total = m_store.outboxSize();
    {
        std::lock_guard lock(m_statusMutex);
        m_status.done = 0;
        m_status.total = total;
        m_status.pending = total;
    }
    while (true) {
        // One entry more than a batch says whether another batch follows.
        auto batch = m_store.outbox(m_options.pushBatch + 1);
        if (batch.empty()) break;
        // Ops written while the last batch was answered (a person acting during the sync): the
        // pages fetched ahead are dropped before they go, so only one thread ever uses the
        // transport. They are fetched again after them.
        ahead.reset();
        const bool last = batch.size() <= m_options.pushBatch;
        if (!last) batch.resize(m_options.pushBatch);
        std::vector<std::string> ops;
        ops.reserve(batch.size());
        for (const auto& e : batch) ops.push_back(e.wire);
        // With the last batch (nothing else is queued) the server sends the pull's first page in
        // its answer: these changes and everyone else's after the cursor, which does not move
        // until the pull applies a page, so the page fits. One request where a round took two.
        const int64_t cursor = last ? m_store.cursor() : 0;
        const std::string path = last ? "/v1/push?pull=1&" + pullQuery(cursor, horizonFor(cursor)) : "/v1/push";
        TransportResponse response;
        try {
            response = call("POST", path, sync::pushRequestBody(device, ops), true);
        } catch (const std::exception& e) {
            m_store.noteAttempt(batch, describeFailure(e));
            throw;
        }
        sync::PushAnswer answer = sync::pushAnswerFromText(std::move(response.body));
        auto& results = answer.response.results;
        if (afterPushAnswered) afterPushAnswered();
        if (last) {
            // The page is read while the results are recorded here. A server that sent none (an
            // older one, or one that could not read it) is asked for it as before.
            std::optional<TransportResponse> first;
            if (answer.pullPage) {
                response.body = std::move(*answer.pullPage);
                first = std::move(response);
            }
            fetchFrom(ahead, cursor, std::move(first));
        }
        m_store.recordResults(results, nowIso());
        for (const auto& r : results) {
            ++report.pushed;
            auto effective = r.status == sync::OpStatus::Duplicate && r.original ? *r.original : r.status;
            if (r.status == sync::OpStatus::Duplicate) ++report.duplicates;
            else if (effective == sync::OpStatus::Applied) ++report.applied;
            if (effective == sync::OpStatus::Conflict) ++report.conflicts;
            if (effective == sync::OpStatus::Rejected) ++report.rejected;
        }
        std::lock_guard lock(m_statusMutex);
        m_status.done += results.size();
        // Counted down, not counted again: a count of a large outbox per batch was most of a
        // 20,000-op push. Ops written meanwhile are counted when the round ends.
        m_status.pending = m_status.pending > results.size() ? m_status.pending - results.size() : 0;
        if (results.size() < batch.size() && results.empty()) break; // the server answered nothing: retry later
    }
}

void SyncEngine::pull(SyncReport& report, std::unique_ptr<PageFetcher>& ahead) {
    // While a page is applied (the device's disk and CPU), the next ones are fetched and read on
    // other threads (PageFetcher). If the cursor has moved otherwise (a resync), the pages read
    // ahead are dropped.
    //
    // A page applied is freed on a second thread: its thousands of small records took a share
    // of the device's time in an initial sync.
    std::future<void> freeing;
    bool more = true;
    while (more) {
        const int64_t cursor = m_store.cursor();
        std::optional<PageFetcher::Page> next;
        if (ahead) next = ahead->next();
        if (!next || next->from != cursor) {
            fetchFrom(ahead, cursor); // the old one's pages are not ours any more: dropped
            next = ahead->next();
            if (!next) throw Error(ErrorDomain::Internal, "no pull page was fetched");
        }
        sync::PullResponse page = next->page.get();
        if (page.resync) {
            // Older than the server's tombstone horizon: our outbox went first (push ran), now
            // start the view again from nothing.
            ahead.reset();
            m_store.wipeForResync();
            report.resynced = true;
            continue;
        }
        if (cursor == 0) m_store.setState("horizon", std::to_string(page.horizon));
        auto applied = m_store.applyPull(page);
        report.pulled += applied.records;
        report.removed += applied.removals;
        more = page.hasMore;
        if (freeing.valid()) freeing.wait();
        // A large page is freed on another thread; a small one here (a thread costs more).
        if (page.records.size() >= kFreeAsideRecords)
            freeing = std::async(std::launch::async, [done = std::move(page)]() mutable { done = {}; });
        std::lock_guard lock(m_statusMutex);
        m_status.done += applied.records;
    }
    ahead.reset(); // the last page said there is no more: nothing is in flight
    report.cursor = m_store.cursor();
}

void SyncEngine::refreshColleagues() {
    const json body = sync::parseJson(call("GET", "/v1/colleagues", "", true).body);
    if (!body.is_object() || !body.contains("colleagues"))
        throw Error(ErrorDomain::Parse, "the server's reply has no list of colleagues");
    m_store.setColleagues(LocalStore::parseColleagues(body["colleagues"]));
}

SyncReport SyncEngine::syncOnce() {
    SyncReport report;
    if (!signedIn()) {
        report.error = "Sign in to sync.";
        setStatus(SyncStatus::State::SignedOut, report.error);
        return report;
    }
    setStatus(SyncStatus::State::Syncing);
    try {
        std::unique_ptr<PageFetcher> ahead;
        push(report, ahead);
        pull(report, ahead);
        if (m_options.materialiseDirectory && m_store.pendingDirectory() > 0)
            report.indexed = m_store.materialiseDirectory();
        if (auto who = m_store.principal(); who && (who->role == domain::Role::Supervisor || who->role == domain::Role::Admin))
            refreshColleagues();
        report.complete = true;
        const std::string at = nowIso();
        m_store.setState("last_sync_at", at);
        {
            std::lock_guard lock(m_statusMutex);
            m_status.lastSyncAt = at;
        }
        setStatus(SyncStatus::State::UpToDate);
    } catch (const std::exception& e) {
        FailureInfo failure = classifyFailure(e);
        report.error = describeFailure(failure);
        if (failure.kind == SyncFailure::SignIn) m_store.clearState("token");
        setStatus(failure.kind == SyncFailure::Offline ? SyncStatus::State::Offline : SyncStatus::State::Error,
                  report.error, std::move(failure));
    }
    // Counted from the status index: reading every conflict (and unsealing it) each round grew
    // with the history of conflicts, resolved ones included.
    report.conflictsWaiting = m_store.countWithStatus("conflict", "open");
    std::lock_guard lock(m_statusMutex);
    m_status.pending = m_store.outboxSize();
    return report;
}

// ---------------------------------------------------------------------------------- SyncLoop

SyncLoop::SyncLoop(std::function<SyncReport()> round, Options options) : m_round(std::move(round)), m_options(options) {}

SyncLoop::~SyncLoop() { stop(); }

std::chrono::milliseconds SyncLoop::backoff(int failures, const Options& o, std::mt19937& rng) {
    if (failures <= 0) return o.interval;
    double base = static_cast<double>(o.minBackoff.count());
    for (int i = 1; i < failures && base < static_cast<double>(o.maxBackoff.count()); ++i) base *= 2;
    base = std::min(base, static_cast<double>(o.maxBackoff.count()));
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    return std::chrono::milliseconds(static_cast<int64_t>(base * jitter(rng)));
}

void SyncLoop::start() {
    std::lock_guard lock(m_mutex);
    if (m_thread.joinable()) return;
    m_stop = false;
    m_thread = std::thread([this] { run(); });
}

void SyncLoop::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void SyncLoop::nudge() {
    {
        std::lock_guard lock(m_mutex);
        m_nudged = true;
    }
    m_wake.notify_all();
}

std::chrono::milliseconds SyncLoop::nextDelay() const {
    std::lock_guard lock(m_mutex);
    return m_next;
}

void SyncLoop::run() {
    while (true) {
        SyncReport report = m_round();
        std::unique_lock lock(m_mutex);
        m_failures = report.complete ? 0 : m_failures + 1;
        m_next = backoff(m_failures, m_options, m_rng);
        m_wake.wait_for(lock, m_next, [&] { return m_stop || m_nudged; });
        if (m_stop) return;
        m_nudged = false;
    }
}

} // namespace signpost::client
