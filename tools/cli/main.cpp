// signpost-cli: the toolkit from a terminal (import/export, search, seeding, benchmarks, …).
#include "Commands.hpp"
#include "signpost/Error.hpp"
#include "signpost/schema/LocalSchema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

using namespace signpost;
using namespace signpost::cli;

db::Database signpost::cli::Context::openDatabase() const {
    auto parent = std::filesystem::path(dbPath).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    return schema::openLocal(dbPath);
}

namespace {

std::vector<const Command*> allCommands() {
    std::vector<const Command*> out;
    for (const auto* list : {&directoryCommands(), &syncCommands(), &recordCommands(), &referralCommands(), &benchCommands()})
        for (const auto& c : *list) out.push_back(&c);
#ifdef SIGNPOST_WITH_BENCH_SYNC
    for (const auto& c : benchSyncCommands()) out.push_back(&c);
#endif
    return out;
}

std::string defaultDbPath() {
    if (const char* env = std::getenv("SIGNPOST_DB"); env && *env) return env;
    std::filesystem::path base;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home) base = std::filesystem::path(home) / ".local/share";
    else base = ".";
    return (base / "signpost" / "signpost.db").string();
}

void printOverview() {
    std::cout << "Usage: signpost-cli [--db FILE] COMMAND [options]\n\n"
                 "Signpost: an offline directory of rehabilitation providers for probation practitioners.\n\n"
                 "Commands:\n";
    // The summaries line up after the longest command name.
    size_t width = 0;
    for (const Command* c : allCommands()) width = std::max(width, c->spec.name.size());
    for (const Command* c : allCommands()) {
        std::string name = "  " + c->spec.name;
        name.resize(width + 4, ' ');
        std::cout << name << c->spec.summary << "\n";
    }
    std::cout << "\nGlobal options:\n"
                 "  --db FILE       The local database (default: $SIGNPOST_DB, else "
              << defaultDbPath()
              << ")\n"
                 "  --help          This overview; 'signpost-cli COMMAND --help' for a command\n"
                 "  --version       Print the version\n";
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Context context;
    context.dbPath = defaultDbPath();
    // Global options come before the command (and --db is also accepted after it).
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--db" || args[i].rfind("--db=", 0) == 0) {
            if (args[i] == "--db") {
                if (i + 1 >= args.size()) {
                    std::cerr << "signpost-cli: --db needs a file name\n";
                    return kExitUsage;
                }
                context.dbPath = args[++i];
            } else {
                context.dbPath = args[i].substr(5);
            }
            continue;
        }
        rest.push_back(args[i]);
    }
    if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
        if (rest.size() >= 2 && rest[0] == "help") rest = {rest[1], "--help"};
        else {
            printOverview();
            return rest.empty() ? kExitUsage : kExitOk;
        }
    }
    if (rest[0] == "--version") {
        std::cout << "signpost-cli 0.1.0 (SQLite " << sqlite3_libversion() << ")\n";
        return kExitOk;
    }
    // "bench search" is one command named by two words.
    std::string name = rest[0];
    size_t consumed = 1;
    if (rest.size() >= 2 && (name == "bench" || name == "record" || name == "referral" || name == "audit") && rest[1].rfind("-", 0) != 0) {
        name += " " + rest[1];
        consumed = 2;
    }
    const Command* command = nullptr;
    for (const Command* c : allCommands())
        if (c->spec.name == name) command = c;
    if (!command) {
        std::cerr << "signpost-cli: unknown command '" << name << "'. Try 'signpost-cli --help'.\n";
        return kExitUsage;
    }
    std::vector<std::string> commandArgs(rest.begin() + static_cast<std::ptrdiff_t>(consumed), rest.end());
    try {
        ParsedArgs parsed = parseArgs(command->spec, commandArgs);
        if (parsed.helpRequested) {
            std::cout << helpText(command->spec);
            return kExitOk;
        }
        return command->run(context, parsed);
    } catch (const UsageError& e) {
        std::cerr << "signpost-cli " << command->spec.name << ": " << e.what() << "\n"
                  << "Try 'signpost-cli " << command->spec.name << " --help'.\n";
        return kExitUsage;
    } catch (const Error& e) {
        std::cerr << "signpost-cli " << command->spec.name << ": " << e.what() << "\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "signpost-cli " << command->spec.name << ": unexpected error: " << e.what() << "\n";
        return kExitFailure;
    }
}
