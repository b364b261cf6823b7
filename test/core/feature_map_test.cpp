#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/feature_map.h"
#include "core/random.h"

using namespace cfrec;

namespace {

void add_row(core::FeatureRows &rows, std::vector<int32_t> features, std::vector<float> weights) {
    rows.features.insert(rows.features.end(), features.begin(), features.end());
    rows.weights.insert(rows.weights.end(), weights.begin(), weights.end());
    rows.indptr.push_back(static_cast<int64_t>(rows.features.size()));
}

}  // namespace

// Factors that are a linear function of the (unit-scaled) features come back
// exactly, for trained rows and for a row the fit never saw.
TEST(FeatureMap, RecoversALinearMap) {
    const int features = 6, f = 4;
    core::SplitMix64 rng(3);
    core::FactorMatrix truth(features + 1, f);
    for (int a = 0; a <= features; ++a)
        for (int c = 0; c < f; ++c) truth(a, c) = static_cast<float>(rng.uniform() - 0.5);
    core::FeatureRows rows;
    core::FactorMatrix factors(40, f);
    std::vector<int32_t> target;
    for (int r = 0; r < 40; ++r) {
        const int32_t a = r % features, b = (r / features + a + 1) % features;
        add_row(rows, {a, b}, {1.0f, 1.0f});
        const float s = 1.0f / std::sqrt(2.0f);
        factors.row(r) = truth.row(features) + s * truth.row(a) + s * truth.row(b);
        target.push_back(r);
    }
    const auto map = core::FeatureMap::fit(rows, target, factors, features, 1e-6);
    for (int r = 0; r < 40; ++r) {
        const auto x = map.apply(&rows.features[2 * r], &rows.weights[2 * r], 2);
        EXPECT_LT((x.transpose() - factors.row(r)).cwiseAbs().maxCoeff(), 1e-3);
    }
    const int32_t unseen[] = {0, 3};
    const float twos[] = {2.0f, 2.0f};  // the scale of the weights does not matter
    const float s = 1.0f / std::sqrt(2.0f);
    const Eigen::RowVectorXf expected = truth.row(features) + s * truth.row(0) + s * truth.row(3);
    EXPECT_LT((map.apply(unseen, twos, 2).transpose() - expected).cwiseAbs().maxCoeff(), 1e-3);
}

// A row without features gets the mean vector; features the map does not
// know add nothing; rows without a target are left out of the fit.
TEST(FeatureMap, FeaturelessRowsGetTheMean) {
    core::FeatureRows rows;
    core::FactorMatrix factors(3, 2);
    factors << 1, 2, 3, 4, 5, 9;
    for (int r = 0; r < 4; ++r) add_row(rows, {}, {});
    const auto map = core::FeatureMap::fit(rows, {0, 1, 2, -1}, factors, 2, 1.0);
    const Eigen::Vector2f mean(3, 5);
    EXPECT_LT((map.apply(nullptr, nullptr, 0) - mean).cwiseAbs().maxCoeff(), 1e-4);
    const int32_t unknown[] = {7};
    const float one[] = {1.0f};
    EXPECT_LT((map.apply(unknown, one, 1) - mean).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(FeatureMap, NeedsRowsWithBoth) {
    core::FeatureRows rows;
    add_row(rows, {0}, {1.0f});
    EXPECT_THROW(core::FeatureMap::fit(rows, {-1}, core::FactorMatrix(1, 2), 1, 1.0), core::Error);
}

// A model side with features: the map is fitted on the model's rows, ids
// with features only get vectors near those of their feature's rows, and
// the most used features are the ones kept.
TEST(SideFeatures, ColdIdsLandWithTheirFeature) {
    core::FactorModel m;
    m.feedback = core::Feedback::Implicit;
    m.item_ids = {10, 11, 12, 13};
    m.item_bias.assign(4, 0.0f);
    m.item_factors.resize(4, 2);
    m.item_factors << 1, 0, 1.1f, 0, 0, 1, 0, 0.9f;  // 10, 11 of feature 0; 12, 13 of feature 1
    m.item_counts.assign(4, 1);
    // (id, feature) triples; id 20 (feature 0) and 21 (feature 1) are cold;
    // feature 2 is used once and dropped by max_features = 2.
    const int64_t ids[] = {10, 11, 12, 13, 20, 21, 13};
    const int32_t features[] = {0, 0, 1, 1, 0, 1, 2};
    const float weights[] = {1, 1, 1, 1, 1, 1, 1};
    const core::SideFeatures s =
        core::fit_side_features(m, core::Side::Items, ids, features, weights, 7, 3, 0.01, 2);
    EXPECT_EQ(s.kept, (std::vector<int32_t>{0, 1}));
    ASSERT_EQ(s.cold_ids, (std::vector<int64_t>{20, 21}));
    EXPECT_GT(s.cold_factors(0, 0), 0.9f);
    EXPECT_LT(std::abs(s.cold_factors(0, 1)), 0.1f);
    EXPECT_GT(s.cold_factors(1, 1), 0.8f);
    EXPECT_EQ(s.cold_bias, (std::vector<float>{0.0f, 0.0f}));  // implicit: no bias
    const float nan_weights[] = {1, 1, 1, NAN, 1, 1, 1};
    EXPECT_THROW(core::fit_side_features(m, core::Side::Items, ids, features, nan_weights, 7, 3,
                                         0.01, 2),
                 core::Error);
}

// A mapped item points where one map says and is as long as the other makes it.
TEST(SideFeatures, TakeLengthKeepsTheDirection) {
    float direction[] = {3, 4};
    const float length[] = {0, 10};
    EXPECT_FLOAT_EQ(core::length_ratio(direction, length, 2), 2.0f);
    core::take_length(direction, length, 2);
    EXPECT_FLOAT_EQ(direction[0], 6.0f);
    EXPECT_FLOAT_EQ(direction[1], 8.0f);
    const float zero[] = {0, 0};
    core::take_length(direction, zero, 2);  // nothing to take: unchanged
    EXPECT_FLOAT_EQ(direction[0], 6.0f);
}
