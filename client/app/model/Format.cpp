#include "Format.hpp"
#include "I18n.hpp"

#include <algorithm>
#include <cstdio>

namespace signpost::app {

std::optional<std::time_t> parseIsoUtc(const std::string& iso) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

std::string localClock(const std::string& iso) {
    auto t = parseIsoUtc(iso);
    if (!t) return {};
    std::tm local{};
    localtime_r(&*t, &local);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", local.tm_hour, local.tm_min);
    return buf;
}

const char* failureKey(client::SyncFailure failure) {
    using F = client::SyncFailure;
    switch (failure) {
    case F::None: return nullptr;
    case F::Offline: return trKey("sync.fail.offline");
    case F::SignIn: return trKey("sync.fail.sign_in");
    case F::Refused: return trKey("sync.fail.refused");
    case F::Outdated: return trKey("sync.fail.outdated");
    case F::RateLimited: return trKey("sync.fail.rate_limited");
    case F::ServerTrouble: return trKey("sync.fail.server");
    case F::BadRequest: return trKey("sync.fail.bad_request");
    case F::Damaged: return trKey("sync.fail.damaged");
    case F::Other: break;
    }
    return trKey("sync.fail.other");
}

std::string failureSentence(const client::FailureInfo& failure) {
    const char* key = failureKey(failure.kind);
    return key ? trf(key, {failure.detail}) : std::string();
}

StatusLine statusLine(const client::SyncStatus& status, bool serverSession, bool running) {
    using State = client::SyncStatus::State;
    StatusLine line;
    if (!serverSession) {
        line.key = trKey("sync.local_only");
        return line;
    }
    if (!running) {
        line.key = trKey("sync.paused");
        return line;
    }
    switch (status.state) {
    case State::SignedOut:
        line.key = trKey("sync.signed_out");
        line.problem = true;
        break;
    case State::Offline:
        line.key = trKey("sync.offline");
        line.problem = !status.message.empty();
        break;
    case State::Syncing:
        if (status.total > 0 && status.done <= status.total) {
            line.key = trKey("sync.syncing_n_of_m");
            line.arg = std::to_string(status.done);
            line.arg2 = std::to_string(status.total);
        } else if (status.done > 0) {
            // Pulling: the server does not say how many records are coming.
            line.key = trKey("sync.syncing_records");
            line.arg = std::to_string(status.done);
        } else {
            line.key = trKey("sync.syncing");
        }
        break;
    case State::UpToDate:
        line.key = status.lastSyncAt.empty() ? trKey("sync.up_to_date") : trKey("sync.up_to_date_at");
        line.arg = localClock(status.lastSyncAt);
        break;
    case State::Error:
        line.key = trKey("sync.error");
        line.detailKey = failureKey(status.failure);
        line.detailArg = status.detail;
        line.problem = true;
        break;
    }
    return line;
}

} // namespace signpost::app
