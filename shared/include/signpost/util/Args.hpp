#pragma once
// A small declarative argument parser: each command declares its options, and the same
// declaration produces the parser, the error messages and --help.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace signpost::args {

struct OptionSpec {
    std::string name;     // "--area"
    std::string metavar;  // "AREA"; empty for a flag
    std::string help;
    bool repeatable = false;
};

struct CommandSpec {
    std::string name;        // "search"
    std::string usage;       // "search TEXT [options]"
    std::string summary;     // one line
    std::string details;     // paragraphs after the options
    std::vector<OptionSpec> options;
    size_t minPositionals = 0;
    size_t maxPositionals = 0;
    std::string program = "signpost-cli [--db FILE]"; // how --help introduces the usage line
};

// Thrown for a usage mistake; main prints it with a pointer to --help and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ParsedArgs {
public:
    std::vector<std::string> positionals;
    bool has(const std::string& name) const { return m_values.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;
    std::string valueOr(const std::string& name, const std::string& fallback) const;
    long long intValue(const std::string& name, long long fallback, long long min, long long max) const;
    bool helpRequested = false;

private:
    friend ParsedArgs parseArgs(const CommandSpec&, const std::vector<std::string>&);
    std::map<std::string, std::vector<std::string>> m_values;
};

ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args);
std::string helpText(const CommandSpec& spec);

} // namespace signpost::args
