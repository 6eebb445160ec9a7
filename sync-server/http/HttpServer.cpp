#include "HttpServer.hpp"
#include "signpost/Error.hpp"
#include "signpost/sync/Protocol.hpp"

#include <cpprest/http_listener.h>
#include <cpprest/uri.h>
#include <pplx/threadpool.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace signpost::server {

using namespace web::http;
using namespace web::http::experimental::listener;

// Request handling (SQLite, CPU) runs on these threads, never on cpprestsdk's pool: a handler
// that blocks a pool thread while its own body is still being read by that pool deadlocks the
// listener once every pool thread is doing it (seen with 200 concurrent clients).
class Workers {
public:
    explicit Workers(unsigned count) {
        for (unsigned i = 0; i < count; ++i) m_threads.emplace_back([this] { run(); });
    }
    ~Workers() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (auto& t : m_threads) t.join();
    }
    void post(std::function<void()> job) {
        {
            std::lock_guard lock(m_mutex);
            m_jobs.push_back(std::move(job));
        }
        m_wake.notify_one();
    }

private:
    void run() {
        while (true) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || !m_jobs.empty(); });
                if (m_jobs.empty()) return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

struct HttpServer::Impl {
    SyncService& service;
    std::unique_ptr<http_listener> listener;
    std::atomic<int> inFlight{0};
    std::atomic<bool> draining{false};
    Workers workers{std::max(4u, std::thread::hardware_concurrency() * 2)};
    explicit Impl(SyncService& s) : service(s) {}

    void reply(http_request& request, const HttpResponse& out) {
        http_response response(static_cast<status_code>(out.status));
        for (const auto& [name, value] : out.headers) response.headers().add(name, value);
        response.set_body(std::vector<unsigned char>(out.body.begin(), out.body.end()));
        auto type = out.headers.find("content-type");
        response.headers().set_content_type(type != out.headers.end() ? type->second : "application/json");
        request.reply(response).then([](pplx::task<void> t) {
            try {
                t.get();
            } catch (...) {
                // the client went away; nothing to do
            }
        });
    }

    static HttpResponse simpleError(int status, const std::string& code, const std::string& message) {
        HttpResponse r;
        r.status = status;
        r.headers["content-type"] = "application/json";
        r.body = nlohmann::json{{"error", code}, {"message", message}}.dump();
        return r;
    }

    void handle(http_request request) {
        ++inFlight; // released when the reply is handed to cpprestsdk, whatever the path
        auto done = [this] { --inFlight; };
        if (draining) {
            reply(request, simpleError(503, "unavailable", "the server is shutting down; try again shortly"));
            done();
            return;
        }
        auto in = std::make_shared<HttpRequest>();
        in->method = request.method();
        const auto& uri = request.relative_uri();
        in->path = web::uri::decode(uri.path());
        for (const auto& [key, value] : web::uri::split_query(uri.query()))
            in->query[web::uri::decode(key)] = web::uri::decode(value);
        for (const auto& [name, value] : request.headers()) {
            std::string lower = name;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            in->headers[lower] = value;
        }
        in->remoteAddress = request.remote_address();
        // Refuse an oversized body before reading it.
        if (request.headers().content_length() > sync::kMaxRequestBytes) {
            reply(request, simpleError(413, "too_large", "the request body is larger than the server accepts"));
            done();
            return;
        }
        // Read the body without blocking, then hand the work to our own threads.
        request.extract_vector().then([this, request, in, done](pplx::task<std::vector<unsigned char>> body) mutable {
            try {
                auto bytes = body.get(); // ready: this continuation runs when it is
                if (bytes.size() > sync::kMaxRequestBytes) {
                    reply(request, simpleError(413, "too_large", "the request body is larger than the server accepts"));
                    done();
                    return;
                }
                in->body.assign(bytes.begin(), bytes.end());
            } catch (const std::exception&) {
                reply(request, simpleError(400, "bad_request", "the request body could not be read"));
                done();
                return;
            }
            workers.post([this, request, in, done]() mutable {
                reply(request, service.handle(*in));
                done();
            });
        });
    }
};

namespace {
// Sizes cpprestsdk's shared pool before anything uses it. It can be sized once per process; a
// pool already running (a second server in one process) keeps the size it has.
void sizeIoPool(unsigned threads) {
    static std::once_flag once;
    std::call_once(once, [threads] {
        const unsigned n = std::max(2u, threads > 0 ? threads : std::thread::hardware_concurrency());
        try {
            crossplat::threadpool::initialize_with_threads(n);
        } catch (const std::exception&) {
            // already initialised: nothing to change
        }
    });
}
} // namespace

HttpServer::HttpServer(SyncService& service, ListenOptions options) : m_impl(std::make_unique<Impl>(service)) {
    sizeIoPool(options.ioThreads);
    const bool tls = !options.tlsCert.empty() || !options.tlsKey.empty();
    if (tls && (options.tlsCert.empty() || options.tlsKey.empty()))
        throw Error::validation("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
    m_url = std::string(tls ? "https://" : "http://") + options.address;
    http_listener_config config;
    config.set_timeout(std::chrono::seconds(60));
    if (tls) {
        config.set_ssl_context_callback([cert = options.tlsCert, key = options.tlsKey](boost::asio::ssl::context& ctx) {
            ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                            boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                            boost::asio::ssl::context::no_tlsv1_1);
            ctx.use_certificate_chain_file(cert);
            ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
        });
    }
    try {
        m_impl->listener = std::make_unique<http_listener>(web::uri(m_url), config);
    } catch (const std::exception& e) {
        throw Error::validation("cannot listen on " + m_url + ": " + e.what());
    }
    m_impl->listener->support([impl = m_impl.get()](http_request request) { impl->handle(std::move(request)); });
}

HttpServer::~HttpServer() {
    try {
        stop(5);
    } catch (...) {
    }
}

void HttpServer::start() {
    try {
        m_impl->listener->open().wait();
    } catch (const std::exception& e) {
        throw Error(ErrorDomain::Io, "cannot listen on " + m_url + ": " + e.what());
    }
}

void HttpServer::stop(int graceSeconds) {
    if (!m_impl->listener || m_impl->draining.exchange(true)) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(graceSeconds);
    while (m_impl->inFlight.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m_impl->listener->close().wait();
}

} // namespace signpost::server
