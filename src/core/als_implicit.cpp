#include "core/als_implicit.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/als_common.h"
#include "core/cg_kernels.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

using Gram = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;

// other^T other: the contribution of every pair with confidence 1. The
// kernels sum parts of the rows on every thread (Eigen would use one).
Gram gram_of(const FactorMatrix &other, int threads, const StopCheck &stop) {
    const Eigen::Index f = other.cols();
    Gram g = Gram::Zero(f, f);
    const CpuKernel kernel = cpu_kernel();
    if (kernel == CpuKernel::None) {
        g.selfadjointView<Eigen::Lower>().rankUpdate(other.transpose());
    } else {
        // The parts do not depend on the thread count: the same seed gives
        // the same model on any machine with the same kernel.
        const int64_t rows = other.rows();
        const int64_t parts = std::clamp<int64_t>(rows / 2048, 1, 16);
        std::vector<Gram> partial(parts, Gram::Zero(f, f));
        parallel_for(
            parts, threads, 1,
            [&](int64_t begin, int64_t end) {
                for (int64_t p = begin; p < end; ++p) {
                    const int64_t first = rows * p / parts, last = rows * (p + 1) / parts;
                    add_gram(kernel, other.data() + first * f, last - first,
                             static_cast<int>(f), partial[p].data());
                }
            },
            stop);
        for (const Gram &part : partial) g += part;
    }
    // Both filled the lower triangle (the kernel's upper one, read row-major).
    g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
    return g;
}

// A row's penalty: lambda, times its number of interactions when scaled.
float row_regularization(const TrainOptions &o, int64_t n) {
    return implicit_row_regularization(o.regularization, o.scale_regularization, n);
}

// Rows whose conjugate-gradient steps run in lockstep: the gram part of
// their products is then one pass over the f x f gram (cg_kernels.h). A
// batch also stops growing once its rows' factor rows of the other side
// would exceed kBatchBytes, so they stay in the L2 cache from one step to
// the next; a longer row is a batch alone.
constexpr int kBatch = 16;
constexpr int64_t kBatchBytes = 256 * 1024;

// The products of a batch's rows: the CPU's kernels, or Eigen where it has none.
struct Products {
    CpuKernel kernel;
    const Gram &gram;
    const FactorMatrix &other;

    // out = gram v + reg v for the first `count` rows of v.
    void gram_part(const FactorMatrix &v, const float *reg, int count, FactorMatrix &out) const {
        if (kernel != CpuKernel::None) {
            gram_products(kernel, gram.data(), static_cast<int>(gram.cols()), reg, v.data(), count,
                          out.data());
            return;
        }
        out.topRows(count).noalias() = v.topRows(count) * gram;  // gram is symmetric
        for (int m = 0; m < count; ++m) out.row(m) += reg[m] * v.row(m);
    }

    // out += the row's part of A v, or of b - A v when residual.
    void row_part(const RowPart &row, const float *v, float *out, bool residual) const {
        if (kernel != CpuKernel::None) {
            add_row_part(kernel, row, v, out, residual);
            return;
        }
        const Eigen::Map<const Eigen::RowVectorXf> vv(v, row.f);
        Eigen::Map<Eigen::RowVectorXf> o(out, row.f);
        for (int64_t j = 0; j < row.n; ++j) {
            const auto y = other.row(row.index[j]);
            const float extra = row.alpha * row.values[j], d = y.dot(vv);
            o += (residual ? 1.0f + extra * (1.0f - d) : extra * d) * y;
        }
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
};

// A batch's rows and their CG state, one matrix row per member.
struct Batch {
    FactorMatrix x, r, p, ap;
    RowPart rows[kBatch];
    float reg[kBatch], rs[kBatch];

    explicit Batch(Eigen::Index f) : x(kBatch, f), r(kBatch, f), p(kBatch, f), ap(kBatch, f) {}
};

// Minimises each member's objective from its current x with a few CG steps
// on A x = b, as if each were solved alone (the steps stop per member once
// its residual vanishes).
void conjugate_gradients(const Products &products, int count, int steps, Batch &b) {
    products.gram_part(b.x, b.reg, count, b.r);
    b.r.topRows(count) = -b.r.topRows(count);
    for (int m = 0; m < count; ++m) {
        products.row_part(b.rows[m], b.x.row(m).data(), b.r.row(m).data(), true);
        b.p.row(m) = b.r.row(m);
        b.rs[m] = b.r.row(m).squaredNorm();
    }
    for (int it = 0; it < steps; ++it) {
        if (std::none_of(b.rs, b.rs + count, [](float rs) { return rs > 1e-20f; })) break;
        products.gram_part(b.p, b.reg, count, b.ap);
        for (int m = 0; m < count; ++m) {
            if (!(b.rs[m] > 1e-20f)) continue;
            products.row_part(b.rows[m], b.p.row(m).data(), b.ap.row(m).data(), false);
            b.rs[m] = products.step(b.rs[m], b.x.row(m).data(), b.r.row(m).data(),
                                    b.p.row(m).data(), b.ap.row(m).data());
        }
    }
}

void solve_side(const Csr &m, const FactorMatrix &other, const Gram &gram, const TrainOptions &o,
                const StopCheck &stop, FactorMatrix &out) {
    const float alpha = static_cast<float>(o.alpha);
    const int f = static_cast<int>(other.cols());
    const Products products{cpu_kernel(), gram, other};
    parallel_for(
        m.rows(), resolve_threads(o.threads), kSolveChunk,
        [&](int64_t begin, int64_t end) {
            if (o.solver == ImplicitSolver::Cholesky) {
                Vec x(f);
                for (int64_t u = begin; u < end; ++u) {
                    const int64_t n = m.indptr[u + 1] - m.indptr[u];
                    x = out.row(u).transpose();
                    solve_implicit_row_exact(m.indices.data() + m.indptr[u],
                                             m.values.data() + m.indptr[u], n, other, gram,
                                             row_regularization(o, n), alpha, x);
                    out.row(u) = x.transpose();
                }
                return;
            }
            Batch b(f);
            const int64_t row_bytes = static_cast<int64_t>(f) * sizeof(float);
            for (int64_t first = begin; first < end;) {
                int count = 0;
                int64_t bytes = 0;
                for (int64_t u = first; u < end && count < kBatch; ++u, ++count) {
                    const int64_t n = m.indptr[u + 1] - m.indptr[u];
                    if (count > 0 && bytes + n * row_bytes > kBatchBytes) break;
                    bytes += n * row_bytes;
                    b.rows[count] = RowPart{other.data(), m.indices.data() + m.indptr[u],
                                            m.values.data() + m.indptr[u], n, alpha, f};
                    b.reg[count] = row_regularization(o, n);
                    b.x.row(count) = out.row(u);
                }
                conjugate_gradients(products, count, o.cg_steps, b);
                out.middleRows(first, count) = b.x.topRows(count);
                first += count;
            }
        },
        stop);
}

}  // namespace

