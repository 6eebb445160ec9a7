#include "SyncService.hpp"
#include "signpost/Error.hpp"
#include "Apply.hpp"
#include "signpost/domain/Referral.hpp"
#include "signpost/sync/Gzip.hpp"
#include "signpost/util/JsonText.hpp"
#include "signpost/util/Text.hpp"
#include "signpost/util/Time.hpp"
#include "signpost/util/Uuid.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace signpost::server {

using nlohmann::json;

namespace {

// An error with its HTTP status; everything else that escapes a handler becomes a 500.
struct HttpError : std::runtime_error {
    int status;
    std::string code;
    int64_t retryAfter = 0;
    HttpError(int s, std::string c, const std::string& message) : std::runtime_error(message), status(s), code(std::move(c)) {}
};

HttpResponse jsonResponse(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.headers["content-type"] = "application/json";
    r.body = body.dump();
    return r;
}

HttpResponse errorResponse(int status, const std::string& code, const std::string& message) {
    return jsonResponse(status, json{{"error", code}, {"message", message}});
}

std::string header(const HttpRequest& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
}

std::string hex(const unsigned char* data, size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.resize(size * 2);
    return out;
}

} // namespace

std::string tokenHash(const std::string& token) {
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    return hex(digest, sizeof digest);
}

namespace {

std::string newToken() {
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

json userJson(const User& u) {
    return json{{"id", u.id}, {"username", u.username}, {"display_name", u.displayName},
                {"role", domain::toCode(u.role)}, {"areas", u.areas}, {"organisation", u.organisation}};
}

// A device speaking a protocol this server does not.
HttpError upgradeRequired() {
    return HttpError(426, "upgrade_required", "this server speaks sync protocol " + std::to_string(sync::MinProtocolVersion) +
                                                  " to " + std::to_string(sync::ProtocolVersion));
}

int64_t queryInt(const HttpRequest& r, const std::string& name, int64_t fallback, int64_t min, int64_t max) {
    auto it = r.query.find(name);
    if (it == r.query.end() || it->second.empty()) return fallback;
    try {
        size_t used = 0;
        long long v = std::stoll(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument("trailing");
        if (v < min || v > max)
            throw HttpError(400, "bad_request", name + " must be between " + std::to_string(min) + " and " + std::to_string(max));
        return v;
    } catch (const HttpError&) {
        throw;
    } catch (const std::exception&) {
        throw HttpError(400, "bad_request", name + " must be a whole number");
    }
}

const char* knownRoutes[] = {"/healthz", "/metrics",  "/v1/login", "/v1/logout",
                             "/v1/me",   "/v1/push", "/v1/pull",  "/v1/colleagues"};

std::string routeLabel(const std::string& path) {
    for (const char* r : knownRoutes)
        if (path == r) return r;
    return "other";
}

} // namespace

std::string hashPassword(const std::string& password) {
    if (sodium_init() < 0) throw Error(ErrorDomain::Internal, "libsodium failed to initialise");
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw Error(ErrorDomain::Internal, "out of memory hashing a password");
    return out;
}

bool verifyPassword(const std::string& hash, const std::string& password) {
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// --------------------------------------------------------------------------------- plumbing

struct SyncService::Context {
    const HttpRequest& request;
    std::string body;             // decoded
    std::string route;
    std::unique_ptr<ServerStore> store;
    std::optional<User> user;
    sync::Principal principal;
    std::string deviceId;
    std::string tokenHash;
    size_t ops = 0;
};

SyncService::SyncService(StoreFactory factory, ServiceOptions options)
    : m_factory(std::move(factory)), m_options(std::move(options)),
      m_bucketBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
      m_buckets(m_bucketBounds.size() + 1, 0) {
    if (sodium_init() < 0) throw Error(ErrorDomain::Internal, "libsodium failed to initialise");
    giveBack(acquire()); // open (and migrate) the store once, up front
    if (m_options.maintenanceInterval.count() > 0) m_maintenance = std::thread([this] { maintenanceLoop(); });
}

SyncService::~SyncService() {
    {
        std::lock_guard lock(m_maintenanceMutex);
        m_stopping = true;
    }
    m_maintenanceWake.notify_all();
    if (m_maintenance.joinable()) m_maintenance.join();
}

void SyncService::maintenanceLoop() {
    std::unique_ptr<ServerStore> store;
    std::string sweptOn; // the UTC date agreements were last looked at
    std::unique_lock lock(m_maintenanceMutex);
    while (!m_maintenanceWake.wait_for(lock, m_options.maintenanceInterval, [this] { return m_stopping; })) {
        lock.unlock();
        try {
            if (!store) store = m_factory();
            store->maintain();
            const std::string today = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now())).substr(0, 10);
            if (today != sweptOn) {
                reshareAgreementsChangedByDate();
                sweptOn = today;
            }
        } catch (const std::exception& e) {
            store.reset(); // reopened next time; requests checkpoint meanwhile
            if (m_options.log && m_options.logLevel >= LogLevel::Warn)
                m_options.log(json{{"level", "warn"}, {"event", "maintenance_failed"}, {"message", e.what()}}.dump());
        }
        lock.lock();
    }
}

size_t SyncService::reshareAgreementsChangedByDate() {
    const std::string today = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now())).substr(0, 10);
    auto store = acquire();
    std::lock_guard write(m_writeMutex);
    store->begin();
    size_t reshared = 0;
    try {
        // What an agreement granted on the day of the last sweep, against what it grants today,
        // both read from its current fields: an edit re-shares at once (OpApplier), so only the
        // dates can have changed anything since. The first sweep compares with yesterday.
        constexpr const char* kSweptOn = "isa_swept_on";
        const std::string since = store->metaValue(kSweptOn).value_or(
            timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()) - 86400).substr(0, 10));
        if (since != today) {
            for (const auto& org : store->allRecords("organisation")) {
                if (org.deleted) continue;
                if (sync::isaGrantedFields(org.fields, since) == sync::isaGrantedFields(org.fields, today)) continue;
                reshared += reshareReferrals(*store, org.id);
            }
            store->setMetaValue(kSweptOn, today);
        }
        store->commit();
    } catch (...) {
        store->rollback();
        throw;
    }
    giveBack(std::move(store));
    if (reshared && m_options.log && m_options.logLevel >= LogLevel::Info)
        m_options.log(json{{"level", "info"}, {"event", "isa_dates_reshared"}, {"reshared", reshared}}.dump());
    return reshared;
}

