#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/serving.h"
#include "core/trainer.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;

namespace {

core::FactorModel train_svdpp(const test::Triplets &t, int epochs, uint64_t seed = 42) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::SvdPlusPlus, core::Feedback::Explicit);
    o.factors = 4;
    o.iterations = epochs;
    o.seed = seed;
    auto trainer = core::make_trainer(test::build(t), o);
    double first = 0, last = 0;
    for (int it = 0; it < epochs; ++it) {
        const double rmse = trainer->step(test::never_stop).rmse;
        (it == 0 ? first : last) = rmse;
    }
    EXPECT_LT(last, first) << "SGD lowers the training error";
    return trainer->take_model();
}

}  // namespace

TEST(SvdPlusPlus, PredictsTheCommunitiesTastes) {
    const test::Triplets t = test::communities();
    const core::FactorModel m = train_svdpp(t, 40);
    // Unrated pairs: liked ones are predicted well above disliked ones.
    double liked = 0, disliked = 0;
    int n_liked = 0, n_disliked = 0;
    for (int64_t u = 0; u < 100; u += 7)
        for (int64_t i = 0; i < 60; i += 5) {
            const float p = core::predict(m, u, i);
            if ((u < 50) == (i < 30))
                liked += p, ++n_liked;
            else
                disliked += p, ++n_disliked;
        }
    EXPECT_GT(liked / n_liked, disliked / n_disliked + 1.5);
}

TEST(SvdPlusPlus, IsDeterministicForASeed) {
    const test::Triplets t = test::communities();
    const core::FactorModel a = train_svdpp(t, 5), b = train_svdpp(t, 5), c = train_svdpp(t, 5, 7);
    EXPECT_EQ(a.user_factors, b.user_factors);
    EXPECT_EQ(a.item_factors, b.item_factors);
    EXPECT_NE(a.user_factors, c.user_factors);
}

TEST(SvdPlusPlus, NeedsExplicitFeedbackAndStopsWhenAsked) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::SvdPlusPlus, core::Feedback::Implicit);
    EXPECT_THROW(core::validate_options(o), core::Error);
    o.feedback = core::Feedback::Explicit;
    auto trainer = core::make_trainer(test::build(test::communities()), o);
    EXPECT_THROW(trainer->step([] { return true; }), core::Cancelled);
}

// A user with thousands of ratings (ml-latest-small has one with 2,391) at
// the default learning rate and regularisation: their items' implicit
// vectors take thousands of decay steps a pass, and training stays finite.
TEST(SvdPlusPlus, AHeavyUserDoesNotMakeItDiverge) {
    test::Triplets t = test::communities();
    core::SplitMix64 rng(5);
    for (int i = 0; i < 3000; ++i) t.add(1000, 100 + i, 1.0f + static_cast<float>(rng.next() % 5));
    for (int u = 0; u < 100; ++u) t.add(u, 100 + (u * 37) % 3000, 3.0f);  // the items meet others
    core::TrainOptions o =
        core::default_options(core::Algorithm::SvdPlusPlus, core::Feedback::Explicit);
    o.factors = 8;
    auto trainer = core::make_trainer(test::build(t), o);
    double rmse = 0;
    for (int it = 0; it < o.iterations; ++it) rmse = trainer->step(test::never_stop).rmse;
    EXPECT_TRUE(std::isfinite(rmse));
    EXPECT_LT(rmse, 1.5);
    const core::FactorModel m = trainer->take_model();
    EXPECT_TRUE(m.user_factors.allFinite());
    EXPECT_TRUE(m.item_factors.allFinite());
}
