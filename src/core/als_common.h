// Pieces both ALS variants share.
#pragma once

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/random.h"

namespace cfrec::core {

// Rows solved per work unit: small enough that the stop check runs often.
constexpr int64_t kSolveChunk = 64;

// Small uniform values in [-scale, scale), drawn per external id.
inline FactorMatrix random_factors(const std::vector<int64_t> &ids, int factors, uint64_t seed,
                                   uint64_t stream, float scale) {
    FactorMatrix m(static_cast<Eigen::Index>(ids.size()), factors);
    for (size_t r = 0; r < ids.size(); ++r) {
        SplitMix64 rng = entity_rng(seed, ids[r], stream);
        for (int k = 0; k < factors; ++k)
            m(static_cast<Eigen::Index>(r), k) =
                static_cast<float>((2.0 * rng.uniform() - 1.0) * scale);
    }
    return m;
}

inline std::vector<int32_t> row_sizes(const Csr &m) {
    std::vector<int32_t> out(m.rows());
    for (int32_t r = 0; r < m.rows(); ++r) out[r] = static_cast<int32_t>(m.row_size(r));
    return out;
}

// Mean and range of the training ratings: the global mean explicit models
// start from, and the range their predictions are clipped to.
inline void rating_range(const std::vector<float> &v, double *mean, float *lo, float *hi) {
    *mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    auto [low, high] = std::minmax_element(v.begin(), v.end());
    *lo = *low;
    *hi = *high;
}

// The model an explicit-feedback trainer (ALS or SVD) hands over at the end.
inline FactorModel explicit_model(Interactions &data, double mean, float lo, float hi,
                                  std::vector<float> user_bias, std::vector<float> item_bias,
                                  FactorMatrix users, FactorMatrix items) {
    FactorModel model;
    model.feedback = Feedback::Explicit;
    model.global_mean = mean;
    model.rating_min = lo;
    model.rating_max = hi;
    model.item_counts = row_sizes(data.by_item);
    model.user_ids = std::move(data.user_ids);
    model.item_ids = std::move(data.item_ids);
    model.user_bias = std::move(user_bias);
    model.item_bias = std::move(item_bias);
    model.user_factors = std::move(users);
    model.item_factors = std::move(items);
    return model;
}

class Stopwatch {
  public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

  private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace cfrec::core
