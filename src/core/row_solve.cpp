#include "core/row_solve.h"

#include <Eigen/Cholesky>
#include <algorithm>

namespace cfrec::core {

void solve_explicit_row(const int32_t *others, const float *values, int64_t n,
                        Eigen::Ref<const FactorMatrix> other, Span<float> other_bias, double mean,
                        double reg, ExplicitRowScratch &s, float &bias,
                        Eigen::Ref<Eigen::VectorXf> x) {
    const int f = static_cast<int>(other.cols());
    s.features.resize(n, f + 1);
    s.target.resize(n);
    for (int64_t j = 0; j < n; ++j) {
        const int32_t o = others[j];
        s.features(j, 0) = 1.0f;
        s.features.row(j).tail(f) = other.row(o);
        s.target(j) = static_cast<float>(values[j] - mean - other_bias[o]);
    }
    s.gram.setZero(f + 1, f + 1);
    s.gram.diagonal().setConstant(static_cast<float>(reg * std::max<int64_t>(n, 1)));
    s.gram.selfadjointView<Eigen::Lower>().rankUpdate(s.features.transpose());
    const Eigen::VectorXf w =
        s.gram.selfadjointView<Eigen::Lower>().llt().solve(s.features.transpose() * s.target);
    bias = w(0);
    x = w.tail(f);
}

void solve_implicit_row_exact(const int32_t *others, const float *values, int64_t n,
                              Eigen::Ref<const FactorMatrix> other, const Eigen::MatrixXf &gram,
                              float reg, float alpha, Eigen::Ref<Eigen::VectorXf> x) {
    Eigen::MatrixXf a = gram;
    a.diagonal().array() += reg;
    Eigen::VectorXf b = Eigen::VectorXf::Zero(gram.cols());
    for (int64_t j = 0; j < n; ++j) {
        const auto y = other.row(others[j]).transpose();
        const float c = 1.0f + alpha * values[j];
        a.selfadjointView<Eigen::Lower>().rankUpdate(y, c - 1.0f);
        b += c * y;
    }
    x = a.selfadjointView<Eigen::Lower>().llt().solve(b);
}

}  // namespace cfrec::core
