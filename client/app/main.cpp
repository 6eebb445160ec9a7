// signpost: the Dear ImGui + GLFW client. See docs/client.md.
#include "ui/App.hpp"
#include "ui/Bench.hpp"

#include "signpost/util/Args.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace {

const auto g_processStart = std::chrono::steady_clock::now();

signpost::args::CommandSpec spec() {
    signpost::args::CommandSpec s;
    s.name = "signpost";
    s.program = "signpost";
    s.usage = "[--db FILE] [--lang en|cy] [--size WxH] [options]";
    s.summary = "Find a provider and refer, online or offline, in English or Welsh";
    s.details =
        "The device database defaults to $XDG_DATA_HOME/signpost/signpost.db (~/.local/share/…).\n"
        "--demo gives a device that works without a server: the seed directory and a demo\n"
        "practitioner (passphrase \"demo passphrase\").";
    s.options = {
        {"--db", "FILE", "The device database"},
        {"--server", "URL", "The signpost-server to sign in to and sync with (the saved setting otherwise)"},
        {"--lang", "en|cy", "Language for this run (the saved setting otherwise)"},
        {"--size", "WxH", "Initial window size in pixels (default 1280x800)"},
        {"--text-size", "PERCENT", "Text size 100-200 for this run"},
        {"--touch", "", "Touch mode for this run (44 px targets)"},
        {"--high-contrast", "", "High-contrast theme for this run"},
        {"--demo", "", "Seed directory and a demo user when the database has none"},
        {"--script", "NAME", "Run a scripted flow (tests, screenshots): flow"},
        {"--screenshot-dir", "DIR", "Where --script writes PNG screenshots and their JSON sidecars"},
        {"--bench-ui", "", "Benchmark: frame build times and cold start with a large device database"},
        {"--bench-db", "FILE", "Benchmark database to prepare or reuse"},
        {"--services", "N", "Benchmark: synthetic services (default 100000)"},
        {"--referrals", "N", "Benchmark: referrals (default 50000)"},
        {"--frames", "N", "Benchmark: frames to measure (default 600)"},
        {"--bench-ui-run", "", "(internal) the measuring child of --bench-ui"},
    };
    return s;
}

std::string defaultDb() {
    namespace fs = std::filesystem;
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "signpost" / "signpost.db").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".local" / "share" / "signpost" / "signpost.db").string();
    return "signpost.db";
}

} // namespace

int main(int argc, char** argv) {
    using namespace signpost;
    std::vector<std::string> raw(argv + 1, argv + argc);
    args::ParsedArgs parsed;
    try {
        parsed = args::parseArgs(spec(), raw);
    } catch (const args::UsageError& e) {
        std::cerr << "signpost: " << e.what() << " (see signpost --help)\n";
        return 2;
    }
    if (parsed.helpRequested) {
        std::cout << args::helpText(spec());
        return 0;
    }
    app::AppOptions options;
    options.processStart = g_processStart;
    try {
        options.dbPath = parsed.valueOr("--db", defaultDb());
        options.serverUrl = parsed.valueOr("--server", "");
        if (auto lang = parsed.value("--lang")) {
            if (*lang != "en" && *lang != "cy") throw args::UsageError("--lang is en or cy");
            options.language = app::parseLanguage(*lang);
        }
        if (auto size = parsed.value("--size")) {
            auto x = size->find('x');
            if (x == std::string::npos) throw args::UsageError("--size is WIDTHxHEIGHT, e.g. 390x844");
            options.width = std::stoi(size->substr(0, x));
            options.height = std::stoi(size->substr(x + 1));
            if (options.width < 200 || options.height < 200 || options.width > 8000 || options.height > 8000)
                throw args::UsageError("--size must be between 200x200 and 8000x8000");
        }
        if (parsed.has("--text-size"))
            options.textSize = static_cast<int>(parsed.intValue("--text-size", 100, 100, 200));
        if (parsed.has("--touch")) options.touch = true;
        if (parsed.has("--high-contrast")) options.highContrast = true;
        options.demo = parsed.has("--demo");
        options.script = parsed.valueOr("--script", "");
        options.screenshotDir = parsed.valueOr("--screenshot-dir", "screenshots");
        options.benchDb = parsed.valueOr("--bench-db", "");
        options.benchServices = static_cast<size_t>(parsed.intValue("--services", 100000, 100, 10'000'000));
        options.benchReferrals = static_cast<size_t>(parsed.intValue("--referrals", 50000, 0, 10'000'000));
        options.benchFrames = static_cast<int>(parsed.intValue("--frames", 600, 40, 1'000'000));
    } catch (const std::exception& e) {
        std::cerr << "signpost: " << e.what() << " (see signpost --help)\n";
        return 2;
    }
    try {
        if (parsed.has("--bench-ui")) {
            std::error_code ec;
            auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
            return app::runBenchParent(options, ec ? std::string(argv[0]) : self.string());
        }
        options.benchUi = parsed.has("--bench-ui-run");
        app::App application(options);
        return application.run();
    } catch (const std::exception& e) {
        std::cerr << "signpost: " << e.what() << "\n";
        return 1;
    }
}
