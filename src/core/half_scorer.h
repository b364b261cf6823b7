// A half-precision copy of a model's item factors for a fast first pass when
// serving; exact answers come from rescoring the few items it cannot rule out.
// Items are laid out by falling norm (position p holds item item_at(p)), so a
// scan can stop once no item left can reach the top k: with the skewed norms
// of popularity-driven factors it reads a small part of the copy.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"

namespace cfrec::core {

class HalfItemScorer {
  public:
    // True when the CPU this runs on has a kernel: x86-64 with F16C, FMA and
    // AVX2 or AVX-512 (chosen at run time, whatever the build's flags).
    static bool available();

    // Builds the copy; valid() is false when it is unavailable or a value is
    // beyond half precision's range. `bias` (one per item, or empty) is added
    // to every approximate score.
    HalfItemScorer(Eigen::Ref<const FactorMatrix> items, Span<float> bias);
    // Reads a copy that lives elsewhere (the server-wide cache in shared
    // memory): the arrays of a valid scorer, as half_data() and friends give them.
    HalfItemScorer(int32_t items, int32_t factors, const uint16_t *half, const float *norms,
                   const float *bias, const int32_t *order, const float *rest_bias, float max_norm);
    HalfItemScorer(const HalfItemScorer &) = delete;  // the pointers would dangle
    HalfItemScorer &operator=(const HalfItemScorer &) = delete;
    bool valid() const { return valid_; }
    int64_t bytes() const { return half_count() * 2 + padded_items() * 12 + blocks() * 4; }

    // For the positions of blocks [first_block, first_block + blocks) (16
    // positions a block; the last one padded), writes
    //   lower[j] = approx + bias - (scale |y| + floor),
    //   upper[j] = approx + bias + (scale |y| + floor),
    // where approx ~ items.row(i) . x is computed from half precision,
    // reading half the bytes of the float matrix.
    void bounds(const float *x, float scale, float floor, int64_t first_block, int64_t blocks,
                float *lower, float *upper) const;
    int64_t blocks() const { return padded_items() / 16; }
    // The item at a position, and at each position from block b on: the
    // largest norm (the block's first, as norms fall) and the largest bias.
    int32_t item_at(int64_t position) const { return order_[position]; }
    float norm_from(int64_t block) const { return norms_[block * 16]; }
    float bias_from(int64_t block) const { return rest_bias_[block]; }
    float max_norm() const { return max_norm_; }
    int64_t padded_items() const { return (static_cast<int64_t>(items_) + 15) / 16 * 16; }
    int32_t items() const { return items_; }
    int32_t factors() const { return factors_; }
    // The arrays, for copying elsewhere: half_count() halves, padded_items()
    // norms, biases and items, and blocks() largest biases.
    const uint16_t *half_data() const { return half_; }
    int64_t half_count() const { return blocks() * factors_ * 16; }
    const float *norms_data() const { return norms_; }
    const float *bias_data() const { return bias_; }
    const int32_t *order_data() const { return order_; }
    const float *rest_bias_data() const { return rest_bias_; }

  private:
    int32_t items_ = 0, factors_ = 0;
    bool valid_ = false;
    // Where the arrays are: this object's vectors, or memory it does not own.
    // By position, padded to whole blocks (norm and bias 0, item -1).
    const uint16_t *half_ = nullptr;  // [block][factor][16 positions]
    const float *norms_ = nullptr;    // falling
    const float *bias_ = nullptr;
    const int32_t *order_ = nullptr;
    const float *rest_bias_ = nullptr;  // per block: the largest bias from it on
    float max_norm_ = 0.0f;
    std::vector<uint16_t> own_half_;
    std::vector<float> own_norms_, own_bias_, own_rest_bias_;
    std::vector<int32_t> own_order_;
};

}  // namespace cfrec::core
