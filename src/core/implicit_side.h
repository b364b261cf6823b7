// One side of an implicit ALS iteration: every user (or every item) solved
// against the other side's factors, each row by a few warm-started
// conjugate-gradient steps, or exactly by Cholesky as the reference path.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/trainer.h"

namespace cfrec::core {

// What happens to a row whose other factors are too many for a CG batch to
// keep in cache: its operator is formed once where that pays (AVX-512
// kernels, up to 64 factors), or its factor rows are read once a CG step.
// Form forms it on any CPU with kernels, so tests reach that path anywhere.
enum class LongRows { WhereItPays, Form };

// Which factors a row's part of the loss is taken with: those it starts
// from (free: the steps' first pass takes the same dot products) or those
// it ends with (one more pass over its interactions, while they are in cache).
enum class LossAt { Start, End };

// out's row r minimises row r of m's objective given `other` (the other
// side's factors) and gram = other^T other. When `observed` is given, its
// entry r becomes row r's observed pairs' part of the loss with its
// starting or its new factors (`at`): sum_j c_j (1 - s_j)^2 - s_j^2
// (s_j = x_r . y_j, c_j the confidence).
void solve_implicit_side(const Csr &m, const FactorMatrix &other, const Eigen::MatrixXf &gram,
                         const TrainOptions &o, const StopCheck &stop, FactorMatrix &out,
                         std::vector<double> *observed = nullptr, LossAt at = LossAt::End,
                         LongRows long_rows = LongRows::WhereItPays);

}  // namespace cfrec::core
