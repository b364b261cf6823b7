// What the SGD trainers of explicit ratings (SgdSvd, SgdSvdPlusPlus) share:
// r ~ mean + b_u + b_i + x_u . y_i, with small seeded random factors on
// both sides (SGD needs both non-zero to move) and zero biases to start.
#pragma once

#include "core/als_common.h"
#include "core/random.h"
#include "core/trainer.h"

namespace cfrec::core {

class SgdBiasedTrainer : public Trainer {
  protected:
    SgdBiasedTrainer(Interactions data, const TrainOptions &options)
        : data_(std::move(data)), options_(options) {
        rating_range(data_.by_user.values, &mean_, &min_, &max_);
        users_ = random_factors(data_.user_ids, options.factors, options.seed, 1, 0.1f);
        items_ = random_factors(data_.item_ids, options.factors, options.seed, 2, 0.1f);
        user_bias_.assign(data_.user_ids.size(), 0.0f);
        item_bias_.assign(data_.item_ids.size(), 0.0f);
    }
    // The model as trained so far; the trainer is spent afterwards.
    FactorModel finished_model() {
        return explicit_model(data_, mean_, min_, max_, std::move(user_bias_),
                              std::move(item_bias_), std::move(users_), std::move(items_));
    }

    Interactions data_;
    TrainOptions options_;
    double mean_ = 0.0;
    float min_ = 0.0f, max_ = 0.0f;
    FactorMatrix users_, items_;
    std::vector<float> user_bias_, item_bias_;
    int iteration_ = 0;
};

}  // namespace cfrec::core
