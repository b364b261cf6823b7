#include "core/cg_kernels.h"

#include <cstdlib>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CFREC_X86_KERNELS 1
#endif

namespace cfrec::core {

#ifdef CFREC_X86_KERNELS

// Each block below is compiled for its instruction set by the pragma, the
// included body with it. L and the body's helpers are local to this file,
// so the linker can never merge a copy compiled for AVX-512 with one the
// rest of the library calls.

#pragma GCC push_options
#pragma GCC target("avx512f,fma,f16c")
namespace avx512 {
namespace {
struct L {
    using V = __m512;
    static constexpr int W = 16;
    static constexpr int kRegisters = 32;
    static constexpr int kChunks = 4;  // 16 accumulators of the 32 registers
    // The first m lanes (none when m <= 0); the rest are zero (loads) or left
    // alone (stores).
    static __mmask16 lanes(int m) { return m <= 0 ? 0 : static_cast<__mmask16>((1u << m) - 1); }
    static V load(const float *p, int m) {
        return m >= W ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lanes(m), p);
    }
    static void store(float *p, V v, int m) {
        if (m >= W)
            _mm512_storeu_ps(p, v);
        else
            _mm512_mask_storeu_ps(p, lanes(m), v);
    }
    static V zero() { return _mm512_setzero_ps(); }
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a b
    static float sum(V v) { return _mm512_reduce_add_ps(v); }
    static V load_half(const uint16_t *p) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
    }
    static void store_half(uint16_t *p, V v) {
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(p),
                            _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    // Whether a lane's magnitude is above `limit` or not a number.
    static bool beyond(V v, float limit) {
        return _mm512_cmp_ps_mask(_mm512_abs_ps(v), set1(limit), _CMP_NLE_UQ) != 0;
    }
};
}  // namespace
#include "core/cg_kernel_body.inc"
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
namespace avx2 {
namespace {
struct L {
    using V = __m256;
    static constexpr int W = 8;
    static constexpr int kRegisters = 16;
    // 12 accumulators, 3 column loads and a broadcast: all 16 registers. With
    // 8 accumulators the Gram's blocked products ran at 2/3 of this speed
    // (f 64-256): too few sums in flight to cover a multiply-add's latency.
    static constexpr int kChunks = 3;
    static __m256i lanes(int m) {
        static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                    0,  0,  0,  0,  0,  0,  0,  0};
        return _mm256_loadu_si256(
            reinterpret_cast<const __m256i *>(ones_then_zeros + 8 - (m < 0 ? 0 : m)));
    }
    static V load(const float *p, int m) {
        return m >= W ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(m));
    }
    static void store(float *p, V v, int m) {
        if (m >= W)
            _mm256_storeu_ps(p, v);
        else
            _mm256_maskstore_ps(p, lanes(m), v);
    }
    static V zero() { return _mm256_setzero_ps(); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
    static float sum(V v) {
        const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
        return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_movehdup_ps(quarter)));
    }
    static V load_half(const uint16_t *p) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    }
    static void store_half(uint16_t *p, V v) {
        _mm_storeu_si128(reinterpret_cast<__m128i *>(p),
                         _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    static bool beyond(V v, float limit) {
        const V magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
        return _mm256_movemask_ps(_mm256_cmp_ps(magnitude, set1(limit), _CMP_NLE_UQ)) != 0;
    }
};
}  // namespace
#include "core/cg_kernel_body.inc"
}  // namespace avx2
#pragma GCC pop_options

#endif  // CFREC_X86_KERNELS

// Callers check cpu_kernel() first: no kernel here means a caller's bug.
void gram_products(CpuKernel kernel, const float *gram, int f, const float *reg, const float *v,
                   int count, float *out) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::gram_products(gram, f, reg, v, count, out);
    if (kernel == CpuKernel::Avx2) return avx2::gram_products(gram, f, reg, v, count, out);
#endif
    (void)gram, (void)f, (void)reg, (void)v, (void)count, (void)out;
    std::abort();
}

void add_row_part(CpuKernel kernel, const RowPart &row, const float *v, float *out, bool residual,
                  double *observed) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::add_row_part(row, v, out, residual, observed);
    if (kernel == CpuKernel::Avx2) return avx2::add_row_part(row, v, out, residual, observed);
#endif
    (void)row, (void)v, (void)out, (void)residual, (void)observed;
    std::abort();
}

void add_row_part_from_half(CpuKernel kernel, const RowPart &row, const uint16_t *half,
                            const float *v, float *out, bool residual, double *observed) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512)
        return avx512::add_row_part_from_half(row, half, v, out, residual, observed);
    if (kernel == CpuKernel::Avx2)
        return avx2::add_row_part_from_half(row, half, v, out, residual, observed);
#endif
    (void)row, (void)half, (void)v, (void)out, (void)residual, (void)observed;
    std::abort();
}

bool round_to_half(CpuKernel kernel, const float *values, int64_t n, uint16_t *half) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::round_to_half(values, n, half);
    if (kernel == CpuKernel::Avx2) return avx2::round_to_half(values, n, half);
#endif
    (void)values, (void)n, (void)half;
    std::abort();
}

void add_gram(CpuKernel kernel, const float *rows, int64_t count, int f, float *gram) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::add_gram(rows, count, f, gram);
    if (kernel == CpuKernel::Avx2) return avx2::add_gram(rows, count, f, gram);
#endif
    (void)rows, (void)count, (void)f, (void)gram;
    std::abort();
}

void add_row_gram(CpuKernel kernel, const RowPart &row, float *scratch, float *gram, float *b) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::add_row_gram(row, scratch, gram, b);
    if (kernel == CpuKernel::Avx2) return avx2::add_row_gram(row, scratch, gram, b);
#endif
    (void)row, (void)scratch, (void)gram, (void)b;
    std::abort();
}

double observed_loss(CpuKernel kernel, const RowPart &row, const float *x) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::observed_loss(row, x);
    if (kernel == CpuKernel::Avx2) return avx2::observed_loss(row, x);
#endif
    (void)row, (void)x;
    std::abort();
}

float cg_step(CpuKernel kernel, int f, float rs, float *x, float *r, float *p, const float *ap) {
#ifdef CFREC_X86_KERNELS
    if (kernel == CpuKernel::Avx512) return avx512::cg_step(f, rs, x, r, p, ap);
    if (kernel == CpuKernel::Avx2) return avx2::cg_step(f, rs, x, r, p, ap);
#endif
    (void)f, (void)rs, (void)x, (void)r, (void)p, (void)ap;
    std::abort();
}

}  // namespace cfrec::core
