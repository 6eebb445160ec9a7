#pragma once
#include "signpost/client/HttpTransport.hpp"

#include <cstdint>
#include <string>

namespace signpost::client {

struct CurlOptions {
    long connectTimeoutMs = 10'000;
    long transferTimeoutMs = 60'000;
    std::string caFile;     // extra CA bundle for a self-signed server certificate
    bool verifyPeer = true;
};

// One libcurl easy handle (connections are reused between requests), owned RAII: copy deleted,
// move allowed. Not thread-safe: one per thread.
class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(std::string baseUrl, CurlOptions options = {});
    ~CurlTransport() override;
    CurlTransport(CurlTransport&& other) noexcept;
    CurlTransport& operator=(CurlTransport&&) = delete;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    TransportResponse send(const TransportRequest& request) override;

    // Bytes on the wire (compressed bodies, headers excluded) since construction.
    uint64_t bytesSent() const { return m_sent; }
    uint64_t bytesReceived() const { return m_received; }

private:
    uint64_t m_sent = 0;
    uint64_t m_received = 0;
    void* m_curl = nullptr;
    std::string m_base;
    CurlOptions m_options;
};

} // namespace signpost::client
