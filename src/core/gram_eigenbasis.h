// Implicit ALS solves each row against gram = other^T other, f x f, the
// same for every row: a dense product with it costs f^2 multiply-adds per
// row and CG pass, which at 256 factors is a third of an iteration. A
// factorisation X Y^T does not change when both sides turn by one
// orthonormal Q (X Q (Y Q)^T = X Y^T), and CG's steps turn with it, so
// before a side is solved both sides are turned into the eigenbasis of the
// other side's Gram: that Gram becomes diagonal (f multiplies a product),
// and the turn costs f^2 per row once instead of once per CG pass.
#pragma once

#include <Eigen/Core>

#include "core/factor_model.h"
#include "core/parallel.h"

namespace cfrec::core {

// gram (= a^T a, symmetric) becomes diag(its eigenvalues), and a and b turn
// by its eigenvectors Q (a Q, b Q), so gram is still a^T a up to rounding
// and every product of a row of a with a row of b is unchanged.
void turn_to_eigenbasis(Eigen::MatrixXf &gram, FactorMatrix &a, FactorMatrix &b, int threads,
                        const StopCheck &stop);

// Whether every entry of gram off its diagonal is zero.
bool is_diagonal(const Eigen::MatrixXf &gram);

}  // namespace cfrec::core
