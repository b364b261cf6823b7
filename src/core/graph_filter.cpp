#include "core/graph_filter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/als_common.h"

namespace cfrec::core {

namespace {

int fitted_rank(const Interactions &data, const TrainOptions &o) {
    const int most = std::min(data.by_user.rows(), data.by_item.rows());
    return o.fit_factors_to_data ? std::min(o.factors, most) : o.factors;
}

}  // namespace

GraphFilter::GraphFilter(Interactions data, const TrainOptions &options)
    : data_(std::move(data)),
      options_(options),
      solver_(data_, fitted_rank(data_, options), options.seed) {}

IterationReport spectrum_pass(ItemSpectrumSolver &solver, int iteration, int threads,
                              const StopCheck &stop) {
    const auto started = std::chrono::steady_clock::now();
    IterationReport r;
    r.iteration = iteration;
    r.loss = solver.iterate(threads, stop);
    r.rmse = std::numeric_limits<double>::quiet_NaN();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
}

IterationReport GraphFilter::step(const StopCheck &stop) {
    stop_ = stop;  // take_model() is asked without one
    return spectrum_pass(solver_, ++iteration_, resolve_threads(options_.threads), stop);
}

FactorMatrix graph_filter_items(const ItemSpectrum &spectrum, double alpha) {
    // Directions with no singular value (data of lower rank than asked for)
    // are arbitrary; weighting them by alpha would add noise, so they get 0.
    const float tiny = 1e-4f * std::max(spectrum.values.maxCoeff(), 1e-30f);
    Eigen::RowVectorXf weight(spectrum.values.size());
    for (Eigen::Index k = 0; k < spectrum.values.size(); ++k) {
        const float s = spectrum.values[k];
        weight[k] = s > tiny ? std::sqrt(s * s + static_cast<float>(alpha)) : 0.0f;
    }
    return spectrum.vectors.array().rowwise() * weight.array();
}

FactorMatrix summed_rows(const Csr &rows, const FactorMatrix &items, int threads,
                         const StopCheck &stop) {
    FactorMatrix out = FactorMatrix::Zero(rows.rows(), items.cols());
    parallel_for(
        rows.rows(), threads, 256,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                for (int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k)
                    out.row(r) += items.row(rows.indices[k]);
        },
        stop);
    return out;
}

Eigen::VectorXf graph_filter_user(const ModelView &model, const int32_t *items, size_t n) {
    Eigen::VectorXf x = Eigen::VectorXf::Zero(model.factors());
    for (size_t k = 0; k < n; ++k) {
        const int32_t i = items[k];
        const float count = static_cast<float>(std::max(model.item_counts[i], 1));
        x += model.item_factors.row(i).transpose() / std::pow(count, kPopularityExponent);
    }
    return x;
}

FactorModel GraphFilter::take_model() {
    FactorModel model;
    model.feedback = Feedback::Implicit;
    model.item_factors = graph_filter_items(solver_.finish(stop_), options_.alpha);
    model.user_factors =
        summed_rows(data_.by_user, model.item_factors, resolve_threads(options_.threads), stop_);
    model.item_counts = row_sizes(data_.by_item);
    for (int32_t i = 0; i < data_.by_item.rows(); ++i)
        model.item_factors.row(i) *=
            std::pow(static_cast<float>(std::max(model.item_counts[i], 1)), kPopularityExponent);
    model.user_bias.assign(data_.user_ids.size(), 0.0f);
    model.item_bias.assign(data_.item_ids.size(), 0.0f);
    model.user_ids = std::move(data_.user_ids);
    model.item_ids = std::move(data_.item_ids);
    return model;
}

}  // namespace cfrec::core
