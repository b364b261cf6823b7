#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace cfrec;

TEST(RankingMetrics, HandComputedCase) {
    // Hits at ranks 1 and 3 of 4 recommended; 3 relevant items.
    auto m = core::ranking_metrics({10, 20, 30, 40}, {10, 30, 99}, 4);
    EXPECT_DOUBLE_EQ(m.precision, 0.5);
    EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3.0);
    const double dcg = 1.0 + 1.0 / 2.0;  // 1/log2(2) + 1/log2(4)
    const double ideal = 1.0 + 1.0 / std::log2(3.0) + 0.5;
    EXPECT_DOUBLE_EQ(m.ndcg, dcg / ideal);
}

TEST(RankingMetrics, PerfectAndEmpty) {
    auto perfect = core::ranking_metrics({1, 2}, {1, 2}, 2);
    EXPECT_DOUBLE_EQ(perfect.ndcg, 1.0);
    EXPECT_DOUBLE_EQ(perfect.precision, 1.0);
    auto none = core::ranking_metrics({1, 2}, {}, 2);
    EXPECT_DOUBLE_EQ(none.ndcg, 0.0);
    EXPECT_DOUBLE_EQ(none.recall, 0.0);
}
