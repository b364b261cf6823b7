// Orthonormal bases for the graph filter's subspace iteration (spectrum.h),
// computed in blocks of rows so that a cancel is seen within a block.
#pragma once

#include <cstdint>

#include "core/factor_model.h"
#include "core/parallel.h"

namespace cfrec::core {

// Replaces y's columns with orthonormal ones that span the space y spans,
// completed with random directions where y has fewer: Cholesky QR twice
// (cheap, and accurate while y is well conditioned, as it is after every
// product of the iteration), and for (nearly) rank-deficient y, the
// directions y has from the eigenvectors of y^T y plus fresh Gaussian ones
// made orthogonal to them. Every pass over y's rows asks `stop` between
// blocks of rows and throws Cancelled when it says so.
void orthonormalize(FactorMatrix &y, uint64_t seed, const StopCheck &stop);

// y = y m, a block of rows at a time (asking `stop` between blocks).
void multiply_right(FactorMatrix &y, const Eigen::MatrixXf &m, const StopCheck &stop);

// Standard normal values, a SplitMix64 stream from `seed`.
void gaussian_fill(FactorMatrix &x, uint64_t seed);

}  // namespace cfrec::core
