#pragma once
// Unlocking the device's vault from the command line: the passphrase comes from
// SIGNPOST_PASSPHRASE, else SIGNPOST_PASSWORD (the sign-in password doubles as it), else a prompt.
#include "signpost/client/LocalStore.hpp"
#include "signpost/crypto/Vault.hpp"

#include <memory>

namespace signpost::cli {

// nullptr when no passphrase is to hand and `required` is false. Throws Error{Auth} for a wrong
// passphrase.
std::unique_ptr<crypto::Vault> unlockVault(client::LocalStore& store, bool required);

} // namespace signpost::cli
