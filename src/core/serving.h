// Scoring a trained model: recommendations, predictions, similar items.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/topk.h"

namespace cfrec::core {

// Sorted dense indices of the known ids among ids[0..n); unknown ids are ignored.
std::vector<int32_t> known_items(const FactorModel &m, const int64_t *ids, size_t n);

// Builds what makes serving faster (the half-precision item copy), where
// this build and the model allow it. Results stay exact either way.
void prepare_for_serving(FactorModel &m);

// The k best items for a known user. Explicit models rank by predicted
// rating, implicit ones by preference score. With a half-precision copy the
// items are first scored approximately, and every item whose error bound
// lets it reach the k-th best is rescored exactly: the same top k.
std::vector<Scored> recommend(const FactorModel &m, int32_t user, int k,
                              const std::vector<int32_t> &excluded, bool use_half = true);

// The k items with the most training interactions; score = that count.
std::vector<Scored> popular(const FactorModel &m, int k, const std::vector<int32_t> &excluded);

// The k items whose factor vectors have the highest cosine with item's.
std::vector<Scored> similar_items(const FactorModel &m, int32_t item, int k);

// Predicted rating (explicit, clipped to the training range) or preference
// score (implicit). Unknown ids fall back to the global mean and the known
// side's bias; an implicit model has nothing to say about them and gives 0.
float predict(const FactorModel &m, int64_t user_id, int64_t item_id);

}  // namespace cfrec::core
