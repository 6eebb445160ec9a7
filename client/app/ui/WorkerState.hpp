#pragma once
// What the worker thread owns: its own connection to the device database and a LocalStore over
// it, with the vault while Signpost is unlocked.
#include "../model/Worker.hpp"

#include "signpost/client/LocalStore.hpp"
#include "signpost/crypto/Vault.hpp"
#include "signpost/db/Database.hpp"

#include <ctime>
#include <functional>
#include <memory>

namespace signpost::app {

struct WorkerState {
    WorkerState(db::Database database, std::function<std::time_t()> deviceClock)
        : db(std::move(database)), clock(std::move(deviceClock)), store(db, clock) {}
    db::Database db;
    std::function<std::time_t()> clock;
    client::LocalStore store;
    std::shared_ptr<const crypto::Vault> vault;

    std::time_t now() const { return clock ? clock() : std::time(nullptr); }
};

using AppWorker = Worker<WorkerState>;

} // namespace signpost::app