std::unique_ptr<ServerStore> SyncService::acquire() {
    {
        std::lock_guard lock(m_poolMutex);
        if (!m_pool.empty()) {
            auto store = std::move(m_pool.back());
            m_pool.pop_back();
            return store;
        }
    }
    return m_factory();
}

void SyncService::giveBack(std::unique_ptr<ServerStore> store) {
    if (!store) return;
    store->rollback(); // never hand on an open transaction
    std::lock_guard lock(m_poolMutex);
    if (m_pool.size() < 16) m_pool.push_back(std::move(store));
}

int64_t SyncService::now() const {
    return m_options.clock ? m_options.clock() : static_cast<int64_t>(std::time(nullptr));
}

HttpResponse SyncService::handle(const HttpRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    Context ctx{request, {}, routeLabel(request.path), nullptr, std::nullopt, {}, {}, {}, 0};
    HttpResponse response;
    try {
        if (request.body.size() > sync::kMaxRequestBytes)
            throw HttpError(413, "too_large", "the request body is larger than " +
                                                  std::to_string(sync::kMaxRequestBytes / (1024 * 1024)) + " MB");
        std::string encoding = text::toLowerAscii(header(request, "content-encoding"));
        if (encoding == "gzip") {
            try {
                ctx.body = sync::gzipDecompress(request.body, sync::kMaxDecodedBytes);
            } catch (const Error& e) {
                throw HttpError(e.domain() == ErrorDomain::Validation ? 413 : 400,
                                e.domain() == ErrorDomain::Validation ? "too_large" : "bad_request", e.what());
            }
        } else if (encoding.empty() || encoding == "identity") {
            ctx.body = request.body;
        } else {
            throw HttpError(415, "unsupported_encoding", "Content-Encoding must be gzip or identity");
        }
        response = dispatch(ctx);
    } catch (const HttpError& e) {
        response = errorResponse(e.status, e.code, e.what());
        if (e.retryAfter > 0) response.headers["retry-after"] = std::to_string(e.retryAfter);
    } catch (const Error& e) {
        switch (e.domain()) {
        case ErrorDomain::Parse:
        case ErrorDomain::Validation: response = errorResponse(400, "bad_request", e.what()); break;
        case ErrorDomain::Auth: response = errorResponse(401, "unauthorized", e.what()); break;
        case ErrorDomain::Forbidden: response = errorResponse(403, "forbidden", e.what()); break;
        case ErrorDomain::NotFound: response = errorResponse(404, "not_found", e.what()); break;
        default: response = errorResponse(500, "internal", "the server could not complete the request"); break;
        }
    } catch (const std::exception&) {
        response = errorResponse(500, "internal", "the server could not complete the request");
    }
    if (ctx.store) {
        try {
            giveBack(std::move(ctx.store));
        } catch (const std::exception&) {
            // a connection that cannot roll back is dropped, not pooled
        }
    }
    // Compress what is worth compressing for clients that accept it.
    if (response.body.size() > 1024 && header(request, "accept-encoding").find("gzip") != std::string::npos) {
        // zlib's fastest level: on JSON it keeps most of the saving at a third of level 6's CPU.
        response.body = sync::gzipCompress(response.body, 1);
        response.headers["content-encoding"] = "gzip";
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    recordMetrics(ctx.route, response.status, ms);
    logLine(ctx, response.status, ms, response.body.size());
    return response;
}

HttpResponse SyncService::dispatch(Context& ctx) {
    const auto& method = ctx.request.method;
    const auto& path = ctx.request.path;
    auto allow = [&](const char* want) {
        if (method != want) throw HttpError(405, "method_not_allowed", path + " takes " + want);
    };
    if (path == "/healthz") {
        allow("GET");
        return jsonResponse(200, json{{"status", "ok"}, {"protocol", sync::ProtocolVersion}});
    }
    if (path == "/v1/login") {
        allow("POST");
        return login(ctx);
    }
    if (path == "/metrics") {
        allow("GET");
        authenticate(ctx);
        if (ctx.principal.role != domain::Role::Admin) throw HttpError(403, "forbidden", "metrics are for admins");
        return metrics(ctx);
    }
    if (path == "/v1/logout") {
        allow("POST");
        authenticate(ctx);
        return logout(ctx);
    }
    if (path == "/v1/me") {
        allow("GET");
        authenticate(ctx);
        return me(ctx);
    }
    if (path == "/v1/colleagues") {
        allow("GET");
        authenticate(ctx);
        return colleagues(ctx);
    }
    if (path == "/v1/push") {
        allow("POST");
        authenticate(ctx);
        return push(ctx);
    }
    if (path == "/v1/pull") {
        allow("GET");
        authenticate(ctx);
        return pull(ctx);
    }
    throw HttpError(404, "not_found", "no such endpoint: " + text::printable(path.substr(0, 200)));
}

void SyncService::authenticate(Context& ctx) {
    std::string auth = header(ctx.request, "authorization");
    if (auth.rfind("Bearer ", 0) != 0 || auth.size() <= 7)
        throw HttpError(401, "unauthorized", "sign in first: this request carries no bearer token");
    ctx.tokenHash = tokenHash(auth.substr(7));
    if (!ctx.store) ctx.store = acquire();
    auto token = ctx.store->token(ctx.tokenHash);
    if (!token) throw HttpError(401, "unauthorized", "the token is not valid; sign in again");
    if (token->revoked) throw HttpError(401, "unauthorized", "this session was signed out; sign in again");
    if (token->expiresAt <= now()) throw HttpError(401, "unauthorized", "your session has expired; sign in again");
    ctx.user = ctx.store->userById(token->userId);
    if (!ctx.user || ctx.user->disabled) throw HttpError(401, "unauthorized", "this account is disabled");
    ctx.deviceId = token->deviceId;
    ctx.principal = sync::Principal{ctx.user->id, ctx.user->role, ctx.user->areas, ctx.user->organisation};
}

// ------------------------------------------------------------------------------------ login

bool SyncService::loginAllowed(const std::string& key, int limit, int64_t& retryAfter) {
    std::lock_guard lock(m_failMutex);
    auto& times = m_failures[key];
    const int64_t t = now();
    times.erase(std::remove_if(times.begin(), times.end(), [&](int64_t f) { return f <= t - m_options.failureWindowSeconds; }),
                times.end());
    if (static_cast<int>(times.size()) < limit) return true;
    retryAfter = std::max<int64_t>(1, times.front() + m_options.failureWindowSeconds - t);
    return false;
}

void SyncService::loginFailed(const std::string& key) {
    std::lock_guard lock(m_failMutex);
    m_failures[key].push_back(now());
}

HttpResponse SyncService::login(Context& ctx) {
    json body = sync::parseJson(ctx.body);
    if (!body.is_object()) throw HttpError(400, "bad_request", "the body must be a JSON object");
    auto str = [&](const char* key) {
        auto it = body.find(key);
        if (it == body.end() || !it->is_string()) throw HttpError(400, "bad_request", std::string(key) + " must be a string");
        return it->get<std::string>();
    };
    for (auto it = body.begin(); it != body.end(); ++it)
        if (it.key() != "username" && it.key() != "password" && it.key() != "device_id")
            throw HttpError(400, "bad_request", "login." + it.key() + " is not a field of this message");
    const std::string username = str("username"), password = str("password"), device = str("device_id");
    if (device.empty() || device.size() > 64) throw HttpError(400, "bad_request", "device_id must be 1 to 64 characters");
    const std::string userKey = "u:" + text::toLowerAscii(username), addressKey = "a:" + ctx.request.remoteAddress;
    int64_t retryAfter = 0;
    if (!loginAllowed(userKey, m_options.maxFailuresPerUser, retryAfter) ||
        !loginAllowed(addressKey, m_options.maxFailuresPerAddress, retryAfter)) {
        HttpError e(429, "too_many_requests", "too many failed sign-ins; try again in " + std::to_string(retryAfter) + " s");
        e.retryAfter = retryAfter;
        throw e;
    }
    ctx.store = acquire();
    auto user = ctx.store->userByName(username);
    // Same message whether the user exists or not: sign-in does not reveal who has an account.
    if (!user || !verifyPassword(user->passwordHash, password)) {
        loginFailed(userKey);
        loginFailed(addressKey);
        throw HttpError(401, "unauthorized", "the username or password is wrong");
    }
    if (user->disabled) throw HttpError(403, "forbidden", "this account is disabled; ask an admin");
    Token token{{}, user->id, device, now() + m_options.tokenLifetimeSeconds, false};
    const std::string secret = newToken();
    token.hash = tokenHash(secret);
    {
        std::lock_guard lock(m_writeMutex);
        ctx.store->begin();
        ctx.store->saveToken(token);
        ctx.store->commit();
    }
    ctx.user = user;
    return jsonResponse(200, json{{"token", secret},
                                  {"expires_at", timeutil::isoDateTimeUtc(static_cast<std::time_t>(token.expiresAt))},
                                  {"user", userJson(*user)},
                                  {"protocol", sync::ProtocolVersion}});
}

HttpResponse SyncService::logout(Context& ctx) {
    std::lock_guard lock(m_writeMutex);
    ctx.store->begin();
    ctx.store->revokeToken(ctx.tokenHash);
    ctx.store->commit();
    return jsonResponse(200, json{{"status", "signed out"}});
}

HttpResponse SyncService::me(Context& ctx) { return jsonResponse(200, json{{"user", userJson(*ctx.user)}}); }

HttpResponse SyncService::colleagues(Context& ctx) {
    const auto& who = ctx.principal;
    if (who.role != domain::Role::Supervisor && who.role != domain::Role::Admin)
        throw HttpError(403, "forbidden", "only supervisors and admins reassign referrals");
    json out = json::array();
    for (const auto& u : ctx.store->users()) {
        if (u.disabled || (u.role != domain::Role::Practitioner && u.role != domain::Role::Supervisor)) continue;
        bool overlaps = who.role == domain::Role::Admin;
        for (const auto& area : u.areas) overlaps = overlaps || sync::areasOverlap(who.areas, area);
        if (!overlaps) continue;
        out.push_back(json{{"id", u.id}, {"display_name", u.displayName.empty() ? u.username : u.displayName},
                           {"role", domain::toCode(u.role)}, {"areas", u.areas}});
    }
    return jsonResponse(200, json{{"colleagues", std::move(out)}});
}

// ------------------------------------------------------------------------------- push, pull

HttpResponse SyncService::push(Context& ctx) {
    sync::PushRequest request = sync::pushRequestFromText(ctx.body);
    if (request.protocol < sync::MinProtocolVersion || request.protocol > sync::ProtocolVersion) throw upgradeRequired();
    if (request.deviceId != ctx.deviceId)
        throw HttpError(400, "bad_request", "device_id does not match the device this session signed in from");
    ctx.ops = request.ops.size();
    // `pull=1`: the round's first pull page follows the results in the same answer, one request
    // where a round took two. Its query is GET /v1/pull's, checked before any op is applied.
    const std::string pullFlag = ctx.request.query.count("pull") ? ctx.request.query.at("pull") : std::string("0");
    if (pullFlag != "0" && pullFlag != "1") throw HttpError(400, "bad_request", "pull must be 0 or 1");
    const PullAsk ask = pullFlag == "1" ? pullAsk(ctx.request) : PullAsk{};
    HttpResponse answer = jsonResponse(200, sync::toJson(applyOps(ctx, request)));
    if (pullFlag != "1") return answer;
    // The ops are committed: the page is read after them (their records included), as a GET
    // /v1/pull sent now would be. If it cannot be read, the results go without it and the device
    // asks for the page itself.
    try {
        std::string page = pullPage(ctx, ask, answer.headers);
        if (answer.body.empty() || answer.body.back() != '}')
            throw Error(ErrorDomain::Internal, "the push's answer is not an object");
        answer.body.pop_back();
        answer.body.append(",\"pull\":").append(page).append("}");
    } catch (const std::exception& e) {
        ctx.store->rollback();
        for (const char* h : {"x-signpost-next-cursor", "x-signpost-has-more", "x-signpost-horizon"}) answer.headers.erase(h);
        if (m_options.log && m_options.logLevel >= LogLevel::Warn)
            m_options.log(json{{"level", "warn"}, {"event", "pull_after_push_failed"}, {"message", e.what()}}.dump());
    }
    return answer;
}

sync::PushResponse SyncService::applyOps(Context& ctx, sync::PushRequest& request) {
    sync::PushResponse response;
    const std::string serverTime = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()));
    std::lock_guard lock(m_writeMutex);
    ServerStore& store = *ctx.store;
    store.begin();
    try {
        OpApplier applier(store, ctx.principal, ctx.deviceId, serverTime);
        for (auto& incoming : request.ops) {
            if (auto stored = store.opResult(incoming.opId)) {
                sync::OpResult replay = *stored;
                replay.original = stored->status;
                replay.status = sync::OpStatus::Duplicate;
                response.results.push_back(std::move(replay));
                ++m_counters.opsDuplicate;
                continue;
            }
            sync::OpResult result;
            const std::string opId = incoming.opId;
            store.savepoint();
            try {
                result = applier.apply(sync::upgradeOp(std::move(incoming))); // each op is read once
                store.saveOpResult(opId, ctx.principal.userId, ctx.deviceId, result);
                store.release();
            } catch (const std::exception& e) {
                // One bad op never blocks the queue: its effects roll back and it is recorded as
                // rejected, so a retry gets the same answer.
                store.rollbackToSavepoint();
                result = sync::OpResult{opId, sync::OpStatus::Rejected, std::nullopt,
                                        std::string("could not be applied: ") + e.what(), {}, 0};
                store.saveOpResult(opId, ctx.principal.userId, ctx.deviceId, result);
            }
            switch (result.status) {
            case sync::OpStatus::Applied: ++m_counters.opsApplied; break;
            case sync::OpStatus::Conflict: ++m_counters.opsConflict; break;
            case sync::OpStatus::Rejected: ++m_counters.opsRejected; break;
            case sync::OpStatus::Duplicate: break;
            }
            response.results.push_back(std::move(result));
        }
        m_counters.conflicts += static_cast<int64_t>(applier.conflictsCreated());
        store.commit();
    } catch (...) {
        store.rollback();
        throw;
    }
    return response;
}

