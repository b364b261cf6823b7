#include <gtest/gtest.h>

#include <Eigen/SVD>

#include "core/errors.h"
#include "core/graph_filter.h"
#include "core/refresh.h"
#include "core/serving.h"
#include "core/spectrum.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;
using test::normalized_dense;

namespace {

core::FactorModel train_filter(const core::Interactions &data, int rank, double alpha,
                               int iterations = 4) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::GraphFilter, core::Feedback::Implicit);
    o.factors = rank;
    o.alpha = alpha;
    o.iterations = iterations;
    auto trainer = core::make_trainer(data, o);
    for (int it = 0; it < iterations; ++it) trainer->step(test::never_stop);
    return trainer->take_model();
}

}  // namespace

TEST(ItemSpectrum, MatchesAnExactSvd) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(normalized_dense(data), Eigen::ComputeThinV);
    core::ItemSpectrumSolver solver(data, 6, 42);
    double missed = 1.0;
    for (int pass = 0; pass < 4; ++pass) {
        const double now = solver.iterate(1, test::never_stop);
        EXPECT_LE(now, missed + 1e-9) << "each pass captures at least as much";
        missed = now;
    }
    const core::ItemSpectrum s = solver.finish(test::never_stop);
    ASSERT_EQ(s.values.size(), 6);
    for (int k = 0; k < 6; ++k) {
        EXPECT_NEAR(s.values[k], svd.singularValues()[k], 1e-4) << k;
        // Singular vectors are unique up to sign (the values here are distinct).
        const double cosine = std::abs(s.vectors.col(k).cast<double>().dot(svd.matrixV().col(k)));
        EXPECT_NEAR(cosine, 1.0, 1e-3) << k;
    }
    const Eigen::MatrixXf gram = s.vectors.transpose() * s.vectors;
    EXPECT_LT((gram - Eigen::MatrixXf::Identity(6, 6)).cwiseAbs().maxCoeff(), 1e-4);
    EXPECT_NEAR(s.values[0], 1.0, 1e-4) << "a normalised graph's top singular value is 1";
}

TEST(GraphFilter, ScoresAreTheFilterAppliedToTheUsersItems) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    const Eigen::MatrixXd r = normalized_dense(data);
    const int rank = 8;
    const double alpha = 0.7;
    const core::FactorModel m = train_filter(data, rank, alpha);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(r, Eigen::ComputeThinV);
    const Eigen::MatrixXd v = svd.matrixV().leftCols(rank);
    const Eigen::VectorXd h = svd.singularValues().head(rank).array().square() + alpha;
    const Eigen::MatrixXd filter = v * h.asDiagonal() * v.transpose();  // items x items
    for (int32_t u : {0, 37, 99}) {
        Eigen::RowVectorXd seen = Eigen::RowVectorXd::Zero(data.by_item.rows());
        for (int64_t k = data.by_user.indptr[u]; k < data.by_user.indptr[u + 1]; ++k)
            seen[data.by_user.indices[k]] = 1.0;
        Eigen::RowVectorXd expected = seen * filter;
        for (int32_t j = 0; j < data.by_item.rows(); ++j)  // the slight lift of popular items
            expected[j] *= std::pow(double(data.by_item.row_size(j)), double(core::kPopularityExponent));
        const Eigen::RowVectorXd got =
            (m.user_factors.row(u) * m.item_factors.transpose()).cast<double>();
        EXPECT_LT((expected - got).cwiseAbs().maxCoeff(), 1e-3 * expected.cwiseAbs().maxCoeff())
            << "user " << u;
    }
}

TEST(GraphFilter, FoldsInAndRefreshesBySumming) {
    const test::Triplets t = test::communities();
    const core::FactorModel m = train_filter(test::build(t, core::DuplicatePolicy::Sum), 6, 1.0);
    core::FoldInOptions o;
    o.sum_of_items = true;
    std::vector<int64_t> items;
    for (size_t j = 0; j < t.users.size(); ++j)
        if (t.users[j] == 12) items.push_back(t.items[j]);
    const std::vector<float> values(items.size(), 3.0f);  // strengths do not matter
    float bias = 1;
    Eigen::VectorXf x;
    ASSERT_TRUE(core::fold_in(m, items.data(), values.data(), items.size(), o, bias, x));
    EXPECT_EQ(bias, 0.0f);
    EXPECT_LT((x.transpose() - m.user_factors.row(m.user_index(12))).cwiseAbs().maxCoeff(), 1e-5);

    core::Refresher users(m, core::Side::Users);
    const std::vector<int64_t> user(items.size(), 12);
    users.add(user.data(), items.data(), values.data(), items.size());
    const core::Refreshed r = users.solve(o, 1, test::never_stop);
    ASSERT_EQ(r.ids.size(), 1u);
    EXPECT_LT((r.factors.row(0) - m.user_factors.row(m.user_index(12))).cwiseAbs().maxCoeff(),
              1e-5);

    core::Refresher item_side(m, core::Side::Items);
    EXPECT_THROW(item_side.solve(o, 1, test::never_stop), core::Error);
}

TEST(GraphFilter, RanksOwnCommunityFirst) {
    const core::FactorModel m =
        train_filter(test::build(test::communities(), core::DuplicatePolicy::Sum), 4, 1.0);
    for (int32_t u : {3, 70}) {
        const auto top = core::recommend(m, u, 5, {});
        for (const auto &s : top) EXPECT_EQ(m.item_ids[s.index] < 30, u < 50) << "user " << u;
    }
}

TEST(GraphFilter, RankBeyondTheDataIsRefusedOrFitted) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::TrainOptions o =
        core::default_options(core::Algorithm::GraphFilter, core::Feedback::Implicit);
    o.factors = 61;  // 60 items
    EXPECT_THROW(core::make_trainer(data, o), core::Error);
    o.fit_factors_to_data = true;
    auto trainer = core::make_trainer(data, o);
    for (int it = 0; it < o.iterations; ++it) trainer->step(test::never_stop);
    const core::FactorModel m = trainer->take_model();
    EXPECT_EQ(m.factors(), 60);
    EXPECT_TRUE(m.item_factors.allFinite());
    EXPECT_TRUE(m.user_factors.allFinite());
}

TEST(GraphFilter, DataOfLowRankGivesFiniteFactorsAndNoNoise) {
    // Ten users with identical histories and ten items: rank 1.
    test::Triplets t;
    for (int u = 0; u < 10; ++u)
        for (int i = 0; i < 10; ++i) t.add(u, i, 1);
    const core::FactorModel m = train_filter(test::build(t, core::DuplicatePolicy::Sum), 5, 1.0);
    ASSERT_TRUE(m.item_factors.allFinite());
    // Only the one real direction carries weight.
    int weighted = 0;
    for (int k = 0; k < 5; ++k) weighted += m.item_factors.col(k).norm() > 1e-3f;
    EXPECT_EQ(weighted, 1);
}

TEST(GraphFilter, StopsWhenAsked) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::GraphFilter, core::Feedback::Implicit);
    o.factors = 4;
    auto trainer =
        core::make_trainer(test::build(test::communities(), core::DuplicatePolicy::Sum), o);
    EXPECT_THROW(trainer->step([] { return true; }), core::Cancelled);
}

TEST(GraphFilter, NeedsImplicitFeedback) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::GraphFilter, core::Feedback::Explicit);
    EXPECT_THROW(core::validate_options(o), core::Error);
}
