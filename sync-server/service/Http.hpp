#pragma once
// Requests and responses as plain data, so the service runs behind cpprestsdk in production and
// directly (no sockets) in the convergence simulation.
#include <map>
#include <string>

namespace signpost::server {

struct HttpRequest {
    std::string method;                          // "GET", "POST", …
    std::string path;                            // "/v1/pull"
    std::map<std::string, std::string> query;    // decoded query parameters
    std::map<std::string, std::string> headers;  // keys in lower case
    std::string body;                            // as received (maybe gzip)
    std::string remoteAddress;
};

struct HttpResponse {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
};

} // namespace signpost::server
