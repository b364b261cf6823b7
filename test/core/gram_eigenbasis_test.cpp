#include "core/gram_eigenbasis.h"

#include <gtest/gtest.h>

#include "test_data.h"

using namespace cfrec;

namespace {

// Columns of different scales, so the Gram's eigenvalues are apart.
core::FactorMatrix graded_rows(int rows, int f, uint64_t seed) {
    core::FactorMatrix m = test::random_rows(rows, f, seed);
    for (int c = 0; c < f; ++c) m.col(c) *= static_cast<float>(1 + c);
    return m;
}

}  // namespace

// Both sides turn by the same Q: the Gram becomes diagonal and still equals
// a^T a, and every product a_i . b_j stays. 300 rows cross the turn's blocks.
TEST(GramEigenbasis, TurnsBothSidesAndLeavesEveryProduct) {
    for (int f : {3, 8, 37, 64}) {
        core::FactorMatrix a = graded_rows(300, f, 1), b = graded_rows(70, f, 2);
        const Eigen::MatrixXf products = a * b.transpose();
        Eigen::MatrixXf gram = a.transpose() * a;
        core::turn_to_eigenbasis(gram, a, b, 2, test::never_stop);
        EXPECT_TRUE(core::is_diagonal(gram)) << f;
        const Eigen::MatrixXf turned_gram = a.transpose() * a;
        EXPECT_LT((turned_gram - gram).cwiseAbs().maxCoeff(), 1e-4f * gram.maxCoeff()) << f;
        const Eigen::MatrixXf turned_products = a * b.transpose();
        EXPECT_LT((turned_products - products).cwiseAbs().maxCoeff(),
                  1e-4f * products.cwiseAbs().maxCoeff())
            << f;
    }
}

TEST(GramEigenbasis, KnowsADiagonalGram) {
    Eigen::MatrixXf g = Eigen::MatrixXf::Identity(4, 4);
    EXPECT_TRUE(core::is_diagonal(g));
    g(3, 0) = 1e-30f;
    EXPECT_FALSE(core::is_diagonal(g));
}
