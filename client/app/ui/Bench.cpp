// signpost --bench-ui: how long the UI thread spends building a frame (ImGui NewFrame → Render,
// the CPU side of a frame) with 100,000 services and 50,000 referrals on the device, and how long
// a cold start takes to its first frame. The parent prepares (or reuses) the database, then runs
// a fresh child process so the start is a real process start.
#include "Bench.hpp"
#include "App.hpp"
#include "Demo.hpp"
#include "panels/Panels.hpp"

#include "signpost/client/LocalStore.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/DirectoryCodec.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

extern char** environ;

namespace signpost::app {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

json benchReferral(size_t i) {
    static const char* needs[] = {"finance", "accommodation", "ete", "dependency", "wellbeing", "women"};
    return json{{"area", "PDU-CARDIFFVALE"},
                {"crn", "X" + std::to_string(100000 + i % 900000)},
                {"given_name", "Person"},
                {"family_name", std::to_string(i)},
                {"date_of_birth", "1990-01-01"},
                {"supervision_type", "licence"},
                {"needs", json::array({json{{"need", needs[i % 6]}, {"complexity", "medium"}}})},
                {"reason", "Needs support since release."},
                {"risk_summary", "No concerns for a group setting."},
                {"service_id", ""},
                {"notes", "Drafted offline in a hub."}};
}

void prepare(const std::string& path, size_t services, size_t referrals) {
    auto db = schema::openLocal(path);
    client::LocalStore store(db);
    const std::string marker = std::to_string(services) + "/" + std::to_string(referrals);
    if (store.state("bench_ui") == marker) {
        std::printf("Reusing %s (%zu services, %zu referrals)\n", path.c_str(), services, referrals);
        return;
    }
    auto start = Clock::now();
    std::printf("Preparing %s: %zu synthetic services…\n", path.c_str(), services);
    std::fflush(stdout);
    directory::SyntheticOptions options;
    options.services = services;
    directory::generateSynthetic(db, options);
    std::printf("  directory in %.1f s\n", secondsSince(start));
    sync::Principal who;
    who.userId = "bench-practitioner";
    who.role = domain::Role::Practitioner;
    who.areas = {"PDU-CARDIFFVALE"};
    store.setPrincipal(who, "bench");
    auto vault = store.openVault(kBenchPassphrase, crypto::KdfCost::Minimum);
    store.setVault(&vault);
    // Services to refer to: real ids, so queue rows show names.
    auto ids = directory::DirectoryStore(db).serviceIds();
    start = Clock::now();
    {
        db::Transaction txn(db);
        for (size_t i = 0; i < referrals; ++i) {
            json fields = benchReferral(i);
            if (!ids.empty()) fields["service_id"] = ids[i % ids.size()];
            const std::string id = store.create("referral", fields);
            // A quarter submitted, the rest drafts (which stay on the device).
            if (i % 4 == 0) store.transition("referral", id, "submitted");
        }
        txn.commit();
    }
    std::printf("  %zu referrals (sealed, audited) in %.1f s\n", referrals, secondsSince(start));
    store.setState("bench_ui", marker);
}

struct Stats {
    double p50 = 0, p95 = 0, max = 0, mean = 0;
    size_t n = 0;
};

Stats stats(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.n = v.size();
    s.p50 = v[v.size() / 2];
    s.p95 = v[std::min(v.size() - 1, static_cast<size_t>(0.95 * static_cast<double>(v.size())))];
    s.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

} // namespace

int runBenchParent(const AppOptions& options, const std::string& self) {
    const std::string path = options.benchDb.empty()
                                 ? (std::filesystem::temp_directory_path() /
                                    ("signpost-bench-ui-" + std::to_string(options.benchServices) + "-" +
                                     std::to_string(options.benchReferrals) + ".db"))
                                       .string()
                                 : options.benchDb;
    prepare(path, options.benchServices, options.benchReferrals);
    std::vector<std::string> args{self,
                                  "--db",
                                  path,
                                  "--bench-ui-run",
                                  "--frames",
                                  std::to_string(options.benchFrames),
                                  "--size",
                                  std::to_string(options.width) + "x" + std::to_string(options.height)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_t pid = 0;
    if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
        std::cerr << "signpost --bench-ui: cannot start " << self << "\n";
        return 1;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int App::runBench() {
    glfwSwapInterval(0); // measure work, not the display's refresh
    std::map<std::string, std::vector<double>> phases, cpu;
    std::string phase = "startup";
    m_frameHook = [&](double ms) {
        phases[phase].push_back(ms);
        cpu[phase].push_back(m_lastBuildCpuMs);
    };
    const auto t0 = Clock::now();
    double readyMs = -1;
    auto run = [&](auto done, double timeoutSeconds) {
        const auto start = Clock::now();
        while (!done()) {
            glfwPollEvents();
            frame();
            if (secondsSince(start) > timeoutSeconds) return false;
        }
        return true;
    };
    // Start: the sign-in screen, unlock, the Find panel with results for a first query.
    if (!run([&] { return m_session->state() == SessionState::Locked; }, 60)) {
        std::cerr << "bench: the device did not open\n";
        return 1;
    }
    m_signIn->passphrase() = kBenchPassphrase;
    {
        UiContext ctx{*this, m_layout, m_settings, *m_session, *m_worker, m_ui, m_fonts};
        m_signIn->submitUnlock(ctx);
    }
    if (!run([&] { return m_session->unlocked(); }, 60)) {
        std::cerr << "bench: could not unlock\n";
        return 1;
    }
    m_find->filters().text = "housing";
    if (!run([&] { return !m_find->searching() && !m_find->results().empty(); }, 60)) {
        std::cerr << "bench: no search results\n";
        return 1;
    }
    readyMs = std::chrono::duration<double, std::milli>(Clock::now() - m_options.processStart).count();
    (void)t0;

    const int frames = std::max(40, m_options.benchFrames);
    const int perPhase = frames / 4;

    // 1. Type-ahead: a character every 3 frames; results arrive from the worker meanwhile.
    phase = "type-ahead";
    const std::string query = "mentoring support for young adults cardiff";
    for (int i = 0; i < perPhase; ++i) {
        if (i % 3 == 0) m_find->filters().text = query.substr(0, static_cast<size_t>(i / 3) % query.size() + 1);
        glfwPollEvents();
        frame();
    }
    // 2. Scrolling the result list (300 rows, virtualised) and opening results.
    phase = "results-scroll";
    m_find->filters().text = "support";
    run([&] { return !m_find->searching(); }, 30);
    int fbw = 0, fbh = 0;
    glfwGetFramebufferSize(m_window, &fbw, &fbh);
    m_inputHook = [&](ImGuiIO& in) {
        in.MousePos = ImVec2(static_cast<float>(fbw) * 0.25f, static_cast<float>(fbh) * 0.6f);
        in.MouseWheel = -1.0f;
    };
    for (int i = 0; i < perPhase; ++i) {
        if (i % 10 == 0 && !m_find->results().empty()) {
            UiContext ctx{*this, m_layout, m_settings, *m_session, *m_worker, m_ui, m_fonts};
            m_find->select(ctx, m_find->results()[static_cast<size_t>(i / 10) % m_find->results().size()].id);
        }
        glfwPollEvents();
        frame();
    }
    m_inputHook = nullptr;
    // 3. Queues over 50,000 referrals.
    phase = "my-referrals";
    navigate("my_referrals");
    auto* queue = dynamic_cast<QueuePanelBase*>(panel("my_referrals"));
    run([&] { return queue && queue->loaded(); }, 60);
    for (int i = 0; i < perPhase; ++i) {
        if (i % 10 == 0 && queue && !queue->sections().empty() && !queue->sections().front().entries.empty()) {
            const auto& entries = queue->sections().front().entries;
            const auto& item = entries[static_cast<size_t>(i / 10) % entries.size()].item;
            UiContext ctx{*this, m_layout, m_settings, *m_session, *m_worker, m_ui, m_fonts};
            queue->select(ctx, item.collection, item.id);
        }
        glfwPollEvents();
        frame();
    }
    // 4. The referral editor with a draft open.
    phase = "referral-editor";
    if (queue && !queue->sections().empty() && !queue->sections().front().entries.empty()) {
        UiContext ctx{*this, m_layout, m_settings, *m_session, *m_worker, m_ui, m_fonts};
        m_editor->open(ctx, queue->sections().front().entries.front().item.id);
    }
    run([&] { return m_editor->hasReferral(); }, 30);
    navigate("referral");
    for (int i = 0; i < perPhase; ++i) {
        glfwPollEvents();
        frame();
    }
    // 5. While syncing: the sync engine's apply path for 100,000 directory records (pulled pages
    // of 5,000 applied in a transaction each, then indexed for search), on its own thread and
    // SQLite connection as SyncService runs it, with no network. The UI keeps building frames
    // on the Find panel, and type-ahead keeps querying, meanwhile.
    phase = "while-syncing";
    navigate("find");
    std::atomic<bool> syncing{true};
    std::atomic<size_t> applied{0};
    std::string syncError;
    const auto syncStart = Clock::now();
    std::thread syncer([&] {
        try {
            auto db = schema::openLocal(m_options.dbPath);
            client::LocalStore store(db);
            const size_t total = 100'000, page = 5'000;
            // The bench device already holds its directory (generated, not pulled): these pages
            // continue its cursor chain, as a large directory update does, rather than start one
            // from 0 (a chain from 0 replaces the device's view first).
            int64_t cursor = std::max<int64_t>(store.cursor(), 1);
            store.setState("cursor", std::to_string(cursor));
            const size_t organisations = directory::syntheticOrganisationCount(total);
            for (size_t first = 0; first < total; first += page) {
                sync::PullResponse response;
                // Each page carries its services' organisations, as a real pull orders them.
                for (size_t o = first * organisations / total; o < (first + page) * organisations / total; ++o) {
                    auto org = directory::syntheticOrganisation(o, 77);
                    sync::Record r;
                    r.collection = "organisation";
                    r.id = org.id;
                    r.fields = sync::organisationFields(org);
                    r.seq = ++cursor;
                    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) r.versions[it.key()] = r.seq;
                    response.records.push_back(std::move(r));
                }
                for (size_t i = first; i < first + page; ++i) {
                    auto service = directory::syntheticService(i, organisations, 77);
                    sync::Record r;
                    r.collection = "service";
                    r.id = "bench-sync-" + service.id;
                    service.id = r.id;
                    r.fields = sync::serviceFields(service);
                    r.seq = ++cursor;
                    for (auto it = r.fields.begin(); it != r.fields.end(); ++it) r.versions[it.key()] = r.seq;
                    response.records.push_back(std::move(r));
                }
                response.nextCursor = cursor;
                store.applyPull(response);
                store.materialiseDirectory(); // as SyncEngine does after each pull
                applied = first + page;
            }
        } catch (const std::exception& e) {
            syncError = e.what();
        }
        syncing = false;
    });
    // Paced at 60 frames a second (the client waits for events; spinning frames flat out here
    // would only starve the sync thread of the second core), typing a character every 3 frames.
    size_t syncFrames = 0;
    auto nextFrame = Clock::now();
    while (syncing) {
        if (syncFrames % 3 == 0) m_find->filters().text = query.substr(0, syncFrames / 3 % query.size() + 1);
        glfwPollEvents();
        frame();
        ++syncFrames;
        nextFrame += std::chrono::microseconds(16'667);
        std::this_thread::sleep_until(nextFrame);
    }
    syncer.join();
    const double syncSeconds = secondsSince(syncStart);
    m_frameHook = nullptr;
    if (!syncError.empty()) {
        std::cerr << "bench: the sync thread failed: " << syncError << "\n";
        return 1;
    }

    std::printf("\nsignpost --bench-ui (%dx%d, %s layout, font %.0f px)\n", fbw, fbh,
                m_layout.mode == LayoutMode::Split ? "split" : "single-column", m_layout.fontPx);
    std::printf("  cold start to first frame:          %8.1f ms\n", m_firstFrameMs);
    std::printf("  cold start to unlocked + results:   %8.1f ms (includes the Argon2id unlock)\n", readyMs);
    for (auto* table : {&cpu, &phases}) {
        std::printf(table == &cpu ? "\n  frame build, UI thread CPU time (ImGui NewFrame→Render), ms:\n"
                                  : "\n  frame build, wall time (includes the worker taking the core), ms:\n");
        std::printf("  %-18s %6s %8s %8s %8s %8s\n", "phase", "frames", "p50", "p95", "max", "mean");
        std::vector<double> all;
        for (const char* name : {"type-ahead", "results-scroll", "my-referrals", "referral-editor", "while-syncing"}) {
            const auto& v = (*table)[name];
            all.insert(all.end(), v.begin(), v.end());
            const Stats s = stats(v);
            std::printf("  %-18s %6zu %8.3f %8.3f %8.3f %8.3f\n", name, s.n, s.p50, s.p95, s.max, s.mean);
        }
        const Stats s = stats(all);
        std::printf("  %-18s %6zu %8.3f %8.3f %8.3f %8.3f\n", "all", s.n, s.p50, s.p95, s.max, s.mean);
    }
    const Stats during = stats(cpu["while-syncing"]);
    std::printf("\n  while syncing %zu directory records in %.1f s on the sync thread: %zu frames, UI-thread CPU per\n"
                "  frame max %.3f ms (target: no frame over 16 ms of CPU)\n",
                applied.load(), syncSeconds, during.n, during.max);
    return 0;
}

} // namespace signpost::app
