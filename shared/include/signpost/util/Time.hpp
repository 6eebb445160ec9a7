#pragma once
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace signpost::timeutil {

// Days since 1970-01-01 for a "YYYY-MM-DD" (or the date part of an ISO 8601 timestamp);
// nullopt when it is not a real calendar date.
std::optional<int64_t> parseIsoDate(std::string_view date);
std::string isoDate(int64_t daysSinceEpoch);
int64_t daysSinceEpoch(std::time_t utc);
std::string isoDateUtc(std::time_t utc);
std::string isoDateTimeUtc(std::time_t utc); // 2026-11-22T15:04:05Z
// True for "HH:MM" or "HH:MM:SS" with a real time of day; minutes since midnight in `out`.
bool parseClock(std::string_view clock, int& minutesOut);

// UK civil time (GMT, or BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
// Sunday of October). Opening times in the directory are UK local time.
struct UkLocalTime {
    int weekday;        // ISO: 1 = Monday … 7 = Sunday
    int minuteOfDay;    // 0 … 1439
    bool summerTime;
};
UkLocalTime ukLocalTime(std::time_t utc);

} // namespace signpost::timeutil
