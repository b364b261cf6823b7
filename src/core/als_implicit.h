// Implicit feedback (Hu, Koren & Volinsky 2008): every observed (user, item)
// has preference 1 and confidence 1 + alpha * value; all other pairs have
// preference 0 and confidence 1. Rows are solved with a few warm-started
// conjugate-gradient steps (Takacs, Pilaszy & Tikk 2011), or exactly by
// Cholesky as the reference path.
#pragma once

#include "core/trainer.h"

namespace cfrec::core {

class ImplicitAls : public Trainer {
  public:
    ImplicitAls(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    double loss(const std::vector<double> &observed) const;

    Interactions data_;
    TrainOptions options_;
    FactorMatrix users_, items_;
    Eigen::MatrixXf users_gram_, items_gram_;  // X^T X and Y^T Y of the factors now
    int iteration_ = 0;
};

}  // namespace cfrec::core
