#include "signpost/domain/Referral.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/domain/Needs.hpp"
#include "signpost/util/Time.hpp"

namespace signpost::domain {

using nlohmann::json;

namespace {
std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool isDate(const std::string& s) { return timeutil::parseIsoDate(s).has_value() && s.size() == 10; }
} // namespace

bool validCrn(std::string_view crn) {
    if (crn.size() != 7 || crn[0] < 'A' || crn[0] > 'Z') return false;
    for (size_t i = 1; i < 7; ++i)
        if (crn[i] < '0' || crn[i] > '9') return false;
    return true;
}

std::vector<FieldError> validateReferral(const Referral& r, ValidationStage stage) {
    std::vector<FieldError> errors;
    const bool submit = stage == ValidationStage::Submit;
    auto need = [&](bool present, const char* field, const char* message) {
        if (submit && !present) errors.push_back({field, message});
    };
    if (!r.crn.empty() && !validCrn(r.crn))
        errors.push_back({"crn", "A CRN is one capital letter and six digits, like X123456."});
    need(!r.crn.empty(), "crn", "Enter the person's CRN.");
    need(!r.givenName.empty(), "given_name", "Enter the person's given name.");
    need(!r.familyName.empty(), "family_name", "Enter the person's family name.");
    if (!r.dateOfBirth.empty() && !isDate(r.dateOfBirth))
        errors.push_back({"date_of_birth", "Enter the date of birth as YYYY-MM-DD."});
    need(!r.dateOfBirth.empty(), "date_of_birth", "Enter the person's date of birth.");
    need(r.supervisionType.has_value(), "supervision_type", "Choose the person's supervision type.");
    if (r.inCustody && r.expectedReleaseDate.empty())
        errors.push_back({"expected_release_date", "A person in custody needs an expected release date."});
    if (!r.expectedReleaseDate.empty() && !isDate(r.expectedReleaseDate))
        errors.push_back({"expected_release_date", "Enter the release date as YYYY-MM-DD."});
    need(!r.needs.empty(), "needs", "Choose at least one need.");
    for (const auto& n : r.needs)
        if (!needByCode(n.need)) errors.push_back({"needs", "\"" + n.need + "\" is not a need Signpost knows."});
    need(!r.reason.empty(), "reason", "Say why you are referring the person.");
    need(!r.riskSummary.empty(), "risk_summary", "Write a risk summary the provider can be shown.");
    need(!r.area.empty(), "area", "Choose the responsible PDU.");
    if (!r.area.empty() && !areaByCode(r.area)) errors.push_back({"area", "\"" + r.area + "\" is not an area Signpost knows."});
    need(!r.serviceId.empty(), "service_id", "Choose the service you are referring to.");
    if (!r.completionDeadline.empty() && !isDate(r.completionDeadline))
        errors.push_back({"completion_deadline", "Enter the completion deadline as YYYY-MM-DD."});
    if (r.maxEnforceableDays && (*r.maxEnforceableDays < 0 || *r.maxEnforceableDays > 365))
        errors.push_back({"max_enforceable_days", "Maximum enforceable days is between 0 and 365."});
    if (!r.preferredLanguage.empty() && r.preferredLanguage.size() != 2)
        errors.push_back({"preferred_language", "Use a two-letter language code, such as en or cy."});
    return errors;
}

Referral referralFromFields(const std::string& id, const json& f) {
    Referral r;
    r.id = id;
    r.crn = str(f, "crn");
    r.givenName = str(f, "given_name");
    r.familyName = str(f, "family_name");
    r.dateOfBirth = str(f, "date_of_birth");
    r.gender = str(f, "gender");
    r.preferredLanguage = str(f, "preferred_language");
    r.interpreterLanguage = str(f, "interpreter_language");
    r.accessibilityNeeds = str(f, "accessibility_needs");
    r.supervisionType = parseSupervisionType(str(f, "supervision_type"));
    r.inCustody = f.value("in_custody", false);
    r.expectedReleaseDate = str(f, "expected_release_date");
    if (auto it = f.find("needs"); it != f.end() && it->is_array()) {
        for (const auto& n : *it) {
            if (n.is_string()) r.needs.push_back({n.get<std::string>(), Complexity::Medium});
            else if (n.is_object())
                r.needs.push_back({str(n, "need"), parseComplexity(str(n, "complexity")).value_or(Complexity::Medium)});
        }
    }
    r.desiredOutcomes = str(f, "desired_outcomes");
    r.reason = str(f, "reason");
    r.riskSummary = str(f, "risk_summary");
    r.unavailability = str(f, "unavailability");
    r.owner = str(f, "owner");
    r.area = str(f, "area");
    r.organisationId = str(f, "organisation_id");
    r.serviceId = str(f, "service_id");
    r.completionDeadline = str(f, "completion_deadline");
    if (auto it = f.find("max_enforceable_days"); it != f.end() && it->is_number_integer()) r.maxEnforceableDays = it->get<int>();
    r.status = str(f, "status");
    if (r.status.empty()) r.status = "draft";
    return r;
}

json referralFields(const Referral& r) {
    json needs = json::array();
    for (const auto& n : r.needs) needs.push_back({{"need", n.need}, {"complexity", std::string(toCode(n.complexity))}});
    json f{{"crn", r.crn},
           {"given_name", r.givenName},
           {"family_name", r.familyName},
           {"date_of_birth", r.dateOfBirth},
           {"gender", r.gender},
           {"preferred_language", r.preferredLanguage},
           {"interpreter_language", r.interpreterLanguage},
           {"accessibility_needs", r.accessibilityNeeds},
           {"supervision_type", r.supervisionType ? json(std::string(toCode(*r.supervisionType))) : json(nullptr)},
           {"in_custody", r.inCustody},
           {"expected_release_date", r.expectedReleaseDate},
           {"needs", needs},
           {"desired_outcomes", r.desiredOutcomes},
           {"reason", r.reason},
           {"risk_summary", r.riskSummary},
           {"unavailability", r.unavailability},
           {"area", r.area},
           {"organisation_id", r.organisationId},
           {"service_id", r.serviceId},
           {"completion_deadline", r.completionDeadline},
           {"max_enforceable_days", r.maxEnforceableDays ? json(*r.maxEnforceableDays) : json(nullptr)}};
    if (!r.owner.empty()) f["owner"] = r.owner;
    return f;
}

const std::vector<std::string>& referralOperationalFields() {
    static const std::vector<std::string> fields{"status",      "area",      "organisation_id", "service_id", "needs",
                                                 "completion_deadline", "max_enforceable_days", "sent_at",
                                                 "owner",       "history",   "outcomes",        "supervision_type",
                                                 "preferred_language", "interpreter_language", "unavailability"};
    return fields;
}

const std::vector<std::string>& referralShareableFields() {
    static const std::vector<std::string> fields{"crn",         "given_name",  "family_name",     "date_of_birth",
                                                 "gender",      "accessibility_needs", "in_custody",
                                                 "expected_release_date", "desired_outcomes", "reason", "risk_summary"};
    return fields;
}

} // namespace signpost::domain
