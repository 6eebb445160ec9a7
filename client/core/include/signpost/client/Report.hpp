#pragma once
// The supervisor's monthly contract-monitoring view (issue 4): referrals by status, area, need and
// provider; how long the steps took; attendance and completion per provider. Computed on the
// device from the synced records it holds (a supervisor's device holds their areas), offline,
// without opening anyone's personal details.
#include "signpost/db/Database.hpp"

#include <string>
#include <vector>

namespace signpost::client {

struct ReportOptions {
    std::string area;   // PDU or local authority code; empty: every area the device holds
    std::string from;   // YYYY-MM-DD, inclusive; empty: no lower bound
    std::string to;     // YYYY-MM-DD, inclusive; empty: no upper bound
};

struct ReportCount {
    std::string key;
    std::string label;
    size_t count = 0;
};

struct ReportDuration {
    std::string name;       // submission_to_approval, sending_to_acceptance, referral_to_first_appointment
    size_t samples = 0;
    double medianDays = 0;
    double meanDays = 0;
};

struct ProviderLine {
    std::string organisation;
    std::string name;
    size_t referrals = 0;          // sent to it (in the period)
    size_t accepted = 0;           // of those, ever accepted
    size_t completed = 0;
    size_t appointments = 0;       // with attendance recorded
    size_t attended = 0;           // attended or late
    double attendanceRate = 0;     // attended / appointments (0 when none)
    double completionRate = 0;     // completed / accepted (0 when none)
};

struct Report {
    ReportOptions options;
    size_t referrals = 0;          // referrals in the period (by submission date)
    std::vector<ReportCount> byStatus, byArea, byNeed, byProvider;
    std::vector<ReportDuration> durations;
    std::vector<ProviderLine> providers;
};

// Referrals count in the period by the day they were submitted (drafts never submitted are not
// in any report: they have not left the practitioner's device).
Report buildReport(db::Database& db, const ReportOptions& options);
std::string reportText(const Report& report);
// One table: section,key,label,value (RFC 4180), for a spreadsheet.
std::string reportCsv(const Report& report);

} // namespace signpost::client
