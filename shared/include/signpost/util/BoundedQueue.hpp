#pragma once
// A queue between one producer thread and one consumer, holding at most `capacity` items so a
// fast producer waits instead of filling memory. close() ends it from either side: push then
// refuses (the consumer has stopped), and pop drains what is queued, then says it is over.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace signpost::util {

template <class T> class BoundedQueue {
  public:
    explicit BoundedQueue(size_t capacity) : m_capacity(capacity ? capacity : 1) {}
    BoundedQueue(const BoundedQueue&) = delete;
    BoundedQueue& operator=(const BoundedQueue&) = delete;

    // Waits for room; false (the item dropped) once the queue is closed.
    bool push(T item) {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [&] { return m_closed || m_items.size() < m_capacity; });
        if (m_closed) return false;
        m_items.push_back(std::move(item));
        m_notEmpty.notify_one();
        return true;
    }

    // Waits for an item; nothing once the queue is closed and empty.
    std::optional<T> pop() {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [&] { return m_closed || !m_items.empty(); });
        if (m_items.empty()) return std::nullopt;
        T item = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return item;
    }

    // Items waiting now (a producer that could do the work itself asks whether to queue more).
    size_t size() {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

    void close() {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        m_notFull.notify_all();
        m_notEmpty.notify_all();
    }

  private:
    const size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty;
    std::deque<T> m_items;
    bool m_closed = false;
};

} // namespace signpost::util
