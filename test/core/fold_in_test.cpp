#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/refresh.h"
#include "core/serving.h"
#include "core/trainer.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;

using test::communities;
using test::train_small;

TEST(FoldIn, ReproducesATrainedUserOnceConverged) {
    const test::Triplets t = communities();
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::FactorModel m = train_small(t, feedback, 60);
        for (int64_t user : {3, 77}) {
            std::vector<int64_t> items;
            std::vector<float> values;
            for (size_t j = 0; j < t.users.size(); ++j)
                if (t.users[j] == user) {
                    items.push_back(t.items[j]);
                    values.push_back(t.values[j]);
                }
            float bias;
            Eigen::VectorXf x;
            ASSERT_TRUE(core::fold_in(m, items.data(), values.data(), items.size(), {}, bias, x));
            const int32_t u = m.user_index(user);
            EXPECT_LT((x.transpose() - m.user_factors.row(u)).cwiseAbs().maxCoeff(), 2e-3)
                << "user " << user;
            EXPECT_NEAR(bias, m.user_bias[u], 2e-3);
        }
    }
}

TEST(FoldIn, AVisitorGetsTheirCommunity) {
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::FactorModel m = train_small(communities(), feedback, 15);
        const int64_t liked[] = {31, 35, 40};
        const float values[] = {5, 5, 5};
        float bias;
        Eigen::VectorXf x;
        ASSERT_TRUE(core::fold_in(m, liked, values, 3, {}, bias, x));
        const auto excluded = core::known_items(m, liked, 3);
        const auto top = core::recommend_vector(m, x.data(), bias, 10, excluded);
        ASSERT_EQ(top.size(), 10u);
        for (const auto &s : top) {
            EXPECT_GE(m.item_ids[s.index], 30);
            EXPECT_TRUE(std::find(std::begin(liked), std::end(liked), m.item_ids[s.index]) ==
                        std::end(liked));
        }
    }
}

TEST(FoldIn, UnknownItemsOnlyGiveNothing) {
    core::FactorModel m = train_small(communities(), core::Feedback::Implicit, 2);
    const int64_t items[] = {1000, 2000};
    const float values[] = {1, 1};
    float bias;
    Eigen::VectorXf x;
    EXPECT_FALSE(core::fold_in(m, items, values, 2, {}, bias, x));
}

TEST(Include, RestrictsAndStillFillsK) {
    core::FactorModel m = train_small(communities(), core::Feedback::Implicit, 10);
    // User 3 likes items 0..29; offer only items 40..49 plus 2 excluded ones.
    std::vector<int64_t> ids;
    for (int64_t i = 40; i < 50; ++i) ids.push_back(i);
    const std::vector<int32_t> include = core::known_items(m, ids.data(), ids.size());
    const int64_t drop[] = {41, 42};
    const std::vector<int32_t> excluded = core::known_items(m, drop, 2);
    const auto top = core::recommend(m, m.user_index(3), 8, excluded, true, &include);
    ASSERT_EQ(top.size(), 8u);  // 10 included, 2 excluded: exactly 8 eligible
    for (const auto &s : top) {
        const int64_t item = m.item_ids[s.index];
        EXPECT_TRUE(item >= 40 && item < 50 && item != 41 && item != 42) << item;
    }
    for (size_t j = 1; j < top.size(); ++j) EXPECT_GE(top[j - 1].score, top[j].score);
    const auto pop = core::popular(m, 20, excluded, &include);
    EXPECT_EQ(pop.size(), 8u);
}

TEST(Refresh, ReproducesTrainedUsersAndAddsNewOnes) {
    test::Triplets t = communities();
    core::FactorModel m = train_small(t, core::Feedback::Implicit, 60);
    core::Refresher refresher(m, core::Side::Users);
    refresher.add(t.users.data(), t.items.data(), t.values.data(), t.users.size());
    const int64_t new_user[] = {500, 500, 500};
    const int64_t liked[] = {31, 35, 40};
    const float values[] = {5, 5, 5};
    refresher.add(new_user, liked, values, 3);
    const int64_t unknown_item_user[] = {600};
    const int64_t unknown_item[] = {9999};
    refresher.add(unknown_item_user, unknown_item, values, 1);  // no known item: not refreshed
    core::Refreshed r = refresher.solve({}, 2, test::never_stop);
    ASSERT_EQ(r.ids.size(), 101u);
    EXPECT_TRUE(std::is_sorted(r.ids.begin(), r.ids.end()));
    EXPECT_EQ(r.ids.back(), 500);
    for (size_t j = 0; j + 1 < r.ids.size(); ++j) {
        const int32_t u = m.user_index(r.ids[j]);
        EXPECT_LT((r.factors.row(j) - m.user_factors.row(u)).cwiseAbs().maxCoeff(), 2e-3);
    }
    const auto top = core::recommend_vector(m, r.factors.row(100).data(), 0.0f, 5,
                                            core::known_items(m, liked, 3));
    for (const auto &s : top) EXPECT_GE(m.item_ids[s.index], 30);
}

TEST(Refresh, ItemsReproduceTheLastHalfStepExactly) {
    // Training ends with the item half-step, so refreshing every item from the
    // training rows must give back the trained item factors.
    test::Triplets t = communities();
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::FactorModel m = train_small(t, feedback, 4);
        core::Refresher refresher(m, core::Side::Items);
        refresher.add(t.items.data(), t.users.data(), t.values.data(), t.items.size());
        core::Refreshed r = refresher.solve({}, 2, test::never_stop);
        ASSERT_EQ(r.ids, m.item_ids);
        EXPECT_LT((r.factors - m.item_factors).cwiseAbs().maxCoeff(), 1e-4);
        for (size_t i = 0; i < r.ids.size(); ++i) {
            EXPECT_NEAR(r.bias[i], m.item_bias[i], 1e-4);
            EXPECT_EQ(r.interactions[i], m.item_counts[i]);
        }
    }
}

TEST(Refresh, NonFiniteValuesAreRejected) {
    core::FactorModel m = train_small(communities(), core::Feedback::Explicit, 1);
    core::Refresher refresher(m, core::Side::Users);
    const int64_t user = 1, item = 2;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(refresher.add(&user, &item, &nan, 1), core::Error);
}

TEST(Refresh, MergedRowsKeepIdsAscending) {
    core::Refreshed a, b;
    a.ids = {2, 5};
    a.bias = {0.2f, 0.5f};
    a.interactions = {1, 1};
    a.factors = core::FactorMatrix::Constant(2, 2, 1.0f);
    a.added = 1;
    b.ids = {1, 3, 9};
    b.bias = {0.1f, 0.3f, 0.9f};
    b.interactions = {0, 0, 0};
    b.factors = core::FactorMatrix::Constant(3, 2, 2.0f);
    b.added = 2;
    core::merge_refreshed(a, b);
    EXPECT_EQ(a.ids, (std::vector<int64_t>{1, 2, 3, 5, 9}));
    EXPECT_EQ(a.bias, (std::vector<float>{0.1f, 0.2f, 0.3f, 0.5f, 0.9f}));
    EXPECT_EQ(a.interactions, (std::vector<int32_t>{0, 1, 0, 1, 0}));
    EXPECT_EQ(a.factors(1, 0), 1.0f);
    EXPECT_EQ(a.factors(2, 1), 2.0f);
    EXPECT_EQ(a.added, 3);
}
