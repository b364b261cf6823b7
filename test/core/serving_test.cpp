#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/parallel.h"
#include "core/half_scorer.h"
#include "core/random.h"
#include "core/serving.h"
#include "core/topk.h"

using namespace cfrec;

TEST(TopK, EqualsAFullSortWithTiesAndExclusions) {
    core::SplitMix64 rng(99);
    for (int trial = 0; trial < 200; ++trial) {
        const int n = 1 + static_cast<int>(rng.next() % 300);
        const int k = 1 + static_cast<int>(rng.next() % 40);
        std::vector<float> scores(n);
        for (auto &s : scores) s = static_cast<float>(rng.next() % 20);  // many ties
        std::vector<int32_t> excluded;
        for (int i = 0; i < n; ++i)
            if (rng.uniform() < 0.2) excluded.push_back(i);
        if (!excluded.empty()) excluded.push_back(excluded.front());  // a duplicate
        std::sort(excluded.begin(), excluded.end());

        std::vector<int32_t> all;
        for (int i = 0; i < n; ++i)
            if (!std::binary_search(excluded.begin(), excluded.end(), i)) all.push_back(i);
        std::sort(all.begin(), all.end(), [&](int32_t a, int32_t b) {
            return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
        });
        all.resize(std::min<size_t>(all.size(), k));

        auto top = core::top_k(scores.data(), n, k, excluded);
        ASSERT_EQ(top.size(), all.size());
        for (size_t j = 0; j < top.size(); ++j) {
            EXPECT_EQ(top[j].index, all[j]);
            EXPECT_EQ(top[j].score, scores[all[j]]);
        }
    }
}

TEST(TopK, NothingEligibleGivesNothing) {
    float scores[2] = {1, 2};
    EXPECT_TRUE(core::top_k(scores, 2, 5, {0, 1}).empty());
    EXPECT_TRUE(core::top_k(scores, 2, 0, {}).empty());
}

namespace {

core::FactorModel tiny_model() {
    core::FactorModel m;
    m.feedback = core::Feedback::Implicit;
    m.user_ids = {100};
    m.item_ids = {1, 2, 3, 4};
    m.user_bias = {0};
    m.item_bias = {0, 0, 0, 0};
    m.user_factors = core::FactorMatrix(1, 2);
    m.user_factors << 1, 0;
    m.item_factors = core::FactorMatrix(4, 2);
    m.item_factors << 1, 0,  //
        2, 2,                //
        0, 1,                //
        -1, 0;
    m.item_counts = {5, 9, 9, 1};
    return m;
}

}  // namespace

TEST(Serving, SimilarItemsUseCosineAndSkipTheItem) {
    core::FactorModel m = tiny_model();
    auto top = core::similar_items(m, 0, 10);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].index, 1);
    EXPECT_NEAR(top[0].score, std::sqrt(0.5f), 1e-6);
    EXPECT_EQ(top[1].index, 2);
    EXPECT_NEAR(top[1].score, 0.0f, 1e-6);
    EXPECT_EQ(top[2].index, 3);
    EXPECT_NEAR(top[2].score, -1.0f, 1e-6);
}

TEST(Serving, RecommendAndPopularHonourExclusions) {
    core::FactorModel m = tiny_model();
    int64_t seen_ids[] = {2, 77};  // 77 is unknown to the model and ignored
    auto excluded = core::known_items(m, seen_ids, 2);
    EXPECT_EQ(excluded, (std::vector<int32_t>{1}));
    auto top = core::recommend(m, 0, 2, excluded);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].index, 0);  // score 1
    EXPECT_EQ(top[1].index, 2);  // score 0 beats -1
    auto pop = core::popular(m, 3, {});
    EXPECT_EQ(pop[0].index, 1);  // 9 interactions, lower index wins the tie
    EXPECT_EQ(pop[1].index, 2);
    EXPECT_EQ(pop[2].index, 0);
    EXPECT_FLOAT_EQ(pop[0].score, 9.0f);
}

TEST(Serving, ImplicitPredictionForUnknownIdsIsZero) {
    core::FactorModel m = tiny_model();
    EXPECT_FLOAT_EQ(core::predict(m, 100, 2), 2.0f);
    EXPECT_FLOAT_EQ(core::predict(m, 5, 2), 0.0f);
    EXPECT_FLOAT_EQ(core::predict(m, 100, 50), 0.0f);
}

TEST(ParallelFor, VisitsEveryIndexOnceAndPropagatesErrors) {
    std::vector<int> hits(1000, 0);
    core::parallel_for(
        1000, 2, 7,
        [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) ++hits[i];
        },
        [] { return false; });
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    EXPECT_THROW(core::parallel_for(
                     100, 2, 1,
                     [](int64_t b, int64_t) {
                         if (b == 50) throw std::runtime_error("boom");
                     },
                     [] { return false; }),
                 std::runtime_error);
}

