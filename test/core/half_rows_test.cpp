#include "core/half_rows.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/cpu_kernel.h"
#include "core/random.h"

using namespace cfrec;

namespace {

// Rows of mixed magnitudes, as a filter's W has (a few strong columns).
core::FactorMatrix mixed_rows(int rows, int columns, uint64_t seed) {
    core::SplitMix64 rng(seed);
    core::FactorMatrix m(rows, columns);
    for (int i = 0; i < rows; ++i)
        for (int c = 0; c < columns; ++c)
            m(i, c) =
                static_cast<float>((rng.uniform() * 2 - 1) * std::pow(0.8, c % 12) * (1 + i % 7));
    return m;
}

}  // namespace

// The copy's promise: a dot product from the half copy is within
// slack * |x| of the same dot product with the float row.
TEST(HalfRows, SlackBoundsEveryDotProduct) {
    for (int columns : {1, 17, 40, 256}) {
        const core::FactorMatrix w = mixed_rows(200, columns, 7 + columns);
        std::vector<uint16_t> half;
        std::vector<float> slack;
        if (!core::make_half_rows(w, half, slack)) {
            EXPECT_EQ(core::cpu_kernel(), core::CpuKernel::None);
            EXPECT_TRUE(half.empty() && slack.empty());
            continue;
        }
        const int32_t stride = core::half_row_stride(columns);
        ASSERT_EQ(stride % 16, 0);
        ASSERT_EQ(half.size(), static_cast<size_t>(200) * stride);
        core::SplitMix64 rng(columns);
        std::vector<float> x(stride, 0.0f), zero(stride, 0.0f), ones(200, 1.0f);
        double largest_share = 0.0;  // of the slack, used by the worst row
        for (int trial = 0; trial < 20; ++trial) {
            for (int c = 0; c < columns; ++c) x[c] = static_cast<float>(rng.uniform() * 2 - 1);
            const float x_norm = Eigen::Map<Eigen::VectorXf>(x.data(), columns).norm();
            std::vector<float> out(200, 0.0f);
            const float *a[] = {x.data()}, *b[] = {zero.data()};
            core::add_half_dots({half.data(), 200, stride, ones.data(), a, b, 1, out.data(), 200});
            for (int i = 0; i < 200; ++i) {
                double exact = 0.0;
                for (int c = 0; c < columns; ++c) exact += static_cast<double>(w(i, c)) * x[c];
                const double off = std::abs(out[i] - exact);
                ASSERT_LE(off, slack[i] * x_norm) << columns << " " << i;
                largest_share = std::max(largest_share, off / (slack[i] * x_norm));
            }
        }
        // A slack many times too wide would rule nothing out.
        EXPECT_GT(largest_share, 0.05) << columns;
    }
}

TEST(HalfRows, RefusesValuesBeyondHalfPrecision) {
    core::FactorMatrix w = mixed_rows(3, 8, 1);
    w(1, 2) = 1e6f;
    std::vector<uint16_t> half;
    std::vector<float> slack;
    EXPECT_FALSE(core::make_half_rows(w, half, slack));
    EXPECT_TRUE(half.empty() && slack.empty());
    w(1, 2) = std::nanf("");
    EXPECT_FALSE(core::make_half_rows(w, half, slack));
}
