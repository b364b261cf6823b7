#include <gtest/gtest.h>

#include <numeric>

#include "core/explain.h"
#include "core/serving.h"
#include "core/trainer.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;

namespace {

struct UserRows {
    std::vector<int64_t> items;
    std::vector<float> values;
};

UserRows rows_of(const test::Triplets &t, int64_t user) {
    UserRows r;
    for (size_t j = 0; j < t.users.size(); ++j)
        if (t.users[j] == user) {
            r.items.push_back(t.items[j]);
            r.values.push_back(t.values[j]);
        }
    return r;
}

double sum_of(const core::Explanation &e) {
    double sum = e.global_mean + e.item_bias + e.remainder;
    for (const auto &c : e.items) sum += c.value;
    return sum;
}

// The score a model gives (user, item) the way recommend() ranks it.
float ranked_score(const core::ModelView &m, int32_t u, int32_t i) {
    for (const auto &s : core::recommend(m, u, static_cast<int>(m.item_ids.size()), {}, false))
        if (s.index == i) return s.score;
    ADD_FAILURE() << "item not ranked";
    return 0.0f;
}

}  // namespace

// After a refresh the stored vector is the solve over the user's items, so
// the items' shares alone (with an explicit model's constants) give the
// score: the remainder is rounding.
TEST(Explain, SharesSumToTheScoreOfARefreshedUser) {
    const test::Triplets t = test::communities();
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::FactorModel m = test::train_small(t, feedback, 10, 8);
        core::FoldInOptions o;
        for (int64_t user : {3, 77}) {
            const UserRows r = rows_of(t, user);
            const int32_t u = m.user_index(user);
            float bias;
            Eigen::VectorXf x;
            ASSERT_TRUE(core::fold_in(m, r.items.data(), r.values.data(), r.items.size(), o, bias,
                                      x));
            m.user_factors.row(u) = x.transpose();
            if (feedback == core::Feedback::Explicit) m.user_bias[u] = bias;
            for (int64_t item : {5, 45}) {
                const int32_t i = m.item_index(item);
                const core::Explanation e =
                    core::explain(m, u, i, r.items.data(), r.values.data(), r.items.size(), o);
                EXPECT_FLOAT_EQ(static_cast<float>(e.score), ranked_score(m, u, i));
                EXPECT_NEAR(e.remainder, 0.0, 1e-4) << "user " << user << " item " << item;
                EXPECT_NEAR(sum_of(e), e.score, 1e-6);
                EXPECT_EQ(e.items.size(), r.items.size());
            }
        }
    }
}

// Straight after training the stored vector is close to that solve but not
// equal: the remainder says by how much, and everything still sums up.
TEST(Explain, ARemainderHoldsWhatTheItemsDoNotExplain) {
    const test::Triplets t = test::communities();
    core::FactorModel m = test::train_small(t, core::Feedback::Implicit, 3, 8);
    const UserRows r = rows_of(t, 10);
    const int32_t u = m.user_index(10), i = m.item_index(7);
    const core::Explanation e =
        core::explain(m, u, i, r.items.data(), r.values.data(), r.items.size(), {});
    EXPECT_NEAR(sum_of(e), e.score, 1e-6);
    EXPECT_LT(std::abs(e.remainder), 0.5 * std::abs(e.score));
}

// A user of the first community owes a first-community item's score to
// first-community items, largest first.
TEST(Explain, TheLargestSharesComeFromTheUsersCommunity) {
    const test::Triplets t = test::communities();
    core::FactorModel m = test::train_small(t, core::Feedback::Implicit, 10, 8);
    const UserRows r = rows_of(t, 4);
    const core::Explanation e = core::explain(m, m.user_index(4), m.item_index(12), r.items.data(),
                                              r.values.data(), r.items.size(), {});
    ASSERT_GE(e.items.size(), 3u);
    for (size_t j = 0; j < 3; ++j) EXPECT_LT(m.item_ids[e.items[j].item], 30);
    for (size_t j = 1; j < e.items.size(); ++j) EXPECT_GE(e.items[j - 1].value, e.items[j].value);
}

// The graph filter's user is the sum of their items' vectors: its shares
// are exact without a refresh.
TEST(Explain, GraphFilterSharesAreExact) {
    const test::Triplets t = test::communities();
    core::TrainOptions o =
        core::default_options(core::Algorithm::GraphFilter, core::Feedback::Implicit);
    o.factors = 8;
    o.iterations = 4;
    auto trainer = core::make_trainer(test::build(t, core::DuplicatePolicy::Sum), o);
    for (int it = 0; it < o.iterations; ++it) trainer->step(test::never_stop);
    core::FactorModel m = trainer->take_model();
    core::FoldInOptions fold;
    fold.sum_of_items = true;
    const UserRows r = rows_of(t, 60);
    const int32_t u = m.user_index(60), i = m.item_index(40);
    const core::Explanation e =
        core::explain(m, u, i, r.items.data(), r.values.data(), r.items.size(), fold);
    EXPECT_NEAR(e.remainder, 0.0, 1e-4);
    EXPECT_NEAR(sum_of(e), e.score, 1e-6);
}

// Items the model does not know add nothing; a user without known items
// leaves the whole score to the remainder.
TEST(Explain, UnknownItemsAreLeftOut) {
    core::FactorModel m = test::train_small(test::communities(), core::Feedback::Explicit, 5, 4);
    const int64_t items[] = {1000, 2000};
    const float values[] = {4, 5};
    const core::Explanation e =
        core::explain(m, m.user_index(1), m.item_index(2), items, values, 2, {});
    EXPECT_TRUE(e.items.empty());
    EXPECT_NEAR(e.remainder, e.score - e.global_mean - e.item_bias, 1e-6);
}