SyncService::PullAsk SyncService::pullAsk(const HttpRequest& request) {
    PullAsk ask;
    ask.cursor = queryInt(request, "cursor", 0, 0, INT64_MAX);
    ask.limit = static_cast<size_t>(queryInt(request, "limit", sync::kDefaultPullRows, 1, 5000));
    ask.maxBytes = static_cast<size_t>(
        queryInt(request, "max_bytes", sync::kDefaultPullBytes, 16 * 1024, 16 * 1024 * 1024));
    ask.horizon = queryInt(request, "horizon", 0, 0, INT64_MAX);
    // A device that reads compact versions says so; one that does not is sent every version by
    // name, as protocol 1 wrote them (docs/sync-protocol.md, "Versions").
    const int64_t protocol = queryInt(request, "protocol", sync::MinProtocolVersion, sync::MinProtocolVersion, INT64_MAX);
    if (protocol > sync::ProtocolVersion) throw upgradeRequired();
    ask.protocol = static_cast<uint32_t>(protocol);
    return ask;
}

HttpResponse SyncService::pull(Context& ctx) {
    const PullAsk ask = pullAsk(ctx.request);
    HttpResponse r;
    r.headers["content-type"] = "application/json";
    r.body = pullPage(ctx, ask, r.headers);
    return r;
}

