// The implicit ALS kernels against the same products in double precision,
// for each kernel this CPU can run, at sizes that end inside a register.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/cg_kernels.h"
#include "core/half_rows.h"
#include "core/random.h"
#include "test_data.h"

using namespace cfrec;

namespace {

std::vector<core::CpuKernel> kernels_here() {
    std::vector<core::CpuKernel> out;
    if (core::cpu_kernel() == core::CpuKernel::None) return out;
    out.push_back(core::CpuKernel::Avx2);
    if (core::cpu_kernel() == core::CpuKernel::Avx512) out.push_back(core::CpuKernel::Avx512);
    return out;
}

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// n interactions with rows of a `rows`-row matrix, values 1 to 4.
void random_interactions(int n, int rows, uint64_t seed, std::vector<int32_t> &index,
                         std::vector<float> &values) {
    core::SplitMix64 rng(seed);
    index.resize(n);
    values.resize(n);
    for (int j = 0; j < n; ++j) {
        index[j] = static_cast<int32_t>(rng.next() % rows);
        values[j] = 1.0f + static_cast<float>(rng.next() % 4);
    }
}

const int kFactors[] = {1, 3, 7, 8, 15, 16, 17, 31, 32, 64, 100, 128, 256};

TEST(CgKernels, GramProductsMatchDoublePrecision) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : kFactors)
            for (int count : {1, 3, 4, 5, 9}) {
                RowMajor y = test::random_rows(50, f, 1);
                const Eigen::MatrixXf gram = (y.transpose() * y).eval();
                RowMajor v = test::random_rows(count, f, 2), out(count, f);
                std::vector<float> reg(count);
                for (int b = 0; b < count; ++b) reg[b] = 0.1f * (b + 1);
                core::gram_products(kernel, gram.data(), f, reg.data(), v.data(), count,
                                    out.data());
                for (int b = 0; b < count; ++b) {
                    const Eigen::VectorXd want =
                        gram.cast<double>() * v.row(b).transpose().cast<double>() +
                        reg[b] * v.row(b).transpose().cast<double>();
                    EXPECT_LT((out.row(b).transpose().cast<double>() - want).cwiseAbs().maxCoeff(),
                              1e-4 * (1 + want.cwiseAbs().maxCoeff()))
                        << "kernel " << static_cast<int>(kernel) << " f " << f << " row " << b;
                }
            }
}

// In double precision: the observed loss at v of a row's interactions with
// `other`, and out plus the row's part of A v (or of b - A v).
double loss_in_double(const RowMajor &other, const core::RowPart &row, const RowMajor &v) {
    double loss = 0;
    for (int64_t j = 0; j < row.n; ++j) {
        const double s = other.row(row.index[j]).cast<double>().dot(v.row(0).cast<double>());
        const double c = 1.0 + row.alpha * row.values[j];
        loss += c * (1 - s) * (1 - s) - s * s;
    }
    return loss;
}

Eigen::VectorXd row_part_in_double(const RowMajor &other, const core::RowPart &row,
                                   const RowMajor &v, const RowMajor &out, bool residual) {
    Eigen::VectorXd want = out.row(0).transpose().cast<double>();
    for (int64_t j = 0; j < row.n; ++j) {
        const Eigen::VectorXd y = other.row(row.index[j]).transpose().cast<double>();
        const double extra = row.alpha * row.values[j];
        const double d = y.dot(v.row(0).transpose().cast<double>());
        want += (residual ? 1 + extra * (1 - d) : extra * d) * y;
    }
    return want;
}

