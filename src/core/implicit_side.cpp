#include "core/implicit_side.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "core/als_common.h"
#include "core/cg_kernels.h"
#include "core/gram_eigenbasis.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

using Gram = Eigen::MatrixXf;

// Rows whose conjugate-gradient steps run in lockstep: the gram part of
// their products is then one pass over the f x f gram (cg_kernels.h). A
// batch also stops growing once its rows' factor rows of the other side
// would exceed kBatchBytes, so they stay in the L2 cache from one step to
// the next; a longer row is a batch alone.
constexpr int kBatch = 16;
constexpr int64_t kBatchBytes = 256 * 1024;

// A row longer than kBatchBytes would stream its factor rows from memory
// once per CG step. With AVX-512 kernels and up to this many factors it
// pays to form the row's operator once instead (f^2 / 2 multiply-adds an
// interaction, against 8 f for the steps, but at the kernels' full speed):
// measured on the benchmark's data (2M-25M interactions, with the row
// kernels before their fixed-width forms), the item side took 15-25 % less
// time at 32 and 64 factors, and 20-50 % more at 128 and 256. With AVX2
// (half the lanes, so forming takes twice the instructions) the steps win:
// at 25M interactions the item side took 7 % less time without forming at
// 32 factors and 21 % less at 64.
constexpr int kMaxFormedFactors = 64;

// Each pass of a row's CG steps gathers the other side's factor rows of its
// interactions, and at 25M interactions those reads, most from memory, are
// most of an iteration. Where the CPU has kernels the passes read a copy of
// the other side rounded to half precision instead: half the bytes, and at
// 256 factors a 60,000-item side's copy fits the last-level cache. Measured
// at 25M interactions (one side solved, alternated in one process) a side
// 20-40 % shorter at 64 and 256 factors; the loss after 15 iterations and
// the rankings on three data sets those of the floats to every printed
// digit (bench/RESULTS.md). A row's steps then work on its objective with
// the other side's factors rounded (by at most 2^-11 of each value) in the
// part its interactions add; the Gram part stays float. A row's loss taken
// at its start is summed from the copy's products too; the loss taken at
// the end (a trained model's) is always the floats'.
constexpr int kHalfAlign = 16;  // the kernels' widest register, in floats

// c (1 - s)^2 - s^2 with c = 1 + alpha value: one observed pair's part of
// the loss, s being its prediction (as the kernels' observed_term).
double observed_term(const RowPart &row, int64_t j, double s) {
    const double c = 1.0 + static_cast<double>(row.alpha) * row.values[j];
    return c * (1.0 - s) * (1.0 - s) - s * s;
}

// A row's interactions with the other side, as the kernels take them.
RowPart row_part_of(const Csr &m, int64_t r, const FactorMatrix &other, float alpha) {
    return RowPart{other.data(),
                   m.indices.data() + m.indptr[r],
                   m.values.data() + m.indptr[r],
                   m.indptr[r + 1] - m.indptr[r],
                   alpha,
                   static_cast<int>(other.cols())};
}

// The products of a batch's rows: the CPU's kernels, or Eigen where it has none.
struct Products {
    CpuKernel kernel;
    const Gram &gram;
    const FactorMatrix &other;
    // A Gram in its eigenbasis (gram_eigenbasis.h) is diagonal: its products
    // are then f multiplies a row instead of f^2 multiply-adds.
    const bool diagonal = is_diagonal(gram);
    const Eigen::RowVectorXf gram_diagonal = gram.diagonal().transpose();

    // out = gram v + reg v for the first `count` rows of v.
    void gram_part(const FactorMatrix &v, const float *reg, int count, FactorMatrix &out) const {
        if (diagonal) {
            for (int m = 0; m < count; ++m)
                out.row(m) = v.row(m).cwiseProduct(gram_diagonal) + reg[m] * v.row(m);
            return;
        }
        if (kernel != CpuKernel::None) {
            gram_products(kernel, gram.data(), static_cast<int>(gram.cols()), reg, v.data(), count,
                          out.data());
            return;
        }
        out.topRows(count).noalias() = v.topRows(count) * gram;  // gram is symmetric
        for (int m = 0; m < count; ++m) out.row(m) += reg[m] * v.row(m);
    }

