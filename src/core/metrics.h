// Ranking metrics for one user's top-k list against their held-out items.
#pragma once

#include <cstdint>
#include <vector>

namespace cfrec::core {

struct RankingMetrics {
    double precision = 0, recall = 0, ndcg = 0;
    double average_precision = 0;  // mean of precision at each hit, over min(k, |relevant|)
    double hit = 0;                // 1 when any of the top k is relevant
};

// `ranked` is the recommended list, best first (only its first k count);
// `relevant` the user's held-out items, sorted ascending. Binary relevance;
// ideal DCG uses min(k, |relevant|) hits. A user with no held-out items has
// nothing to measure and gets zeros; callers skip such users.
RankingMetrics ranking_metrics(const std::vector<int64_t> &ranked,
                               const std::vector<int64_t> &relevant, int k);

}  // namespace cfrec::core
