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

TEST(RankingMetrics, AveragePrecisionAndHitOnAKnownRanking) {
    // Hits at ranks 1 and 3; three relevant items, k = 4: AP = (1/1 + 2/3) / 3.
    auto m = core::ranking_metrics({10, 20, 30, 40}, {10, 30, 99}, 4);
    EXPECT_DOUBLE_EQ(m.average_precision, (1.0 + 2.0 / 3.0) / 3.0);
    EXPECT_DOUBLE_EQ(m.hit, 1.0);
    // More relevant items than k: the denominator is k.
    auto capped = core::ranking_metrics({1, 2, 3}, {2, 5, 6, 7, 8}, 2);
    EXPECT_DOUBLE_EQ(capped.average_precision, (1.0 / 2.0) / 2.0);
    auto miss = core::ranking_metrics({1, 2}, {3}, 2);
    EXPECT_DOUBLE_EQ(miss.average_precision, 0.0);
    EXPECT_DOUBLE_EQ(miss.hit, 0.0);
}

TEST(RankingMetrics, NdcgCountsTiedScoresByTheirListedOrder) {
    // The list is what the user sees: a relevant item listed second among
    // equal scores counts at rank 2, whatever the scores were.
    auto first = core::ranking_metrics({7, 8}, {7}, 2);
    auto second = core::ranking_metrics({8, 7}, {7}, 2);
    EXPECT_DOUBLE_EQ(first.ndcg, 1.0);
    EXPECT_DOUBLE_EQ(second.ndcg, 1.0 / std::log2(3.0));
}