    // out += the row's part of A v, or of b - A v when residual; with
    // `observed`, also the row's observed part of the loss at v (as observed()).
    void row_part(const RowPart &row, const float *v, float *out, bool residual,
                  double *observed = nullptr) const {
        if (kernel != CpuKernel::None) {
            add_row_part(kernel, row, v, out, residual, observed);
            return;
        }
        const Eigen::Map<const Eigen::RowVectorXf> vv(v, row.f);
        Eigen::Map<Eigen::RowVectorXf> o(out, row.f);
        double loss = 0.0;
        for (int64_t j = 0; j < row.n; ++j) {
            const auto y = other.row(row.index[j]);
            const float extra = row.alpha * row.values[j], d = y.dot(vv);
            if (observed) loss += observed_term(row, j, d);
            o += (residual ? 1.0f + extra * (1.0f - d) : extra * d) * y;
        }
        if (observed) *observed = loss;
    }

    // x += a p, r -= a ap (a = rs / p.ap), p = r + (|r|^2 / rs) p; returns |r|^2.
    float step(float rs, float *x, float *r, float *p, const float *ap) const {
        const int f = static_cast<int>(gram.cols());
        if (kernel != CpuKernel::None) return cg_step(kernel, f, rs, x, r, p, ap);
        Eigen::Map<Eigen::RowVectorXf> xv(x, f), rv(r, f), pv(p, f);
        const Eigen::Map<const Eigen::RowVectorXf> apv(ap, f);
        const float a = rs / pv.dot(apv);
        xv += a * pv;
        rv -= a * apv;
        const float rs_new = rv.squaredNorm();
        pv = rv + (rs_new / rs) * pv;
        return rs_new;
    }

    // sum_j c_j (1 - s_j)^2 - s_j^2 over the row's interactions, s_j = x . y_j.
    double observed(const RowPart &row, const float *x) const {
        if (kernel != CpuKernel::None) return observed_loss(kernel, row, x);
        const Eigen::Map<const Eigen::RowVectorXf> xv(x, row.f);
        double sum = 0.0;
        for (int64_t j = 0; j < row.n; ++j)
            sum += observed_term(row, j, xv.dot(other.row(row.index[j])));
        return sum;
    }
};

// A batch's rows and their CG state, one matrix row per member.
struct Batch {
    FactorMatrix x, r, p, ap;
    FactorMatrix inverse_m, z;  // preconditioned steps only
    RowPart rows[kBatch];
    float reg[kBatch], rs[kBatch];
    double start_loss[kBatch];  // each member's observed loss at its starting x

    explicit Batch(Eigen::Index f)
        : x(kBatch, f), r(kBatch, f), p(kBatch, f), ap(kBatch, f), inverse_m(kBatch, f), z(1, f) {}
};

// One preconditioned CG step of member m after its product ap = A p, with
// rs = r . z: as Products::step, but the new direction follows z = M^-1 r.
float preconditioned_step(Batch &b, int m) {
    const float a = b.rs[m] / b.p.row(m).dot(b.ap.row(m));
    b.x.row(m) += a * b.p.row(m);
    b.r.row(m) -= a * b.ap.row(m);
    b.z.row(0) = b.r.row(m).cwiseProduct(b.inverse_m.row(m));
    const float rz = b.r.row(m).dot(b.z.row(0));
    b.p.row(m) = b.z.row(0) + (rz / b.rs[m]) * b.p.row(m);
    return rz;
}

