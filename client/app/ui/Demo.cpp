#include "Demo.hpp"

#include "signpost/crypto/Vault.hpp"
#include "signpost/directory/DirectoryStore.hpp"
#include "signpost/directory/Seed.hpp"
#include "signpost/util/Assets.hpp"

#include <cstdlib>

namespace signpost::app {

void prepareDemo(AppWorker& worker, UiQueue& ui, std::function<void(const std::string&)> onError) {
    worker.post([&ui, onError](WorkerState& w) {
        try {
            directory::DirectoryStore dir(w.db);
            if (dir.serviceCount() == 0) {
                directory::loadSeed(w.db, assets::dir());
                // A few hundred synthetic services beside the real seed: opening times, verified
                // dates, Welsh names and sample contacts to look at (all marked sample data).
                directory::SyntheticOptions synthetic;
                synthetic.services = kDemoSyntheticServices;
                directory::generateSynthetic(w.db, synthetic);
            }
            if (!w.store.principal()) {
                sync::Principal who;
                who.userId = "demo-practitioner";
                who.role = domain::Role::Practitioner;
                who.areas = {"PDU-CARDIFFVALE"};
                w.store.setPrincipal(who, kDemoUser);
            }
            if (!w.store.state("vault")) {
                const char* kdf = std::getenv("SIGNPOST_KDF");
                const auto cost = kdf && std::string(kdf) == "minimum" ? crypto::KdfCost::Minimum : crypto::KdfCost::Interactive;
                (void)w.store.openVault(kDemoPassphrase, cost);
            }
        } catch (const std::exception& e) {
            std::string message = e.what();
            ui.post([onError, message] { onError(message); });
        }
    });
}

} // namespace signpost::app
