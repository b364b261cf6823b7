// Explicit ratings: r ~ mean + b_u + b_i + x_u . y_i, fitted by alternating
// least squares with weighted-lambda regularisation (Zhou et al. 2008): each
// row's penalty grows with its number of ratings.
#pragma once

#include "core/trainer.h"

namespace cfrec::core {

class ExplicitAls : public Trainer {
  public:
    ExplicitAls(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    double loss(const StopCheck &stop, double *rmse) const;

    Interactions data_;
    TrainOptions options_;
    double mean_ = 0.0;
    float min_ = 0.0f, max_ = 0.0f;
    FactorMatrix users_, items_;
    std::vector<float> user_bias_, item_bias_;
    int iteration_ = 0;
};

}  // namespace cfrec::core
