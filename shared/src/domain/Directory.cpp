#include "signpost/domain/Directory.hpp"

#include <algorithm>

namespace signpost::domain {

bool Service::welshLanguage() const {
    return std::find(languages.begin(), languages.end(), "cy") != languages.end();
}

} // namespace signpost::domain
