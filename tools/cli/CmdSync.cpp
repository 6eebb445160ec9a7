// signpost-cli sync: one headless sync of a local database with a server.
#include "Commands.hpp"
#include "signpost/util/Terminal.hpp"
#include "DeviceVault.hpp"
#include "signpost/client/CurlTransport.hpp"
#include "signpost/client/SyncEngine.hpp"
#include "signpost/schema/LocalSchema.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace signpost::cli {

namespace {

std::string password(const std::string& user) {
    if (const char* p = std::getenv("SIGNPOST_PASSWORD"); p && *p) return p;
    return terminal::readSecret("Password for " + user + ": ");
}

int runSync(const Context& ctx, const ParsedArgs& args) {
    auto server = args.value("--server");
    if (!server) throw UsageError("sync needs --server URL (e.g. http://127.0.0.1:8080)");
    auto db = ctx.openDatabase();
    client::CurlOptions curl;
    curl.caFile = args.valueOr("--ca-file", "");
    curl.connectTimeoutMs = args.intValue("--connect-timeout-ms", 10'000, 100, 600'000);
    curl.transferTimeoutMs = args.intValue("--timeout-ms", 60'000, 100, 3'600'000);
    client::CurlTransport transport(*server, curl);
    client::LocalStore store(db);
    // Sign in first: a different user taking over the device gets a fresh vault for their own
    // passphrase (SyncEngine::signIn), so the vault is opened after it.
    auto user = args.value("--user");
    if (user) {
        client::SyncEngine signer(db, transport);
        auto current = store.state("server_url_user");
        if (!signer.signedIn() || !current || *current != *user) {
            try {
                signer.signIn(*user, password(*user));
            } catch (const std::exception& e) {
                std::cerr << "signpost-cli sync: could not sign in: " << client::describeFailure(e) << "\n";
                return kExitFailure;
            }
        }
    }
    std::unique_ptr<crypto::Vault> vault;
    try {
        vault = unlockVault(store, true);
    } catch (const Error& e) {
        std::cerr << "signpost-cli sync: " << e.what() << "\n";
        return kExitFailure;
    }
    client::EngineOptions options;
    options.vault = vault.get();
    client::SyncEngine engine(db, transport, options);
    if (!engine.signedIn()) throw UsageError("not signed in on this database: give --user NAME");
    auto report = engine.syncOnce();
    std::cout << "Pushed " << report.pushed << " change(s): " << report.applied << " applied, " << report.duplicates
              << " already there, " << report.conflicts << " in conflict, " << report.rejected << " rejected.\n";
    std::cout << "Pulled " << report.pulled << " record(s)";
    if (report.removed) std::cout << ", " << report.removed << " removed (no longer shared with you)";
    if (report.indexed) std::cout << "; " << report.indexed << " directory record(s) indexed for search";
    std::cout << ". Cursor " << report.cursor << (report.resynced ? " (full resync)" : "") << ".\n";
    if (report.conflictsWaiting)
        std::cout << report.conflictsWaiting << " conflict(s) wait for you to choose between versions.\n";
    for (const auto& r : store.rejected()) std::cout << "Rejected: " << r.collection << " " << r.recordId << ": " << r.reason << "\n";
    size_t pending = store.outboxSize();
    if (pending) std::cout << pending << " change(s) still waiting to be sent.\n";
    if (!report.complete) {
        std::cerr << "signpost-cli sync: " << report.error << "\n";
        return kExitFailure;
    }
    return kExitOk;
}

int runLogin(const Context& ctx, const ParsedArgs& args) {
    auto server = args.value("--server");
    auto user = args.value("--user");
    if (!server || !user) throw UsageError("login needs --server URL and --user NAME");
    auto db = ctx.openDatabase();
    client::CurlOptions curl;
    curl.caFile = args.valueOr("--ca-file", "");
    client::CurlTransport transport(*server, curl);
    client::SyncEngine engine(db, transport);
    try {
        engine.signIn(*user, password(*user));
    } catch (const std::exception& e) {
        std::cerr << "signpost-cli login: " << client::describeFailure(e) << "\n";
        return kExitFailure;
    }
    std::cout << "Signed in as " << *user << " on " << ctx.dbPath << ".\n";
    return kExitOk;
}

} // namespace

const std::vector<Command>& syncCommands() {
    static const std::vector<Command> commands{
        {{"sync",
          "sync --server URL [--user NAME] [--ca-file PEM] [--timeout-ms N]",
          "Sync this local database with a signpost-server, once",
          "Signs in when --user is given (password from SIGNPOST_PASSWORD, else a prompt) and keeps the\n"
          "session in the database. Pushes every queued change, pulls everything new, and prints what was\n"
          "pushed, pulled and which conflicts wait for a person. Exit status 1 when the round did not finish\n"
          "(nothing is lost: what was not sent stays queued).",
          {{"--server", "URL", "The server, e.g. http://127.0.0.1:8080"},
           {"--user", "NAME", "Sign in as this user"},
           {"--ca-file", "PEM", "Trust this certificate (a server with a self-signed certificate)"},
           {"--connect-timeout-ms", "N", "Give up connecting after N ms (default 10000)"},
           {"--timeout-ms", "N", "Give up on one request after N ms (default 60000)"}},
          0,
          0},
         runSync},
        {{"login", "login --server URL --user NAME [--ca-file PEM]",
          "Sign in on this local database without syncing (password from SIGNPOST_PASSWORD or a prompt)", "",
          {{"--server", "URL", "The server"}, {"--user", "NAME", "Sign in as this user"},
           {"--ca-file", "PEM", "Trust this certificate"}},
          0,
          0},
         runLogin},
    };
    return commands;
}

} // namespace signpost::cli
