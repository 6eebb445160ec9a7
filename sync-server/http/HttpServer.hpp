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
    // Threads that run cpprestsdk's network I/O (its shared pool, one per process: the first
    // HttpServer sets it). 0: one per core. Never fewer than 2: closing the listener waits on one
    // pool thread for its open connections to finish on another. Request work runs on the
    // server's own worker threads, so these only move bytes; cpprestsdk's default of 40 cost
    // each request about a sixth of the server's CPU in thread hand-offs (docs/benchmarks.md).
    unsigned ioThreads = 0;
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
