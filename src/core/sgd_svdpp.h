// SVD++ (Koren 2008, "Factorization meets the neighborhood"; algorithm =>
// 'svdpp'): explicit ratings r ~ mean + b_u + b_i + q_i . (p_u + |N(u)|^-1/2
// sum_{j in N(u)} y_j), where N(u) is everything u rated, so what a user
// chose to rate counts besides how they rated it. Fitted by SGD as SgdSvd is,
// one user at a time in a seeded order: the implicit sum is computed once per
// user per epoch and the y_j are moved once, after the user's ratings (the
// usual fast form of Koren's per-rating update).
//
// The stored model is an ordinary factor model: a user's vector is
// p_u + |N(u)|^-1/2 sum y_j, so every serving function applies unchanged.
// The y_j are not kept, so folding in and refreshing solve a user's vector
// against the item factors as explicit ALS does.
#pragma once

#include "core/sgd_biased.h"

namespace cfrec::core {

class SgdSvdPlusPlus : public SgdBiasedTrainer {
  public:
    SgdSvdPlusPlus(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    FactorMatrix implicit_;  // y (users_ and items_ are p and q)
};

}  // namespace cfrec::core
