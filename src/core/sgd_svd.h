// Explicit ratings: r ~ mean + b_u + b_i + x_u . y_i fitted by stochastic
// gradient descent, one pass over the ratings per iteration, in the style of
// Funk's SVD and Surprise's SVD (algorithm => 'svd'). Single-threaded so a
// seed gives the same model everywhere; rows are visited in a seeded order.
#pragma once

#include "core/trainer.h"

namespace cfrec::core {

class SgdSvd : public Trainer {
  public:
    SgdSvd(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    Interactions data_;
    TrainOptions options_;
    double mean_ = 0.0;
    float min_ = 0.0f, max_ = 0.0f;
    std::vector<int32_t> user_of_;  // the user of each rating, in by_user order
    FactorMatrix users_, items_;
    std::vector<float> user_bias_, item_bias_;
    int iteration_ = 0;
};

}  // namespace cfrec::core
