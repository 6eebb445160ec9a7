#include "DeviceVault.hpp"
#include "signpost/util/Terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace signpost::cli {

namespace {
std::string prompt() {
    return terminal::readSecret("Passphrase (protects people's details on this device): ", false);
}

crypto::KdfCost cost() {
    const char* v = std::getenv("SIGNPOST_KDF");
    std::string s = v ? v : "";
    if (s == "minimum") return crypto::KdfCost::Minimum; // tests and benchmarks only
    if (s == "moderate") return crypto::KdfCost::Moderate;
    return crypto::KdfCost::Interactive;
}
} // namespace

std::unique_ptr<crypto::Vault> unlockVault(client::LocalStore& store, bool required) {
    std::string passphrase;
    if (const char* p = std::getenv("SIGNPOST_PASSPHRASE"); p && *p) passphrase = p;
    else if (const char* pw = std::getenv("SIGNPOST_PASSWORD"); pw && *pw) passphrase = pw;
    else if (required) passphrase = prompt();
    if (passphrase.empty()) {
        if (required) throw Error(ErrorDomain::Auth, "Signpost is locked: give the passphrase (SIGNPOST_PASSPHRASE)");
        return nullptr;
    }
    auto vault = std::make_unique<crypto::Vault>(store.openVault(passphrase, cost()));
    store.setVault(vault.get());
    return vault;
}

} // namespace signpost::cli