std::string SyncService::pullPage(Context& ctx, const PullAsk& ask, std::map<std::string, std::string>& headers) {
    const int64_t cursor = ask.cursor;
    const size_t limit = ask.limit, maxBytes = ask.maxBytes;
    ServerStore& store = *ctx.store;
    sync::PullResponse response;
    response.protocol = ask.protocol;
    response.serverTime = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()));
    const int64_t since = ask.horizon;
    store.beginRead();
    response.horizon = store.purgedThrough();
    if (cursor > 0 && cursor < response.horizon && since < response.horizon) {
        // A purge since this device's cursor chain began removed tombstones it has not seen
        // (their seq lies above its cursor): it must start again.
        response.resync = true;
        response.nextCursor = 0;
        response.hasMore = true;
        store.rollback();
        return sync::toJson(response).dump();
    }
    const size_t scan = std::max<size_t>(limit * 4, 1000);
    int64_t next = cursor;
    size_t scanned = 0;
    bool stoppedEarly = false;
    // The page is written as text: stored fields and versions are spliced in as they are (they
    // were written by the server as JSON), so most records are never parsed here.
    std::string records;
    records.reserve(std::min<size_t>(maxBytes, 1u << 20) + 4096);
    size_t count = 0;
    // What an organisation's ISA lets it receive, looked up once per organisation per page.
    std::map<std::string, std::set<std::string>> granted;
    auto grantedFor = [&](const std::string& org) -> const std::set<std::string>& {
        auto it = granted.find(org);
        if (it != granted.end()) return it->second;
        std::set<std::string> fields;
        if (auto o = store.record("organisation", org); o && !o->record.deleted)
            fields = sync::isaGrantedFields(o->record.fields, response.serverTime);
        return granted.emplace(org, std::move(fields)).first->second;
    };
    // Only the changes in the user's ranges are read (an admin's range is every change); canRead
    // still decides each one.
    const bool exhausted = store.scanChangesIn(sync::readScope(ctx.principal), cursor, scan, [&](ServerStore::RawRecord& raw) {
        ++scanned;
        next = raw.meta.seq;
        sync::Record& r = raw.meta;
        const sync::CollectionSpec* spec = sync::findCollection(r.collection);
        // Provider and conflict scope read fields: parse only when the rule needs them.
        if (ctx.principal.role == domain::Role::Provider || (spec && spec->scope == sync::ScopeKind::Conflict)) {
            store.loadBody(raw);
            r.fields = json::parse(raw.fields, nullptr, false);
        }
        if (!sync::canRead(ctx.principal, r)) return true; // not theirs: skipped, the cursor moves past it
        store.loadBody(raw);
        if (ctx.principal.role == domain::Role::Provider && r.collection == "referral" && r.fields.is_object()) {
            // A provider receives a referral's operational fields and only the personal ones its
            // organisation's ISA grants: nothing else leaves the server for it.
            r.versions = sync::versionsFromText(raw.versions, r.fields);
            sync::Record shown = sync::projectFor(ctx.principal, r, grantedFor(r.organisation));
            raw.fields = shown.fields.dump();
            raw.versions = ask.protocol >= 2 ? sync::versionsText(shown.versions, shown.fields) : sync::versionsText(shown.versions);
        } else if (ask.protocol < 2) {
            raw.versions = sync::versionsText(sync::versionsFromText(raw.versions, sync::FieldsText{raw.fields}));
        }
        // The head written straight into the page (the members nlohmann wrote here before, in
        // name order), then the stored fields and versions as they are.
        if (count++) records += ',';
        records += '{';
        auto member = [&](const char* name, const std::string& value, bool always = false) {
            if (value.empty() && !always) return;
            if (records.back() != '{') records += ',';
            records.append("\"").append(name).append("\":");
            jsontext::appendQuoted(records, value);
        };
        member("area", r.area);
        member("collection", r.collection, true);
        if (r.deleted) records += ",\"deleted\":true";
        member("id", r.id, true);
        member("organisation", r.organisation);
        member("owner", r.owner);
        records += ",\"seq\":";
        records += std::to_string(r.seq);
        member("status", r.status);
        records += ",\"fields\":";
        records += raw.fields;
        records += ",\"versions\":";
        records += raw.versions;
        records += '}';
        if (count >= limit || records.size() >= maxBytes) {
            stoppedEarly = true;
            return false;
        }
        return true;
    });
    const int64_t max = store.maxSeq();
    // Ranges that ran out hold nothing more for this user up to the newest change in this
    // snapshot: the page covers every change up to it, those outside the ranges included.
    if (exhausted && !stoppedEarly) next = std::max(next, max);
    // Records that left this user's scope in the range the page covers.
    for (const auto& exit : store.scopeExits(cursor, next)) {
        if (!sync::canRead(ctx.principal, exit.before)) continue;
        auto current = store.record(exit.before.collection, exit.before.id);
        if (current && sync::canRead(ctx.principal, current->record)) continue;
        response.removals.push_back({exit.before.collection, exit.before.id, exit.seq});
    }
    response.nextCursor = next;
    response.hasMore = (stoppedEarly || scanned == scan) && next < max;
    store.rollback();
    json envelope = sync::toJson(response); // no records in it yet
    std::string body = envelope.dump();
    const std::string marker = "\"records\":[]";
    auto at = body.find(marker);
    if (at == std::string::npos) throw Error(ErrorDomain::Internal, "pull envelope has no records member");
    body.replace(at, marker.size(), "\"records\":[" + records + "]");
    // Where the next page starts, also ahead of the body: a device can ask for it while this
    // page is still being decoded and read (docs/sync-protocol.md, "Reading ahead").
    headers["x-signpost-next-cursor"] = std::to_string(response.nextCursor);
    headers["x-signpost-has-more"] = response.hasMore ? "1" : "0";
    headers["x-signpost-horizon"] = std::to_string(response.horizon);
    return body;
}

