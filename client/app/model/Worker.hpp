#pragma once
// Off the UI thread (Tracy's RunQueue, both ways). The UI posts jobs to a Worker, whose one
// thread runs them in order against state it built itself (its own database connection: a
// SQLite connection is used by one thread at a time). A job hands its result back by posting a
// closure to the UiQueue, which the UI thread drains at the start of a frame; posting wakes the
// UI loop from its wait. Nothing a panel draws ever waits on the database or the network.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace signpost::app {

class UiQueue {
public:
    explicit UiQueue(std::function<void()> wake = {}) : m_wake(std::move(wake)) {}
    void setWake(std::function<void()> wake) {
        std::lock_guard lock(m_mutex);
        m_wake = std::move(wake);
    }
    // Any thread.
    void post(std::function<void()> fn) {
        std::function<void()> wake;
        {
            std::lock_guard lock(m_mutex);
            m_items.push_back(std::move(fn));
            wake = m_wake;
        }
        if (wake) wake();
    }
    // UI thread: runs what was queued before the call; returns how many ran.
    size_t drain() {
        std::deque<std::function<void()>> items;
        {
            std::lock_guard lock(m_mutex);
            items.swap(m_items);
        }
        for (auto& fn : items) fn();
        return items.size();
    }
    bool empty() const {
        std::lock_guard lock(m_mutex);
        return m_items.empty();
    }

private:
    mutable std::mutex m_mutex;
    std::deque<std::function<void()>> m_items;
    std::function<void()> m_wake;
};

template <typename State> class Worker {
public:
    using Job = std::function<void(State&)>;

    // `makeState` runs on the worker thread, first. If it throws, `onStartFailure` receives the
    // message (on the worker thread) and jobs are dropped.
    Worker(std::function<std::unique_ptr<State>()> makeState,
           std::function<void(const std::string&)> onStartFailure = {})
        : m_thread([this, make = std::move(makeState), fail = std::move(onStartFailure)] { run(make, fail); }) {}
    ~Worker() { stop(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void post(Job job) { enqueue({}, std::move(job)); }
    // Replaces a queued, not yet started job of the same channel: type-ahead posts a search per
    // keystroke and only the newest one runs.
    void postLatest(std::string channel, Job job) { enqueue(std::move(channel), std::move(job)); }

    // Jobs queued or running (for a "working…" hint).
    size_t pending() const {
        std::lock_guard lock(m_mutex);
        return m_jobs.size() + (m_running ? 1 : 0);
    }
    // Waits until every job posted so far has run (tests, benchmarks and shutdown).
    void flush() {
        std::unique_lock lock(m_mutex);
        m_idle.wait(lock, [&] { return (m_jobs.empty() && !m_running) || m_stopped; });
    }
    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id()) m_thread.join();
    }

private:
    struct Entry {
        std::string channel;
        Job job;
    };
    void enqueue(std::string channel, Job job) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) return;
            bool replaced = false;
            if (!channel.empty())
                for (auto& e : m_jobs)
                    if (e.channel == channel) {
                        e.job = std::move(job);
                        replaced = true;
                        break;
                    }
            if (!replaced) m_jobs.push_back({std::move(channel), std::move(job)});
        }
        m_wake.notify_all();
    }
    void run(const std::function<std::unique_ptr<State>()>& make, const std::function<void(const std::string&)>& fail) {
        std::unique_ptr<State> state;
        try {
            state = make();
        } catch (const std::exception& e) {
            if (fail) fail(e.what());
        }
        while (true) {
            Entry entry;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || !m_jobs.empty(); });
                if (m_stop) break;
                entry = std::move(m_jobs.front());
                m_jobs.pop_front();
                m_running = true;
            }
            if (state) {
                try {
                    entry.job(*state);
                } catch (const std::exception& e) {
                    // Jobs report their own failures to the UI; this is the last resort that
                    // keeps the worker alive.
                    if (fail) fail(e.what());
                }
            }
            {
                std::lock_guard lock(m_mutex);
                m_running = false;
            }
            m_idle.notify_all();
        }
        {
            std::lock_guard lock(m_mutex);
            m_jobs.clear();
            m_stopped = true;
        }
        m_idle.notify_all();
        state.reset(); // closes the connection on the thread that opened it
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Entry> m_jobs;
    bool m_running = false;
    bool m_stop = false;
    bool m_stopped = false;
    std::thread m_thread; // last: starts after the members above exist
};

} // namespace signpost::app
