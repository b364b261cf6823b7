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
    void solve_users(const StopCheck &stop, std::vector<double> *observed_before);
    void solve_items(const StopCheck &stop, std::vector<double> *observed_after);
    double unobserved_loss() const;
    bool turns() const;  // into the Gram's eigenbasis before each side's solve

    Interactions data_;
    TrainOptions options_;
    FactorMatrix users_, items_;
    Eigen::MatrixXf users_gram_, items_gram_;  // X^T X and Y^T Y of the factors now
    int iteration_ = 0;
    // The users of the next iteration are solved already (step() says why);
    // until that iteration is taken, users_ is half a step ahead of items_.
    bool users_ahead_ = false;
};

}  // namespace cfrec::core
