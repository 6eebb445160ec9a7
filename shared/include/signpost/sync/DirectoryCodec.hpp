#pragma once
// The directory as sync records: a service or organisation ↔ its fields (Collections.cpp).
#include "signpost/domain/Directory.hpp"

#include <nlohmann/json.hpp>

namespace signpost::sync {

nlohmann::json serviceFields(const domain::Service& service);
domain::Service serviceFromFields(const std::string& id, const nlohmann::json& fields);
nlohmann::json organisationFields(const domain::Organisation& organisation);
domain::Organisation organisationFromFields(const std::string& id, const nlohmann::json& fields);

} // namespace signpost::sync
