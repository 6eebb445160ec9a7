// signpost-cli record …: the synced records of a local database, headless. Every change goes
// through LocalStore: the row and its outbox op in one transaction, checked offline first.
#include "Commands.hpp"
#include "DeviceVault.hpp"
#include "signpost/db/Transaction.hpp"
#include "signpost/client/LocalStore.hpp"
#include "signpost/schema/LocalSchema.hpp"
#include "signpost/sync/Collections.hpp"

#include <filesystem>
#include <iostream>

namespace signpost::cli {

using nlohmann::json;

namespace {


// --set name=value: the value is JSON when it parses as JSON (numbers, true, ["a"]), else text.
json fieldsFrom(const ParsedArgs& args) {
    json fields = json::object();
    for (const auto& pair : args.values("--set")) {
        auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("--set takes NAME=VALUE, not \"" + pair + "\"");
        std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
        json parsed = json::parse(value, nullptr, false);
        fields[name] = parsed.is_discarded() || parsed.is_string() ? json(value) : parsed;
    }
    return fields;
}

void requireCollection(const std::string& name) {
    if (!sync::findCollection(name)) {
        std::string known;
        for (const auto& c : sync::collections()) known += (known.empty() ? "" : ", ") + std::string(c.name);
        throw UsageError("unknown collection \"" + name + "\" (" + known + ")");
    }
}

bool personal(const std::string& collection) {
    return collection == "referral" || collection == "appointment" || collection == "conflict" || collection == "alert";
}

int runCreate(const Context& ctx, const ParsedArgs& args) {
    const std::string collection = args.positionals.at(0);
    requireCollection(collection);
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, personal(collection));
    json fields = fieldsFrom(args);
    const long long repeat = args.intValue("--repeat", 1, 1, 1'000'000);
    const bool submit = args.has("--submit");
    if (submit && collection != "referral") throw UsageError("--submit is for referrals");
    std::string last;
    db::Transaction txn(db);
    for (long long i = 0; i < repeat; ++i) {
        last = store.create(collection, fields);
        if (submit) store.transition(collection, last, "submitted");
    }
    txn.commit();
    if (repeat == 1) std::cout << last << "\n";
    else std::cout << "Created " << repeat << " " << collection << " records (last " << last << ").\n";
    return kExitOk;
}

int runUpdate(const Context& ctx, const ParsedArgs& args) {
    requireCollection(args.positionals.at(0));
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, personal(args.positionals[0]));
    store.update(args.positionals[0], args.positionals.at(1), fieldsFrom(args), args.valueOr("--reason", ""));
    return kExitOk;
}

int runTransition(const Context& ctx, const ParsedArgs& args) {
    requireCollection(args.positionals.at(0));
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, personal(args.positionals[0]));
    store.transition(args.positionals[0], args.positionals.at(1), args.positionals.at(2), args.valueOr("--reason", ""));
    return kExitOk;
}

int runDelete(const Context& ctx, const ParsedArgs& args) {
    requireCollection(args.positionals.at(0));
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, personal(args.positionals[0]));
    store.remove(args.positionals[0], args.positionals.at(1));
    return kExitOk;
}

int runList(const Context& ctx, const ParsedArgs& args) {
    requireCollection(args.positionals.at(0));
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    // People's details only with --reveal (and the passphrase); opening them is audited.
    const bool reveal = args.has("--reveal");
    auto vault = unlockVault(store, reveal);
    json out = json::array();
    for (const auto& r : store.records(args.positionals[0], false, false)) {
        if (reveal) out.push_back(sync::toJson(*store.view(r.collection, r.id)));
        else out.push_back(sync::toJson(r));
    }
    if (args.has("--json")) std::cout << out.dump(2) << "\n";
    else {
        for (const auto& r : out)
            std::cout << r["id"].get<std::string>() << "\t" << r.value("status", "") << "\t" << r.value("area", "")
                      << "\tseq " << r["seq"] << "\n";
        std::cout << out.size() << " record(s).\n";
    }
    return kExitOk;
}

int runConflicts(const Context& ctx, const ParsedArgs& args) {
    auto db = ctx.openDatabase();
    client::LocalStore store(db);
    auto vault = unlockVault(store, true);
    if (auto id = args.value("--resolve")) {
        auto value = args.value("--value");
        if (!value) throw UsageError("--resolve needs --value (the text to keep)");
        store.resolveConflict(*id, *value);
        std::cout << "Resolved; the choice is sent at the next sync.\n";
        return kExitOk;
    }
    size_t open = 0;
    for (const auto& c : store.records("conflict")) {
        if (c.status != "open") continue;
        ++open;
        std::cout << c.id << "  " << c.fields.value("collection", "") << " " << c.fields.value("record_id", "") << " field "
                  << c.fields.value("field", "") << "\n    base:   " << c.fields.value("base", json()).dump()
                  << "\n    mine:   " << c.fields.value("mine", json()).dump()
                  << "\n    theirs: " << c.fields.value("theirs", json()).dump() << "\n";
    }
    std::cout << open << " open conflict(s).\n";
    return kExitOk;
}

} // namespace

const std::vector<Command>& recordCommands() {
    static const std::vector<Command> commands{
        {{"record create", "record create COLLECTION --set NAME=VALUE… [--repeat N]",
          "Create a synced record locally (queued for the next sync)",
          "COLLECTION: referral, suggestion, service, organisation. VALUE is JSON when it parses as JSON.",
          {{"--set", "NAME=VALUE", "A field", true}, {"--repeat", "N", "Create N such records"},
           {"--submit", "", "Referrals: submit at once (it must be complete)"}}, 1, 1},
         runCreate},
        {{"record update", "record update COLLECTION ID --set NAME=VALUE… [--reason TEXT]", "Change fields of a record locally",
          "A referral already sent to a provider, or an appointment's time, changes only with a --reason.",
          {{"--set", "NAME=VALUE", "A field", true}, {"--reason", "TEXT", "Why (see above)"}}, 2, 2},
         runUpdate},
        {{"record transition", "record transition COLLECTION ID STATUS [--reason TEXT]",
          "Move a record through its lifecycle (checked offline, then by the server)", "",
          {{"--reason", "TEXT", "Why (required for some moves)"}}, 3, 3},
         runTransition},
        {{"record delete", "record delete COLLECTION ID", "Delete a record locally (drafts only for referrals)", "", {}, 2, 2},
         runDelete},
        {{"record list", "record list COLLECTION [--json] [--reveal]", "List the records this device holds",
          "People's details stay sealed unless --reveal (needs the passphrase; each record opened is audited).",
          {{"--json", "", "Print JSON"}, {"--reveal", "", "Open people's details"}}, 1, 1},
         runList},
        {{"conflicts", "conflicts [--resolve ID --value TEXT]", "List open conflicts, or resolve one", "",
          {{"--resolve", "ID", "The conflict to resolve"}, {"--value", "TEXT", "The text to keep"}}, 0, 0},
         runConflicts},
    };
    return commands;
}

} // namespace signpost::cli
