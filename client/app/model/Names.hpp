#pragma once
// Names of places, needs and services in the person's language, from the data (Areas, Needs,
// the directory's name_cy): Welsh where the data has it, English otherwise.
#include "I18n.hpp"

#include "signpost/domain/Lifecycle.hpp"

#include <string>
#include <string_view>

namespace signpost::app {

std::string areaName(std::string_view code, Language language);
std::string needName(std::string_view code, Language language);
// A town or place as the data has it ("Flintshire"), in Welsh when it is the name of an area that
// has one ("Sir y Fflint"); otherwise as given.
std::string placeName(const std::string& place, Language language);
// `nameCy` may be empty (no Welsh name published): the English name is shown.
inline const std::string& localName(const std::string& nameEn, const std::string& nameCy, Language language) {
    return language == Language::Cy && !nameCy.empty() ? nameCy : nameEn;
}

// Language keys for the codes the data uses; each table names its keys literally so the
// language-file checker sees them. Unknown codes give nullptr.
const char* statusKey(std::string_view status);           // referral/appointment/alert/... statuses
const char* supervisionKey(std::string_view code);
const char* routeKey(std::string_view code);
const char* complexityKey(std::string_view code);
const char* queueKey(std::string_view queueName);
const char* fieldKey(std::string_view referralField);
const char* alertDecisionKey(std::string_view decision);
const char* weekdayKey(int isoWeekday);
const char* roleKey(domain::Role role);

// tr() of the key, or the code itself when there is none.
std::string labelFor(const char* key, std::string_view code);

} // namespace signpost::app
