#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/evaluation.h"
#include "core/serving.h"

using namespace cfrec;

namespace {

// One factor: user 10 ranks items 1 > 2 > 3 > 4, user 20 the other way round.
core::FactorModel line_model(core::Feedback feedback) {
    core::FactorModel m;
    m.feedback = feedback;
    m.user_ids = {10, 20};
    m.item_ids = {1, 2, 3, 4};
    m.user_bias = {0, 0};
    m.item_bias = {0, 0, 0, 0};
    m.user_factors = core::FactorMatrix(2, 1);
    m.user_factors << 1, -1;
    m.item_factors = core::FactorMatrix(4, 1);
    m.item_factors << 4, 3, 2, 1;
    m.item_counts = {1, 1, 1, 1};
    m.global_mean = 3;
    m.rating_min = 1;
    m.rating_max = 5;
    core::prepare_for_serving(m);
    return m;
}

const core::StopCheck never = [] { return false; };
constexpr double kAll = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST(Evaluator, HandComputedRanking) {
    const core::FactorModel m = line_model(core::Feedback::Implicit);
    core::Evaluator ev(m);
    // User 10 saw item 1 in training and holds out item 2; user 20 holds out
    // item 1 (their last choice); user 99 is unknown.
    const int64_t users[] = {10, 20, 99};
    const int64_t items[] = {2, 1, 3};
    ev.add_test(users, items, nullptr, 3);
    const int64_t seen_user[] = {10}, seen_item[] = {1};
    ev.add_seen(seen_user, seen_item, 1);
    EXPECT_EQ(ev.known_test_users(), (std::vector<int64_t>{10, 20}));

    const core::Evaluation e = ev.evaluate(2, kAll, 2, never);
    // User 10: top 2 = [2, 3], hit at rank 1. User 20: [4, 3], no hit.
    EXPECT_EQ(e.users, 2);
    EXPECT_EQ(e.users_unknown, 1);
    EXPECT_DOUBLE_EQ(e.precision, (0.5 + 0.0) / 2);
    EXPECT_DOUBLE_EQ(e.recall, (1.0 + 0.0) / 2);
    EXPECT_DOUBLE_EQ(e.ndcg, 0.5);
    EXPECT_DOUBLE_EQ(e.map, 0.5);
    EXPECT_DOUBLE_EQ(e.hit_rate, 0.5);
    EXPECT_DOUBLE_EQ(e.coverage, 3.0 / 4.0);  // items 2, 3 and 4
    EXPECT_EQ(e.rated, 0);
}

TEST(Evaluator, RatingErrorAndRelevanceThreshold) {
    const core::FactorModel m = line_model(core::Feedback::Explicit);
    core::Evaluator ev(m);
    const int64_t users[] = {10, 10, 20};
    const int64_t items[] = {1, 4, 4};
    const float ratings[] = {5, 2, 5};
    ev.add_test(users, items, ratings, 3);
    // Predictions: 3 + 4 = 7 clipped to 5; 3 + 1 = 4; 3 - 1 = 2.
    const core::Evaluation e = ev.evaluate(1, 4.0, 1, never);
    EXPECT_EQ(e.rated, 3);
    EXPECT_DOUBLE_EQ(e.rmse, std::sqrt((0.0 + 4.0 + 9.0) / 3));
    EXPECT_DOUBLE_EQ(e.mae, (0.0 + 2.0 + 3.0) / 3);
    // Only ratings >= 4 are relevant: user 10 has item 1 (ranked first, a
    // hit), user 20 has item 4 (their first too).
    EXPECT_EQ(e.users, 2);
    EXPECT_DOUBLE_EQ(e.precision, 1.0);
}

TEST(Evaluator, UsersWithoutRelevantItemsAreNotMeasured) {
    const core::FactorModel m = line_model(core::Feedback::Explicit);
    core::Evaluator ev(m);
    const int64_t users[] = {10};
    const int64_t items[] = {1};
    const float ratings[] = {1};
    ev.add_test(users, items, ratings, 1);
    const core::Evaluation e = ev.evaluate(2, 4.0, 1, never);
    EXPECT_EQ(e.users, 0);
    EXPECT_DOUBLE_EQ(e.ndcg, 0.0);
    EXPECT_EQ(e.rated, 1);
}

TEST(Evaluator, CountsTestItemsThatWereTrainingItems) {
    const core::FactorModel m = line_model(core::Feedback::Implicit);
    core::Evaluator ev(m);
    // User 10 holds out items 1 and 2 but also had item 1 in training; user 20
    // holds out item 4, which they had too. Only item 2 can ever be a hit.
    const int64_t users[] = {10, 10, 20};
    const int64_t items[] = {1, 2, 4};
    ev.add_test(users, items, nullptr, 3);
    const int64_t seen_user[] = {10, 20}, seen_item[] = {1, 4};
    ev.add_seen(seen_user, seen_item, 2);
    const core::Evaluation e = ev.evaluate(2, kAll, 2, never);
    EXPECT_EQ(e.relevant_items, 3);
    EXPECT_EQ(e.relevant_in_training, 2);
}
