// A graph-filter model for implicit feedback (algorithm => 'graph_filter'),
// after GF-CF (Shen et al. 2021, "How Powerful is Graph Convolution for
// Recommendation?"): items are scored by a low-pass filter on the
// degree-normalised item graph R~^T R~ = V S^2 V^T, here
//     score(u, j) = d_j^beta  sum over u's items i of  V_i diag(s^2 + alpha) V_j^T
// over the `factors` leading singular vectors, d_j being item j's number of
// users and beta = 0.1 a slight lift of popular items, as GF-CF's D^1/2
// does for its ideal part. As factors, an item's vector is
// d_j^beta V_j diag(s^2 + alpha)^1/2 and a user's is the sum of their items'
// vectors without the lift, so every serving function applies unchanged and
// anyone the model has not seen is folded in by that sum. Training-free
// apart from the spectrum: `iterations` passes of subspace iteration.
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
    StopCheck stop_;  // step()'s, for take_model(), which the Trainer interface asks without one
};

// One pass of a graph filter's spectrum solver as a training iteration
// (the graph and linear filters train alike): loss is the share of R~'s
// energy the basis misses.
IterationReport spectrum_pass(ItemSpectrumSolver &solver, int iteration, int threads,
                              const StopCheck &stop);

// beta above: measured on Yelp2018, ml-latest-small and synthetic
// check-ins, it gains 1-3% of Recall@20 on each (bench/RESULTS.md).
constexpr float kPopularityExponent = 0.1f;

// The graph filter's item vectors from a spectrum, before the lift:
// V diag(s^2 + alpha)^1/2.
FactorMatrix graph_filter_items(const ItemSpectrum &spectrum, double alpha);

// Someone's vector from the items they interacted with (dense indices): the
// sum of those items' stored vectors with each one's lift taken off.
Eigen::VectorXf graph_filter_user(const ModelView &model, const int32_t *items, size_t n);

// Each row's vector as the sum of its items' vectors (rows of `rows` index
// the rows of `items`): how the graph filter places users.
FactorMatrix summed_rows(const Csr &rows, const FactorMatrix &items, int threads,
                         const StopCheck &stop);

}  // namespace cfrec::core
