#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/orthonormal.h"
#include "test_data.h"

using namespace cfrec;

namespace {

double off_identity(const core::FactorMatrix &y) {
    const Eigen::MatrixXd g = (y.transpose() * y).cast<double>();
    return (g - Eigen::MatrixXd::Identity(g.rows(), g.cols())).cwiseAbs().maxCoeff();
}

// How much of each column of `a` lies outside the span of orthonormal `q`.
double outside_span(const core::FactorMatrix &q, const core::FactorMatrix &a) {
    const Eigen::MatrixXf rest = a - q * (q.transpose() * a);
    return rest.colwise().norm().maxCoeff() / a.colwise().norm().maxCoeff();
}

}  // namespace

TEST(Orthonormal, WellConditionedColumnsKeepTheirSpan) {
    core::FactorMatrix y(5000, 40);
    core::gaussian_fill(y, 7);
    const core::FactorMatrix original = y;
    core::orthonormalize(y, 1, test::never_stop);
    EXPECT_LT(off_identity(y), 1e-4);
    EXPECT_LT(outside_span(y, original), 1e-4);
}

// Data of lower rank than the basis is wide (the graph filter at 1,000
// factors on data of rank 5): the span is kept and the other columns are
// completed with orthonormal directions, no Householder QR needed.
TEST(Orthonormal, RankDeficientColumnsAreCompleted) {
    core::FactorMatrix left(5000, 5), right(5, 40);
    core::gaussian_fill(left, 3);
    core::gaussian_fill(right, 4);
    core::FactorMatrix y = left * right;
    const core::FactorMatrix original = y;
    core::orthonormalize(y, 2, test::never_stop);
    ASSERT_EQ(y.cols(), 40);
    EXPECT_LT(off_identity(y), 1e-3);
    EXPECT_LT(outside_span(y, original), 1e-3);
}

TEST(Orthonormal, StopsBetweenBlocks) {
    core::FactorMatrix y(20000, 16);
    core::gaussian_fill(y, 5);
    int asked = 0;
    const core::StopCheck stop_third = [&] { return ++asked >= 3; };
    EXPECT_THROW(core::orthonormalize(y, 1, stop_third), core::Cancelled);
    EXPECT_EQ(asked, 3);
}
