#include "core/als_implicit.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/als_common.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

using Gram = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;

// other^T other: the contribution of every pair with confidence 1.
Gram gram_of(const FactorMatrix &other) {
    Gram g = Gram::Zero(other.cols(), other.cols());
    g.selfadjointView<Eigen::Lower>().rankUpdate(other.transpose());
    g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
    return g;
}

// A row's penalty: lambda, times its number of interactions when scaled.
float row_regularization(const TrainOptions &o, int64_t n) {
    return implicit_row_regularization(o.regularization, o.scale_regularization, n);
}

struct RowView {
    const int32_t *indices;
    const float *values;
    int64_t n;
};

// Rows with at most this many interactions have their vectors gathered into
// a contiguous block once (<= 512 KiB at f = 64, about an L2 cache), so the
// CG steps multiply dense, cached data instead of re-fetching scattered rows.
constexpr int64_t kGatherRows = 2048;

struct CgWorkspace {
    Vec r, p, ap, t, confidence, extra;  // extra = confidence - 1
    FactorMatrix block;
};

// The row's two products, computed from the gathered block:
//   residual(x) = sum (c - (c-1) y.x) y     (b - the row's part of A x)
//   weighted(v) = sum (c-1) (y.v) y         (the row's part of A v)
struct GatheredRow {
    Eigen::Map<const FactorMatrix> y;  // the first n rows of the workspace block
    Eigen::Map<const Vec> confidence;  // c per interaction
    Eigen::Map<const Vec> extra;       // c - 1
    Eigen::Map<Vec> t;                 // scratch, n entries

    void residual(const Eigen::Ref<const Vec> &x, Vec &out) {
        t.noalias() = y * x;
        t = confidence - extra.cwiseProduct(t);
        out.noalias() = y.transpose() * t;
    }
    void weighted(const Vec &v, Vec &out) {
        t.noalias() = y * v;
        t = extra.cwiseProduct(t);
        out.noalias() = y.transpose() * t;
    }
};

// The same products streamed from the other side's matrix, for long rows.
struct StreamedRow {
    const RowView &row;
    const FactorMatrix &other;
    float alpha;

    void residual(const Eigen::Ref<const Vec> &x, Vec &out) {
        out.setZero();
        for (int64_t j = 0; j < row.n; ++j) {
            const auto y = other.row(row.indices[j]).transpose();
            const float c = 1.0f + alpha * row.values[j];
            out += (c - (c - 1.0f) * y.dot(x)) * y;
        }
    }
    void weighted(const Vec &v, Vec &out) {
        out.setZero();
        for (int64_t j = 0; j < row.n; ++j) {
            const auto y = other.row(row.indices[j]).transpose();
            out += (alpha * row.values[j]) * y.dot(v) * y;
        }
    }
};

// Minimises the row's objective from its current value x with a few CG steps
// on A = gram + reg I + sum (c-1) y y^T, b = sum c y.
template <typename Row>
void conjugate_gradient(Row &&row, const Gram &gram, float reg, int steps, Eigen::Ref<Vec> x,
                        CgWorkspace &w) {
    row.residual(x, w.r);
    w.r.noalias() -= gram * x;
    w.r -= reg * x;
    w.p = w.r;
    float rs_old = w.r.squaredNorm();
    for (int it = 0; it < steps && rs_old > 1e-20f; ++it) {
        row.weighted(w.p, w.ap);
        w.ap.noalias() += gram * w.p;
        w.ap += reg * w.p;
        const float step = rs_old / w.p.dot(w.ap);
        x += step * w.p;
        w.r -= step * w.ap;
        const float rs_new = w.r.squaredNorm();
        w.p = w.r + (rs_new / rs_old) * w.p;
        rs_old = rs_new;
    }
}