namespace {

// Users 0..users-1 with factors drawn uniformly from [-shift, 1 - shift)
// and biases bias_step * u.
void add_users(core::FactorModel &m, int users, core::SplitMix64 &rng, double shift,
               float bias_step) {
    const int f = static_cast<int>(m.item_factors.cols());
    m.user_factors = core::FactorMatrix(users, f);
    for (int u = 0; u < users; ++u) {
        m.user_ids.push_back(u);
        m.user_bias.push_back(bias_step * u);
        for (int j = 0; j < f; ++j)
            m.user_factors(u, j) = static_cast<float>(rng.uniform() - shift);
    }
}

// Exact scores of every item for user u, as a full computation gives them.
std::vector<float> exact_scores(const core::FactorModel &m, int u) {
    const int items = static_cast<int>(m.item_ids.size());
    std::vector<float> exact(items);
    for (int i = 0; i < items; ++i) {
        exact[i] = m.item_factors.row(i).dot(m.user_factors.row(u));
        if (m.feedback == core::Feedback::Explicit)
            exact[i] += static_cast<float>(m.global_mean) + m.user_bias[u] + m.item_bias[i];
    }
    return exact;
}

// recommend()'s top k (two-stage when the model has a half copy) equals a
// full sort of the exact scores: same items, same order, same scores.
void expect_exact_top_k(const core::FactorModel &m, int u, int k,
                        const std::vector<int32_t> &excluded) {
    const std::vector<float> exact = exact_scores(m, u);
    const auto want = core::top_k(exact.data(), static_cast<int32_t>(exact.size()), k, excluded);
    const auto got = core::recommend(m, u, k, excluded);
    ASSERT_EQ(got.size(), want.size()) << "user " << u << " k " << k;
    for (size_t j = 0; j < want.size(); ++j) {
        EXPECT_EQ(got[j].index, want[j].index) << "user " << u << " k " << k << " rank " << j;
        EXPECT_EQ(got[j].score, want[j].score);
    }
}

}  // namespace

TEST(HalfScorer, TwoStageTopKIsExact) {
    if (!core::HalfItemScorer::available()) GTEST_SKIP() << "no F16C kernel in this build";
    core::SplitMix64 rng(21);
    for (auto feedback : {core::Feedback::Implicit, core::Feedback::Explicit}) {
        core::FactorModel m;
        m.feedback = feedback;
        m.global_mean = 3.0;
        const int items = 3001, f = 33, users = 40;  // odd sizes: partial blocks, tails
        m.item_factors = core::FactorMatrix(items, f);
        for (int i = 0; i < items; ++i) {
            m.item_ids.push_back(i);
            m.item_bias.push_back(static_cast<float>(rng.uniform() - 0.5) * 0.1f);
            for (int j = 0; j < f; ++j)
                m.item_factors(i, j) =
                    static_cast<float>(rng.uniform() - 0.5) * (i % 7 == 0 ? 1e-5f : 1.0f);
        }
        for (int i = 0; i < items; i += 97)
            m.item_factors.row(i + 1) = m.item_factors.row(i);  // ties
        add_users(m, users, rng, 0.5, 0.1f);
        core::prepare_for_serving(m);
        ASSERT_TRUE(m.half_items);
        for (int u = 0; u < users; ++u) {
            std::vector<int32_t> excluded;
            for (int e = 0; e < 50; ++e)
                excluded.push_back(static_cast<int32_t>(rng.next() % items));
            std::sort(excluded.begin(), excluded.end());
            for (int k : {1, 10, 100}) expect_exact_top_k(m, u, k, excluded);
        }
    }
}

// Popularity-driven factors: a few items with large norms, a long tail of
// small ones. The scan stops early there; it must still give the exact top k,
// also when the best items are excluded, with ties at the cut, and with item
// biases that favour the tail.
TEST(HalfScorer, TwoStageIsExactWhenItStopsEarly) {
    if (!core::HalfItemScorer::available()) GTEST_SKIP() << "no F16C kernel in this build";
    core::SplitMix64 rng(5);
    for (auto feedback : {core::Feedback::Implicit, core::Feedback::Explicit}) {
        core::FactorModel m;
        m.feedback = feedback;
        m.global_mean = 3.5;
        const int items = 5003, f = 24, users = 30;
        m.item_factors = core::FactorMatrix(items, f);
        for (int i = 0; i < items; ++i) {
            m.item_ids.push_back(1000 + i);
            const float scale =
                1.0f / std::pow(1.0f + static_cast<float>((i * 7919) % items), 0.8f);
            // Explicit: the tail has the larger biases, so bias_from matters.
            m.item_bias.push_back(feedback == core::Feedback::Explicit
                                      ? 0.3f * static_cast<float>(rng.uniform()) * (1.0f - scale)
                                      : 0.0f);
            for (int j = 0; j < f; ++j)
                m.item_factors(i, j) = static_cast<float>(rng.uniform() - 0.3) * scale;
        }
        for (int i = 0; i < items; i += 211)
            m.item_factors.row((i + 5) % items) = m.item_factors.row(i);
        add_users(m, users, rng, 0.3, 0.05f);
        core::prepare_for_serving(m);
        ASSERT_TRUE(m.half_items);
        for (int u = 0; u < users; ++u) {
            // Exclude some of the user's best items, as seen items would be.
            const std::vector<float> exact = exact_scores(m, u);
            std::vector<int32_t> excluded;
            for (const auto &s : core::top_k(exact.data(), items, 5, {}))
                if (s.index % 2 == u % 2) excluded.push_back(s.index);
            std::sort(excluded.begin(), excluded.end());
            for (int k : {1, 10, 50, items}) expect_exact_top_k(m, u, k, excluded);
        }
    }
}
