// A trained model: ids, biases and factor vectors, ready to score.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace cfrec::core {

enum class Feedback { Explicit, Implicit };
enum class Side { Users, Items };

class HalfItemScorer;
class LinearFilter;

// One factor vector per row; row-major so a user's or item's vector is contiguous.
using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A read-only run of values that something else owns.
template <class T>
class Span {
  public:
    Span() = default;
    Span(const T *data, size_t size) : data_(data), size_(size) {}
    Span(const std::vector<T> &v) : data_(v.data()), size_(v.size()) {}  // NOLINT: a view of it
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const T *data() const { return data_; }
    const T *begin() const { return data_; }
    const T *end() const { return data_ + size_; }
    const T &operator[](size_t i) const { return data_[i]; }

  private:
    const T *data_ = nullptr;
    size_t size_ = 0;
};

// What serving, evaluation, clustering and refreshes read of a model: its
// arrays wherever they live, in a FactorModel of this process or in the
// server-wide cache in shared memory. Cheap to copy; never owns anything.
struct ModelView {
    Feedback feedback = Feedback::Explicit;
    double global_mean = 0.0;
    float rating_min = 0.0f;
    float rating_max = 0.0f;
    Span<int64_t> user_ids;  // ascending
    Span<int64_t> item_ids;  // ascending
    Span<float> user_bias;
    Span<float> item_bias;
    Span<int32_t> item_counts;
    Eigen::Map<const FactorMatrix> user_factors{nullptr, 0, 0};  // one row per user id
    Eigen::Map<const FactorMatrix> item_factors{nullptr, 0, 0};  // one row per item id
    const HalfItemScorer *half_items = nullptr;                  // optional, as in FactorModel
    const float *item_gram = nullptr;      // optional: factors x factors, column-major
    const LinearFilter *linear = nullptr;  // a linear filter's operator (linear_filter.h)

    int factors() const { return static_cast<int>(item_factors.cols()); }
    int32_t user_index(int64_t id) const { return find(user_ids, id); }
    int32_t item_index(int64_t id) const { return find(item_ids, id); }

  private:
    static int32_t find(Span<int64_t> ids, int64_t id) {
        const int64_t *it = std::lower_bound(ids.begin(), ids.end(), id);
        return it != ids.end() && *it == id ? static_cast<int32_t>(it - ids.begin()) : -1;
    }
};

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
    // A linear filter's operator (linear_filter.h), with item_factors its V;
    // such a model has no users.
    std::shared_ptr<const LinearFilter> linear;

    int factors() const { return static_cast<int>(item_factors.cols()); }
    int32_t user_index(int64_t id) const { return find(user_ids, id); }
    int32_t item_index(int64_t id) const { return find(item_ids, id); }

    // A view of this model's arrays (spare rows left out), valid while it lives.
    ModelView view() const;
    operator ModelView() const { return view(); }  // NOLINT: readers take either

  private:
    static int32_t find(const std::vector<int64_t> &ids, int64_t id) {
        auto it = std::lower_bound(ids.begin(), ids.end(), id);
        return it != ids.end() && *it == id ? static_cast<int32_t>(it - ids.begin()) : -1;
    }
};

inline ModelView FactorModel::view() const {
    ModelView v;
    v.feedback = feedback;
    v.global_mean = global_mean;
    v.rating_min = rating_min;
    v.rating_max = rating_max;
    v.user_ids = user_ids;
    v.item_ids = item_ids;
    v.user_bias = user_bias;
    v.item_bias = item_bias;
    v.item_counts = item_counts;
    // Placement-new: an Eigen::Map is rebound by constructing it again.
    new (&v.user_factors) Eigen::Map<const FactorMatrix>(
        user_factors.data(), static_cast<Eigen::Index>(user_ids.size()), user_factors.cols());
    new (&v.item_factors) Eigen::Map<const FactorMatrix>(
        item_factors.data(), static_cast<Eigen::Index>(item_ids.size()), item_factors.cols());
    v.half_items = half_items.get();
    v.item_gram = item_gram ? item_gram->data() : nullptr;
    v.linear = linear.get();
    return v;
}

}  // namespace cfrec::core