// ---------------------------------------------------------------------------------- metrics

void SyncService::recordMetrics(const std::string& route, int status, double ms) {
    std::lock_guard lock(m_metricsMutex);
    ++m_requests[{route, status}];
    double seconds = ms / 1000.0;
    size_t bucket = 0;
    while (bucket < m_bucketBounds.size() && seconds > m_bucketBounds[bucket]) ++bucket;
    ++m_buckets[bucket];
    m_latencySum += seconds;
    ++m_latencyCount;
}

HttpResponse SyncService::metrics(Context& ctx) {
    std::string out;
    char line[256];
    {
        std::lock_guard lock(m_metricsMutex);
        out += "# HELP signpost_requests_total Requests by route and status.\n# TYPE signpost_requests_total counter\n";
        for (const auto& [key, count] : m_requests) {
            std::snprintf(line, sizeof line, "signpost_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
                          key.first.c_str(), key.second, static_cast<long long>(count));
            out += line;
        }
        out += "# HELP signpost_request_duration_seconds Request latency.\n"
               "# TYPE signpost_request_duration_seconds histogram\n";
        int64_t cumulative = 0;
        for (size_t i = 0; i < m_buckets.size(); ++i) {
            cumulative += m_buckets[i];
            if (i < m_bucketBounds.size())
                std::snprintf(line, sizeof line, "signpost_request_duration_seconds_bucket{le=\"%g\"} %lld\n",
                              m_bucketBounds[i], static_cast<long long>(cumulative));
            else
                std::snprintf(line, sizeof line, "signpost_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n",
                              static_cast<long long>(cumulative));
            out += line;
        }
        std::snprintf(line, sizeof line, "signpost_request_duration_seconds_sum %g\nsignpost_request_duration_seconds_count %lld\n",
                      m_latencySum, static_cast<long long>(m_latencyCount));
        out += line;
    }
    out += "# HELP signpost_ops_total Pushed ops by result.\n# TYPE signpost_ops_total counter\n";
    const std::pair<const char*, const std::atomic<int64_t>*> ops[] = {{"applied", &m_counters.opsApplied},
                                                                       {"duplicate", &m_counters.opsDuplicate},
                                                                       {"conflict", &m_counters.opsConflict},
                                                                       {"rejected", &m_counters.opsRejected}};
    for (const auto& [name, counter] : ops) {
        std::snprintf(line, sizeof line, "signpost_ops_total{result=\"%s\"} %lld\n", name,
                      static_cast<long long>(counter->load()));
        out += line;
    }
    std::snprintf(line, sizeof line,
                  "# HELP signpost_conflicts_total Conflict records created.\n# TYPE signpost_conflicts_total counter\n"
                  "signpost_conflicts_total %lld\n",
                  static_cast<long long>(m_counters.conflicts.load()));
    out += line;
    std::snprintf(line, sizeof line,
                  "# HELP signpost_active_tokens Unexpired, unrevoked sign-in tokens.\n# TYPE signpost_active_tokens gauge\n"
                  "signpost_active_tokens %lld\n",
                  static_cast<long long>(ctx.store->activeTokens(now())));
    out += line;
    HttpResponse r;
    r.headers["content-type"] = "text/plain; version=0.0.4";
    r.body = std::move(out);
    return r;
}

