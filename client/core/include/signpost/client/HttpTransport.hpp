#pragma once
// How the sync engine reaches the server: libcurl in the product (CurlTransport), a scripted
// faulty network in the convergence simulation.
#include <map>
#include <stdexcept>
#include <string>

namespace signpost::client {

struct TransportRequest {
    std::string method;                        // GET, POST
    std::string path;                          // "/v1/pull?cursor=12"
    std::map<std::string, std::string> headers;
    std::string body;
};

struct TransportResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;                           // decoded (libcurl undoes gzip)
};

// The request may or may not have reached the server (refused, timed out, dropped mid-way).
struct TransportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    virtual TransportResponse send(const TransportRequest& request) = 0;
};

} // namespace signpost::client
