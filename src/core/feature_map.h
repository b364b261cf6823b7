// Vectors for items (or users) the interactions do not cover, from their
// features: a linear map from features to factors, fitted by ridge
// regression on the rows that have both (Gantner et al. 2010, "Learning
// Attribute-to-Feature Mappings for Cold-Start Recommendations"). A film
// added this morning with its genres and tags gets the vector that films
// with those features have on average, as the model sees them.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"

namespace cfrec::core {

// Sparse feature rows: row r has features[indptr[r] .. indptr[r+1]) (dense
// feature indices, no repeats) with their weights.
struct FeatureRows {
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> features;
    std::vector<float> weights;
    int32_t rows() const { return static_cast<int32_t>(indptr.size()) - 1; }
};

// The penalty of the maps cfrec_train fits: on ml-latest-small's
// cold-start protocol (bench/RESULTS.md) Recall@20 was 0.120 at 0.1, 0.128
// at 1 and 0.119 at 10 for the plain map, and held-out films entered 0.41,
// 0.16 and 0 of each user's top 20 at 1, 10 and 100 for the map weighed by
// interactions.
constexpr double kFeatureRegularization = 1.0;

class FeatureMap {
  public:
    FeatureMap() = default;
    // Fits the map on rows r with target[r] >= 0 (an index into `factors`):
    // minimises sum |phi(r) W - factors[target[r]]|^2 + reg (|W|^2 over
    // features), where phi(r) is the row's weights scaled to unit length
    // plus an intercept that carries the mean vector. `features` counts the
    // feature indices. Throws Error(InvalidArgument) when no row has a target.
    // `row_weight`, when given, weighs each target row's error (by index
    // into `factors`).
    static FeatureMap fit(const FeatureRows &rows, const std::vector<int32_t> &target,
                          const FactorMatrix &factors, int32_t features, double reg,
                          const std::vector<double> *row_weight = nullptr);

    // The vector of a row with these features (indices past the fitted ones
    // are ignored; no known feature gives the mean vector).
    Eigen::VectorXf apply(const int32_t *features, const float *weights, size_t n) const;

    // One row per feature, then the intercept.
    const FactorMatrix &weights() const { return weights_; }
    static FeatureMap from_weights(FactorMatrix weights);

  private:
    FactorMatrix weights_;
};

// What each weight of a row is multiplied by: 1 / the length of its weights
// (0 for none).
float unit_scale(const float *weights, size_t n);

// What apply() computes, from the map's rows of a row's known features:
// intercept + sum over them of (w / |w|) * row, |w| the length of their
// weights. `out` holds `width` floats.
void mapped_vector(const float *intercept, const float *const *rows, const float *weights,
                   size_t n, int width, float *out);

// Gives `direction` (n floats) the length of `length`: a mapped item's
// vector points where the plain map says (what kind of item it is) and is
// as long as the interaction-weighed map makes it (how much it is
// interacted with); bench/RESULTS.md has the measurements. No-op when
// either is zero.
void take_length(float *direction, const float *length, int n);
// The factor take_length multiplies by: |length| / |direction|, or 1.
float length_ratio(const float *direction, const float *length, int n);

// One side of a trained model with features: the map fitted on its rows
// that have features, and vectors for the ids that have features but no
// row in the model (cold ones). Targets are [bias, factors] per row.
struct SideFeatures {
    FeatureMap map;              // rows: the kept features in `kept` order, then the intercept
    FeatureMap length_map;       // items: the same, weighed by interactions; empty for users
    std::vector<int32_t> kept;   // the feature indices the map has
    std::vector<int64_t> cold_ids;  // ascending
    std::vector<float> cold_bias;
    FactorMatrix cold_factors;
};

// From (id, feature index, weight) triples with distinct (id, feature)
// pairs and features indexed 0 .. features-1: keeps the `max_features` most
// used features (ties to the lower index), fits the map with penalty `reg`
// and maps the cold ids. Throws Error(DataError) for a weight that is not
// finite, Error(InvalidArgument) when no row of the side has features.
SideFeatures fit_side_features(const ModelView &m, Side side, const int64_t *ids,
                               const int32_t *features, const float *weights, size_t n,
                               int32_t feature_count, double reg, size_t max_features);

}  // namespace cfrec::core
