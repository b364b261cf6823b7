#include "core/metrics.h"

#include <algorithm>
#include <cmath>

namespace cfrec::core {

RankingMetrics ranking_metrics(const std::vector<int64_t> &ranked,
                               const std::vector<int64_t> &relevant, int k) {
    RankingMetrics m;
    if (relevant.empty() || k <= 0) return m;
    const int n = std::min<int>(k, static_cast<int>(ranked.size()));
    int hits = 0;
    double dcg = 0.0, precision_sum = 0.0;
    for (int r = 0; r < n; ++r)
        if (std::binary_search(relevant.begin(), relevant.end(), ranked[r])) {
            ++hits;
            dcg += 1.0 / std::log2(r + 2.0);
            precision_sum += static_cast<double>(hits) / (r + 1);
        }
    double ideal = 0.0;
    for (int r = 0; r < std::min<int>(k, static_cast<int>(relevant.size())); ++r)
        ideal += 1.0 / std::log2(r + 2.0);
    m.precision = static_cast<double>(hits) / k;
    m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
    m.ndcg = dcg / ideal;
    m.average_precision = precision_sum / std::min<double>(k, static_cast<double>(relevant.size()));
    m.hit = hits > 0 ? 1.0 : 0.0;
    return m;
}

}  // namespace cfrec::core
