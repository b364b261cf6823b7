#include "core/bayesian_mf.h"

#include <algorithm>
#include <cmath>

#include "core/als_common.h"
#include "core/errors.h"
#include "core/gaussian_draws.h"

namespace cfrec::core {

namespace {

// Streams of the seeded generators: one per (sweep, what is drawn), so no
// two draws share a generator whatever the ids are.
enum Drawn { kUserRows, kItemRows, kUserPrior, kItemPrior, kNoise };
uint64_t stream_of(int sweep, Drawn what) {
    return 16 * static_cast<uint64_t>(sweep) + what + 7;
}

// The prior of one side's rows given them: with the Normal-Wishart
// hyperprior (mean 0, beta0 2, degrees = dimension, scale I), draws the
// precision, then the mean.
void draw_prior(SplitMix64 &rng, const Eigen::MatrixXd &rows, Eigen::VectorXd &mean,
                Eigen::MatrixXd &precision) {
    const Eigen::Index d = rows.cols();
    const double n = static_cast<double>(rows.rows()), beta0 = 2.0;
    const Eigen::VectorXd average = rows.colwise().mean().transpose();
    const Eigen::MatrixXd centred = rows.rowwise() - average.transpose();
    const double beta = beta0 + n;
    Eigen::MatrixXd scale_inverse = Eigen::MatrixXd::Identity(d, d) +
                                    centred.transpose() * centred +
                                    (beta0 * n / beta) * average * average.transpose();
    Eigen::MatrixXd scale = scale_inverse.llt().solve(Eigen::MatrixXd::Identity(d, d));
    scale = 0.5 * (scale + scale.transpose());
    precision = wishart_draw(rng, scale, static_cast<double>(d) + n);
    const Eigen::VectorXd centre = (n / beta) * average;
    if (!gaussian_given_precision(rng, centre, beta * precision, mean)) mean = centre;
}

}  // namespace

BayesianMf::BayesianMf(Interactions data, const TrainOptions &options)
    : data_(std::move(data)), options_(options) {
    rating_range(data_.by_user.values, &mean_, &min_, &max_);
    // Sampled in units of the ratings' spread, so the hyperprior's scale (I)
    // fits ratings of 1-5 and of 0-100 alike.
    double squares = 0.0;
    for (float v : data_.by_user.values) squares += (v - mean_) * (v - mean_);
    const double spread = std::sqrt(squares / std::max<double>(data_.by_user.nnz(), 1));
    scale_ = std::isfinite(spread) && spread > 1e-6 ? spread : 1.0;
    const int f = options_.factors;
    // Small seeded starting rows, biases 0, as the SGD trainers start.
    const FactorMatrix users = random_factors(data_.user_ids, f, options_.seed, 1, 0.1f);
    const FactorMatrix items = random_factors(data_.item_ids, f, options_.seed, 2, 0.1f);
    users_ = Eigen::MatrixXd::Zero(users.rows(), f + 1);
    items_ = Eigen::MatrixXd::Zero(items.rows(), f + 1);
    users_.leftCols(f) = users.cast<double>();
    items_.leftCols(f) = items.cast<double>();
    user_sum_ = Eigen::MatrixXd::Zero(users_.rows(), f + 1);
    item_sum_ = Eigen::MatrixXd::Zero(items_.rows(), f + 1);
}

void BayesianMf::draw_side(Eigen::MatrixXd &rows, const Eigen::MatrixXd &other, const Csr &by_row,
                           const std::vector<int64_t> &ids, uint64_t stream, uint64_t prior_stream,
                           const StopCheck &stop) {
    const int f = options_.factors;
    const Eigen::Index d = f + 1;
    SplitMix64 prior_rng = entity_rng(options_.seed, 0, prior_stream);
    Eigen::VectorXd prior_mean;
    Eigen::MatrixXd prior_precision;
    draw_prior(prior_rng, rows, prior_mean, prior_precision);
    const Eigen::VectorXd prior_pull = prior_precision * prior_mean;
    const double alpha = alpha_, mean = mean_, scale = scale_;
    parallel_for(
        rows.rows(), resolve_threads(options_.threads), 64,
        [&](int64_t begin, int64_t end) {
            Eigen::MatrixXd precision(d, d), partners;
            Eigen::LLT<Eigen::MatrixXd> factor(d);
            Eigen::VectorXd pull(d), targets, draw(d);
            for (int64_t r = begin; r < end; ++r) {
                // Each rating of this row: the partner's [y, 1] against
                // what is left of the rating once the partner's bias is out,
                // gathered so the row's sums are two matrix products.
                const int64_t first = by_row.indptr[r], n = by_row.indptr[r + 1] - first;
                partners.resize(n, d);
                targets.resize(n);
                for (int64_t k = 0; k < n; ++k) {
                    const auto partner = other.row(by_row.indices[first + k]);
                    partners.row(k).head(f) = partner.head(f);
                    partners(k, f) = 1.0;
                    targets[k] = (by_row.values[first + k] - mean) / scale - partner[f];
                }
                precision = prior_precision;
                pull = prior_pull;
                if (n < 16) {  // a few ratings (most items): the products' setup would dominate
                    for (int64_t k = 0; k < n; ++k)
                        precision.selfadjointView<Eigen::Lower>().rankUpdate(
                            partners.row(k).transpose(), alpha);
                } else {
                    precision.selfadjointView<Eigen::Lower>().rankUpdate(partners.transpose(),
                                                                         alpha);
                }
                pull.noalias() += alpha * (partners.transpose() * targets);
                factor.compute(precision);                      // reads the lower triangle only
                if (factor.info() != Eigen::Success) continue;  // keeps the last draw
                SplitMix64 rng = entity_rng(options_.seed, ids[r], stream);
                gaussian_given_factor(rng, factor, pull, draw);
                rows.row(r) = draw.transpose();
            }
        },
        stop);
}

IterationReport BayesianMf::step(const StopCheck &stop) {
    Stopwatch clock;
    const int sweep = iteration_++;
    draw_side(users_, items_, data_.by_user, data_.user_ids, stream_of(sweep, kUserRows),
              stream_of(sweep, kUserPrior), stop);
    draw_side(items_, users_, data_.by_item, data_.item_ids, stream_of(sweep, kItemRows),
              stream_of(sweep, kItemPrior), stop);
    if (stop()) throw Cancelled();
    // The ratings' precision given the fit: Gamma(1 + n/2, rate 1 + sse/2).
    const int f = options_.factors;
    const Csr &m = data_.by_user;
    double squared = 0.0;
    for (int32_t u = 0; u < m.rows(); ++u) {
        const auto x = users_.row(u);
        for (int64_t p = m.indptr[u]; p < m.indptr[u + 1]; ++p) {
            const auto y = items_.row(m.indices[p]);
            const double e =
                (m.values[p] - mean_) / scale_ - (x[f] + y[f] + x.head(f).dot(y.head(f)));
            squared += e * e;
        }
    }
    const double n = static_cast<double>(m.nnz());
    SplitMix64 rng = entity_rng(options_.seed, 0, stream_of(sweep, kNoise));
    alpha_ = gamma_draw(rng, 1.0 + 0.5 * n) / (1.0 + 0.5 * squared);
    if (!std::isfinite(alpha_) || !users_.allFinite() || !items_.allFinite())
        throw Error(ErrorKind::DataError,
                    "bpmf diverged after iteration " + std::to_string(iteration_),
                    "The ratings may span too wide a range; scale them (e.g. to 1-5), or "
                    "train with algorithm => 'svdpp'.");
    if (iteration_ > options_.iterations / 10) {  // past the burn-in
        user_sum_ += users_;
        item_sum_ += items_;
        ++samples_;
    }
    IterationReport report;
    report.iteration = iteration_;
    report.rmse = scale_ * std::sqrt(squared / n);  // of this sweep's sample, in rating units
    report.loss = report.rmse * report.rmse;
    report.seconds = clock.seconds();
    return report;
}

FactorModel BayesianMf::take_model() {
    const int f = options_.factors;
    if (samples_ == 0) {  // stopped within the burn-in: the last sample
        user_sum_ = users_;
        item_sum_ = items_;
        samples_ = 1;
    }
    // Back to rating units: scale x scale on the product, scale on the biases.
    const Eigen::MatrixXd users = user_sum_ / samples_ * std::sqrt(scale_),
                          items = item_sum_ / samples_ * std::sqrt(scale_);
    std::vector<float> user_bias(users.rows()), item_bias(items.rows());
    const double bias_scale = std::sqrt(scale_);  // users(r, f) holds b sqrt(scale)
    for (Eigen::Index r = 0; r < users.rows(); ++r)
        user_bias[r] = static_cast<float>(users(r, f) * bias_scale);
    for (Eigen::Index r = 0; r < items.rows(); ++r)
        item_bias[r] = static_cast<float>(items(r, f) * bias_scale);
    FactorMatrix user_factors = users.leftCols(f).cast<float>();
    FactorMatrix item_factors = items.leftCols(f).cast<float>();
    users_.resize(0, 0);
    items_.resize(0, 0);
    user_sum_.resize(0, 0);
    item_sum_.resize(0, 0);
    return explicit_model(data_, mean_, min_, max_, std::move(user_bias), std::move(item_bias),
                          std::move(user_factors), std::move(item_factors));
}

}  // namespace cfrec::core
