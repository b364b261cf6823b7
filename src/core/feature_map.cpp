#include "core/feature_map.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/errors.h"

namespace cfrec::core {

// A row's weights scaled to unit length, so a film with twenty tags does
// not weigh twenty times one with a single genre.
float unit_scale(const float *weights, size_t n) {
    double squares = 0.0;
    for (size_t j = 0; j < n; ++j) squares += static_cast<double>(weights[j]) * weights[j];
    return squares > 0.0 ? static_cast<float>(1.0 / std::sqrt(squares)) : 0.0f;
}

FeatureMap FeatureMap::fit(const FeatureRows &rows, const std::vector<int32_t> &target,
                           const FactorMatrix &factors, int32_t features, double reg,
                           const std::vector<double> *row_weight) {
    const int32_t d = features + 1;  // the intercept last
    const Eigen::Index f = factors.cols();
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(d, d);
    Eigen::MatrixXd moments = Eigen::MatrixXd::Zero(d, f);
    int64_t fitted = 0;
    for (int32_t r = 0; r < rows.rows(); ++r) {
        if (target[r] < 0) continue;
        ++fitted;
        const int64_t begin = rows.indptr[r], end = rows.indptr[r + 1];
        const float scale = unit_scale(rows.weights.data() + begin, static_cast<size_t>(end - begin));
        const auto y = factors.row(target[r]).cast<double>();
        const double rw = row_weight ? (*row_weight)[target[r]] : 1.0;
        for (int64_t p = begin; p <= end; ++p) {  // p == end: the intercept
            const int32_t a = p < end ? rows.features[p] : features;
            const double wa = rw * (p < end ? scale * rows.weights[p] : 1.0);
            moments.row(a) += wa * y;
            for (int64_t q = begin; q <= end; ++q) {
                const int32_t b = q < end ? rows.features[q] : features;
                gram(a, b) += wa * (q < end ? scale * rows.weights[q] : 1.0);
            }
        }
    }
    if (fitted == 0)
        throw Error(ErrorKind::InvalidArgument, "none of the ids with features is in the model",
                    "Features are learned from the users or items that have both interactions "
                    "and features: give features for some of the trained ones too.");
    // The intercept is penalised only a little: it is the mean vector.
    for (int32_t a = 0; a < features; ++a) gram(a, a) += reg;
    gram(features, features) += 1e-6 * static_cast<double>(fitted);
    FeatureMap map;
    map.weights_ = gram.ldlt().solve(moments).cast<float>();
    return map;
}

Eigen::VectorXf FeatureMap::apply(const int32_t *features, const float *weights,
                                  size_t n) const {
    const int32_t known = static_cast<int32_t>(weights_.rows()) - 1;
    std::vector<const float *> rows;
    std::vector<float> kept_weights;
    for (size_t j = 0; j < n; ++j)
        if (features[j] >= 0 && features[j] < known) {
            rows.push_back(weights_.row(features[j]).data());
            kept_weights.push_back(weights[j]);
        }
    Eigen::VectorXf x(weights_.cols());
    mapped_vector(weights_.row(known).data(), rows.data(), kept_weights.data(), rows.size(),
                  static_cast<int>(weights_.cols()), x.data());
    return x;
}

void mapped_vector(const float *intercept, const float *const *rows, const float *weights,
                   size_t n, int width, float *out) {
    const float scale = unit_scale(weights, n);
    for (int c = 0; c < width; ++c) out[c] = intercept[c];
    for (size_t j = 0; j < n; ++j)
        for (int c = 0; c < width; ++c) out[c] += scale * weights[j] * rows[j][c];
}

FeatureMap FeatureMap::from_weights(FactorMatrix weights) {
    FeatureMap map;
    map.weights_ = std::move(weights);
    return map;
}

float length_ratio(const float *direction, const float *length, int n) {
    double d = 0.0, l = 0.0;
    for (int c = 0; c < n; ++c) {
        d += static_cast<double>(direction[c]) * direction[c];
        l += static_cast<double>(length[c]) * length[c];
    }
    return d > 0.0 && l > 0.0 ? static_cast<float>(std::sqrt(l / d)) : 1.0f;
}

void take_length(float *direction, const float *length, int n) {
    const float scale = length_ratio(direction, length, n);
    for (int c = 0; c < n; ++c) direction[c] *= scale;
}

SideFeatures fit_side_features(const ModelView &m, Side side, const int64_t *ids,
                               const int32_t *features, const float *weights, size_t n,
                               int32_t feature_count, double reg, size_t max_features) {
    for (size_t j = 0; j < n; ++j)
        if (!std::isfinite(weights[j]))
            throw Error(ErrorKind::DataError,
                        "the weight of feature row " + std::to_string(j + 1) + " (id " +
                            std::to_string(ids[j]) + ") is not a finite number",
                        "Filter out NaN and infinite weights with a view or WHERE clause.");
    // The most used features, at most max_features of them.
    std::vector<int64_t> uses(static_cast<size_t>(feature_count), 0);
    for (size_t j = 0; j < n; ++j) ++uses[features[j]];
    std::vector<int32_t> order(static_cast<size_t>(feature_count));
    for (int32_t a = 0; a < feature_count; ++a) order[a] = a;
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return uses[a] > uses[b]; });
    order.resize(std::min(order.size(), max_features));
    std::sort(order.begin(), order.end());
    std::vector<int32_t> new_index(static_cast<size_t>(feature_count), -1);
    for (size_t k = 0; k < order.size(); ++k) new_index[order[k]] = static_cast<int32_t>(k);

    // One feature row per distinct id, ids ascending.
    std::vector<size_t> by_id(n);
    for (size_t j = 0; j < n; ++j) by_id[j] = j;
    std::stable_sort(by_id.begin(), by_id.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
    const bool users = side == Side::Users;
    const auto &factors = users ? m.user_factors : m.item_factors;
    const Span<float> bias = users ? m.user_bias : m.item_bias;
    FeatureRows rows;
    std::vector<int32_t> target;
    std::vector<int64_t> row_ids;
    for (size_t p = 0; p < n;) {
        const int64_t id = ids[by_id[p]];
        for (; p < n && ids[by_id[p]] == id; ++p) {
            const int32_t a = new_index[features[by_id[p]]];
            if (a < 0) continue;
            rows.features.push_back(a);
            rows.weights.push_back(weights[by_id[p]]);
        }
        rows.indptr.push_back(static_cast<int64_t>(rows.features.size()));
        row_ids.push_back(id);
        target.push_back(users ? m.user_index(id) : m.item_index(id));
    }
    // Targets [bias, factors], so an explicit model's cold items get a bias too.
    const int f = static_cast<int>(factors.cols());
    FactorMatrix targets(factors.rows(), f + 1);
    for (Eigen::Index r = 0; r < factors.rows(); ++r) {
        targets(r, 0) = bias[static_cast<size_t>(r)];
        targets.row(r).tail(f) = factors.row(r);
    }
    // An item's direction comes from the plain map, its length from the map
    // weighed by interactions. Fitted on items alike alone, a new item gets
    // the average obscure item's length and enters no one's top 20; weighed
    // alone, its direction drifts toward the popular items (bench/RESULTS.md).
    // A user's length changes no ranking of theirs: users get the plain map.
    SideFeatures out;
    out.kept = order;
    const int32_t kept = static_cast<int32_t>(order.size());
    out.map = FeatureMap::fit(rows, target, targets, kept, reg);
    if (!users) {
        std::vector<double> by_interactions;
        for (size_t j = 0; j < m.item_counts.size(); ++j)
            by_interactions.push_back(std::max(m.item_counts[j], 1));
        out.length_map = FeatureMap::fit(rows, target, targets, kept, reg, &by_interactions);
    }
    for (int32_t r = 0; r < rows.rows(); ++r)
        if (target[r] < 0) out.cold_ids.push_back(row_ids[r]);
    out.cold_bias.resize(out.cold_ids.size());
    out.cold_factors.resize(static_cast<Eigen::Index>(out.cold_ids.size()), f);
    for (int32_t r = 0, c = 0; r < rows.rows(); ++r) {
        if (target[r] >= 0) continue;
        const int64_t begin = rows.indptr[r], end = rows.indptr[r + 1];
        const size_t count = static_cast<size_t>(end - begin);
        Eigen::VectorXf x =
            out.map.apply(rows.features.data() + begin, rows.weights.data() + begin, count);
        if (!users) {
            const Eigen::VectorXf length = out.length_map.apply(
                rows.features.data() + begin, rows.weights.data() + begin, count);
            take_length(x.data(), length.data(), static_cast<int>(x.size()));
        }
        out.cold_bias[c] = m.feedback == Feedback::Explicit ? x(0) : 0.0f;
        out.cold_factors.row(c) = x.tail(f).transpose();
        ++c;
    }
    return out;
}

}  // namespace cfrec::core
