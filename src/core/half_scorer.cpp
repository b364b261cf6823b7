#include "core/half_scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/cpu_kernel.h"
#include "core/half_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CFREC_X86_KERNELS 1
#endif

namespace cfrec::core {

namespace {

constexpr int kLanes = 16;  // items per interleaved block

// The kernels carry their instruction sets (GCC's target attribute) and
// cpu_kernel() picks one at run time. Lambdas would not inherit the target,
// so the loops are written out.

#ifdef CFREC_X86_KERNELS

// One call of bounds(): the arrays it reads, by position, and its arguments.
struct BoundsCall {
    const uint16_t *half;
    const float *norms;
    const float *bias;
    int32_t factors;
    const float *x;
    float scale, floor;
    int64_t first_block, blocks;
    float *lower, *upper;
};

__attribute__((target("avx512f,f16c,fma"))) void bounds_avx512(const BoundsCall &k) {
    const int f = k.factors;
    const float *x = k.x;
    for (int64_t b = k.first_block; b < k.first_block + k.blocks; ++b) {
        float *lo = k.lower + (b - k.first_block) * kLanes;
        float *up = k.upper + (b - k.first_block) * kLanes;
        const uint16_t *h = k.half + static_cast<size_t>(b) * f * kLanes;
#define CFREC_LOAD16(j) \
    _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(h + (j) * kLanes)))
        // Four accumulators break the chain of dependent multiply-adds.
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        for (; j + 4 <= f; j += 4) {
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[j]), CFREC_LOAD16(j), a0);
            a1 = _mm512_fmadd_ps(_mm512_set1_ps(x[j + 1]), CFREC_LOAD16(j + 1), a1);
            a2 = _mm512_fmadd_ps(_mm512_set1_ps(x[j + 2]), CFREC_LOAD16(j + 2), a2);
            a3 = _mm512_fmadd_ps(_mm512_set1_ps(x[j + 3]), CFREC_LOAD16(j + 3), a3);
        }
        for (; j < f; ++j) a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[j]), CFREC_LOAD16(j), a0);
#undef CFREC_LOAD16
        const __m512 approx = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
        const __m512 bound = _mm512_fmadd_ps(
            _mm512_set1_ps(k.scale), _mm512_loadu_ps(&k.norms[b * kLanes]), _mm512_set1_ps(k.floor));
        const __m512 center = _mm512_add_ps(approx, _mm512_loadu_ps(&k.bias[b * kLanes]));
        _mm512_storeu_ps(lo, _mm512_sub_ps(center, bound));
        _mm512_storeu_ps(up, _mm512_add_ps(center, bound));
    }
}

__attribute__((target("avx2,f16c,fma"))) void bounds_avx2(const BoundsCall &k) {
    const int f = k.factors;
    const float *x = k.x;
    alignas(64) float lanes[kLanes];
    for (int64_t b = k.first_block; b < k.first_block + k.blocks; ++b) {
        float *lo = k.lower + (b - k.first_block) * kLanes;
        float *up = k.upper + (b - k.first_block) * kLanes;
        const uint16_t *h = k.half + static_cast<size_t>(b) * f * kLanes;
#define CFREC_LOAD8(j, part) \
    _mm256_cvtph_ps(         \
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(h + (j) * kLanes + (part) * 8)))
        __m256 lo0 = _mm256_setzero_ps(), lo1 = lo0, hi0 = lo0, hi1 = lo0;
        int j = 0;
        for (; j + 2 <= f; j += 2) {
            const __m256 x0 = _mm256_set1_ps(x[j]), x1 = _mm256_set1_ps(x[j + 1]);
            lo0 = _mm256_fmadd_ps(x0, CFREC_LOAD8(j, 0), lo0);
            hi0 = _mm256_fmadd_ps(x0, CFREC_LOAD8(j, 1), hi0);
            lo1 = _mm256_fmadd_ps(x1, CFREC_LOAD8(j + 1, 0), lo1);
            hi1 = _mm256_fmadd_ps(x1, CFREC_LOAD8(j + 1, 1), hi1);
        }
        for (; j < f; ++j) {
            const __m256 xj = _mm256_set1_ps(x[j]);
            lo0 = _mm256_fmadd_ps(xj, CFREC_LOAD8(j, 0), lo0);
            hi0 = _mm256_fmadd_ps(xj, CFREC_LOAD8(j, 1), hi0);
        }
#undef CFREC_LOAD8
        _mm256_store_ps(lanes, _mm256_add_ps(lo0, lo1));
        _mm256_store_ps(lanes + 8, _mm256_add_ps(hi0, hi1));
        for (int t = 0; t < kLanes; ++t) {
            const int64_t i = b * kLanes + t;
            const float bound = k.scale * k.norms[i] + k.floor;
            lo[t] = lanes[t] + k.bias[i] - bound;
            up[t] = lanes[t] + k.bias[i] + bound;
        }
    }
}

