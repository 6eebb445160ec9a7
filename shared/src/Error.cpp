#include "signpost/Error.hpp"

namespace signpost {

const char* toCode(ErrorDomain domain) {
    switch (domain) {
    case ErrorDomain::Sqlite: return "sqlite";
    case ErrorDomain::Validation: return "validation";
    case ErrorDomain::Parse: return "parse";
    case ErrorDomain::Io: return "io";
    case ErrorDomain::NotFound: return "not_found";
    case ErrorDomain::Conflict: return "conflict";
    case ErrorDomain::Auth: return "auth";
    case ErrorDomain::Forbidden: return "forbidden";
    case ErrorDomain::Internal: return "internal";
    }
    return "internal";
}

} // namespace signpost