TEST(CgKernels, RowPartsAndLossMatchDoublePrecision) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : kFactors)
            for (int n : {0, 1, 2, 3, 5, 6, 7, 40}) {
                RowMajor other = test::random_rows(60, f, 3);
                std::vector<int32_t> index;
                std::vector<float> values;
                random_interactions(n, 60, 4, index, values);
                const core::RowPart row{other.data(), index.data(), values.data(), n, 2.5f, f};
                const RowMajor v = test::random_rows(1, f, 5);
                const double loss = loss_in_double(other, row, v);
                for (bool residual : {false, true}) {
                    RowMajor out = test::random_rows(1, f, 6);
                    const Eigen::VectorXd want = row_part_in_double(other, row, v, out, residual);
                    double observed = -1;  // the loss at v, taken with the residual
                    core::add_row_part(kernel, row, v.data(), out.data(), residual,
                                       residual ? &observed : nullptr);
                    EXPECT_LT((out.row(0).transpose().cast<double>() - want).cwiseAbs().maxCoeff(),
                              1e-4 * (1 + want.cwiseAbs().maxCoeff()))
                        << "f " << f << " n " << n << " residual " << residual;
                    if (residual) {
                        EXPECT_NEAR(observed, loss, 1e-4 * (1 + std::abs(loss)));
                    }
                }
                EXPECT_NEAR(core::observed_loss(kernel, row, v.data()), loss, 1e-4 * (1 + std::abs(loss)));
            }
}

#if defined(__x86_64__)
// The same products from a half-precision copy: those of the rounded rows.
TEST(CgKernels, RowPartsFromAHalfCopyAreThoseOfItsRoundedRows) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : {16, 32, 48, 64, 128, 256})
            for (int n : {0, 1, 3, 4, 5, 7, 40}) {
                const RowMajor other = test::random_rows(60, f, 3);
                std::vector<uint16_t> half(other.size());
                ASSERT_TRUE(core::round_to_half(kernel, other.data(), other.size(), half.data()));
                RowMajor rounded(60, f);
                for (Eigen::Index k = 0; k < other.size(); ++k) {
                    rounded.data()[k] = core::from_half(half[k]);
                    // To nearest: half a unit in the last place, 2^-25 apart below
                    // half precision's normal range.
                    ASSERT_LE(std::abs(rounded.data()[k] - other.data()[k]),
                              std::max(std::ldexp(std::abs(other.data()[k]), -11),
                                       std::ldexp(1.0f, -25)));
                }
                std::vector<int32_t> index;
                std::vector<float> values;
                random_interactions(n, 60, 4, index, values);
                const core::RowPart row{other.data(), index.data(), values.data(), n, 2.5f, f};
                const RowMajor v = test::random_rows(1, f, 5);
                for (bool residual : {false, true}) {
                    RowMajor out = test::random_rows(1, f, 6);
                    const Eigen::VectorXd want = row_part_in_double(rounded, row, v, out, residual);
                    double observed = -1;
                    core::add_row_part_from_half(kernel, row, half.data(), v.data(), out.data(),
                                                 residual, &observed);
                    EXPECT_LT((out.row(0).transpose().cast<double>() - want).cwiseAbs().maxCoeff(),
                              1e-4 * (1 + want.cwiseAbs().maxCoeff()))
                        << "f " << f << " n " << n << " residual " << residual;
                    const double loss = loss_in_double(rounded, row, v);
                    EXPECT_NEAR(observed, loss, 1e-4 * (1 + std::abs(loss)));
                }
            }
}

TEST(CgKernels, RoundingToHalfRefusesWhatHalfCannotHold) {
    for (core::CpuKernel kernel : kernels_here()) {
        std::vector<float> values(32, 0.5f);
        std::vector<uint16_t> half(32);
        EXPECT_TRUE(core::round_to_half(kernel, values.data(), 32, half.data()));
        EXPECT_EQ(core::from_half(half[31]), 0.5f);
        for (float beyond : {7e4f, -7e4f, std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity()}) {
            values[21] = beyond;
            EXPECT_FALSE(core::round_to_half(kernel, values.data(), 32, half.data())) << beyond;
        }
    }
}
#endif  // __x86_64__

