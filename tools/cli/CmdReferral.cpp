// signpost-cli queue | referral preview|send | report | audit verify|export: the referral work of
// issue 4 from a terminal, over the same client/core code the GUI uses.
#include "Commands.hpp"
#include "DeviceVault.hpp"
#include "signpost/client/AuditLog.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/client/Queues.hpp"
#include "signpost/client/Report.hpp"
#include "signpost/domain/Areas.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/Access.hpp"
#include "signpost/util/Time.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace signpost::cli {

using nlohmann::json;

namespace {


sync::Principal signedIn(client::LocalStore& store) {
    auto who = store.principal();
    if (!who) throw Error(ErrorDomain::Auth, "no one has signed in on this device yet: run 'signpost-cli sync' first");
    return *who;
}

// --- queue ---------------------------------------------------------------------------------

json itemJson(const client::QueueItem& i) {
    return {{"collection", i.collection}, {"id", i.id},         {"status", i.status},
            {"area", i.area},             {"organisation", i.organisation}, {"owner", i.owner},
            {"service_id", i.serviceId},  {"referral_id", i.referralId},    {"since", i.since},
            {"days_waiting", i.daysWaiting}, {"abandoned", i.abandoned},    {"pending", i.pending}};
}

int runQueue(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    const sync::Principal who = signedIn(store);
    client::QueueOptions options;
    options.limit = static_cast<size_t>(args.intValue("--limit", 50, 1, 100'000));
    options.abandonedDraftDays = static_cast<int>(args.intValue("--abandoned-days", 14, 1, 3650));
    client::Queues queues(db, {}, options);
    auto all = queues.forPrincipal(who);
    if (args.has("--json")) {
        json out = json::object();
        for (const auto& q : all) {
            json items = json::array();
            for (const auto& i : q.items) items.push_back(itemJson(i));
            out[q.name] = {{"total", q.total}, {"items", items}};
        }
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    std::cout << "Queues for " << who.userId << " (" << domain::toCode(who.role) << ")\n";
    for (const auto& q : all) {
        std::cout << "\n" << q.name << " (" << q.total << ")\n";
        for (const auto& i : q.items) {
            std::cout << "  " << i.id << "  " << i.status;
            if (!i.when.empty()) std::cout << "  at " << i.when;
            else std::cout << "  " << i.daysWaiting << " day(s)";
            if (i.abandoned) std::cout << "  ABANDONED DRAFT (kept; delete or finish it)";
            if (i.pending) std::cout << "  (not yet synced)";
            std::cout << "\n";
        }
        if (q.total > q.items.size()) std::cout << "  … and " << q.total - q.items.size() << " more\n";
    }
    return kExitOk;
}

// --- referral preview / send ---------------------------------------------------------------

std::string show(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

struct Preview {
    sync::Record referral;
    std::string organisation;
    std::optional<std::string> blocked;
    sync::SharePreview fields;
};

Preview preview(client::LocalStore& store, const std::string& id) {
    Preview p;
    auto r = store.view("referral", id); // opens the person's details: audited
    if (!r || r->deleted) throw Error::notFound("there is no referral " + id + " on this device");
    p.referral = *r;
    const std::string orgId = r->fields.value("organisation_id", "");
    auto org = orgId.empty() ? std::nullopt : store.record("organisation", orgId);
    const bool known = org && !org->deleted;
    p.organisation = known ? org->fields.value("name", orgId) : orgId;
    const std::string today = timeutil::isoDateTimeUtc(std::time(nullptr));
    p.blocked = orgId.empty() ? std::optional<std::string>("choose the provider organisation first")
                              : sync::sendBlockedReason(known ? &org->fields : nullptr, today);
    p.fields = sync::sharePreview(r->fields, known ? sync::isaGrantedFields(org->fields, today) : std::set<std::string>{});
    return p;
}

void printPreview(const Preview& p) {
    std::cout << "Sending referral " << p.referral.id << " to " << (p.organisation.empty() ? "(no provider)" : p.organisation)
              << ".\n";
    if (p.blocked) {
        std::cout << "It cannot be sent: " << *p.blocked << ".\n";
        return;
    }
    std::cout << "\nWhat " << p.organisation << " will receive:\n";
    for (const auto& name : p.fields.shared) std::cout << "  " << name << ": " << show(p.referral.fields[name]) << "\n";
    std::cout << "\nWhat stays with probation (not in the Information Sharing Agreement):\n";
    if (p.fields.withheld.empty()) std::cout << "  (nothing)\n";
    for (const auto& name : p.fields.withheld) std::cout << "  " << name << "\n";
}

int runPreview(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, true);
    auto p = preview(store, args.positionals.at(0));
    if (args.has("--json")) {
        std::cout << json{{"referral", p.referral.id}, {"organisation", p.organisation},
                          {"blocked", p.blocked ? json(*p.blocked) : json()},
                          {"shared", p.fields.shared}, {"withheld", p.fields.withheld}}
                         .dump(2)
                  << "\n";
    } else {
        printPreview(p);
    }
    return p.blocked ? kExitFailure : kExitOk;
}

int runSend(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, true);
    auto p = preview(store, args.positionals.at(0));
    printPreview(p);
    if (p.blocked) throw Error::validation("not sent: " + *p.blocked);
    if (!args.has("--yes")) {
        if (!isatty(STDIN_FILENO))
            throw UsageError("read the list above, then confirm with --yes (no terminal to ask on)");
        std::cout << "\nSend it? Type yes to confirm: " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "yes") {
            std::cout << "Not sent.\n";
            return kExitFailure;
        }
    }
    store.transition("referral", p.referral.id, "sent");
    std::cout << "Marked as sent; it leaves at the next sync.\n";
    return kExitOk;
}

// --- report --------------------------------------------------------------------------------

int runReport(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    client::ReportOptions options;
    if (auto area = args.value("--area")) {
        const auto* a = domain::findArea(*area);
        if (!a) throw UsageError("\"" + *area + "\" is not an area Signpost knows (a PDU or local authority)");
        options.area = std::string(a->code);
    }
    options.from = args.valueOr("--from", "");
    options.to = args.valueOr("--to", "");
    auto report = client::buildReport(db, options);
    const bool csv = args.has("--csv");
    const std::string text = csv ? client::reportCsv(report) : client::reportText(report);
    if (auto out = args.value("--out")) {
        std::ofstream file(*out, std::ios::binary | std::ios::trunc);
        if (!file || !(file << text)) throw Error::io("cannot write " + *out);
        std::cout << "Wrote " << *out << ".\n";
    } else {
        std::cout << text;
    }
    store.audit("report", "referral", "", std::string(csv ? "csv " : "text ") + options.area + " " + options.from +
                                              ".." + options.to);
    return kExitOk;
}

// --- audit ---------------------------------------------------------------------------------

int runAuditVerify(const Context& ctx, const ParsedArgs&) {
    auto db = ctx.openDatabase();
    auto v = client::AuditLog(db).verify();
    if (v.ok) {
        std::cout << "Audit log intact: " << v.checked << " entries, every hash follows from the one before.\n";
        return kExitOk;
    }
    std::cout << "Audit log BROKEN after " << v.checked << " good entries: " << v.problem << ".\n";
    return kExitFailure;
}

int runAuditExport(const Context& ctx, const ParsedArgs& args) {
    const std::string from = args.valueOr("--from", ""), to = args.valueOr("--to", "");
    for (const auto& [flag, value] : {std::pair{"--from", from}, std::pair{"--to", to}})
        if (!value.empty() && !timeutil::parseIsoDate(value))
            throw UsageError(std::string(flag) + " must be a date (YYYY-MM-DD), not \"" + value + "\"");
    // --to is inclusive: entries up to the end of that day.
    std::string toExclusive;
    if (!to.empty()) toExclusive = timeutil::isoDate(*timeutil::parseIsoDate(to) + 1);
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    client::AuditLog log(db);
    const std::string csv = log.exportCsv(from, toExclusive);
    if (auto out = args.value("--out")) {
        std::ofstream file(*out, std::ios::binary | std::ios::trunc);
        if (!file || !(file << csv)) throw Error::io("cannot write " + *out);
        std::cerr << "Wrote " << *out << ".\n";
    } else {
        std::cout << csv;
    }
    // The export itself is on the record (after the rows it exported).
    store.audit("export", "audit", "", "csv " + from + ".." + to);
    return kExitOk;
}

} // namespace

const std::vector<Command>& referralCommands() {
    static const std::vector<Command> commands{
        {{"queue", "queue [--json] [--limit N] [--abandoned-days D]", "Show the signed-in user's work queues",
          "Practitioners: drafts, submitted, returned, open, alerts. Supervisors: awaiting review (oldest first,\n"
          "with days waiting), returned, approved, alerts. Providers: new referrals, my cases, appointments today.\n"
          "Drafts untouched for D days (default 14) are flagged, never deleted. No one's details are shown.",
          {{"--json", "", "Print JSON"}, {"--limit", "N", "Items per queue (default 50)"},
           {"--abandoned-days", "D", "Flag drafts untouched this long"}}, 0, 0},
         runQueue},
        {{"referral preview", "referral preview ID [--json]", "Show exactly what a provider would receive of a referral",
          "The fields the organisation's Information Sharing Agreement grants, and those that stay with probation.\n"
          "Opens the person's details (needs the passphrase; audited).",
          {{"--json", "", "Print JSON"}}, 1, 1},
         runPreview},
        {{"referral send", "referral send ID [--yes]", "Send an approved referral, after showing what will be shared",
          "Refused, with the reason, when the organisation has no Information Sharing Agreement in force.",
          {{"--yes", "", "Confirm without asking (after reading the preview)"}}, 1, 1},
         runSend},
        {{"report", "report [--area A] [--from DATE] [--to DATE] [--csv] [--out FILE]",
          "Contract monitoring: referrals by status, area, need, provider; days taken; attendance",
          "Counts referrals submitted in the period (dates inclusive). No one's details are read.",
          {{"--area", "A", "A PDU or local authority (code or name)"}, {"--from", "DATE", "YYYY-MM-DD"},
           {"--to", "DATE", "YYYY-MM-DD"}, {"--csv", "", "CSV instead of text"}, {"--out", "FILE", "Write to FILE"}},
          0, 0},
         runReport},
        {{"audit verify", "audit verify", "Check this device's audit log has not been edited or cut",
          "Every entry's hash must follow from the one before; the first break is reported. Exit status 1 if broken.",
          {}, 0, 0},
         runAuditVerify},
        {{"audit export", "audit export [--from DATE] [--to DATE] [--out FILE]",
          "Write the audit log as CSV for an inspection (dates inclusive)", "The export is itself audited.",
          {{"--from", "DATE", "YYYY-MM-DD"}, {"--to", "DATE", "YYYY-MM-DD"}, {"--out", "FILE", "Write to FILE"}}, 0, 0},
         runAuditExport},
    };
    return commands;
}

} // namespace signpost::cli