// Minimises each member's objective from its current x with a few CG steps
// on A x = b, as if each were solved alone (the steps stop per member once
// its residual vanishes). With a diagonal Gram (in its eigenbasis) each
// member is preconditioned by M = gram + reg I, its operator without its
// own interactions: A = M + (a rank of those), so M^-1 A is the identity but
// for that rank, and two such steps end lower than three plain ones
// (bench/RESULTS.md). With loss_at_start, b.start_loss is filled from the
// first residual's dot products.
//
// With `half` (a half-precision copy of the other side), the rows' products
// read it instead of the float rows.
void conjugate_gradients(const Products &products, int count, int steps, bool loss_at_start,
                         Batch &b, const uint16_t *half = nullptr) {
    const bool precondition = products.diagonal;
    auto row_part = [&](int m, const float *v, float *out, bool residual, double *observed) {
        if (half)
            add_row_part_from_half(products.kernel, b.rows[m], half, v, out, residual, observed);
        else
            products.row_part(b.rows[m], v, out, residual, observed);
    };
    products.gram_part(b.x, b.reg, count, b.r);
    b.r.topRows(count) = -b.r.topRows(count);
    for (int m = 0; m < count; ++m) {
        row_part(m, b.x.row(m).data(), b.r.row(m).data(), true,
                 loss_at_start ? &b.start_loss[m] : nullptr);
        if (precondition) {
            // A Gram of lower rank than f has (rounded) zero eigenvalues.
            // With regularisation A acts there too, and M stays positive
            // definite above a floor. Without, A does not act there at all:
            // the steps leave those directions alone, since any weight
            // there would only scale up the residual's rounding there
            // (with AVX-512 builds it ran the factors off to 4,000 times
            // their size).
            const float top = products.gram_diagonal.maxCoeff() + b.reg[m];
            const float floor = std::max(1e-6f * top, std::numeric_limits<float>::min());
            const auto eigenvalues = products.gram_diagonal.array();
            if (b.reg[m] > 0.0f)
                b.inverse_m.row(m) = (eigenvalues + b.reg[m]).max(floor).inverse().matrix();
            else
                b.inverse_m.row(m) =
                    (eigenvalues >= floor).select(eigenvalues.inverse(), 0.0f).matrix();
            b.p.row(m) = b.r.row(m).cwiseProduct(b.inverse_m.row(m));
            b.rs[m] = b.r.row(m).dot(b.p.row(m));
        } else {
            b.p.row(m) = b.r.row(m);
            b.rs[m] = b.r.row(m).squaredNorm();
        }
    }
    for (int it = 0; it < steps; ++it) {
        if (std::none_of(b.rs, b.rs + count, [](float rs) { return rs > 1e-20f; })) break;
        products.gram_part(b.p, b.reg, count, b.ap);
        for (int m = 0; m < count; ++m) {
            if (!(b.rs[m] > 1e-20f)) continue;
            row_part(m, b.p.row(m).data(), b.ap.row(m).data(), false, nullptr);
            b.rs[m] = precondition ? preconditioned_step(b, m)
                                   : products.step(b.rs[m], b.x.row(m).data(), b.r.row(m).data(),
                                                   b.p.row(m).data(), b.ap.row(m).data());
        }
    }
}

// A long row's operator, formed once: A = gram + reg I + W with
// W = sum_j extra_j y_j y_j^T, and b = sum_j c_j y_j.
struct FormedRow {
    int f;
    Gram w, a;  // symmetric, so row- and column-major alike
    Eigen::VectorXf b, r, p, ap;
    std::vector<float> scratch;

    explicit FormedRow(int factors)
        : f(factors), w(f, f), a(f, f), b(f), r(f), p(f), ap(f), scratch(2 * kGramTile * f) {}
};

// The same CG steps as conjugate_gradients for one row (kernels only), on
// its formed operator; returns the row's observed part of the loss with
// its starting or its new x (`at`), from W and b: sum_j c_j - 2 x . b + x^T W x.
double solve_formed_row(const Products &products, const RowPart &row, float reg, int steps,
                        LossAt at, FormedRow &s, float *x) {
    const CpuKernel kernel = products.kernel;
    const int f = row.f;
    s.w.setZero();
    s.b.setZero();
    add_row_gram(kernel, row, s.scratch.data(), s.w.data(), s.b.data());
    s.w.triangularView<Eigen::StrictlyUpper>() = s.w.transpose();  // mirror the kernel's half
    s.a = products.gram + s.w;
    double confidence = 0.0;
    for (int64_t j = 0; j < row.n; ++j)
        confidence += 1.0 + static_cast<double>(row.alpha) * row.values[j];
    auto observed = [&] {
        const Eigen::VectorXd xd = Eigen::Map<const Eigen::VectorXf>(x, f).cast<double>();
        return confidence - 2.0 * xd.dot(s.b.cast<double>()) + xd.dot(s.w.cast<double>() * xd);
    };
    const double start_loss = at == LossAt::Start ? observed() : 0.0;
    gram_products(kernel, s.a.data(), f, &reg, x, 1, s.r.data());
    s.r = s.b - s.r;
    s.p = s.r;
    float rs = s.r.squaredNorm();
    for (int it = 0; it < steps && rs > 1e-20f; ++it) {
        gram_products(kernel, s.a.data(), f, &reg, s.p.data(), 1, s.ap.data());
        rs = cg_step(kernel, f, rs, x, s.r.data(), s.p.data(), s.ap.data());
    }
    return at == LossAt::Start ? start_loss : observed();
}

