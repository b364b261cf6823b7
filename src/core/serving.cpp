#include "core/serving.h"

#include <algorithm>
#include <cmath>

namespace cfrec::core {

std::vector<int32_t> known_items(const FactorModel &m, const int64_t *ids, size_t n) {
    std::vector<int32_t> out;
    out.reserve(n);
    for (size_t j = 0; j < n; ++j) {
        const int32_t i = m.item_index(ids[j]);
        if (i >= 0) out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<Scored> recommend(const FactorModel &m, int32_t user, int k,
                              const std::vector<int32_t> &excluded) {
    Eigen::VectorXf scores = m.item_factors * m.user_factors.row(user).transpose();
    if (m.feedback == Feedback::Explicit) {
        const float offset = static_cast<float>(m.global_mean) + m.user_bias[user];
        for (Eigen::Index i = 0; i < scores.size(); ++i) scores(i) += offset + m.item_bias[i];
    }
    return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, excluded);
}

std::vector<Scored> popular(const FactorModel &m, int k, const std::vector<int32_t> &excluded) {
    std::vector<float> counts(m.item_counts.begin(), m.item_counts.end());
    return top_k(counts.data(), static_cast<int32_t>(counts.size()), k, excluded);
}

std::vector<Scored> similar_items(const FactorModel &m, int32_t item, int k) {
    const Eigen::VectorXf norms = m.item_factors.rowwise().norm();
    Eigen::VectorXf scores = m.item_factors * m.item_factors.row(item).transpose();
    const float own = norms(item);
    for (Eigen::Index i = 0; i < scores.size(); ++i) {
        const float denominator = own * norms(i);
        scores(i) = denominator > 0.0f ? scores(i) / denominator : 0.0f;
    }
    return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, {item});
}

float predict(const FactorModel &m, int64_t user_id, int64_t item_id) {
    const int32_t u = m.user_index(user_id), i = m.item_index(item_id);
    if (m.feedback == Feedback::Implicit)
        return u >= 0 && i >= 0 ? m.user_factors.row(u).dot(m.item_factors.row(i)) : 0.0f;
    double estimate = m.global_mean;
    if (u >= 0) estimate += m.user_bias[u];
    if (i >= 0) estimate += m.item_bias[i];
    if (u >= 0 && i >= 0) estimate += m.user_factors.row(u).dot(m.item_factors.row(i));
    return static_cast<float>(std::clamp<double>(estimate, m.rating_min, m.rating_max));
}

}  // namespace cfrec::core
