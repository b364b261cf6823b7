// A half-precision copy of a float matrix's rows, for a first pass that reads
// every row and can afford a bounded error (the linear filter's pass over its
// item factors W): half the bytes, and on a catalogue like Yelp2018's small
// enough to stay in the last-level cache between requests. Each row keeps a
// slack that bounds how far a dot product with its half copy, summed in
// float, can be from the same dot product with the float row summed in float:
//
//     |w . x  -  h . x|  <=  slack * |x|        (both as computed)
//
// so a caller can rule rows out from the copy and recompute the rest exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"

namespace cfrec::core {

#if defined(__x86_64__)
// One value to half precision (to nearest) and back, by F16C: only where
// cpu_kernel() found a kernel.
uint16_t to_half(float value);
float from_half(uint16_t value);
#endif

// The copy's layout: rows of `stride` halves (the columns, then zeros up to a
// multiple of 16, so the kernels need no tail), and one slack a row.
int32_t half_row_stride(int32_t columns);

// Builds the copy of `rows` into `half` and `slack`; false (both left empty)
// when this CPU has no kernel for it (x86-64 with F16C, FMA and AVX2 or
// AVX-512, found at run time) or a value is beyond half precision's range.
bool make_half_rows(Eigen::Ref<const FactorMatrix> rows, std::vector<uint16_t> &half,
                    std::vector<float> &slack);

// One pass over the copy for several people at once: for each row i and
// person p,
//     out[p * out_stride + i] += (h_i . a[p]) * (1 / row_divisor[i]) + h_i . b[p]
// where a[p] and b[p] hold half_row_stride(columns) floats (zeros past the
// columns). Each row is converted once and serves everyone while in cache.
struct HalfRowsPass {
    const uint16_t *half;
    int32_t rows, stride;
    const float *row_divisor;
    const float *const *a;
    const float *const *b;
    int32_t people;
    float *out;
    int64_t out_stride;
};
void add_half_dots(const HalfRowsPass &pass);

}  // namespace cfrec::core
