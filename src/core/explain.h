// Why a model scores an item for a user (cfrec_explain): the score split
// into what each of the user's items adds to it.
//
// A user's vector is a linear function of their items: the graph filter's
// is the sum of their items' vectors; ALS's is the solution of the normal
// equations A x = sum over the items of b_j y_j (explicit models carry a
// bias in x and y). So the score x.y_i is the sum over the user's items of
// b_j y_j^T A^-1 y_i: one solve gives every item's share. The shares are
// those of the vector the user's current items give (as cfrec_refresh_users
// computes it); `remainder` is how far the stored vector lies from it: zero
// within rounding after a refresh and for the graph filter, the solver's
// tolerance and the other side's last step after training, more for models
// that are not solved this way (SGD) or whose user rows changed since.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/serving.h"

namespace cfrec::core {

struct Contribution {
    int32_t item;  // dense index of one of the user's items
    double value;
};

struct Explanation {
    double score = 0.0;        // as cfrec_recommend ranks the item (unclipped)
    double global_mean = 0.0;  // explicit models: the constant terms of the score
    double item_bias = 0.0;
    std::vector<Contribution> items;  // every known item of the user, largest first
    double remainder = 0.0;           // score minus all of the above
};

// Explains the score of `item` for `user` (dense indices) from the user's
// current rows: `items` (external ids; unknown ones are ignored, repeats
// merged as training merges them) with their values.
Explanation explain(const ModelView &m, int32_t user, int32_t item, const int64_t *items,
                    const float *values, size_t n, const FoldInOptions &options);

// The same for a linear filter (m.linear set), which has no user vectors:
// the score of `item` for someone whose items are `items` (external ids,
// unknown ones ignored), split over those items exactly.
Explanation explain_linear(const ModelView &m, int32_t item, const int64_t *items, size_t n);

// A score one of whose sides (`mapped`) has the vector the feature map made
// from its features (core/feature_map.h): an item or user with features but
// no interactions. Then the score splits over those features exactly.
struct FeatureExplanation {
    double score = 0.0;
    double global_mean = 0.0;  // explicit models: the constant terms of the score,
    double other_bias = 0.0;   // and the other side's bias
    std::vector<Contribution> features;  // `item` indexes the rows given; largest first
    double intercept = 0.0;  // the map's intercept: what a row without known features scores
    double remainder = 0.0;  // score minus all of the above: the stored vector's difference
};

// `intercept` and each rows[j] hold the map's bias, then factors, for the
// mapped side's known features, with the row's weights; `length_intercept`
// and `length_rows` (items; NULL for none) the map that sets the vector's
// length (feature_map.h), which scales every share alike.
FeatureExplanation explain_by_features(const ModelView &m, int32_t user, int32_t item, Side mapped,
                                       const float *intercept, const float *const *rows,
                                       const float *weights, size_t n,
                                       const float *length_intercept,
                                       const float *const *length_rows);

}  // namespace cfrec::core
