#include "core/batch_recommend.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "core/random.h"
#include "core/serving.h"

using namespace cfrec;

namespace {

// A random model with 300 users and 5000 items (more than one item block).
core::FactorModel random_model(core::Feedback feedback, int users, int items, int f) {
    core::SplitMix64 rng(3);
    core::FactorModel m;
    m.feedback = feedback;
    m.global_mean = 3.5;
    m.user_factors = core::FactorMatrix(users, f);
    m.item_factors = core::FactorMatrix(items, f);
    for (int u = 0; u < users; ++u) {
        m.user_ids.push_back(10 * u);
        m.user_bias.push_back(static_cast<float>(rng.uniform() - 0.5));
        for (int j = 0; j < f; ++j) m.user_factors(u, j) = static_cast<float>(rng.uniform() - 0.5);
    }
    for (int i = 0; i < items; ++i) {
        m.item_ids.push_back(i + 1);
        m.item_bias.push_back(static_cast<float>(rng.uniform() - 0.5));
        m.item_counts.push_back(static_cast<int32_t>(rng.next() % 50));
        for (int j = 0; j < f; ++j) m.item_factors(i, j) = static_cast<float>(rng.uniform() - 0.5);
    }
    return m;
}

}  // namespace

TEST(BatchRecommend, EqualsOneUserAtATime) {
    for (auto feedback : {core::Feedback::Implicit, core::Feedback::Explicit}) {
        core::FactorModel m = random_model(feedback, 300, 5000, 8);
        std::vector<int64_t> users;
        for (int u = 0; u < 300; ++u) users.push_back(10 * u);
        users.push_back(7);  // unknown to the model: popular items
        std::sort(users.begin(), users.end());

        core::SeenCollector collector(m, users);
        core::SplitMix64 rng(5);
        std::vector<int64_t> su, si;
        for (int j = 0; j < 20000; ++j) {
            su.push_back(users[rng.next() % users.size()]);
            si.push_back(1 + static_cast<int64_t>(rng.next() % 5200));  // some unknown items
        }
        su.push_back(999999);  // a user not requested: ignored
        si.push_back(1);
        collector.add(su.data(), si.data(), su.size());
        const core::Csr seen = collector.finish();
        ASSERT_EQ(seen.rows(), static_cast<int32_t>(users.size()));

        const int k = 7;
        auto batch = core::recommend_many(m, users, k, seen, 2, [] { return false; });
        for (size_t r = 0; r < users.size(); ++r) {
            std::vector<int32_t> excluded(seen.indices.begin() + seen.indptr[r],
                                          seen.indices.begin() + seen.indptr[r + 1]);
            const int32_t u = m.user_index(users[r]);
            auto one = u >= 0 ? core::recommend(m, u, k, excluded) : core::popular(m, k, excluded);
            ASSERT_EQ(batch.count[r], static_cast<int32_t>(one.size())) << "user " << users[r];
            for (size_t j = 0; j < one.size(); ++j) {
                EXPECT_EQ(batch.items[r * k + j].index, one[j].index) << "user " << users[r];
                EXPECT_NEAR(batch.items[r * k + j].score, one[j].score, 1e-4);
            }
        }
    }
}

// With item norms falling as popularity does, the scan of an implicit model
// stops early for most users; the answers, ties and seen items included,
// must still be exactly those of one user at a time.
TEST(BatchRecommend, EarlyStopEqualsOneUserAtATime) {
    core::FactorModel m = random_model(core::Feedback::Implicit, 300, 9000, 8);
    for (int i = 0; i < 9000; ++i) m.item_factors.row(i) *= 3.0f / std::sqrt(1.0f + i);
    for (int i = 0; i + 1 < 9000; i += 7) m.item_factors.row(i + 1) = m.item_factors.row(i);  // ties
    std::vector<int64_t> users(m.user_ids.begin(), m.user_ids.end());
    core::SeenCollector collector(m, users);
    core::SplitMix64 rng(8);
    std::vector<int64_t> su, si;
    for (int j = 0; j < 30000; ++j) {
        su.push_back(users[rng.next() % users.size()]);
        si.push_back(1 + static_cast<int64_t>(rng.next() % 200));  // seen among the popular
    }
    collector.add(su.data(), si.data(), su.size());
    const core::Csr seen = collector.finish();
    for (int k : {1, 10, 50}) {
        auto batch = core::recommend_many(m, users, k, seen, 2, [] { return false; });
        for (size_t r = 0; r < users.size(); ++r) {
            std::vector<int32_t> excluded(seen.indices.begin() + seen.indptr[r],
                                          seen.indices.begin() + seen.indptr[r + 1]);
            auto one = core::recommend(m, m.user_index(users[r]), k, excluded);
            ASSERT_EQ(batch.count[r], static_cast<int32_t>(one.size()));
            for (size_t j = 0; j < one.size(); ++j) {
                EXPECT_EQ(batch.items[r * k + j].index, one[j].index) << "user " << users[r];
                EXPECT_NEAR(batch.items[r * k + j].score, one[j].score, 1e-4);
            }
        }
    }
}

// Slices of the user list give exactly the rows the whole list gives.
TEST(BatchRecommend, SlicesEqualTheWhole) {
    core::FactorModel m = random_model(core::Feedback::Implicit, 300, 5000, 8);
    std::vector<int64_t> users;
    for (int u = 0; u < 300; ++u) users.push_back(10 * u);
    users.push_back(7);
    std::sort(users.begin(), users.end());
    core::SeenCollector collector(m, users);
    core::SplitMix64 rng(9);
    std::vector<int64_t> su, si;
    for (int j = 0; j < 5000; ++j) {
        su.push_back(users[rng.next() % users.size()]);
        si.push_back(1 + static_cast<int64_t>(rng.next() % 5000));
    }
    collector.add(su.data(), si.data(), su.size());
    const core::Csr seen = collector.finish();
    const int k = 5;
    const auto never = [] { return false; };
    const auto whole = core::recommend_many(m, users, k, seen, 2, never);
    const int64_t n = static_cast<int64_t>(users.size());
    for (int64_t begin = 0; begin < n; begin += 97) {
        const int64_t end = std::min(n, begin + 97);
        const auto part =
            core::recommend_many(m, core::ScanOrder(m), users, begin, end, k, seen, 2, never);
        ASSERT_EQ(part.count.size(), static_cast<size_t>(end - begin));
        for (int64_t r = begin; r < end; ++r) {
            ASSERT_EQ(part.count[r - begin], whole.count[r]);
            for (int j = 0; j < whole.count[r]; ++j)
                EXPECT_EQ(part.items[(r - begin) * k + j].index, whole.items[r * k + j].index);
        }
    }
}

TEST(BatchRecommend, FewerEligibleItemsThanK) {
    core::FactorModel m = random_model(core::Feedback::Implicit, 2, 5, 3);
    std::vector<int64_t> users{0, 10};
    core::SeenCollector collector(m, users);
    int64_t u[] = {0, 0, 0}, i[] = {1, 2, 3};
    collector.add(u, i, 3);
    auto batch = core::recommend_many(m, users, 10, collector.finish(), 1, [] { return false; });
    EXPECT_EQ(batch.count[0], 2);
    EXPECT_EQ(batch.count[1], 5);
}

TEST(BatchRecommend, StopCheckCancels) {
    core::FactorModel m = random_model(core::Feedback::Implicit, 300, 100, 3);
    EXPECT_THROW(core::recommend_many(m, m.user_ids, 5, core::Csr(), 2, [] { return true; }),
                 core::Cancelled);
}
