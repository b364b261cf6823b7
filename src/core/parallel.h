// A minimal parallel loop for the pure math of training and serving.
#pragma once

#include <cstdint>
#include <functional>

namespace cfrec::core {

// Asked now and then by long computations: returning true makes them throw
// Cancelled. Only the calling thread ever invokes it.
using StopCheck = std::function<bool()>;

// Runs body(begin, end) over [0, n) in chunks of `chunk` on `threads` threads.
// The calling thread works too and is the only one that calls `stop`, so a
// stop check may read state that belongs to that thread. Helper threads start
// with every signal blocked: signals keep going to the thread that owns them.
// The first exception from any chunk is rethrown after all threads joined.
void parallel_for(int64_t n, int threads, int64_t chunk,
                  const std::function<void(int64_t, int64_t)> &body, const StopCheck &stop);

// Threads to use when the caller asked for `requested` (0 = all cores).
int resolve_threads(int requested);

}  // namespace cfrec::core