void solve_cg(const RowView &row, const FactorMatrix &other, const Gram &gram, float reg,
              float alpha, int steps, Eigen::Ref<Vec> x, CgWorkspace &w) {
    if (row.n > kGatherRows) {
        conjugate_gradient(StreamedRow{row, other, alpha}, gram, reg, steps, x, w);
        return;
    }
    const Eigen::Index f = other.cols(), n = row.n;
    for (int64_t j = 0; j < n; ++j) {
        w.block.row(j) = other.row(row.indices[j]);
        w.extra(j) = alpha * row.values[j];
        w.confidence(j) = 1.0f + w.extra(j);
    }
    conjugate_gradient(
        GatheredRow{Eigen::Map<const FactorMatrix>(w.block.data(), n, f),
                    Eigen::Map<const Vec>(w.confidence.data(), n),
                    Eigen::Map<const Vec>(w.extra.data(), n), Eigen::Map<Vec>(w.t.data(), n)},
        gram, reg, steps, x, w);
}

void solve_side(const Csr &m, const FactorMatrix &other, const TrainOptions &o,
                const StopCheck &stop, FactorMatrix &out) {
    const Gram gram = gram_of(other);
    const float alpha = static_cast<float>(o.alpha);
    parallel_for(
        m.rows(), resolve_threads(o.threads), kSolveChunk,
        [&](int64_t begin, int64_t end) {
            const Eigen::Index f = other.cols();
            Vec x(f);
            CgWorkspace w;
            w.r.resize(f);
            w.p.resize(f);
            w.ap.resize(f);
            w.block.resize(kGatherRows, f);
            w.confidence.resize(kGatherRows);
            w.extra.resize(kGatherRows);
            w.t.resize(kGatherRows);
            for (int64_t u = begin; u < end; ++u) {
                const RowView row{m.indices.data() + m.indptr[u], m.values.data() + m.indptr[u],
                                  m.indptr[u + 1] - m.indptr[u]};
                const float reg = row_regularization(o, row.n);
                x = out.row(u).transpose();
                if (o.solver == ImplicitSolver::Cholesky)
                    solve_implicit_row_exact(row.indices, row.values, row.n, other, gram, reg,
                                             alpha, x);
                else
                    solve_cg(row, other, gram, reg, alpha, o.cg_steps, x, w);
                out.row(u) = x.transpose();
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

IterationReport ImplicitAls::step(const StopCheck &stop) {
    Stopwatch clock;
    solve_side(data_.by_user, items_, options_, stop, users_);
    solve_side(data_.by_item, users_, options_, stop, items_);
    IterationReport report;
    report.iteration = ++iteration_;
    report.loss = loss(stop);
    report.rmse = std::numeric_limits<double>::quiet_NaN();
    report.seconds = clock.seconds();
    return report;
}

// sum over all pairs of c (p - s)^2 + reg (|X|^2 + |Y|^2), where s = x.y.
// Unobserved pairs (c = 1, p = 0) add s^2, summed at once as trace(X^T X Y^T Y);
// observed pairs then replace their s^2 by c (1 - s)^2.
double ImplicitAls::loss(const StopCheck &stop) const {
    const Csr &m = data_.by_user;
    // Float Grams (as the solver builds them), widened only at f x f.
    const Eigen::MatrixXd xtx = gram_of(users_).cast<double>();
    const Eigen::MatrixXd yty = gram_of(items_).cast<double>();
    double total = (xtx.array() * yty.array()).sum();
    std::vector<double> observed(m.rows()), penalty(m.rows());
    parallel_for(
        m.rows(), resolve_threads(options_.threads), 256,
        [&](int64_t begin, int64_t end) {
            for (int64_t u = begin; u < end; ++u) {
                double sum = 0.0;
                for (int64_t p = m.indptr[u]; p < m.indptr[u + 1]; ++p) {
                    const double s = users_.row(u).dot(items_.row(m.indices[p]));
                    const double c = 1.0 + options_.alpha * m.values[p];
                    sum += c * (1.0 - s) * (1.0 - s) - s * s;
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
