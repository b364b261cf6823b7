#include "core/parallel.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/errors.h"

namespace cfrec::core {

namespace {

// Blocks every signal in this thread for its lifetime, so threads created
// meanwhile inherit a full mask; the old mask comes back on destruction.
class SignalBlock {
  public:
    SignalBlock() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old_);
    }
    ~SignalBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

  private:
    sigset_t old_;
};

struct SharedLoop {
    std::atomic<int64_t> next{0};
    std::atomic<bool> abort{false};
    std::mutex error_mutex;
    std::exception_ptr error;

    void record(std::exception_ptr e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = e;
        abort = true;
    }
};

void work(SharedLoop &loop, int64_t n, int64_t chunk,
          const std::function<void(int64_t, int64_t)> &body, const StopCheck *stop) {
    try {
        while (!loop.abort.load(std::memory_order_relaxed)) {
            if (stop && *stop && (*stop)()) {
                loop.record(std::make_exception_ptr(Cancelled()));
                return;
            }
            int64_t begin = loop.next.fetch_add(chunk);
            if (begin >= n) return;
            body(begin, std::min(n, begin + chunk));
        }
    } catch (...) {
        loop.record(std::current_exception());
    }
}

}  // namespace

int resolve_threads(int requested) {
    if (requested > 0) return requested;
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

void parallel_for(int64_t n, int threads, int64_t chunk,
                  const std::function<void(int64_t, int64_t)> &body, const StopCheck &stop) {
    if (n <= 0) return;
    if (chunk < 1) chunk = 1;
    SharedLoop loop;
    int helpers = std::max(0, std::min<int>(threads - 1, static_cast<int>((n - 1) / chunk)));
    std::vector<std::thread> pool;
    pool.reserve(helpers);
    try {
        SignalBlock block;
        for (int t = 0; t < helpers; ++t)
            pool.emplace_back(work, std::ref(loop), n, chunk, std::cref(body), nullptr);
    } catch (...) {
        loop.record(std::current_exception());
    }
    work(loop, n, chunk, body, &stop);
    for (auto &thread : pool) thread.join();
    if (loop.error) std::rethrow_exception(loop.error);
}

}  // namespace cfrec::core
