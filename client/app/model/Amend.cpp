#include "Amend.hpp"

#include "signpost/util/Time.hpp"

#include <algorithm>
#include <cctype>

namespace signpost::app {

using nlohmann::json;

bool hasReason(std::string_view reason) { return reason.find_first_not_of(" \t\r\n") != std::string_view::npos; }

bool amendmentNeedsReason(std::string_view status) {
    return status == "sent" || status == "accepted" || status == "in_progress";
}

std::optional<const char*> amendmentProblem(std::string_view status, const json& fields, std::string_view field,
                                            const std::string& value, std::string_view reason) {
    if (std::find(std::begin(kAmendableFields), std::end(kAmendableFields), field) == std::end(kAmendableFields))
        return "amend.problem_field";
    std::string current;
    if (auto it = fields.find(std::string(field)); it != fields.end() && it->is_string()) current = it->get<std::string>();
    if (current == value) return "amend.problem_unchanged";
    if (field == "completion_deadline" && !value.empty() && !timeutil::parseIsoDate(value))
        return "amend.problem_date";
    if (amendmentNeedsReason(status) && !hasReason(reason)) return "amend.problem_reason";
    return std::nullopt;
}

std::vector<AmendmentEntry> amendmentHistory(const json& fields) {
    std::vector<AmendmentEntry> out;
    const auto history = fields.find("history");
    if (history == fields.end() || !history->is_array()) return out;
    const auto amendments = fields.find("amendments");
    std::vector<bool> used;
    if (amendments != fields.end() && amendments->is_array()) used.assign(amendments->size(), false);
    auto str = [](const json& o, const char* k) {
        auto it = o.find(k);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    for (const auto& h : *history) {
        if (!h.is_object() || !h.contains("field")) continue; // a transition, not an amendment
        AmendmentEntry e;
        e.field = str(h, "field");
        e.at = str(h, "at");
        e.by = str(h, "by");
        e.reason = str(h, "reason");
        if (!used.empty()) {
            for (size_t i = 0; i < amendments->size(); ++i) {
                const auto& a = (*amendments)[i];
                if (used[i] || !a.is_object() || str(a, "field") != e.field || str(a, "at") != e.at ||
                    str(a, "by") != e.by)
                    continue;
                used[i] = true;
                e.hasValues = true;
                e.oldValue = a.value("old", json());
                e.newValue = a.value("new", json());
                break;
            }
        }
        out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const AmendmentEntry& a, const AmendmentEntry& b) { return a.at > b.at; });
    return out;
}

std::optional<std::string> appointmentStartsAt(std::string_view when) {
    // YYYY-MM-DD HH:MM (a 'T' in place of the space is accepted too)
    if (when.size() != 16 || (when[10] != ' ' && when[10] != 'T') || when[13] != ':') return std::nullopt;
    if (!timeutil::parseIsoDate(when.substr(0, 10))) return std::nullopt;
    auto digits = [&](size_t at) {
        return std::isdigit(static_cast<unsigned char>(when[at])) && std::isdigit(static_cast<unsigned char>(when[at + 1]));
    };
    if (!digits(11) || !digits(14)) return std::nullopt;
    const int hour = (when[11] - '0') * 10 + (when[12] - '0');
    const int minute = (when[14] - '0') * 10 + (when[15] - '0');
    if (hour > 23 || minute > 59) return std::nullopt;
    return std::string(when.substr(0, 10)) + "T" + std::string(when.substr(11, 5)) + ":00Z";
}

bool suggestionsVisibleFor(domain::Role role) { return role == domain::Role::Supervisor || role == domain::Role::Admin; }

std::vector<sync::Record> openSuggestions(std::vector<sync::Record> suggestions) {
    std::erase_if(suggestions, [](const sync::Record& r) { return r.deleted || r.status != "open"; });
    std::sort(suggestions.begin(), suggestions.end(), [](const sync::Record& a, const sync::Record& b) {
        const int64_t sa = a.seq == 0 ? INT64_MAX : a.seq, sb = b.seq == 0 ? INT64_MAX : b.seq;
        return sa != sb ? sa < sb : a.id < b.id;
    });
    return suggestions;
}

} // namespace signpost::app
