// A graph-filter model for implicit feedback (algorithm => 'graph_filter'),
// after GF-CF (Shen et al. 2021, "How Powerful is Graph Convolution for
// Recommendation?"): items are scored by a low-pass filter on the
// degree-normalised item graph R~^T R~ = V S^2 V^T, here
//     score(u, j) = sum over u's items i of  V_i diag(s^2 + alpha) V_j^T
// over the `factors` leading singular vectors. As factors, an item's vector
// is V_j diag(s^2 + alpha)^1/2 and a user's is the sum of their items'
// vectors, so every serving function applies unchanged and anyone the model
// has not seen is folded in by summing. Training-free apart from the
// spectrum: `iterations` passes of subspace iteration.
#pragma once

#include "core/spectrum.h"
#include "core/trainer.h"

namespace cfrec::core {

class GraphFilter : public Trainer {
  public:
    GraphFilter(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    Interactions data_;
    TrainOptions options_;
    ItemSpectrumSolver solver_;
    int iteration_ = 0;
};

// The graph filter's item vectors from a spectrum: V diag(s^2 + alpha)^1/2.
FactorMatrix graph_filter_items(const ItemSpectrum &spectrum, double alpha);

// Each row's vector as the sum of its items' vectors (rows of `rows` index
// the rows of `items`): how the graph filter places users.
FactorMatrix summed_rows(const Csr &rows, const FactorMatrix &items, int threads,
                         const StopCheck &stop);

}  // namespace cfrec::core
