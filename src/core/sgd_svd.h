// Explicit ratings: r ~ mean + b_u + b_i + x_u . y_i fitted by stochastic
// gradient descent, one pass over the ratings per iteration, in the style of
// Funk's SVD and Surprise's SVD (algorithm => 'svd'). Single-threaded so a
// seed gives the same model everywhere; rows are visited in a seeded order.
#pragma once

#include "core/sgd_biased.h"

namespace cfrec::core {

class SgdSvd : public SgdBiasedTrainer {
  public:
    SgdSvd(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    std::vector<int32_t> user_of_;  // the user of each rating, in by_user order
};

}  // namespace cfrec::core
