// The leading spectrum of the degree-normalised interaction graph, the basis
// of the graph-filter model (graph_filter.h).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"

namespace cfrec::core {

// R~ = D_u^-1/2 R D_i^-1/2 with R the 0/1 matrix of who interacted with what
// and D the degrees: its `rank` largest singular values and right singular
// vectors (one row per item, columns in descending singular value).
struct ItemSpectrum {
    FactorMatrix vectors;    // items x rank, orthonormal columns
    Eigen::VectorXf values;  // rank, descending
};

// Randomised SVD (Halko, Martinsson & Tropp 2011): a random start, then
// subspace iteration, one pass per call, so training can report progress and
// stop between passes. Memory: (users + items) x (rank + 32) floats besides
// the data, which must outlive the solver.
class ItemSpectrumSolver {
  public:
    // Throws Error when rank exceeds the smaller side of the data.
    ItemSpectrumSolver(const Interactions &data, int rank, uint64_t seed);
    // One pass; returns the share of R~'s squared Frobenius norm that the
    // current basis misses. Throws Cancelled when `stop` says so, within a
    // block of rows (orthonormal.h) or of the products.
    double iterate(int threads, const StopCheck &stop);
    // The spectrum from the passes so far (at least one).
    ItemSpectrum finish(const StopCheck &stop) const;

  private:
    const Interactions &data_;
    int rank_, width_;
    uint64_t seed_;
    std::vector<float> user_scale_, item_scale_;
    double total_energy_ = 0.0;
    uint64_t passes_ = 0;  // orthonormalisations so far: each draws its own random columns
    FactorMatrix y_, z_;  // bases of the user and item sides
};

}  // namespace cfrec::core