#endif  // CFREC_X86_KERNELS

}  // namespace

bool HalfItemScorer::available() { return cpu_kernel() != CpuKernel::None; }

HalfItemScorer::HalfItemScorer(Eigen::Ref<const FactorMatrix> items, Span<float> bias)
    : items_(static_cast<int32_t>(items.rows())), factors_(static_cast<int32_t>(items.cols())) {
#ifdef CFREC_X86_KERNELS
    if (!available()) return;
    if (items.size() > 0 && items.cwiseAbs().maxCoeff() > 60000.0f) return;  // beyond half range
    const int64_t blocks = (items_ + kLanes - 1) / kLanes;
    std::vector<float> norms(items_);
    for (int32_t i = 0; i < items_; ++i) norms[i] = items.row(i).norm();
    own_order_.assign(blocks * kLanes, -1);
    std::iota(own_order_.begin(), own_order_.begin() + items_, 0);
    std::stable_sort(own_order_.begin(), own_order_.begin() + items_,
                     [&](int32_t a, int32_t b) { return norms[a] > norms[b]; });
    own_half_.assign(static_cast<size_t>(blocks) * factors_ * kLanes, 0);
    own_norms_.assign(blocks * kLanes, 0.0f);
    own_bias_.assign(blocks * kLanes, 0.0f);
    for (int32_t p = 0; p < items_; ++p) {
        const int32_t i = own_order_[p];
        for (int32_t j = 0; j < factors_; ++j)
            own_half_[(static_cast<size_t>(p / kLanes) * factors_ + j) * kLanes + p % kLanes] =
                to_half(items(i, j));
        own_norms_[p] = norms[i];
        if (!bias.empty()) own_bias_[p] = bias[i];
    }
    max_norm_ = items_ > 0 ? own_norms_[0] : 0.0f;
    own_rest_bias_.assign(blocks, 0.0f);
    float largest = -std::numeric_limits<float>::infinity();
    for (int64_t b = blocks - 1; b >= 0; --b) {
        for (int64_t p = b * kLanes; p < std::min<int64_t>((b + 1) * kLanes, items_); ++p)
            largest = std::max(largest, own_bias_[p]);
        own_rest_bias_[b] = largest;
    }
    half_ = own_half_.data();
    norms_ = own_norms_.data();
    bias_ = own_bias_.data();
    order_ = own_order_.data();
    rest_bias_ = own_rest_bias_.data();
    valid_ = true;
#endif
}

HalfItemScorer::HalfItemScorer(int32_t items, int32_t factors, const uint16_t *half,
                               const float *norms, const float *bias, const int32_t *order,
                               const float *rest_bias, float max_norm)
    : items_(items),
      factors_(factors),
      valid_(available()),
      half_(half),
      norms_(norms),
      bias_(bias),
      order_(order),
      rest_bias_(rest_bias),
      max_norm_(max_norm) {}

void HalfItemScorer::bounds(const float *x, float scale, float floor, int64_t first_block,
                            int64_t blocks, float *lower, float *upper) const {
#ifdef CFREC_X86_KERNELS
    const BoundsCall call{half_, norms_, bias_,  factors_, x,     scale,
                          floor, first_block, blocks, lower,    upper};
    if (cpu_kernel() == CpuKernel::Avx512)
        bounds_avx512(call);
    else if (cpu_kernel() == CpuKernel::Avx2)
        bounds_avx2(call);
#else
    (void)x;
    (void)scale;
    (void)floor;
    (void)first_block;
    (void)blocks;
    (void)lower;
    (void)upper;
#endif
}

}  // namespace cfrec::core