ImplicitAls::ImplicitAls(Interactions data, const TrainOptions &options)
    : data_(std::move(data)), options_(options) {
    const float scale = 0.01f;
    users_ = random_factors(data_.user_ids, options.factors, options.seed, 1, scale);
    items_ = random_factors(data_.item_ids, options.factors, options.seed, 2, scale);
}

// Each side's gram is computed once per change of that side: the items'
// one serves the loss and then the next iteration's user step.
IterationReport ImplicitAls::step(const StopCheck &stop) {
    Stopwatch clock;
    const int threads = resolve_threads(options_.threads);
    if (items_gram_.size() == 0) items_gram_ = gram_of(items_, threads, stop);
    solve_side(data_.by_user, items_, items_gram_, options_, stop, users_);
    users_gram_ = gram_of(users_, threads, stop);
    solve_side(data_.by_item, users_, users_gram_, options_, stop, items_);
    items_gram_ = gram_of(items_, threads, stop);
    IterationReport report;
    report.iteration = ++iteration_;
    report.loss = loss(stop);
    report.rmse = std::numeric_limits<double>::quiet_NaN();
    report.seconds = clock.seconds();
    return report;
}

// sum over all pairs of c (p - s)^2 + reg (|X|^2 + |Y|^2), where s = x.y,
// from the factors and grams step() left.
// Unobserved pairs (c = 1, p = 0) add s^2, summed at once as trace(X^T X Y^T Y);
// observed pairs then replace their s^2 by c (1 - s)^2.
double ImplicitAls::loss(const StopCheck &stop) const {
    const Csr &m = data_.by_user;
    // The float Grams the solver built, widened only at f x f.
    double total = (users_gram_.cast<double>().array() * items_gram_.cast<double>().array()).sum();
    std::vector<double> observed(m.rows()), penalty(m.rows());
    const CpuKernel kernel = cpu_kernel();
    const float alpha = static_cast<float>(options_.alpha);
    const int f = static_cast<int>(items_.cols());
    parallel_for(
        m.rows(), resolve_threads(options_.threads), 256,
        [&](int64_t begin, int64_t end) {
            for (int64_t u = begin; u < end; ++u) {
                const RowPart row{items_.data(), m.indices.data() + m.indptr[u],
                                  m.values.data() + m.indptr[u], m.indptr[u + 1] - m.indptr[u],
                                  alpha, f};
                double sum = 0.0;
                if (kernel != CpuKernel::None) {
                    sum = observed_loss(kernel, row, users_.row(u).data());
                } else {
                    for (int64_t j = 0; j < row.n; ++j) {
                        const double s = users_.row(u).dot(items_.row(row.index[j]));
                        const double c = 1.0 + static_cast<double>(alpha) * row.values[j];
                        sum += c * (1.0 - s) * (1.0 - s) - s * s;
                    }
                }
                observed[u] = sum;
                penalty[u] = row_regularization(options_, m.row_size(static_cast<int32_t>(u))) *
                             static_cast<double>(users_.row(u).squaredNorm());
            }
        },
        stop);
    total += std::accumulate(observed.begin(), observed.end(), 0.0);
    total += std::accumulate(penalty.begin(), penalty.end(), 0.0);
    for (int32_t i = 0; i < data_.by_item.rows(); ++i)
        total += row_regularization(options_, data_.by_item.row_size(i)) *
                 static_cast<double>(items_.row(i).squaredNorm());
    return total / static_cast<double>(m.nnz());
}

FactorModel ImplicitAls::take_model() {
    FactorModel model;
    model.feedback = Feedback::Implicit;
    model.item_counts = row_sizes(data_.by_item);
    model.user_bias.assign(data_.user_ids.size(), 0.0f);
    model.item_bias.assign(data_.item_ids.size(), 0.0f);
    model.user_ids = std::move(data_.user_ids);
    model.item_ids = std::move(data_.item_ids);
    model.user_factors = std::move(users_);
    model.item_factors = std::move(items_);
    return model;
}

}  // namespace cfrec::core
