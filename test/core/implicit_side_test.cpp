#include <gtest/gtest.h>

#include "core/cpu_kernel.h"
#include "core/implicit_side.h"
#include "core/random.h"
#include "test_data.h"

using namespace cfrec;

namespace {

// Items 0 and 1 have 12,000 users each, 288 KB of factor rows at f = 6: too
// many for a CG batch, so each is solved alone; the other items are short.
core::Csr items_with_long_rows(core::SplitMix64 &rng, int32_t users) {
    core::Csr m;
    for (int32_t item = 0; item < 20; ++item) {
        const int32_t n = item < 2 ? users : 3 + static_cast<int32_t>(rng.next() % 40);
        for (int32_t k = 0; k < n; ++k) {
            m.indices.push_back(item < 2 ? k : static_cast<int32_t>(rng.next() % users));
            m.values.push_back(1.0f + static_cast<float>(rng.next() % 3));
        }
        m.indptr.push_back(static_cast<int64_t>(m.indices.size()));
    }
    return m;
}

}  // namespace

// A long row's operator formed once gives what Cholesky gives, the loss's
// observed part too: checked on every CPU with kernels, whether or not
// training forms long rows there.
TEST(ImplicitSide, FormedLongRowsSolveAsCholesky) {
    if (core::cpu_kernel() == core::CpuKernel::None) GTEST_SKIP() << "no kernels on this CPU";
    core::SplitMix64 rng(21);
    const int32_t users = 12000;
    const core::Csr m = items_with_long_rows(rng, users);
    core::FactorMatrix other(users, 6);
    for (Eigen::Index k = 0; k < other.size(); ++k)
        other.data()[k] = static_cast<float>(rng.uniform()) * 0.2f;  // b far from 0
    const Eigen::MatrixXf gram = other.transpose() * other;
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 6;
    o.alpha = 2.0;
    o.regularization = 0.1;

    core::FactorMatrix exact = core::FactorMatrix::Zero(m.rows(), 6), formed = exact;
    std::vector<double> exact_loss, formed_loss;
    o.solver = core::ImplicitSolver::Cholesky;
    core::solve_implicit_side(m, other, gram, o, test::never_stop, exact, &exact_loss);
    o.solver = core::ImplicitSolver::ConjugateGradient;
    o.cg_steps = 6;  // as many steps as dimensions: CG is exact up to rounding
    core::solve_implicit_side(m, other, gram, o, test::never_stop, formed, &formed_loss,
                              core::LossAt::End, core::LongRows::Form);
    EXPECT_LT((exact - formed).cwiseAbs().maxCoeff(), 1e-3);
    // A formed row's loss is sum c - 2 x . b + x^T W x from float sums over
    // its 12,000 pairs: terms of about sum c that cancel, so its rounding
    // scales with sum c.
    for (int32_t item = 0; item < m.rows(); ++item) {
        double confidence = 0.0;
        for (int64_t p = m.indptr[item]; p < m.indptr[item + 1]; ++p)
            confidence += 1.0 + o.alpha * m.values[p];
        EXPECT_NEAR(formed_loss[item], exact_loss[item], 1e-5 * confidence) << "item " << item;
    }
}

// The rows' products read the other side rounded to half precision, unless
// a value is beyond half precision's range: then the floats, bit for bit.
TEST(ImplicitSide, FactorsBeyondHalfPrecisionAreReadAsFloats) {
    if (core::cpu_kernel() == core::CpuKernel::None) GTEST_SKIP() << "no kernels on this CPU";
    core::SplitMix64 rng(5);
    const int32_t users = 2000;
    const core::Csr m = items_with_long_rows(rng, users);
    core::FactorMatrix other(users, 16);
    for (Eigen::Index k = 0; k < other.size(); ++k)
        other.data()[k] = static_cast<float>(rng.uniform()) * 0.2f;
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 16;
    o.alpha = 2.0;
    o.regularization = 0.1;
    for (float top : {0.2f, 1e5f}) {
        other(7, 3) = top;
        const Eigen::MatrixXf gram = other.transpose() * other;
        core::FactorMatrix from_half = core::FactorMatrix::Zero(m.rows(), 16);
        core::FactorMatrix from_floats = from_half;
        o.half_precision_products = true;
        core::solve_implicit_side(m, other, gram, o, test::never_stop, from_half);
        o.half_precision_products = false;
        core::solve_implicit_side(m, other, gram, o, test::never_stop, from_floats);
        const float apart = (from_half - from_floats).cwiseAbs().maxCoeff();
        if (top > 6e4f) {
            EXPECT_EQ(apart, 0.0f);
        } else {
            EXPECT_GT(apart, 0.0f);
            EXPECT_LT(apart, 1e-2f * from_floats.cwiseAbs().maxCoeff());
        }
    }
}
