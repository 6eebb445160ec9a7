#include "signpost/crypto/Vault.hpp"
#include "signpost/Error.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

namespace signpost::crypto {

namespace {

constexpr std::string_view kPrefix = Vault::kSealedPrefix;
constexpr std::string_view kCheck = "signpost vault check";

void ready() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw Error(ErrorDomain::Internal, "libsodium failed to initialise");
}

std::string toBase64(const unsigned char* data, size_t size) {
    std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::vector<unsigned char> fromBase64(std::string_view text) {
    std::vector<unsigned char> out(text.size());
    size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        throw Error(ErrorDomain::Auth, "a protected value is damaged");
    out.resize(len);
    return out;
}

} // namespace

// The key lives in sodium_malloc'd memory: guard pages around it, mlock'ed, wiped on free.
// Nonces: XChaCha20's are 192 bits, so each is this vault's random 128-bit prefix (drawn when the
// key is made or unlocked) and a 64-bit counter. No two seals under one key share a nonce: within
// an unlocked vault the counter never repeats, and two unlocks draw their prefixes independently
// (a clash needs about 2^64 unlocks). It spares a getrandom() system call per sealed value, which
// was 40 % of sealing a record's fields.
struct Vault::Key {
    unsigned char* bytes;
    unsigned char prefix[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES - sizeof(uint64_t)];
    std::atomic<uint64_t> counter{0};
    Key() : bytes(static_cast<unsigned char*>(sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES))) {
        if (!bytes) throw Error(ErrorDomain::Internal, "cannot allocate protected memory for the key");
        randombytes_buf(prefix, sizeof prefix);
    }
    ~Key() { sodium_free(bytes); }
    void nextNonce(unsigned char* nonce) {
        std::memcpy(nonce, prefix, sizeof prefix);
        const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
        for (size_t i = 0; i < sizeof n; ++i) nonce[sizeof prefix + i] = static_cast<unsigned char>(n >> (8 * i));
    }
};

Vault::Vault() : m_key(std::make_unique<Key>()) {}
Vault::Vault(Vault&&) noexcept = default;
Vault& Vault::operator=(Vault&&) noexcept = default;
Vault::~Vault() = default;

static void derive(unsigned char* key, const std::string& passphrase, const std::vector<unsigned char>& salt,
                   unsigned long long ops, size_t mem) {
    if (salt.size() != crypto_pwhash_SALTBYTES) throw Error(ErrorDomain::Validation, "the vault's salt is damaged");
    if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase.data(), passphrase.size(), salt.data(),
                      ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw Error(ErrorDomain::Internal, "not enough memory to derive the key");
}

Vault Vault::create(const std::string& passphrase, VaultParams& params, KdfCost cost) {
    ready();
    if (passphrase.size() < 8) throw Error::validation("a passphrase needs at least 8 characters");
    switch (cost) {
    case KdfCost::Minimum:
        params.opsLimit = crypto_pwhash_OPSLIMIT_MIN;
        params.memLimit = crypto_pwhash_MEMLIMIT_MIN;
        break;
    case KdfCost::Interactive:
        params.opsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        params.memLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    case KdfCost::Moderate:
        params.opsLimit = crypto_pwhash_OPSLIMIT_MODERATE;
        params.memLimit = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    }
    std::vector<unsigned char> salt(crypto_pwhash_SALTBYTES);
    randombytes_buf(salt.data(), salt.size());
    params.salt = toBase64(salt.data(), salt.size());
    Vault vault;
    derive(vault.m_key->bytes, passphrase, salt, params.opsLimit, params.memLimit);
    params.check = vault.seal(kCheck, "vault");
    return vault;
}

Vault Vault::unlock(const std::string& passphrase, const VaultParams& params) {
    ready();
    if (params.opsLimit < crypto_pwhash_OPSLIMIT_MIN || params.memLimit < crypto_pwhash_MEMLIMIT_MIN)
        throw Error(ErrorDomain::Validation, "the vault's parameters are damaged");
    Vault vault;
    derive(vault.m_key->bytes, passphrase, fromBase64(params.salt), params.opsLimit, params.memLimit);
    try {
        if (vault.open(params.check, "vault") != kCheck) throw Error(ErrorDomain::Auth, "");
    } catch (const Error&) {
        throw Error(ErrorDomain::Auth, "the passphrase is wrong");
    }
    return vault;
}

bool Vault::isSealed(std::string_view value) { return value.substr(0, kPrefix.size()) == kPrefix; }

std::string Vault::seal(std::string_view plaintext, std::string_view context) const {
    std::string sealed;
    sealTo(sealed, plaintext, context);
    return sealed;
}

void Vault::sealTo(std::string& out, std::string_view plaintext, std::string_view context) const {
    constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
    // Most values are a name or a date: nonce, ciphertext and tag on the stack.
    unsigned char small[512];
    std::vector<unsigned char> large;
    unsigned char* box = small;
    if (kNonce + plaintext.size() + kTag > sizeof small) {
        large.resize(kNonce + plaintext.size() + kTag);
        box = large.data();
    }
    m_key->nextNonce(box);
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + kNonce, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
                                               plaintext.size(), reinterpret_cast<const unsigned char*>(context.data()),
                                               context.size(), nullptr, box, m_key->bytes);
    // The prefix and the base64 written straight onto the end of `out` (the encoder writes a
    // terminating NUL, dropped after). OpenSSL's encoder, not libsodium's: this is ciphertext,
    // which needs no constant-time encoding, and libsodium's took longer than the cipher (a
    // pulled referral seals its personal values as it is stored). The same alphabet and padding.
    const size_t size = kNonce + written;
    const size_t at = out.size();
    const size_t encoded = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL);
    out.resize(at + kPrefix.size() + encoded);
    std::memcpy(out.data() + at, kPrefix.data(), kPrefix.size());
    const int wrote = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at + kPrefix.size()), box,
                                      static_cast<int>(size));
    if (wrote < 0 || static_cast<size_t>(wrote) != encoded - 1) throw Error(ErrorDomain::Internal, "base64 encoding failed");
    out.resize(at + kPrefix.size() + encoded - 1);
}

std::string Vault::open(std::string_view sealed, std::string_view context) const {
    if (!isSealed(sealed)) throw Error(ErrorDomain::Auth, "the value is not a protected value");
    auto bytes = fromBase64(sealed.substr(kPrefix.size()));
    if (bytes.size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
        throw Error(ErrorDomain::Auth, "a protected value is damaged");
    std::string plain(bytes.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES - crypto_aead_xchacha20poly1305_ietf_ABYTES,
                      '\0');
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &len, nullptr,
                                                   bytes.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   bytes.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   reinterpret_cast<const unsigned char*>(context.data()), context.size(),
                                                   bytes.data(), m_key->bytes) != 0)
        throw Error(ErrorDomain::Auth, "a protected value was altered or belongs to another record");
    plain.resize(len);
    return plain;
}

} // namespace signpost::crypto
