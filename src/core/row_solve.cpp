#include "core/row_solve.h"

#include <Eigen/Cholesky>
#include <algorithm>

namespace cfrec::core {

void explicit_row_system(const int32_t *others, const float *values, int64_t n,
                         Eigen::Ref<const FactorMatrix> other, Span<float> other_bias, double mean,
                         double reg, ExplicitRowScratch &s) {
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
}

void solve_explicit_row(const int32_t *others, const float *values, int64_t n,
                        Eigen::Ref<const FactorMatrix> other, Span<float> other_bias, double mean,
                        double reg, ExplicitRowScratch &s, float &bias,
                        Eigen::Ref<Eigen::VectorXf> x) {
    explicit_row_system(others, values, n, other, other_bias, mean, reg, s);
    const Eigen::VectorXf w =
        s.gram.selfadjointView<Eigen::Lower>().llt().solve(s.features.transpose() * s.target);
    bias = w(0);
    x = w.tail(static_cast<int>(other.cols()));
}

Eigen::MatrixXf implicit_row_matrix(const int32_t *others, const float *values, int64_t n,
                                    Eigen::Ref<const FactorMatrix> other,
                                    const Eigen::MatrixXf &gram, float reg, float alpha) {
    Eigen::MatrixXf a = gram;
    a.diagonal().array() += reg;
    for (int64_t j = 0; j < n; ++j)
        a.selfadjointView<Eigen::Lower>().rankUpdate(other.row(others[j]).transpose(),
                                                     implicit_confidence(alpha, values[j]) - 1.0f);
    return a;
}

void solve_implicit_row_exact(const int32_t *others, const float *values, int64_t n,
                              Eigen::Ref<const FactorMatrix> other, const Eigen::MatrixXf &gram,
                              float reg, float alpha, Eigen::Ref<Eigen::VectorXf> x) {
    const Eigen::MatrixXf a = implicit_row_matrix(others, values, n, other, gram, reg, alpha);
    Eigen::VectorXf b = Eigen::VectorXf::Zero(gram.cols());
    for (int64_t j = 0; j < n; ++j)
        b += implicit_confidence(alpha, values[j]) * other.row(others[j]).transpose();
    x = a.selfadjointView<Eigen::Lower>().llt().solve(b);
}

}  // namespace cfrec::core
