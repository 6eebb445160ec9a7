#include "signpost/util/Time.hpp"

#include <chrono>
#include <cstdio>

namespace signpost::timeutil {

using namespace std::chrono;

namespace {
bool digits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}
int toInt(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}
} // namespace

std::optional<int64_t> parseIsoDate(std::string_view date) {
    if (date.size() < 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
    if (!digits(date.substr(0, 4)) || !digits(date.substr(5, 2)) || !digits(date.substr(8, 2))) return std::nullopt;
    if (date.size() > 10 && date[10] != 'T' && date[10] != ' ') return std::nullopt;
    year_month_day ymd{year{toInt(date.substr(0, 4))}, month{static_cast<unsigned>(toInt(date.substr(5, 2)))},
                       day{static_cast<unsigned>(toInt(date.substr(8, 2)))}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd}.time_since_epoch().count();
}

std::string isoDate(int64_t days) {
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

int64_t daysSinceEpoch(std::time_t utc) {
    return floor<std::chrono::days>(system_clock::from_time_t(utc)).time_since_epoch().count();
}

std::string isoDateUtc(std::time_t utc) { return isoDate(daysSinceEpoch(utc)); }

std::string isoDateTimeUtc(std::time_t utc) {
    // Asked for every record a sync writes, mostly for the same second: the last answer is kept.
    thread_local std::time_t lastUtc = 0;
    thread_local std::string lastText;
    if (utc == lastUtc && !lastText.empty()) return lastText;
    auto tp = system_clock::from_time_t(utc);
    auto dayPoint = floor<std::chrono::days>(tp);
    hh_mm_ss hms{floor<seconds>(tp - dayPoint)};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", isoDate(dayPoint.time_since_epoch().count()).c_str(),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    lastUtc = utc;
    lastText = buf;
    return lastText;
}

bool parseClock(std::string_view clock, int& minutesOut) {
    if (clock.size() != 5 && clock.size() != 8) return false;
    if (clock[2] != ':' || !digits(clock.substr(0, 2)) || !digits(clock.substr(3, 2))) return false;
    if (clock.size() == 8 && (clock[5] != ':' || !digits(clock.substr(6, 2)))) return false;
    int h = toInt(clock.substr(0, 2)), m = toInt(clock.substr(3, 2));
    // 24:00 is allowed as a closing time ("open until midnight").
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
    minutesOut = h * 60 + m;
    return true;
}

namespace {
sys_seconds lastSundayAt1Utc(int y, unsigned m) {
    sys_days last = sys_days{year{y} / month{m} / std::chrono::last};
    weekday wd{last};
    sys_days sunday = last - (wd - Sunday);
    return sunday + hours{1};
}
} // namespace

UkLocalTime ukLocalTime(std::time_t utc) {
    auto tp = floor<seconds>(system_clock::from_time_t(utc));
    int y = static_cast<int>(year_month_day{floor<std::chrono::days>(tp)}.year());
    bool bst = tp >= lastSundayAt1Utc(y, 3) && tp < lastSundayAt1Utc(y, 10);
    auto local = tp + (bst ? hours{1} : hours{0});
    auto dayPoint = floor<std::chrono::days>(local);
    unsigned iso = weekday{dayPoint}.iso_encoding();
    auto minutes = duration_cast<std::chrono::minutes>(local - dayPoint).count();
    return {static_cast<int>(iso), static_cast<int>(minutes), bst};
}

} // namespace signpost::timeutil
