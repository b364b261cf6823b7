#include "core/explain.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <utility>

#include "core/feature_map.h"
#include "core/graph_filter.h"
#include "core/interactions.h"
#include "core/linear_filter.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

// The score exactly as recommend() computes it for one item.
float recommended_score(const ModelView &m, int32_t user, int32_t item) {
    float score = m.user_factors.row(user).dot(m.item_factors.row(item));
    if (m.feedback == Feedback::Explicit)
        score += static_cast<float>(m.global_mean) + m.user_bias[user] + m.item_bias[item];
    return score;
}

// Each item's share b_j y_j^T A^-1 y_i of an ALS user's score.
void solve_shares(const ModelView &m, int32_t item, const std::vector<int32_t> &indices,
                  const std::vector<float> &merged, const FoldInOptions &o,
                  std::vector<Contribution> &out) {
    const int64_t n = static_cast<int64_t>(indices.size());
    const int f = m.factors();
    if (m.feedback == Feedback::Explicit) {
        ExplicitRowScratch s;
        explicit_row_system(indices.data(), merged.data(), n, m.item_factors, m.item_bias,
                            m.global_mean, o.regularization, s);
        Eigen::VectorXf target(f + 1);
        target(0) = 1.0f;  // the user's bias meets every item with weight 1
        target.tail(f) = m.item_factors.row(item).transpose();
        const Eigen::VectorXf z = s.gram.selfadjointView<Eigen::Lower>().llt().solve(target);
        for (int64_t j = 0; j < n; ++j)
            out.push_back({indices[j], static_cast<double>(s.target(j)) * s.features.row(j).dot(z)});
        return;
    }
    const Eigen::MatrixXf gram =
        m.item_gram ? Eigen::MatrixXf(Eigen::Map<const Eigen::MatrixXf>(m.item_gram, f, f))
                    : Eigen::MatrixXf(m.item_factors.transpose() * m.item_factors);
    const float alpha = static_cast<float>(o.alpha);
    const Eigen::MatrixXf a =
        implicit_row_matrix(indices.data(), merged.data(), n, m.item_factors, gram,
                            implicit_row_regularization(o.regularization, true, n), alpha);
    const Eigen::VectorXf z =
        a.selfadjointView<Eigen::Lower>().llt().solve(m.item_factors.row(item).transpose());
    for (int64_t j = 0; j < n; ++j)
        out.push_back({indices[j], static_cast<double>(implicit_confidence(alpha, merged[j])) *
                                       m.item_factors.row(indices[j]).dot(z)});
}

}  // namespace

Explanation explain(const ModelView &m, int32_t user, int32_t item, const int64_t *items,
                    const float *values, size_t n, const FoldInOptions &o) {
    Explanation e;
    e.score = recommended_score(m, user, item);
    if (m.feedback == Feedback::Explicit) {
        e.global_mean = static_cast<float>(m.global_mean);
        e.item_bias = m.item_bias[item];
    }
    std::vector<std::pair<int32_t, float>> known;
    for (size_t j = 0; j < n; ++j) {
        const int32_t i = m.item_index(items[j]);
        if (i >= 0) known.emplace_back(i, values[j]);
    }
    std::vector<int32_t> indices;
    std::vector<float> merged;
    merge_repeats(
        known, m.feedback == Feedback::Explicit ? DuplicatePolicy::Average : DuplicatePolicy::Sum,
        indices, merged);
    if (!indices.empty()) {
        if (o.sum_of_items) {
            // The user is the sum of their items' vectors, each without its lift.
            for (int32_t j : indices)
                e.items.push_back({j, graph_filter_user(m, &j, 1).dot(m.item_factors.row(item))});
        } else {
            solve_shares(m, item, indices, merged, o, e.items);
        }
    }
    std::sort(e.items.begin(), e.items.end(), [](const Contribution &a, const Contribution &b) {
        return a.value != b.value ? a.value > b.value : a.item < b.item;
    });
    double explained = e.global_mean + e.item_bias;
    for (const Contribution &c : e.items) explained += c.value;
    e.remainder = e.score - explained;
    return e;
}

Explanation explain_linear(const ModelView &m, int32_t item, const int64_t *items, size_t n) {
    Explanation e;
    const std::vector<int32_t> known = known_items(m, items, n);
    if (!known.empty()) {
        std::vector<float> scores(m.item_ids.size());
        m.linear->score(m.item_factors, known.data(), known.size(), scores.data());
        e.score = scores[item];
    }
    for (int32_t j : known) e.items.push_back({j, m.linear->share(m.item_factors, j, item)});
    std::sort(e.items.begin(), e.items.end(), [](const Contribution &a, const Contribution &b) {
        return a.value != b.value ? a.value > b.value : a.item < b.item;
    });
    double explained = 0.0;
    for (const Contribution &c : e.items) explained += c.value;
    e.remainder = e.score - explained;
    return e;
}

FeatureExplanation explain_by_features(const ModelView &m, int32_t user, int32_t item, Side mapped,
                                       const float *intercept, const float *const *rows,
                                       const float *weights, size_t n,
                                       const float *length_intercept,
                                       const float *const *length_rows) {
    FeatureExplanation e;
    e.score = recommended_score(m, user, item);
    const bool explicit_model = m.feedback == Feedback::Explicit;
    if (explicit_model) {
        e.global_mean = static_cast<float>(m.global_mean);
        e.other_bias = mapped == Side::Items ? m.user_bias[user] : m.item_bias[item];
    }
    const int f = m.factors();
    const Eigen::RowVectorXf other =
        mapped == Side::Items ? m.user_factors.row(user) : m.item_factors.row(item);
    // A row (bias, factors) of the map as a score: its factors against the
    // other side's, plus its bias for explicit models.
    auto part = [&](const float *row) {
        const Eigen::Map<const Eigen::RowVectorXf> factors(row + 1, f);
        return (explicit_model ? row[0] : 0.0) + static_cast<double>(other.dot(factors));
    };
    // The vector is the direction map's, scaled to the length map's length.
    float length_scale = 1.0f;
    if (length_intercept != nullptr) {
        std::vector<float> direction(static_cast<size_t>(f) + 1), length(direction.size());
        mapped_vector(intercept, rows, weights, n, f + 1, direction.data());
        mapped_vector(length_intercept, length_rows, weights, n, f + 1, length.data());
        length_scale = length_ratio(direction.data(), length.data(), f + 1);
    }
    const float scale = length_scale * unit_scale(weights, n);
    for (size_t j = 0; j < n; ++j)
        e.features.push_back({static_cast<int32_t>(j), scale * weights[j] * part(rows[j])});
    std::sort(e.features.begin(), e.features.end(), [](const Contribution &a, const Contribution &b) {
        return a.value != b.value ? a.value > b.value : a.item < b.item;
    });
    e.intercept = length_scale * part(intercept);
    double explained = e.global_mean + e.other_bias + e.intercept;
    for (const Contribution &c : e.features) explained += c.value;
    e.remainder = e.score - explained;
    return e;
}

}  // namespace cfrec::core
