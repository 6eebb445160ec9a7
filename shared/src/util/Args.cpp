#include "signpost/util/Args.hpp"

#include <charconv>

namespace signpost::args {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

std::string ParsedArgs::valueOr(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

long long ParsedArgs::intValue(const std::string& name, long long fallback, long long min, long long max) const {
    auto text = value(name);
    if (!text) return fallback;
    long long v = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || ptr != text->data() + text->size())
        throw UsageError(name + " needs a whole number, not \"" + *text + "\"");
    if (v < min || v > max)
        throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
}

ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args) {
    ParsedArgs parsed;
    bool onlyPositionals = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (onlyPositionals || arg.size() < 2 || arg[0] != '-' || arg == "-") {
            parsed.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            onlyPositionals = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            parsed.helpRequested = true;
            continue;
        }
        std::string name = arg, inlineValue;
        bool hasInline = false;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            name = arg.substr(0, eq);
            inlineValue = arg.substr(eq + 1);
            hasInline = true;
        }
        const OptionSpec* option = nullptr;
        for (const auto& o : spec.options)
            if (o.name == name) option = &o;
        if (!option) throw UsageError("unknown option " + name + " for '" + spec.name + "'");
        if (option->metavar.empty()) {
            if (hasInline) throw UsageError(name + " takes no value");
            parsed.m_values[name].push_back("1");
            continue;
        }
        std::string v;
        if (hasInline) {
            v = inlineValue;
        } else {
            if (i + 1 >= args.size()) throw UsageError(name + " needs a value (" + option->metavar + ")");
            v = args[++i];
        }
        auto& slot = parsed.m_values[name];
        if (!slot.empty() && !option->repeatable) throw UsageError(name + " given more than once");
        slot.push_back(v);
    }
    if (parsed.helpRequested) return parsed;
    if (parsed.positionals.size() < spec.minPositionals)
        throw UsageError("'" + spec.name + "' needs more arguments: " + spec.usage);
    if (parsed.positionals.size() > spec.maxPositionals)
        throw UsageError("'" + spec.name + "' got an unexpected argument \"" + parsed.positionals[spec.maxPositionals] + "\"");
    return parsed;
}

std::string helpText(const CommandSpec& spec) {
    std::string out = "Usage: " + spec.program + " " + spec.usage + "\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) {
        out += "\nOptions:\n";
        for (const auto& o : spec.options) {
            std::string left = "  " + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
            if (left.size() < 28) left.resize(28, ' ');
            else left += "\n" + std::string(28, ' ');
            out += left + o.help + (o.repeatable ? " (repeatable)" : "") + "\n";
        }
        out += "  --help, -h                Show this help\n";
    }
    if (!spec.details.empty()) out += "\n" + spec.details + "\n";
    return out;
}

} // namespace signpost::args
