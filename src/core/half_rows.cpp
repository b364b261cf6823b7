#include "core/half_rows.h"

#include <cmath>

#include "core/cpu_kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define CFREC_X86_KERNELS 1
#endif

namespace cfrec::core {

namespace {

constexpr int kRowAlign = 16;  // halves: one AVX-512 or two AVX2 conversions
// Rows asked for ahead of the pass: a request reads the whole copy once, and
// through SQL this was 0-20 % faster than the hardware prefetcher alone.
constexpr int kAhead = 4;

// The kernels carry their instruction sets (GCC's target attribute) and
// cpu_kernel() picks one at run time, as in half_scorer.cpp.
#ifdef CFREC_X86_KERNELS

__attribute__((target("avx2,f16c,fma"))) float sum8(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

__attribute__((target("avx2,f16c,fma"))) void add_half_dots_avx2(const HalfRowsPass &k,
                                                                 float *row) {
    for (int32_t i = 0; i < k.rows; ++i) {
        const uint16_t *h = k.half + static_cast<int64_t>(i) * k.stride;
        if (i + kAhead < k.rows)
            for (int32_t c = 0; c < k.stride; c += 32)
                _mm_prefetch(reinterpret_cast<const char *>(h + kAhead * k.stride + c),
                             _MM_HINT_T0);
        for (int32_t c = 0; c < k.stride; c += 8)
            _mm256_storeu_ps(
                row + c,
                _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(h + c))));
        for (int32_t p = 0; p < k.people; ++p) {
            const float *a = k.a[p], *b = k.b[p];
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
            for (int32_t c = 0; c < k.stride; c += 16) {
                const __m256 w0 = _mm256_loadu_ps(row + c), w1 = _mm256_loadu_ps(row + c + 8);
                a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(a + c), a0);
                a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(a + c + 8), a1);
                b0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(b + c), b0);
                b1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(b + c + 8), b1);
            }
            k.out[p * k.out_stride + i] += sum8(_mm256_add_ps(a0, a1)) * (1.0f / k.row_divisor[i]) +
                                           sum8(_mm256_add_ps(b0, b1));
        }
    }
}

__attribute__((target("avx512f,f16c,fma"))) void add_half_dots_avx512(const HalfRowsPass &k,
                                                                      float *row) {
    for (int32_t i = 0; i < k.rows; ++i) {
        const uint16_t *h = k.half + static_cast<int64_t>(i) * k.stride;
        if (i + kAhead < k.rows)
            for (int32_t c = 0; c < k.stride; c += 32)
                _mm_prefetch(reinterpret_cast<const char *>(h + kAhead * k.stride + c),
                             _MM_HINT_T0);
        for (int32_t c = 0; c < k.stride; c += 16)
            _mm512_storeu_ps(
                row + c,
                _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(h + c))));
        for (int32_t p = 0; p < k.people; ++p) {
            const float *a = k.a[p], *b = k.b[p];
            __m512 sa = _mm512_setzero_ps(), sb = sa;
            for (int32_t c = 0; c < k.stride; c += 16) {
                const __m512 w = _mm512_loadu_ps(row + c);
                sa = _mm512_fmadd_ps(w, _mm512_loadu_ps(a + c), sa);
                sb = _mm512_fmadd_ps(w, _mm512_loadu_ps(b + c), sb);
            }
            k.out[p * k.out_stride + i] +=
                _mm512_reduce_add_ps(sa) * (1.0f / k.row_divisor[i]) + _mm512_reduce_add_ps(sb);
        }
    }
}

#endif  // CFREC_X86_KERNELS

}  // namespace

#ifdef CFREC_X86_KERNELS
__attribute__((target("f16c"))) uint16_t to_half(float value) {
    return _cvtss_sh(value, _MM_FROUND_TO_NEAREST_INT);
}

__attribute__((target("f16c"))) float from_half(uint16_t value) {
    return _cvtsh_ss(value);
}
#endif

int32_t half_row_stride(int32_t columns) {
    return (columns + kRowAlign - 1) / kRowAlign * kRowAlign;
}

bool make_half_rows(Eigen::Ref<const FactorMatrix> rows, std::vector<uint16_t> &half,
                    std::vector<float> &slack) {
    half.clear();
    slack.clear();
#ifdef CFREC_X86_KERNELS
    if (cpu_kernel() == CpuKernel::None) return false;
    if (!rows.allFinite() || (rows.size() > 0 && rows.cwiseAbs().maxCoeff() > 60000.0f))
        return false;  // beyond half precision's range
    const int32_t columns = static_cast<int32_t>(rows.cols());
    const int32_t stride = half_row_stride(columns);
    half.assign(static_cast<size_t>(rows.rows()) * stride, 0);
    slack.resize(rows.rows());
    // A float dot product of n terms is off by at most about n 2^-24 times
    // |w| |x| (however its sums are grouped); twice that for the two sides,
    // with room to spare.
    const double rounding = (columns + 16.0) * std::ldexp(1.0, -23);
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        double error = 0.0, norm = 0.0, half_norm = 0.0;
        for (int32_t c = 0; c < columns; ++c) {
            const float w = rows(i, c);
            const uint16_t h = to_half(w);
            half[i * stride + c] = h;
            const double back = from_half(h);
            error += (w - back) * (w - back);
            norm += static_cast<double>(w) * w;
            half_norm += back * back;
        }
        const double bound = std::sqrt(error) + rounding * (std::sqrt(norm) + std::sqrt(half_norm));
        slack[i] = static_cast<float>(bound * (1.0 + 1e-6));  // rounded up, not to nearest
    }
    return true;
#else
    (void)rows;
    return false;
#endif
}

void add_half_dots(const HalfRowsPass &pass) {
#ifdef CFREC_X86_KERNELS
    std::vector<float> row(pass.stride);  // the row being served, converted once
    if (cpu_kernel() == CpuKernel::Avx512)
        add_half_dots_avx512(pass, row.data());
    else if (cpu_kernel() == CpuKernel::Avx2)
        add_half_dots_avx2(pass, row.data());
#else
    (void)pass;
#endif
}

}  // namespace cfrec::core
