#include "core/topk.h"

#include <algorithm>
#include <queue>

namespace cfrec::core {

namespace {

constexpr auto better = ranks_before;

}  // namespace

std::vector<Scored> top_k(const float *scores, int32_t n, int k,
                          const std::vector<int32_t> &excluded) {
    std::vector<Scored> heap;  // a min-heap on `better`: the worst kept entry on top
    if (k <= 0 || n <= 0) return heap;
    heap.reserve(static_cast<size_t>(std::min<int64_t>(k, n)));
    auto is_excluded = [&](int32_t i) {
        return std::binary_search(excluded.begin(), excluded.end(), i);
    };
    int32_t i = 0;
    for (; i < n && static_cast<int>(heap.size()) < k; ++i) {
        if (is_excluded(i)) continue;
        heap.push_back({i, scores[i]});
        std::push_heap(heap.begin(), heap.end(), better);
    }
    // Scanning in index order, a score equal to the worst kept one loses the
    // tie, so only strictly greater scores need a closer look: the hot loop
    // is one comparison per item.
    float threshold = heap.empty() ? 0.0f : heap.front().score;
    for (; i < n; i += 16) {
        const int32_t end = std::min(n, i + 16);
        bool any = false;  // 16 at a time: vector compares in the common case
        for (int32_t t = i; t < end; ++t) any |= scores[t] > threshold;
        if (!any) continue;
        for (int32_t t = i; t < end; ++t) {
            if (!(scores[t] > threshold) || is_excluded(t)) continue;
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = {t, scores[t]};
            std::push_heap(heap.begin(), heap.end(), better);
            threshold = heap.front().score;
        }
    }
    std::sort(heap.begin(), heap.end(), better);
    return heap;
}

}  // namespace cfrec::core