TEST(CgKernels, CgStepMatchesDoublePrecision) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : kFactors) {
            RowMajor x = test::random_rows(1, f, 9), r = test::random_rows(1, f, 10),
                     p = test::random_rows(1, f, 11);
            const RowMajor ap = test::random_rows(1, f, 12);
            const Eigen::RowVectorXd xd = x.row(0).cast<double>(), rd = r.row(0).cast<double>(),
                                     pd = p.row(0).cast<double>(), apd = ap.row(0).cast<double>();
            const double rs = rd.squaredNorm(), a = rs / pd.dot(apd);
            const Eigen::RowVectorXd x_want = xd + a * pd, r_want = rd - a * apd;
            const Eigen::RowVectorXd p_want = r_want + (r_want.squaredNorm() / rs) * pd;
            const float rs_new = core::cg_step(kernel, f, static_cast<float>(rs), x.data(), r.data(),
                                               p.data(), ap.data());
            const double tol = 1e-3 * (1 + std::abs(a));
            EXPECT_NEAR(rs_new, r_want.squaredNorm(), tol * (1 + r_want.squaredNorm())) << "f " << f;
            EXPECT_LT((x.row(0).cast<double>() - x_want).cwiseAbs().maxCoeff(), tol) << "f " << f;
            EXPECT_LT((r.row(0).cast<double>() - r_want).cwiseAbs().maxCoeff(), tol) << "f " << f;
            EXPECT_LT((p.row(0).cast<double>() - p_want).cwiseAbs().maxCoeff(), tol) << "f " << f;
        }
}

TEST(CgKernels, GramSumsTheUpperTriangle) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : kFactors)
            for (int rows : {1, 5, 64, 65, 200}) {
                const RowMajor y = test::random_rows(rows, f, 7);
                RowMajor gram = RowMajor::Constant(f, f, 1.0f);  // it adds to what is there
                core::add_gram(kernel, y.data(), rows, f, gram.data());
                const Eigen::MatrixXd want = y.cast<double>().transpose() * y.cast<double>();
                for (int i = 0; i < f; ++i)
                    for (int c = i; c < f; ++c)
                        ASSERT_NEAR(gram(i, c), 1.0 + want(i, c), 1e-4 * (1 + std::abs(want(i, c))))
                            << "f " << f << " rows " << rows << " at " << i << "," << c;
            }
}

TEST(CgKernels, RowGramSumsWeightedProductsAndRightHandSide) {
    for (core::CpuKernel kernel : kernels_here())
        for (int f : kFactors)
            for (int n : {1, 5, 64, 65, 200}) {
                const RowMajor other = test::random_rows(300, f, 13);
                std::vector<int32_t> index;
                std::vector<float> values;
                random_interactions(n, 300, 14, index, values);
                const float alpha = 1.5f;
                const core::RowPart row{other.data(), index.data(), values.data(), n, alpha, f};
                RowMajor gram = RowMajor::Constant(f, f, 1.0f);  // it adds to what is there
                std::vector<float> b(f, 2.0f), scratch(2 * core::kGramTile * f);
                core::add_row_gram(kernel, row, scratch.data(), gram.data(), b.data());
                Eigen::MatrixXd want = Eigen::MatrixXd::Zero(f, f);
                Eigen::VectorXd want_b = Eigen::VectorXd::Constant(f, 2.0);
                for (int j = 0; j < n; ++j) {
                    const Eigen::VectorXd y = other.row(index[j]).transpose().cast<double>();
                    const double extra = alpha * values[j];
                    want += extra * y * y.transpose();
                    want_b += (1.0 + extra) * y;
                }
                for (int i = 0; i < f; ++i) {
                    ASSERT_NEAR(b[i], want_b(i), 1e-4 * (1 + std::abs(want_b(i))))
                        << "f " << f << " n " << n << " b at " << i;
                    for (int c = i; c < f; ++c)
                        ASSERT_NEAR(gram(i, c), 1.0 + want(i, c), 1e-4 * (1 + std::abs(want(i, c))))
                            << "f " << f << " n " << n << " at " << i << "," << c;
                }
            }
}

}  // namespace
