#pragma once
// The cpprestsdk http_listener in front of SyncService: moves bytes in and out, enforces the
// body limit before reading, and drains in-flight requests on shutdown.
#include "service/SyncService.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace signpost::server {

struct ListenOptions {
    std::string address = "127.0.0.1:8080"; // host:port
    std::string tlsCert;                    // PEM; with tlsKey, serve https
    std::string tlsKey;
};

class HttpServer {
public:
    HttpServer(SyncService& service, ListenOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void start();
    // Stops taking new work (503), waits up to `graceSeconds` for in-flight requests, closes.
    void stop(int graceSeconds = 30);
    std::string url() const { return m_url; }

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::string m_url;
};

} // namespace signpost::server
