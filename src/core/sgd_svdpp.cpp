#include "core/sgd_svdpp.h"

#include <cmath>
#include <numeric>

#include "core/als_common.h"
#include "core/errors.h"
#include "core/random.h"

namespace cfrec::core {

SgdSvdPlusPlus::SgdSvdPlusPlus(Interactions data, const TrainOptions &options)
    : SgdBiasedTrainer(std::move(data), options) {
    implicit_ = random_factors(data_.item_ids, options.factors, options.seed, 3, 0.1f);
}

IterationReport SgdSvdPlusPlus::step(const StopCheck &stop) {
    Stopwatch clock;
    const Csr &m = data_.by_user;
    const int32_t users = m.rows();
    // Users in a fresh seeded order each epoch, and each user's ratings too;
    // both depend only on (seed, iteration) and the data.
    SplitMix64 rng = epoch_rng(options_.seed, iteration_);
    std::vector<int32_t> order(static_cast<size_t>(users));
    std::iota(order.begin(), order.end(), 0);
    seeded_shuffle(order, rng);

    const float lr = static_cast<float>(options_.learning_rate);
    const float reg = static_cast<float>(options_.regularization);
    const float mean = static_cast<float>(mean_);
    const int f = options_.factors;
    // Every rating of u steps all of u's implicit vectors y_j alike, so they
    // are updated once per user, exactly: each step decays them by
    // d = 1 - lr reg and adds lr |N(u)|^-1/2 e q; after n steps y_j is
    // d^n y_j + lr |N(u)|^-1/2 G with G = sum_k d^(n-k) e_k q_k, and their
    // scaled sum, which every prediction uses, moves by d sum + lr e q per step.
    const float decay = 1.0f - lr * reg;
    Eigen::RowVectorXf sum(f), steps(f), old_user(f), old_item(f);
    std::vector<int64_t> positions;
    double squared = 0.0;
    int64_t seen = 0;
    for (int32_t u : order) {
        if ((seen & 0xFF) == 0 && stop()) throw Cancelled();
        ++seen;
        const int64_t begin = m.indptr[u], end = m.indptr[u + 1], n = end - begin;
        if (n == 0) continue;
        const float scale = 1.0f / std::sqrt(static_cast<float>(n));
        sum.setZero();
        for (int64_t p = begin; p < end; ++p) sum += implicit_.row(m.indices[p]);
        sum *= scale;
        steps.setZero();
        positions.resize(static_cast<size_t>(n));
        std::iota(positions.begin(), positions.end(), begin);
        seeded_shuffle(positions, rng);
        auto x = users_.row(u);
        for (int64_t p : positions) {
            const int32_t i = m.indices[p];
            auto q = items_.row(i);
            const float error =
                m.values[p] - (mean + user_bias_[u] + item_bias_[i] + q.dot(x + sum));
            squared += static_cast<double>(error) * error;
            user_bias_[u] += lr * (error - reg * user_bias_[u]);
            item_bias_[i] += lr * (error - reg * item_bias_[i]);
            old_user = x;
            old_item = q;
            x += lr * (error * old_item - reg * x);
            q += lr * (error * (old_user + sum) - reg * q);
            steps = decay * steps + error * old_item;
            sum = decay * sum + lr * error * old_item;
        }
        const float total_decay = std::pow(decay, static_cast<float>(n));
        for (int64_t p = begin; p < end; ++p) {
            auto y = implicit_.row(m.indices[p]);
            y = total_decay * y + (lr * scale) * steps;
        }
    }
    IterationReport report;
    report.iteration = ++iteration_;
    report.rmse = std::sqrt(squared / static_cast<double>(m.nnz()));  // during the pass
    report.loss = report.rmse * report.rmse;
    report.seconds = clock.seconds();
    return report;
}

FactorModel SgdSvdPlusPlus::take_model() {
    // Serving needs only each user's whole vector: p_u + |N(u)|^-1/2 sum y_j.
    const Csr &m = data_.by_user;
    for (int32_t u = 0; u < m.rows(); ++u) {
        const int64_t n = m.row_size(u);
        if (n == 0) continue;
        Eigen::RowVectorXf sum = Eigen::RowVectorXf::Zero(options_.factors);
        for (int64_t p = m.indptr[u]; p < m.indptr[u + 1]; ++p) sum += implicit_.row(m.indices[p]);
        users_.row(u) += sum / std::sqrt(static_cast<float>(n));
    }
    implicit_.resize(0, 0);
    return finished_model();
}

}  // namespace cfrec::core
