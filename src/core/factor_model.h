// A trained model: ids, biases and factor vectors, ready to score.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace cfrec::core {

enum class Feedback { Explicit, Implicit };
enum class Side { Users, Items };

class HalfItemScorer;

// One factor vector per row; row-major so a user's or item's vector is contiguous.
using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct FactorModel {
    Feedback feedback = Feedback::Explicit;
    double global_mean = 0.0;       // explicit only
    float rating_min = 0.0f;        // explicit: predictions are clipped to the
    float rating_max = 0.0f;        // range of the training ratings
    std::vector<int64_t> user_ids;  // ascending
    std::vector<int64_t> item_ids;  // ascending
    std::vector<float> user_bias;   // zeros for implicit models
    std::vector<float> item_bias;
    // May hold spare zero rows past user_ids.size(), so refreshes can add
    // users without copying the matrix each time (model_patch.h).
    FactorMatrix user_factors;
    FactorMatrix item_factors;
    std::vector<int32_t> item_counts;  // training interactions per item
    // Optional, for serving: a half-precision copy of item_factors that makes
    // recommend() read half the bytes (prepare_for_serving builds it).
    std::shared_ptr<const HalfItemScorer> half_items;
    // Optional, for folding in new users of implicit models: item_factors^T
    // item_factors (prepare_for_serving builds it).
    std::shared_ptr<const Eigen::MatrixXf> item_gram;

    int factors() const { return static_cast<int>(item_factors.cols()); }
    int32_t user_index(int64_t id) const { return find(user_ids, id); }
    int32_t item_index(int64_t id) const { return find(item_ids, id); }

  private:
    static int32_t find(const std::vector<int64_t> &ids, int64_t id) {
        auto it = std::lower_bound(ids.begin(), ids.end(), id);
        return it != ids.end() && *it == id ? static_cast<int32_t>(it - ids.begin()) : -1;
    }
};

}  // namespace cfrec::core
