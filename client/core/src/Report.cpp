#include "signpost/client/Report.hpp"
#include "signpost/Error.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/sync/Access.hpp"
#include "signpost/util/Time.hpp"

#include "signpost/util/Csv.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

namespace signpost::client {

using nlohmann::json;

namespace {

// Seconds since the epoch for "YYYY-MM-DDTHH:MM[:SS]…Z" (or a bare date, at midnight UTC).
std::optional<double> seconds(const std::string& iso) {
    auto day = timeutil::parseIsoDate(iso);
    if (!day) return std::nullopt;
    double s = static_cast<double>(*day) * 86400.0;
    int minutes = 0;
    if (iso.size() >= 16 && iso[10] == 'T' && timeutil::parseClock(iso.substr(11, 5), minutes)) s += minutes * 60.0;
    if (iso.size() >= 19 && iso[16] == ':') s += std::atoi(iso.substr(17, 2).c_str());
    return s;
}

std::string text(const json& f, const char* name) {
    auto it = f.find(name);
    return it != f.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// When the record first reached `status`, from its history (server time).
std::string firstReached(const json& fields, const char* status) {
    auto h = fields.find("history");
    if (h == fields.end() || !h->is_array()) return {};
    for (const auto& e : *h)
        if (e.is_object() && e.value("to", "") == status && e.contains("at") && e["at"].is_string())
            return e["at"].get<std::string>();
    return {};
}

bool reached(const json& fields, const std::string& status, const char* target) {
    return status == target || !firstReached(fields, target).empty();
}

std::vector<ReportCount> sorted(const std::map<std::string, size_t>& counts,
                                const std::function<std::string(const std::string&)>& label) {
    std::vector<ReportCount> out;
    for (const auto& [key, n] : counts) out.push_back({key, label(key), n});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
    return out;
}

ReportDuration summarise(const char* name, std::vector<double> days) {
    ReportDuration d;
    d.name = name;
    d.samples = days.size();
    if (days.empty()) return d;
    std::sort(days.begin(), days.end());
    const size_t n = days.size();
    d.medianDays = n % 2 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2;
    double sum = 0;
    for (double v : days) sum += v;
    d.meanDays = sum / static_cast<double>(n);
    return d;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string percent(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", v * 100);
    return buf;
}


} // namespace

Report buildReport(db::Database& db, const ReportOptions& options) {
    Report report;
    report.options = options;
    if (!options.from.empty() && !timeutil::parseIsoDate(options.from))
        throw Error::validation("--from must be a date (YYYY-MM-DD), not \"" + options.from + "\"");
    if (!options.to.empty() && !timeutil::parseIsoDate(options.to))
        throw Error::validation("--to must be a date (YYYY-MM-DD), not \"" + options.to + "\"");
    if (!options.from.empty() && !options.to.empty() && options.to < options.from)
        throw Error::validation("--to is before --from");
    if (!options.area.empty() && !domain::areaByCode(options.area))
        throw Error::validation("\"" + options.area + "\" is not an area Signpost knows");

    std::map<std::string, std::string> orgNames;
    {
        auto q = db.cached("SELECT id, json_extract(fields, '$.name') FROM record WHERE collection = 'organisation'");
        while (q->step()) orgNames[q->getText(0)] = q->getOptText(1).value_or("");
    }

    std::map<std::string, size_t> byStatus, byArea, byNeed, byProvider;
    std::map<std::string, ProviderLine> providers;
    std::map<std::string, std::string> included; // referral id → organisation
    std::map<std::string, double> submittedAt;   // referral id → seconds
    std::vector<double> toApproval, toAcceptance, toFirstAppointment;

    auto q = db.cached("SELECT id, area, organisation, status, fields FROM record "
                       "WHERE collection = 'referral' AND deleted = 0");
    while (q->step()) {
        json f = json::parse(q->getTextView(4), nullptr, false);
        if (!f.is_object()) continue;
        const std::string id = q->getText(0), area = q->getText(1), org = q->getText(2), status = q->getText(3);
        std::string submitted = text(f, "submitted_at");
        if (submitted.empty()) submitted = firstReached(f, "submitted");
        if (submitted.empty()) continue; // never left a practitioner's device
        const std::string day = submitted.substr(0, 10);
        if (!options.from.empty() && day < options.from) continue;
        if (!options.to.empty() && day > options.to) continue;
        if (!options.area.empty() && !sync::areasOverlap({options.area}, area)) continue;

        ++report.referrals;
        ++byStatus[status];
        ++byArea[area];
        if (auto needs = f.find("needs"); needs != f.end() && needs->is_array())
            for (const auto& n : *needs) {
                std::string code = n.is_string() ? n.get<std::string>() : n.is_object() ? n.value("need", "") : "";
                if (!code.empty()) ++byNeed[code];
            }
        included[id] = org;
        const auto s = seconds(submitted);
        if (s) submittedAt[id] = *s;
        if (auto a = seconds(firstReached(f, "approved")); a && s) toApproval.push_back((*a - *s) / 86400.0);
        const std::string sent = text(f, "sent_at").empty() ? firstReached(f, "sent") : text(f, "sent_at");
        if (!sent.empty() && !org.empty()) {
            ++byProvider[org];
            ProviderLine& p = providers[org];
            p.organisation = org;
            ++p.referrals;
            if (reached(f, status, "accepted")) ++p.accepted;
            if (status == "completed") ++p.completed;
            if (auto from = seconds(sent), acc = seconds(firstReached(f, "accepted")); from && acc)
                toAcceptance.push_back((*acc - *from) / 86400.0);
        }
    }

    // Appointments of the referrals in the report: attendance per provider, and the first one.
    std::map<std::string, double> firstAppointment;
    auto a = db.cached("SELECT status, organisation, json_extract(fields, '$.referral_id'), queue_at FROM record "
                       "WHERE collection = 'appointment' AND deleted = 0");
    while (a->step()) {
        const std::string status = a->getText(0), referral = a->getOptText(2).value_or("");
        auto in = included.find(referral);
        if (in == included.end()) continue;
        const std::string org = a->getText(1).empty() ? in->second : a->getText(1);
        if (auto start = seconds(a->getText(3)); start && status != "did_not_happen") {
            auto [it, inserted] = firstAppointment.emplace(referral, *start);
            if (!inserted) it->second = std::min(it->second, *start);
        }
        if (status == "scheduled" || status == "did_not_happen") continue;
        ProviderLine& p = providers[org];
        p.organisation = org;
        ++p.appointments;
        if (status == "attended" || status == "late") ++p.attended;
    }
    for (const auto& [referral, start] : firstAppointment)
        if (auto s = submittedAt.find(referral); s != submittedAt.end())
            toFirstAppointment.push_back((start - s->second) / 86400.0);

    auto orgLabel = [&](const std::string& id) {
        auto it = orgNames.find(id);
        return it != orgNames.end() && !it->second.empty() ? it->second : id;
    };
    report.byStatus = sorted(byStatus, [](const std::string& k) { return k; });
    report.byArea = sorted(byArea, [](const std::string& k) {
        const auto* area = domain::areaByCode(k);
        return area ? std::string(area->nameEn) : k;
    });
    report.byNeed = sorted(byNeed, [](const std::string& k) {
        const auto* need = domain::needByCode(k);
        return need ? std::string(need->nameEn) : k;
    });
    report.byProvider = sorted(byProvider, orgLabel);
    report.durations = {summarise("submission_to_approval", toApproval),
                        summarise("sending_to_acceptance", toAcceptance),
                        summarise("referral_to_first_appointment", toFirstAppointment)};
    for (auto& [org, p] : providers) {
        p.name = orgLabel(org);
        p.attendanceRate = p.appointments ? static_cast<double>(p.attended) / static_cast<double>(p.appointments) : 0;
        p.completionRate = p.accepted ? static_cast<double>(p.completed) / static_cast<double>(p.accepted) : 0;
        report.providers.push_back(p);
    }
    std::sort(report.providers.begin(), report.providers.end(),
              [](const auto& x, const auto& y) { return x.referrals > y.referrals; });
    return report;
}

std::string reportText(const Report& r) {
    std::string out = "Referrals submitted";
    if (!r.options.area.empty()) out += " in " + r.options.area;
    out += " from " + (r.options.from.empty() ? std::string("the start") : r.options.from) + " to " +
           (r.options.to.empty() ? std::string("today") : r.options.to) + ": " + std::to_string(r.referrals) + "\n";
    auto section = [&](const char* title, const std::vector<ReportCount>& rows) {
        out += std::string("\n") + title + "\n";
        if (rows.empty()) out += "  (none)\n";
        for (const auto& row : rows) {
            std::string label = "  " + row.label;
            if (label.size() < 44) label.resize(44, ' ');
            out += label + " " + std::to_string(row.count) + "\n";
        }
    };
    section("By status", r.byStatus);
    section("By area", r.byArea);
    section("By need", r.byNeed);
    section("By provider", r.byProvider);
    out += "\nDays taken (median / mean, over n)\n";
    for (const auto& d : r.durations) {
        std::string label = "  " + d.name;
        if (label.size() < 44) label.resize(44, ' ');
        out += label + " " + (d.samples ? number(d.medianDays) + " / " + number(d.meanDays) : std::string("-")) +
               "  (n=" + std::to_string(d.samples) + ")\n";
    }
    out += "\nProviders: referrals, accepted, completed, completion rate, appointments recorded, attendance rate\n";
    if (r.providers.empty()) out += "  (none)\n";
    for (const auto& p : r.providers) {
        std::string label = "  " + p.name;
        if (label.size() < 44) label.resize(44, ' ');
        out += label + " " + std::to_string(p.referrals) + ", " + std::to_string(p.accepted) + ", " +
               std::to_string(p.completed) + ", " + percent(p.completionRate) + ", " + std::to_string(p.appointments) +
               ", " + percent(p.attendanceRate) + "\n";
    }
    return out;
}

std::string reportCsv(const Report& r) {
    std::string out = "section,key,label,value\r\n";
    auto row = [&](const std::string& section, const std::string& key, const std::string& label, const std::string& value) {
        out += csv::field(section) + "," + csv::field(key) + "," + csv::field(label) + "," + csv::field(value) + "\r\n";
    };
    row("total", "referrals", "Referrals submitted", std::to_string(r.referrals));
    for (const auto& c : r.byStatus) row("status", c.key, c.label, std::to_string(c.count));
    for (const auto& c : r.byArea) row("area", c.key, c.label, std::to_string(c.count));
    for (const auto& c : r.byNeed) row("need", c.key, c.label, std::to_string(c.count));
    for (const auto& c : r.byProvider) row("provider", c.key, c.label, std::to_string(c.count));
    for (const auto& d : r.durations) {
        row("days_median", d.name, d.name, d.samples ? number(d.medianDays) : "");
        row("days_mean", d.name, d.name, d.samples ? number(d.meanDays) : "");
        row("days_samples", d.name, d.name, std::to_string(d.samples));
    }
    for (const auto& p : r.providers) {
        row("provider_referrals", p.organisation, p.name, std::to_string(p.referrals));
        row("provider_accepted", p.organisation, p.name, std::to_string(p.accepted));
        row("provider_completed", p.organisation, p.name, std::to_string(p.completed));
        row("provider_completion_rate", p.organisation, p.name, number(p.completionRate * 100));
        row("provider_appointments", p.organisation, p.name, std::to_string(p.appointments));
        row("provider_attendance_rate", p.organisation, p.name, number(p.attendanceRate * 100));
    }
    return out;
}

} // namespace signpost::client