// `other` rounded to half precision (above), or empty when a value is beyond
// half precision's range.
std::vector<uint16_t> half_copy(const FactorMatrix &other, CpuKernel kernel, int threads,
                                const StopCheck &stop) {
    std::vector<uint16_t> half(static_cast<size_t>(other.size()));
    std::atomic<bool> in_range{true};
    const int64_t f = other.cols();
    parallel_for(
        other.rows(), threads, kSolveChunk,
        [&](int64_t begin, int64_t end) {
            if (!round_to_half(kernel, other.data() + begin * f, (end - begin) * f,
                               half.data() + begin * f))
                in_range = false;
        },
        stop);
    if (!in_range) half.clear();
    return half;
}

}  // namespace

void solve_implicit_side(const Csr &m, const FactorMatrix &other, const Gram &gram,
                         const TrainOptions &o, const StopCheck &stop, FactorMatrix &out,
                         std::vector<double> *observed, LossAt at, LongRows long_rows) {
    const float alpha = static_cast<float>(o.alpha);
    const int f = static_cast<int>(other.cols());
    const Products products{cpu_kernel(), gram, other};
    const int steps = cg_steps_for(o, f), streamed_steps = cg_steps_for(o, f, true);
    auto reg_of = [&](int64_t n) {
        return implicit_row_regularization(o.regularization, o.scale_regularization, n);
    };
    auto note_loss = [&](int64_t r, const float *x) {
        if (observed) (*observed)[r] = products.observed(row_part_of(m, r, other, alpha), x);
    };
    if (observed) observed->assign(m.rows(), 0.0);
    const std::vector<uint16_t> half =
        o.half_precision_products && o.solver == ImplicitSolver::ConjugateGradient &&
                products.kernel != CpuKernel::None && f % kHalfAlign == 0
            ? half_copy(other, products.kernel, resolve_threads(o.threads), stop)
            : std::vector<uint16_t>();
    parallel_for(
        m.rows(), resolve_threads(o.threads), kSolveChunk,
        [&](int64_t begin, int64_t end) {
            if (o.solver == ImplicitSolver::Cholesky) {
                Eigen::VectorXf x(f);
                for (int64_t u = begin; u < end; ++u) {
                    const int64_t n = m.indptr[u + 1] - m.indptr[u];
                    x = out.row(u).transpose();
                    if (at == LossAt::Start) note_loss(u, x.data());
                    solve_implicit_row_exact(m.indices.data() + m.indptr[u],
                                             m.values.data() + m.indptr[u], n, other, gram,
                                             reg_of(n), alpha, x);
                    out.row(u) = x.transpose();
                    if (at == LossAt::End) note_loss(u, x.data());
                }
                return;
            }
            const bool form_long_rows =
                products.kernel != CpuKernel::None &&
                (long_rows == LongRows::Form ||
                 (products.kernel == CpuKernel::Avx512 && f <= kMaxFormedFactors));
            Batch b(f);
            FormedRow formed(form_long_rows ? f : 0);
            const int64_t row_bytes = static_cast<int64_t>(f) * sizeof(float);
            for (int64_t first = begin; first < end;) {
                const int64_t first_n = m.indptr[first + 1] - m.indptr[first];
                if (form_long_rows && first_n * row_bytes > kBatchBytes) {
                    const double loss =
                        solve_formed_row(products, row_part_of(m, first, other, alpha),
                                         reg_of(first_n), steps, at, formed, out.row(first).data());
                    if (observed) (*observed)[first] = loss;
                    ++first;
                    continue;
                }
                int count = 0;
                int64_t bytes = 0;
                for (int64_t u = first; u < end && count < kBatch; ++u, ++count) {
                    const int64_t n = m.indptr[u + 1] - m.indptr[u];
                    if (count > 0 && bytes + n * row_bytes > kBatchBytes) break;
                    bytes += n * row_bytes;
                    b.rows[count] = row_part_of(m, u, other, alpha);
                    b.reg[count] = reg_of(n);
                    b.x.row(count) = out.row(u);
                }
                const bool loss_at_start = observed && at == LossAt::Start;
                const bool streamed = bytes > kBatchBytes;  // a long row, alone
                conjugate_gradients(products, count, streamed ? streamed_steps : steps,
                                    loss_at_start, b, half.empty() ? nullptr : half.data());
                out.middleRows(first, count) = b.x.topRows(count);
                for (int k = 0; k < count; ++k) {
                    if (loss_at_start)
                        (*observed)[first + k] = b.start_loss[k];
                    else
                        note_loss(first + k, b.x.row(k).data());
                }
                first += count;
            }
        },
        stop);
}

}  // namespace cfrec::core
