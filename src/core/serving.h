// Scoring a trained model: recommendations, predictions, similar items.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/topk.h"

namespace cfrec::core {

// Sorted dense indices of the known ids among ids[0..n); unknown ids are ignored.
std::vector<int32_t> known_items(const ModelView &m, const int64_t *ids, size_t n);

// Builds what makes serving faster (the half-precision item copy), where
// this build and the model allow it. Results stay exact either way.
void prepare_for_serving(FactorModel &m);

// The k best items for a known user. Explicit models rank by predicted
// rating, implicit ones by preference score. With a half-precision copy the
// items are first scored approximately, and every item whose error bound
// lets it reach the k-th best is rescored exactly: the same top k. When
// `include` is given (sorted item indices), only those items are ranked.
std::vector<Scored> recommend(const ModelView &m, int32_t user, int k,
                              const std::vector<int32_t> &excluded, bool use_half = true,
                              const std::vector<int32_t> *include = nullptr);

// The same for a factor vector x (and user bias) that the model does not store.
std::vector<Scored> recommend_vector(const ModelView &m, const float *x, float user_bias, int k,
                                     const std::vector<int32_t> &excluded, bool use_half = true,
                                     const std::vector<int32_t> *include = nullptr);

// How the model was trained, for folding in someone it has not seen.
struct FoldInOptions {
    double regularization = 0.1;
    double alpha = 1.0;
    // The graph filter places anyone at the sum of their items' vectors
    // (graph_filter_user in graph_filter.h), values ignored; ALS solves for
    // the best vector.
    bool sum_of_items = false;
};

// Factors (and bias) for someone the model has not seen, from the items they
// interacted with (external ids; unknown ones are ignored; repeats are
// averaged for explicit models and summed for implicit ones): the step ALS
// makes for every user, with the item factors fixed, or the graph filter's
// sum. False when no item is known.
bool fold_in(const ModelView &m, const int64_t *items, const float *values, size_t n,
             const FoldInOptions &options, float &bias, Eigen::VectorXf &x);

// The k items with the most training interactions; score = that count.
// `include` (sorted item indices), when given, restricts the candidates.
std::vector<Scored> popular(const ModelView &m, int k, const std::vector<int32_t> &excluded,
                            const std::vector<int32_t> *include = nullptr);

// The k items whose factor vectors have the highest cosine with item's.
std::vector<Scored> similar_items(const ModelView &m, int32_t item, int k);

// Predicted rating (explicit, clipped to the training range) or preference
// score (implicit). Unknown ids fall back to the global mean and the known
// side's bias; an implicit model has nothing to say about them and gives 0.
float predict(const ModelView &m, int64_t user_id, int64_t item_id);

}  // namespace cfrec::core
