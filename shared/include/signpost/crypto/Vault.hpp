#pragma once
// The key that protects personal data on a device (names, dates of birth, CRNs, notes, risk
// summaries, session notes). Derived from the user's passphrase with Argon2id when they sign in,
// held in libsodium's guarded memory (locked, never swapped, wiped on destruction) and never
// written to disk or logs. Values are sealed with XChaCha20-Poly1305, bound to the record and
// field they belong to, so a sealed value moved elsewhere fails to open.
#include <memory>
#include <string>
#include <string_view>

namespace signpost::crypto {

// Argon2id cost. Interactive is libsodium's recommendation for a sign-in; tests that derive many
// keys use Minimum (still Argon2id, just cheap).
enum class KdfCost { Minimum, Interactive, Moderate };

// What a device keeps about its vault: not secret, and not enough to derive the key.
struct VaultParams {
    std::string salt;    // base64
    std::string check;   // a known value sealed under the key: tells a wrong passphrase at once
    unsigned long long opsLimit = 0;
    size_t memLimit = 0;
};

class Vault {
public:
    // A new vault for a passphrase: fresh salt, the key derived, the check value made.
    static Vault create(const std::string& passphrase, VaultParams& paramsOut, KdfCost cost = KdfCost::Interactive);
    // Derives the key again; throws signpost::Error{Auth, "the passphrase is wrong"} if it is.
    static Vault unlock(const std::string& passphrase, const VaultParams& params);

    Vault(Vault&&) noexcept;
    Vault& operator=(Vault&&) noexcept;
    Vault(const Vault&) = delete;
    Vault& operator=(const Vault&) = delete;
    ~Vault();

    // "sealed:v1:" + base64(nonce ‖ ciphertext ‖ tag). `context` (record and field) is
    // authenticated, not stored.
    std::string seal(std::string_view plaintext, std::string_view context) const;
    // The same, appended to `out`: a record's sealed values are written into its text.
    void sealTo(std::string& out, std::string_view plaintext, std::string_view context) const;
    // Throws signpost::Error{Auth} when the value was tampered with or belongs elsewhere.
    std::string open(std::string_view sealed, std::string_view context) const;
    static constexpr std::string_view kSealedPrefix = "sealed:v1:"; // how every sealed value begins
    static bool isSealed(std::string_view value);

private:
    Vault();
    struct Key;
    std::unique_ptr<Key> m_key;
};

} // namespace signpost::crypto