void SyncService::logLine(const Context& ctx, int status, double ms, size_t bytesOut) {
    if (!m_options.log) return;
    LogLevel level = status >= 500 ? LogLevel::Error : status >= 400 ? LogLevel::Warn : LogLevel::Info;
    if (static_cast<int>(level) > static_cast<int>(m_options.logLevel)) return;
    static const char* names[] = {"error", "warn", "info", "debug"};
    // No personal data: the route (not the raw path), sizes, and the user's opaque id.
    json line{{"ts", timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()))},
              {"level", names[static_cast<int>(level)]},
              {"method", ctx.request.method},
              {"route", ctx.route},
              {"status", status},
              {"ms", static_cast<double>(static_cast<int64_t>(ms * 100)) / 100},
              {"bytes_in", ctx.request.body.size()},
              {"bytes_out", bytesOut},
              {"user", ctx.user ? ctx.user->id : std::string()}};
    if (ctx.ops) line["ops"] = ctx.ops;
    m_options.log(line.dump());
}

// ----------------------------------------------------------------------------------- admin

User SyncService::addUser(const std::string& username, const std::string& password, domain::Role role,
                          std::vector<std::string> areas, std::string organisation, std::string displayName) {
    if (username.empty() || username.size() > 64) throw Error::validation("a username is 1 to 64 characters");
    if (password.size() < 10) throw Error::validation("a password needs at least 10 characters");
    if (role == domain::Role::Provider && organisation.empty())
        throw Error::validation("a provider user needs --org (their organisation's id)");
    auto store = acquire();
    if (store->userByName(username)) throw Error(ErrorDomain::Conflict, "there is already a user called " + username);
    User u;
    u.id = uuid::random();
    u.username = username;
    u.displayName = displayName.empty() ? username : displayName;
    u.role = role;
    u.areas = std::move(areas);
    u.organisation = std::move(organisation);
    u.passwordHash = hashPassword(password);
    u.createdAt = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()));
    {
        std::lock_guard lock(m_writeMutex);
        store->begin();
        store->saveUser(u);
        store->commit();
    }
    giveBack(std::move(store));
    return u;
}

