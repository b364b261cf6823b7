// The products implicit ALS's conjugate-gradient step spends its time in, as
// kernels for AVX-512 and AVX2 (see cpu_kernel.h). On other CPUs
// als_implicit.cpp computes the same products with Eigen.
//
// One row (a user or an item) with n interactions has the operator
//   A v = gram v + reg v + sum_j extra_j (y_j . v) y_j
// and the right-hand side b = sum_j (1 + extra_j) y_j, where y_j is the
// other side's factor row of interaction j, extra_j = alpha * value_j (the
// confidence minus one) and gram = other^T other. The gram part is the same
// for every row, so it is applied to a batch of rows at once: the f x f gram
// is then read once a batch instead of once a row.
#pragma once

#include <cstdint>

#include "core/cpu_kernel.h"

namespace cfrec::core {

// out_b = gram v_b + reg_b v_b for `count` vectors v_b, each f floats,
// stored one after another (as are the outputs). gram is f x f, symmetric.
void gram_products(CpuKernel kernel, const float *gram, int f, const float *reg, const float *v,
                   int count, float *out);

// One row's interactions with the other side.
struct RowPart {
    const float *other;    // the other side's factors, row-major, f a row
    const int32_t *index;  // the n rows of `other` this row touches
    const float *values;   // n entries; extra_j = alpha * values[j]
    int64_t n;
    float alpha;
    int f;
};

// out += sum_j extra_j (y_j . v) y_j            (the row's part of A v), or
// out += sum_j (1 + extra_j - extra_j (y_j . v)) y_j   (its part of b - A v,
// when residual), f floats. When `observed` is given, *observed becomes
// observed_loss(row, v) (below), from the dot products taken anyway.
void add_row_part(CpuKernel kernel, const RowPart &row, const float *v, float *out, bool residual,
                  double *observed = nullptr);

// add_row_part with each y_j read from `half`: row.other's rows rounded to
// half precision (round_to_half), f a multiple of 16. Half the bytes of the
// gathers that most of implicit ALS's time goes to (implicit_side.cpp).
void add_row_part_from_half(CpuKernel kernel, const RowPart &row, const uint16_t *half,
                            const float *v, float *out, bool residual, double *observed = nullptr);

// half = the n values (a multiple of 16) rounded to half precision; false
// when one is beyond its range (|value| > 60000, or not a number), half then
// being part written.
bool round_to_half(CpuKernel kernel, const float *values, int64_t n, uint16_t *half);

// gram += rows^T rows for `count` rows of f floats (row-major): only the
// entries on and above the diagonal are sure to be summed; the caller
// mirrors them.
void add_gram(CpuKernel kernel, const float *rows, int64_t count, int f, float *gram);

// Rows a Gram's kernels take at a time (a tile stays in L1/L2 while the
// Gram's blocks pass over it).
constexpr int64_t kGramTile = 64;

// A row's own part of its operator, for a row whose factor rows are too
// many to stay in cache through the CG steps: gram += sum_j extra_j y_j y_j^T
// (on and above the diagonal, as add_gram) and b += sum_j (1 + extra_j) y_j,
// reading each y_j once. scratch holds 2 kGramTile f floats.
void add_row_gram(CpuKernel kernel, const RowPart &row, float *scratch, float *gram, float *b);

// sum_j c_j (1 - s_j)^2 - s_j^2 with s_j = y_j . x, c_j = 1 + extra_j: the
// row's observed pairs' part of the implicit loss, x being the row's factors.
double observed_loss(CpuKernel kernel, const RowPart &row, const float *x);

// One conjugate-gradient step of a row after its product ap = A p, with
// rs = |r|^2: x += a p, r -= a ap with a = rs / (p . ap), then
// p = r + (|r|^2 / rs) p. Returns the new |r|^2.
float cg_step(CpuKernel kernel, int f, float rs, float *x, float *r, float *p, const float *ap);

// `kernel` must not be None nor wider than cpu_kernel().

}  // namespace cfrec::core
