#pragma once
#include "signpost/db/Database.hpp"
#include "signpost/util/Args.hpp"

#include <string>
#include <vector>

namespace signpost::cli {

using args::CommandSpec;
using args::OptionSpec;
using args::ParsedArgs;
using args::UsageError;
using args::parseArgs;
using args::helpText;


// Exit codes (README "signpost-cli"): scripts can tell a usage slip from a failed run.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,     // the command could not do its job (message says why)
    kExitUsage = 2,       // bad arguments
    kExitRejected = 3,    // import finished but rejected some records (listed)
};

struct Context {
    std::string dbPath;   // --db, $SIGNPOST_DB, or the per-user default

    // The device database at dbPath, its folder created and its schema migrated.
    db::Database openDatabase() const;
};

struct Command {
    CommandSpec spec;
    int (*run)(const Context&, const ParsedArgs&);
};

const std::vector<Command>& directoryCommands();
const std::vector<Command>& benchCommands();
const std::vector<Command>& syncCommands();
const std::vector<Command>& recordCommands();
const std::vector<Command>& benchSyncCommands();
const std::vector<Command>& referralCommands();

} // namespace signpost::cli
