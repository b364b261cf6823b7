#include "core/topk.h"

#include <algorithm>
#include <queue>

namespace cfrec::core {

namespace {

// True when a ranks before b.
bool better(const Scored &a, const Scored &b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
}

}  // namespace

std::vector<Scored> top_k(const float *scores, int32_t n, int k,
                          const std::vector<int32_t> &excluded) {
    std::vector<Scored> heap;  // a min-heap on `better`: the worst kept entry on top
    if (k <= 0 || n <= 0) return heap;
    heap.reserve(static_cast<size_t>(std::min<int64_t>(k, n)));
    auto skip = excluded.begin();
    for (int32_t i = 0; i < n; ++i) {
        while (skip != excluded.end() && *skip < i) ++skip;
        if (skip != excluded.end() && *skip == i) continue;
        const Scored candidate{i, scores[i]};
        if (static_cast<int>(heap.size()) < k) {
            heap.push_back(candidate);
            std::push_heap(heap.begin(), heap.end(), better);
        } else if (better(candidate, heap.front())) {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = candidate;
            std::push_heap(heap.begin(), heap.end(), better);
        }
    }
    std::sort(heap.begin(), heap.end(), better);
    return heap;
}

}  // namespace cfrec::core