void SyncService::importUsers(const std::vector<NewUser>& users, const std::string& password) {
    if (password.size() < 10) throw Error::validation("a password needs at least 10 characters");
    const std::string hash = hashPassword(password);
    auto store = acquire();
    std::lock_guard lock(m_writeMutex);
    store->begin();
    try {
        for (const auto& n : users) {
            if (store->userByName(n.username)) throw Error(ErrorDomain::Conflict, "there is already a user called " + n.username);
            User u;
            u.id = uuid::random();
            u.username = n.username;
            u.displayName = n.username;
            u.role = n.role;
            u.areas = n.areas;
            u.organisation = n.organisation;
            u.passwordHash = hash;
            u.createdAt = timeutil::isoDateTimeUtc(static_cast<std::time_t>(now()));
            store->saveUser(u);
        }
        store->commit();
    } catch (...) {
        store->rollback();
        throw;
    }
    giveBack(std::move(store));
}

void SyncService::disableUser(const std::string& username) {
    auto store = acquire();
    auto user = store->userByName(username);
    if (!user) throw Error::notFound("there is no user called " + username);
    user->disabled = true;
    std::lock_guard lock(m_writeMutex);
    store->begin();
    store->saveUser(*user);
    store->revokeUserTokens(user->id); // disabling signs them out everywhere
    store->commit();
    giveBack(std::move(store));
}

void SyncService::resetPassword(const std::string& username, const std::string& password) {
    if (password.size() < 10) throw Error::validation("a password needs at least 10 characters");
    auto store = acquire();
    auto user = store->userByName(username);
    if (!user) throw Error::notFound("there is no user called " + username);
    user->passwordHash = hashPassword(password);
    std::lock_guard lock(m_writeMutex);
    store->begin();
    store->saveUser(*user);
    store->revokeUserTokens(user->id);
    store->commit();
    giveBack(std::move(store));
}

std::vector<User> SyncService::listUsers() {
    auto store = acquire();
    auto users = store->users();
    giveBack(std::move(store));
    return users;
}

size_t SyncService::purgeTombstonesBefore(int64_t seq) {
    auto store = acquire();
    std::lock_guard lock(m_writeMutex);
    store->begin();
    size_t n = store->purgeTombstones(seq);
    store->commit();
    giveBack(std::move(store));
    return n;
}

} // namespace signpost::server
