#include "core/sgd_svd.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/als_common.h"
#include "core/errors.h"
#include "core/random.h"

namespace cfrec::core {

SgdSvd::SgdSvd(Interactions data, const TrainOptions &options)
    : SgdBiasedTrainer(std::move(data), options) {
    user_of_.resize(data_.by_user.values.size());
    for (int32_t u = 0; u < data_.by_user.rows(); ++u)
        std::fill(user_of_.begin() + data_.by_user.indptr[u],
                  user_of_.begin() + data_.by_user.indptr[u + 1], u);
}

IterationReport SgdSvd::step(const StopCheck &stop) {
    Stopwatch clock;
    const Csr &m = data_.by_user;
    const int64_t n = m.nnz();
    // A fresh seeded order each epoch; it depends only on (seed, iteration)
    // and the data, never on the order rows were read in.
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    SplitMix64 rng = epoch_rng(options_.seed, iteration_);
    seeded_shuffle(order, rng);

    const float lr = static_cast<float>(options_.learning_rate);
    const float reg = static_cast<float>(options_.regularization);
    const float mean = static_cast<float>(mean_);
    Eigen::VectorXf old_user(options_.factors);
    double squared = 0.0;
    for (int64_t j = 0; j < n; ++j) {
        if ((j & 0xFFFF) == 0 && stop()) throw Cancelled();
        const int64_t p = order[j];
        const int32_t u = user_of_[p], i = m.indices[p];
        auto x = users_.row(u);
        auto y = items_.row(i);
        const float error = m.values[p] - (mean + user_bias_[u] + item_bias_[i] + x.dot(y));
        squared += static_cast<double>(error) * error;
        user_bias_[u] += lr * (error - reg * user_bias_[u]);
        item_bias_[i] += lr * (error - reg * item_bias_[i]);
        old_user = x.transpose();
        x += lr * (error * y - reg * x);
        y += lr * (error * old_user.transpose() - reg * y);
    }
    IterationReport report;
    report.iteration = ++iteration_;
    report.rmse = std::sqrt(squared / static_cast<double>(n));  // during the pass, as SGD sees it
    report.loss = report.rmse * report.rmse;
    report.seconds = clock.seconds();
    return report;
}

FactorModel SgdSvd::take_model() {
    return finished_model();
}

}  // namespace cfrec::core
