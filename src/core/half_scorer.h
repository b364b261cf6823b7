// A half-precision copy of a model's item factors for a fast first pass when
// serving; exact answers come from rescoring the few items it cannot rule out.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"

namespace cfrec::core {

class HalfItemScorer {
  public:
    // True when this build has the F16C/SIMD kernel (x86 with AVX2 or AVX-512).
    static bool available();

    // Builds the copy; valid() is false when it is unavailable or a value is
    // beyond half precision's range. `bias` (one per item, or empty) is added
    // to every approximate score.
    HalfItemScorer(const FactorMatrix &items, const std::vector<float> &bias);
    bool valid() const { return valid_; }
    int64_t bytes() const { return static_cast<int64_t>(half_.size() * 2 + norms_.size() * 4); }

    // For the items of blocks [first_block, first_block + blocks) (16 items
    // a block; the last one padded), writes
    //   lower[j] = approx + bias - (scale |y| + floor),
    //   upper[j] = approx + bias + (scale |y| + floor),
    // where approx ~ items.row(i) . x is computed from half precision,
    // reading half the bytes of the float matrix.
    void bounds(const float *x, float scale, float floor, int64_t first_block, int64_t blocks,
                float *lower, float *upper) const;
    int64_t blocks() const { return static_cast<int64_t>(norms_.size()) / 16; }
    float norm(int32_t item) const { return norms_[item]; }
    float max_norm() const { return max_norm_; }
    int64_t padded_items() const { return static_cast<int64_t>(norms_.size()); }

  private:
    int32_t items_ = 0, factors_ = 0;
    bool valid_ = false;
    std::vector<uint16_t> half_;  // blocks of 16 items: [block][factor][16 items]
    std::vector<float> norms_;    // padded to whole blocks with zeros
    std::vector<float> bias_;     // likewise
    float max_norm_ = 0.0f;
};

}  // namespace cfrec::core
