#include "signpost/client/CurlTransport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace signpost::client {

namespace {
void globalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t\r\n") + 1);
        (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
    }
    return size * count;
}
} // namespace

CurlTransport::CurlTransport(std::string baseUrl, CurlOptions options) : m_base(std::move(baseUrl)), m_options(std::move(options)) {
    globalInit();
    while (!m_base.empty() && m_base.back() == '/') m_base.pop_back();
    m_curl = curl_easy_init();
    if (!m_curl) throw TransportError("libcurl could not start");
}

CurlTransport::~CurlTransport() {
    if (m_curl) curl_easy_cleanup(static_cast<CURL*>(m_curl));
}

CurlTransport::CurlTransport(CurlTransport&& other) noexcept
    : m_sent(other.m_sent), m_received(other.m_received), m_curl(other.m_curl), m_base(std::move(other.m_base)),
      m_options(std::move(other.m_options)) {
    other.m_curl = nullptr;
}

TransportResponse CurlTransport::send(const TransportRequest& request) {
    CURL* curl = static_cast<CURL*>(m_curl);
    curl_easy_reset(curl);
    TransportResponse response;
    const std::string url = m_base + request.path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, m_options.connectTimeoutMs);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, m_options.transferTimeoutMs);
    // "" = every encoding libcurl can decode; responses arrive decompressed.
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, m_options.verifyPeer ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, m_options.verifyPeer ? 2L : 0L);
    if (!m_options.caFile.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, m_options.caFile.c_str());
    if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    headers = curl_slist_append(headers, "Expect:"); // no 100-continue round trip on a slow link
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) throw TransportError(curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t up = 0, down = 0;
    curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    m_sent += static_cast<uint64_t>(up);
    m_received += static_cast<uint64_t>(down);
    response.status = static_cast<int>(status);
    // libcurl decoded the body; the header no longer describes it.
    response.headers.erase("content-encoding");
    return response;
}

} // namespace signpost::client
