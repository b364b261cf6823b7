#include "core/als_explicit.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/als_common.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

// Solves [bias, factors] of every row of `m` against the fixed other side.
// Features of a rating are [1, other factors]; its target is the rating
// minus the global mean and the other side's bias.
void solve_side(const Csr &m, const FactorMatrix &other, const std::vector<float> &other_bias,
                double mean, double reg, int threads, const StopCheck &stop, FactorMatrix &out,
                std::vector<float> &out_bias) {
    parallel_for(
        m.rows(), threads, kSolveChunk,
        [&](int64_t begin, int64_t end) {
            ExplicitRowScratch scratch;
            Eigen::VectorXf x(other.cols());
            for (int64_t r = begin; r < end; ++r) {
                const int64_t first = m.indptr[r];
                solve_explicit_row(m.indices.data() + first, m.values.data() + first,
                                   m.indptr[r + 1] - first, other, other_bias, mean, reg, scratch,
                                   out_bias[r], x);
                out.row(r) = x.transpose();
            }
        },
        stop);
}

}  // namespace

ExplicitAls::ExplicitAls(Interactions data, const TrainOptions &options)
    : data_(std::move(data)), options_(options) {
    const auto &v = data_.by_user.values;
    rating_range(v, &mean_, &min_, &max_);
    users_ = FactorMatrix::Zero(data_.user_ids.size(), options.factors);
    items_ = random_factors(data_.item_ids, options.factors, options.seed, 2, 0.1f);
    user_bias_.assign(data_.user_ids.size(), 0.0f);
    item_bias_.assign(data_.item_ids.size(), 0.0f);
}

IterationReport ExplicitAls::step(const StopCheck &stop) {
    Stopwatch clock;
    const int threads = resolve_threads(options_.threads);
    solve_side(data_.by_user, items_, item_bias_, mean_, options_.regularization, threads, stop,
               users_, user_bias_);
    solve_side(data_.by_item, users_, user_bias_, mean_, options_.regularization, threads, stop,
               items_, item_bias_);
    IterationReport report;
    report.iteration = ++iteration_;
    report.loss = loss(stop, &report.rmse);
    report.seconds = clock.seconds();
    return report;
}

double ExplicitAls::loss(const StopCheck &stop, double *rmse) const {
    const Csr &m = data_.by_user;
    std::vector<double> squared(m.rows()), penalty(m.rows());
    parallel_for(
        m.rows(), resolve_threads(options_.threads), 256,
        [&](int64_t begin, int64_t end) {
            for (int64_t u = begin; u < end; ++u) {
                double se = 0.0;
                for (int64_t p = m.indptr[u]; p < m.indptr[u + 1]; ++p) {
                    const int32_t i = m.indices[p];
                    const double pred =
                        mean_ + user_bias_[u] + item_bias_[i] + users_.row(u).dot(items_.row(i));
                    se += (m.values[p] - pred) * (m.values[p] - pred);
                }
                squared[u] = se;
                penalty[u] = m.row_size(static_cast<int32_t>(u)) *
                             (users_.row(u).squaredNorm() + double(user_bias_[u]) * user_bias_[u]);
            }
        },
        stop);
    double se = std::accumulate(squared.begin(), squared.end(), 0.0);
    double reg = std::accumulate(penalty.begin(), penalty.end(), 0.0);
    for (int32_t i = 0; i < data_.by_item.rows(); ++i)
        reg += data_.by_item.row_size(i) *
               (items_.row(i).squaredNorm() + double(item_bias_[i]) * item_bias_[i]);
    const double n = static_cast<double>(m.nnz());
    *rmse = std::sqrt(se / n);
    return (se + options_.regularization * reg) / n;
}

FactorModel ExplicitAls::take_model() {
    return explicit_model(data_, mean_, min_, max_, std::move(user_bias_), std::move(item_bias_),
                          std::move(users_), std::move(items_));
}

}  // namespace cfrec::core
