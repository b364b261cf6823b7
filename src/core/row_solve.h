// The least-squares step ALS makes for one row (a user or an item) with the
// other side fixed: shared by training and by fold-in of new users.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "core/factor_model.h"

namespace cfrec::core {

// Explicit: solves [bias, factors] for ratings `values` of the rows `others`
// of the other side. Features of a rating are [1, other factors]; its target
// is the rating minus the global mean and the other side's bias; the penalty
// is reg * n (weighted lambda).
struct ExplicitRowScratch {
    Eigen::MatrixXf features, gram;
    Eigen::VectorXf target;
};
// Its normal equations: s.features holds a row [1, other factors] per
// rating, s.target the ratings less the mean and the other side's bias,
// s.gram (lower triangle) features^T features + reg * n.
void explicit_row_system(const int32_t *others, const float *values, int64_t n,
                         Eigen::Ref<const FactorMatrix> other, Span<float> other_bias, double mean,
                         double reg, ExplicitRowScratch &scratch);
void solve_explicit_row(const int32_t *others, const float *values, int64_t n,
                        Eigen::Ref<const FactorMatrix> other, Span<float> other_bias, double mean,
                        double reg, ExplicitRowScratch &scratch, float &bias,
                        Eigen::Ref<Eigen::VectorXf> x);

// Implicit, exactly (Cholesky): x minimising sum c (1 - x.y)^2 over the row,
// plus x^T gram x for every other pair and reg |x|^2, with c = 1 + alpha v.
// `gram` is other^T other.
void solve_implicit_row_exact(const int32_t *others, const float *values, int64_t n,
                              Eigen::Ref<const FactorMatrix> other, const Eigen::MatrixXf &gram,
                              float reg, float alpha, Eigen::Ref<Eigen::VectorXf> x);

// An interaction's confidence c.
inline float implicit_confidence(float alpha, float value) { return 1.0f + alpha * value; }
// The implicit row's matrix (lower triangle): gram + reg + sum (c - 1) y y^T
// over the row; the row's vector is its inverse times sum c y.
Eigen::MatrixXf implicit_row_matrix(const int32_t *others, const float *values, int64_t n,
                                    Eigen::Ref<const FactorMatrix> other,
                                    const Eigen::MatrixXf &gram, float reg, float alpha);

// The implicit penalty of a row with n interactions.
inline float implicit_row_regularization(double reg, bool scaled, int64_t n) {
    return static_cast<float>(reg * (scaled ? (n > 1 ? n : 1) : 1));
}

}  // namespace cfrec::core
