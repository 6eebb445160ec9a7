// signpost-server: reconciles every device's changes (docs/sync-protocol.md).
//   signpost-server [serve] [--listen HOST:PORT] [--data-dir DIR] [--tls-cert F --tls-key F] [--log-level L]
//   signpost-server user add|disable|reset-password|list …
//   signpost-server directory seed [--synthetic N]
//   signpost-server purge --before-seq N
//   signpost-server audit verify
#include "http/HttpServer.hpp"
#include "service/AuditVerify.hpp"
#include "service/DirectorySeed.hpp"
#include "service/SyncService.hpp"
#include "signpost/Error.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/util/Args.hpp"
#include "signpost/util/Terminal.hpp"
#include "signpost/util/Text.hpp"

#include <charconv>
#include <csignal>
#include <fstream>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <unistd.h>

using namespace signpost;
using namespace signpost::server;
using args::CommandSpec;
using args::ParsedArgs;

namespace {

std::string env(const char* name, const std::string& fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

const CommandSpec& serveSpec() {
    static const CommandSpec spec{
        "serve",
        "[serve] [--listen HOST:PORT] [--data-dir DIR] [--tls-cert FILE --tls-key FILE] [--log-level LEVEL]\n"
        "      [--io-threads N]",
        "Run the sync server",
        "Environment: SIGNPOST_LISTEN, SIGNPOST_DATA_DIR, SIGNPOST_TLS_CERT, SIGNPOST_TLS_KEY, SIGNPOST_LOG_LEVEL,\n"
        "SIGNPOST_IO_THREADS (flags win). SQLite in WAL mode under DIR/signpost-server.db. SIGTERM or SIGINT\n"
        "stops taking new requests, lets in-flight ones finish, and exits. Logs one JSON line per request to\n"
        "stderr, with no personal data.",
        {{"--listen", "HOST:PORT", "Address to listen on (default 127.0.0.1:8080)"},
         {"--data-dir", "DIR", "Where the database lives (default ./signpost-data)"},
         {"--tls-cert", "FILE", "PEM certificate chain: serve https"},
         {"--tls-key", "FILE", "PEM private key for --tls-cert"},
         {"--log-level", "LEVEL", "error, warn, info (default) or debug"},
         {"--token-lifetime", "SECONDS", "How long a sign-in lasts (default 43200, 12 hours)"},
         {"--io-threads", "N", "Threads moving request and response bytes, 2 or more (default one per core)"}},
        0,
        0,
        "signpost-server"};
    return spec;
}

const CommandSpec& userSpec() {
    static const CommandSpec spec{
        "user",
        "user add|disable|reset-password|list [USERNAME] [--role R] [--area A]… [--org ID] [--name TEXT] [--data-dir DIR]",
        "Manage accounts (the password comes from SIGNPOST_PASSWORD, else a prompt)",
        "Roles: practitioner, supervisor, provider, admin. Areas are PDUs or local authorities, by code or\n"
        "name (\"Gwent\", \"Bolton\"). Provider users need --org, their organisation's id. Disabling a user or\n"
        "resetting a password signs them out on every device.",
        {{"--role", "ROLE", "practitioner, supervisor, provider or admin"},
         {"--area", "AREA", "An area the user works in", true},
         {"--org", "ID", "Provider users: their organisation's id"},
         {"--name", "TEXT", "Display name"},
         {"--data-dir", "DIR", "Where the database lives (default $SIGNPOST_DATA_DIR or ./signpost-data)"}},
        1,
        2,
        "signpost-server"};
    return spec;
}

const CommandSpec& directorySpec() {
    static const CommandSpec spec{"directory",
                                  "directory seed [--synthetic N] [--sample-isa] [--data-dir DIR]",
                                  "Load the provider directory that devices sync",
                                  "Without --synthetic: the real seed directory from assets/. With it: N deterministic\n"
                                  "synthetic services (sample data) for scale tests.",
                                  {{"--synthetic", "N", "Generate N synthetic services"},
                                   {"--sample-isa", "", "Demo only: a sample ISA in force for every seeded organisation"},
                                   {"--data-dir", "DIR", "Where the database lives"}},
                                  1,
                                  1,
                                  "signpost-server"};
    return spec;
}

const CommandSpec& purgeSpec() {
    static const CommandSpec spec{"purge",
                                  "purge --before-seq N [--data-dir DIR]",
                                  "Drop tombstones older than a change sequence (devices older than it resync)",
                                  "",
                                  {{"--before-seq", "N", "Purge tombstones below this sequence"},
                                   {"--data-dir", "DIR", "Where the database lives"}},
                                  0,
                                  0,
                                  "signpost-server"};
    return spec;
}

const CommandSpec& auditSpec() {
    static const CommandSpec spec{"audit",
                                  "audit verify [--data-dir DIR]",
                                  "Verify every device's audit log received so far",
                                  "Each device's entries must form an unbroken hash chain from its first entry; an\n"
                                  "entry edited or deleted on the device before it synced, or in this database, is\n"
                                  "reported with the device and the entry. Exit status 1 when any chain is broken.",
                                  {{"--data-dir", "DIR", "Where the database lives"}},
                                  1,
                                  1,
                                  "signpost-server"};
    return spec;
}

std::string dataDir(const ParsedArgs& a) {
    std::string dir = a.valueOr("--data-dir", env("SIGNPOST_DATA_DIR", "signpost-data"));
    std::filesystem::create_directories(dir);
    return dir;
}

SyncService makeService(const std::string& dir, ServiceOptions options = {}) {
    std::string path = (std::filesystem::path(dir) / "signpost-server.db").string();
    return SyncService([path] { return openSqliteStore(path); }, std::move(options));
}

std::string readPassword(const std::string& prompt) {
    if (auto p = env("SIGNPOST_PASSWORD"); !p.empty()) return p;
    return terminal::readSecret(prompt);
}

int serve(const ParsedArgs& a) {
    ListenOptions listen;
    listen.address = a.valueOr("--listen", env("SIGNPOST_LISTEN", "127.0.0.1:8080"));
    listen.tlsCert = a.valueOr("--tls-cert", env("SIGNPOST_TLS_CERT"));
    listen.tlsKey = a.valueOr("--tls-key", env("SIGNPOST_TLS_KEY"));
    const std::string level = a.valueOr("--log-level", env("SIGNPOST_LOG_LEVEL", "info"));
    ServiceOptions options;
    if (level == "error") options.logLevel = LogLevel::Error;
    else if (level == "warn") options.logLevel = LogLevel::Warn;
    else if (level == "info") options.logLevel = LogLevel::Info;
    else if (level == "debug") options.logLevel = LogLevel::Debug;
    else throw args::UsageError("--log-level takes error, warn, info or debug");
    options.tokenLifetimeSeconds = a.intValue("--token-lifetime", 12 * 3600, 1, 30 * 86400);
    if (a.has("--io-threads")) listen.ioThreads = static_cast<unsigned>(a.intValue("--io-threads", 0, 2, 256));
    else if (auto t = env("SIGNPOST_IO_THREADS"); !t.empty()) {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
        if (ec != std::errc() || end != t.data() + t.size() || n < 2 || n > 256)
            throw args::UsageError("SIGNPOST_IO_THREADS takes a whole number from 2 to 256");
        listen.ioThreads = n;
    }
    options.maintenanceInterval = std::chrono::milliseconds(250); // WAL checkpoints off the request path
    static std::mutex logMutex;
    options.log = [](const std::string& line) {
        std::lock_guard lock(logMutex);
        std::cerr << line << '\n';
    };

    // Block the stop signals in every thread (cpprest's included); this thread waits for them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const std::string dir = dataDir(a);
    SyncService service = makeService(dir, std::move(options));
    HttpServer server(service, listen);
    server.start();
    std::cerr << nlohmann::json{{"level", "info"}, {"event", "listening"}, {"url", server.url()}, {"data_dir", dir}}.dump()
              << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    std::cerr << nlohmann::json{{"level", "info"}, {"event", "stopping"}, {"signal", received}}.dump() << std::endl;
    server.stop(30);
    std::cerr << nlohmann::json{{"level", "info"}, {"event", "stopped"}}.dump() << std::endl;
    return 0;
}

int user(const ParsedArgs& a) {
    const std::string verb = a.positionals.at(0);
    SyncService service = makeService(dataDir(a));
    if (verb == "list") {
        for (const auto& u : service.listUsers()) {
            std::cout << u.username << "\t" << domain::toCode(u.role) << "\t" << text::join(u.areas, ",") << "\t"
                      << (u.organisation.empty() ? "-" : u.organisation) << "\t" << (u.disabled ? "disabled" : "active")
                      << "\n";
        }
        return 0;
    }
    if (a.positionals.size() < 2) throw args::UsageError("'user " + verb + "' needs a USERNAME (or FILE)");
    if (verb == "import") {
        // CSV lines: username,role,areas separated by ';',organisation. One password for all
        // (SIGNPOST_PASSWORD), hashed once: for setting up a pilot or a load test.
        std::ifstream in(a.positionals[1]);
        if (!in) throw Error::io("cannot read " + a.positionals[1]);
        const std::string password = readPassword("Password for the imported users: ");
        std::vector<server::NewUser> users;
        std::string line;
        while (std::getline(in, line)) {
            auto cols = text::split(line, ',', false);
            if (cols.empty() || cols[0].empty() || cols[0] == "username") continue;
            cols.resize(4);
            auto role = domain::parseRole(cols[1]);
            if (!role) throw args::UsageError("line \"" + line + "\": unknown role");
            std::vector<std::string> areas;
            for (const auto& t : text::split(cols[2], ';')) {
                const domain::Area* area = domain::findArea(t);
                if (!area) throw args::UsageError("line \"" + line + "\": unknown area " + t);
                areas.emplace_back(area->code);
            }
            users.push_back({cols[0], *role, areas, cols[3]});
        }
        service.importUsers(users, password);
        std::cout << "Imported " << users.size() << " users.\n";
        return 0;
    }
    const std::string username = a.positionals[1];
    if (verb == "add") {
        auto role = domain::parseRole(a.valueOr("--role", ""));
        if (!role) throw args::UsageError("--role must be practitioner, supervisor, provider or admin");
        std::vector<std::string> areas;
        for (const auto& text : a.values("--area")) {
            const domain::Area* area = domain::findArea(text);
            if (!area) throw args::UsageError("unknown area \"" + text + "\"");
            areas.emplace_back(area->code);
        }
        if (areas.empty() && (*role == domain::Role::Practitioner || *role == domain::Role::Supervisor))
            throw args::UsageError("practitioners and supervisors need at least one --area");
        auto u = service.addUser(username, readPassword("Password for " + username + ": "), *role, areas,
                                 a.valueOr("--org", ""), a.valueOr("--name", ""));
        std::cout << "Added " << u.username << " (" << domain::toCode(u.role) << ", id " << u.id << ").\n";
        return 0;
    }
    if (verb == "disable") {
        service.disableUser(username);
        std::cout << "Disabled " << username << " and signed them out everywhere.\n";
        return 0;
    }
    if (verb == "reset-password") {
        service.resetPassword(username, readPassword("New password for " + username + ": "));
        std::cout << "Reset the password of " << username << " and signed them out everywhere.\n";
        return 0;
    }
    throw args::UsageError("user takes add, import, disable, reset-password or list");
}

int directory(const ParsedArgs& a) {
    if (a.positionals.at(0) != "seed") throw args::UsageError("directory takes seed");
    const std::string dir = dataDir(a);
    std::string path = (std::filesystem::path(dir) / "signpost-server.db").string();
    auto store = openSqliteStore(path);
    size_t n = a.has("--synthetic") ? seedSyntheticDirectory(*store, static_cast<size_t>(a.intValue("--synthetic", 0, 1, 10'000'000)))
                                    : seedDirectory(*store, a.has("--sample-isa"));
    std::cout << "Loaded " << n << " directory records.\n";
    return 0;
}

int auditCommand(const ParsedArgs& a) {
    if (a.positionals.at(0) != "verify") throw args::UsageError("audit takes verify");
    const std::string path = (std::filesystem::path(dataDir(a)) / "signpost-server.db").string();
    auto store = openSqliteStore(path);
    size_t broken = 0, entries = 0;
    auto chains = verifyAuditChains(*store);
    for (const auto& c : chains) {
        entries += c.entries;
        if (c.ok) {
            std::cout << "device " << c.device << ": " << c.entries << " entries, chain intact\n";
        } else {
            ++broken;
            std::cout << "device " << c.device << ": BROKEN: " << c.problem << "\n";
        }
    }
    std::cout << chains.size() << " device(s), " << entries << " entries, " << broken << " broken chain(s).\n";
    return broken ? 1 : 0;
}

int purge(const ParsedArgs& a) {
    if (!a.has("--before-seq")) throw args::UsageError("purge needs --before-seq N");
    SyncService service = makeService(dataDir(a));
    size_t n = service.purgeTombstonesBefore(a.intValue("--before-seq", 0, 1, INT64_MAX));
    std::cout << "Purged " << n << " tombstones.\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> all(argv + 1, argv + argc);
    const CommandSpec* spec = &serveSpec();
    int (*run)(const ParsedArgs&) = serve;
    std::vector<std::string> rest = all;
    if (!all.empty() && all[0] == "user") spec = &userSpec(), run = user, rest.erase(rest.begin());
    else if (!all.empty() && all[0] == "directory") spec = &directorySpec(), run = directory, rest.erase(rest.begin());
    else if (!all.empty() && all[0] == "purge") spec = &purgeSpec(), run = purge, rest.erase(rest.begin());
    else if (!all.empty() && all[0] == "audit") spec = &auditSpec(), run = auditCommand, rest.erase(rest.begin());
    else if (!all.empty() && all[0] == "serve") rest.erase(rest.begin());
    try {
        ParsedArgs parsed = args::parseArgs(*spec, rest);
        if (parsed.helpRequested) {
            std::cout << args::helpText(*spec);
            if (spec == &serveSpec())
                std::cout << "\nOther commands: user, directory, purge, audit ('signpost-server COMMAND --help').\n";
            return 0;
        }
        return run(parsed);
    } catch (const args::UsageError& e) {
        std::cerr << "signpost-server: " << e.what() << "\nTry 'signpost-server " << spec->name << " --help'.\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "signpost-server: " << e.what() << "\n";
        return 1;
    }
}
