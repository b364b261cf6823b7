// Best-k selection over a dense score vector.
#pragma once

#include <cstdint>
#include <vector>

namespace cfrec::core {

struct Scored {
    int32_t index;
    float score;
};

// True when a ranks before b: higher score, then lower index.
inline bool ranks_before(const Scored &a, const Scored &b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// The k best entries of scores[0..n), best first. Ties go to the lower index
// so results are reproducible. Indices in `excluded` (sorted ascending,
// duplicates allowed) are never returned. Returns fewer than k when fewer
// entries are eligible.
std::vector<Scored> top_k(const float *scores, int32_t n, int k,
                          const std::vector<int32_t> &excluded);

}  // namespace cfrec::core
