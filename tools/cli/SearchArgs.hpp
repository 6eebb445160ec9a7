#pragma once
// Turning what a person typed on the command line (or at the shell prompt) into a SearchQuery,
// and printing results; shared by `search` and `shell`.
#include "signpost/util/Args.hpp"
#include "signpost/db/Database.hpp"
#include "signpost/directory/Search.hpp"

#include <iosfwd>
#include <vector>

namespace signpost::cli {

using args::CommandSpec;
using args::OptionSpec;
using args::ParsedArgs;
using args::UsageError;
using args::parseArgs;
using args::helpText;


std::vector<OptionSpec> searchOptions();
// Applies the filter options to `query`; throws UsageError with a helpful message on bad values.
void applySearchOptions(db::Database& db, const ParsedArgs& args, directory::SearchQuery& query);
std::string resolveArea(const std::string& text);
std::string resolveNeed(const std::string& text);
directory::GeoPoint resolveNear(db::Database& db, const std::string& text);

void printResults(std::ostream& out, const directory::SearchOutcome& outcome, bool welsh = false);
void printResultsJson(std::ostream& out, const directory::SearchOutcome& outcome);

} // namespace signpost::cli
