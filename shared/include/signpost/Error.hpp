#pragma once
// One error type for the whole toolkit (after couchbase-lite-core's C4Error): a domain says
// where it came from, a code says what, the message says it to a person. Each boundary converts
// it once: the CLI to an exit code, the server to an HTTP status and JSON body, the UI to state.
#include <stdexcept>
#include <string>
#include <string_view>

namespace signpost {

enum class ErrorDomain {
    Sqlite,      // code = SQLite extended result code
    Validation,  // bad input from a person or a file
    Parse,       // malformed JSON / CSV / arguments
    Io,          // files, sockets
    NotFound,
    Conflict,
    Auth,        // not signed in / token invalid
    Forbidden,   // signed in, not allowed
    Internal,
};

const char* toCode(ErrorDomain domain);

class Error : public std::runtime_error {
public:
    Error(ErrorDomain domain, int code, const std::string& message)
        : std::runtime_error(message), m_domain(domain), m_code(code) {}
    Error(ErrorDomain domain, const std::string& message) : Error(domain, 0, message) {}

    ErrorDomain domain() const noexcept { return m_domain; }
    // For ErrorDomain::Sqlite this is the extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE).
    int code() const noexcept { return m_code; }

    static Error validation(const std::string& message) { return {ErrorDomain::Validation, message}; }
    static Error parse(const std::string& message) { return {ErrorDomain::Parse, message}; }
    static Error io(const std::string& message) { return {ErrorDomain::Io, message}; }
    static Error notFound(const std::string& message) { return {ErrorDomain::NotFound, message}; }

private:
    ErrorDomain m_domain;
    int m_code;
};

} // namespace signpost
