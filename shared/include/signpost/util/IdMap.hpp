#pragma once
// A map from ids (text) to values, for the hundreds of thousands of lookups of a large load.
//
// std::unordered_map<std::string, V> touches, for each lookup, a bucket, a node and the key's
// own allocation (an id of 36 characters does not fit in the string): three cache misses apiece
// at 100,000 entries, where the table is far larger than the caches (a fifth of a large import's
// writer went in such lookups). Here the slots are one array of 64-bit hashes with where the key
// is, open addressing with linear probing: a lookup reads one slot, and the key's bytes only when
// the hash matches (which for an id not yet seen it all but never does). The keys live in one
// arena, the values in one vector, neither touched by a miss. A hash can be made ahead, on
// another thread (hashOf), and the slot asked for ahead of its use (prefetch).
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace signpost::util {

template <class V> class IdMap {
    static_assert(!std::is_same_v<V, bool>, "std::vector<bool> gives no addresses: use char");

  public:
    // Never 0: 0 marks an empty slot.
    static uint64_t hashOf(std::string_view key) {
        const uint64_t h = std::hash<std::string_view>{}(key);
        return h ? h : 1;
    }

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }

    // Asks for the slot a lookup of this hash starts at (a hint: nothing changes).
    void prefetch(uint64_t hash) const {
        if (!m_slots.empty()) __builtin_prefetch(&m_slots[hash & m_mask]);
    }

    V* find(std::string_view key, uint64_t hash) {
        const size_t at = locate(key, hash);
        return at == kNone ? nullptr : &m_values[m_slots[at].value];
    }
    V* find(std::string_view key) { return find(key, hashOf(key)); }
    bool contains(std::string_view key, uint64_t hash) const { return locate(key, hash) != kNone; }
    bool contains(std::string_view key) const { return contains(key, hashOf(key)); }

    // The value stored for `key`, and false; or `value` stored, and true.
    std::pair<V*, bool> tryEmplace(std::string_view key, uint64_t hash, V value) {
        if (const size_t at = locate(key, hash); at != kNone) return {&m_values[m_slots[at].value], false};
        if ((m_size + 1) * 2 > m_slots.size()) grow();
        size_t at = hash & m_mask;
        while (m_slots[at].hash != 0)
            at = (at + 1) & m_mask;
        if (m_keys.size() + sizeof(uint32_t) + key.size() > UINT32_MAX || m_values.size() >= UINT32_MAX)
            throw std::length_error("IdMap: more than 4 GB of keys");
        const auto offset = static_cast<uint32_t>(m_keys.size());
        const auto length = static_cast<uint32_t>(key.size());
        m_keys.append(reinterpret_cast<const char*>(&length), sizeof length);
        m_keys.append(key);
        m_slots[at] = Slot{hash, offset, static_cast<uint32_t>(m_values.size())};
        m_values.push_back(std::move(value));
        ++m_size;
        return {&m_values.back(), true};
    }
    std::pair<V*, bool> tryEmplace(std::string_view key, V value) {
        return tryEmplace(key, hashOf(key), std::move(value));
    }

    // Removes `key` if it is there (its key bytes and an emptied value stay behind until clear()).
    bool erase(std::string_view key, uint64_t hash) {
        size_t hole = locate(key, hash);
        if (hole == kNone) return false;
        m_values[m_slots[hole].value] = V{}; // what it held freed now
        m_slots[hole] = Slot{};
        --m_size;
        // Backward shift: each later slot of the run moves into the hole if its own start allows,
        // so every key stays reachable from where its probe starts.
        for (size_t next = (hole + 1) & m_mask; m_slots[next].hash != 0; next = (next + 1) & m_mask) {
            const size_t home = m_slots[next].hash & m_mask;
            if (((next - home) & m_mask) >= ((next - hole) & m_mask)) {
                m_slots[hole] = m_slots[next];
                m_slots[next] = Slot{};
                hole = next;
            }
        }
        return true;
    }
    bool erase(std::string_view key) { return erase(key, hashOf(key)); }

    void clear() {
        m_slots.clear();
        m_keys.clear();
        m_values.clear();
        m_mask = 0;
        m_size = 0;
    }

  private:
    struct Slot {
        uint64_t hash = 0; // 0: empty
        uint32_t key = 0;  // offset in m_keys of the key's length, then its bytes
        uint32_t value = 0;
    };
    static constexpr size_t kNone = static_cast<size_t>(-1);

    std::string_view keyAt(uint32_t offset) const {
        uint32_t length = 0;
        std::memcpy(&length, m_keys.data() + offset, sizeof length);
        return {m_keys.data() + offset + sizeof length, length};
    }

    size_t locate(std::string_view key, uint64_t hash) const {
        if (m_slots.empty()) return kNone;
        for (size_t at = hash & m_mask;; at = (at + 1) & m_mask) {
            const Slot& slot = m_slots[at];
            if (slot.hash == 0) return kNone;
            if (slot.hash == hash && keyAt(slot.key) == key) return at;
        }
    }

    void grow() {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
        m_mask = m_slots.size() - 1;
        for (const Slot& slot : old) {
            if (slot.hash == 0) continue;
            size_t at = slot.hash & m_mask;
            while (m_slots[at].hash != 0)
                at = (at + 1) & m_mask;
            m_slots[at] = slot;
        }
    }

    std::vector<Slot> m_slots;
    size_t m_mask = 0;
    size_t m_size = 0;
    std::string m_keys;
    std::vector<V> m_values;
};

} // namespace signpost::util
