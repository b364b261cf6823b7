#include "core/serving.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/graph_filter.h"
#include "core/half_scorer.h"
#include "core/interactions.h"
#include "core/row_solve.h"

namespace cfrec::core {

std::vector<int32_t> known_items(const ModelView &m, const int64_t *ids, size_t n) {
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

void prepare_for_serving(FactorModel &m) {
    if (m.feedback == Feedback::Implicit)
        m.item_gram =
            std::make_shared<const Eigen::MatrixXf>(m.item_factors.transpose() * m.item_factors);
    m.half_items.reset();  // a copy of older item factors must never be used
    if (!HalfItemScorer::available()) return;
    auto half = std::make_shared<HalfItemScorer>(
        m.item_factors, m.feedback == Feedback::Explicit ? m.item_bias : std::vector<float>());
    if (half->valid()) m.half_items = std::move(half);
}

namespace {

// Two passes over the items: approximate scores from half precision, then
// exact scores for the candidates the approximation cannot rule out.
//
// Rounding a factor to half precision errs by at most 2^-11 of its value
// (2^-25 absolute below the normal range), and float sums of 64 or fewer
// products add less than 2^-17 relative, so
//   |exact_i - approx_i| <= 2^-10 |x| |y_i| + 2^-24 |x|_1  =: bound_i
// with room to spare. If T is the k-th largest lower bound approx - bound
// among eligible items, k items score at least T, so every item of the true
// top k has approx + bound >= T and is among the candidates. Bounds are
// padded to whole blocks of 16 positions; positions past the last are never read.
//
// The copy holds items by falling norm, so from block b on no item scores
// above |x| norm_from(b) + bias_from(b) (Cauchy-Schwarz). Once that, with a
// margin far above float rounding, is below T, the rest cannot reach the
// top k and the scan stops.
std::vector<Scored> recommend_two_stage(const ModelView &m, const float *user_vector, int k,
                                        const std::vector<int32_t> &excluded, float offset) {
    constexpr int64_t kChunkBlocks = 16;  // 256 positions of bounds: stays in L1
    const HalfItemScorer &half = *m.half_items;
    const int32_t n = static_cast<int32_t>(m.item_ids.size());
    const Eigen::Map<const Eigen::VectorXf> x(user_vector, m.factors());
    const bool explicit_model = m.feedback == Feedback::Explicit;
    const float x_norm = x.norm();
    const float scale = std::ldexp(x_norm, -10);
    const float floor = std::ldexp(x.lpNorm<1>(), -24);

    // One pass: the k best lower bounds so far give a threshold that only
    // rises; every eligible item whose upper bound reaches it when visited is
    // kept, a superset of those reaching the final threshold.
    std::vector<Scored> best;  // min-heap on ranks_before of (item, lower bound)
    best.reserve(k);
    float threshold = -std::numeric_limits<float>::infinity();
    auto out_of_reach = [&](int64_t block) {
        if (static_cast<int>(best.size()) < k) return false;
        const float dot = (x_norm * half.norm_from(block) + floor) * (1.0f + std::ldexp(1.0f, -9));
        const float bias = half.bias_from(block);
        // The last term covers rounding when scores and the offset are added.
        return dot + bias + std::ldexp(dot + std::fabs(bias) + std::fabs(offset), -20) < threshold;
    };
    struct Candidate {
        int32_t index;
        float upper;
    };
    std::vector<Candidate> kept;
    alignas(64) float lower[kChunkBlocks * 16], upper[kChunkBlocks * 16];
    for (int64_t b0 = 0; b0 < half.blocks() && !out_of_reach(b0); b0 += kChunkBlocks) {
        const int64_t blocks = std::min(kChunkBlocks, half.blocks() - b0);
        half.bounds(x.data(), scale, floor, b0, blocks, lower, upper);
        const int32_t base = static_cast<int32_t>(b0 * 16);
        const int32_t count = std::min<int32_t>(static_cast<int32_t>(blocks * 16), n - base);
        for (int32_t j = 0; j < count; j += 16) {
            if (j > 0 && out_of_reach(b0 + j / 16)) break;
            const int32_t end = std::min(count, j + 16);
            bool any = false;  // 16 at a time: vector compares in the common case
            for (int32_t t = j; t < end; ++t) any |= upper[t] >= threshold;
            if (!any) continue;
            for (int32_t t = j; t < end; ++t) {
                if (!(upper[t] >= threshold)) continue;
                const int32_t i = half.item_at(base + t);
                if (std::binary_search(excluded.begin(), excluded.end(), i)) continue;
                kept.push_back({i, upper[t]});
                if (static_cast<int>(best.size()) < k) {
                    best.push_back({i, lower[t]});
                    std::push_heap(best.begin(), best.end(), ranks_before);
                } else if (lower[t] > best.front().score) {
                    std::pop_heap(best.begin(), best.end(), ranks_before);
                    best.back() = {i, lower[t]};
                    std::push_heap(best.begin(), best.end(), ranks_before);
                }
                if (static_cast<int>(best.size()) == k) threshold = best.front().score;
            }
        }
    }
    std::vector<Scored> candidates;
    for (const Candidate &c : kept) {
        if (c.upper < threshold) continue;
        float score = m.item_factors.row(c.index).dot(x.transpose());
        if (explicit_model) score += offset + m.item_bias[c.index];
        candidates.push_back({c.index, score});
    }
    const size_t keep = std::min<size_t>(k, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(),
                      ranks_before);
    candidates.resize(keep);
    return candidates;
}

// Exact scores of the included items only, best k first.
std::vector<Scored> rank_included(const ModelView &m, const Eigen::Map<const Eigen::VectorXf> &x,
                                  float offset, int k, const std::vector<int32_t> &excluded,
                                  const std::vector<int32_t> &include) {
    std::vector<Scored> scored;
    for (int32_t i : include) {
        if (std::binary_search(excluded.begin(), excluded.end(), i)) continue;
        float score = m.item_factors.row(i).dot(x.transpose());
        if (m.feedback == Feedback::Explicit) score += offset + m.item_bias[i];
        scored.push_back({i, score});
    }
    const size_t keep = std::min<size_t>(std::max(k, 0), scored.size());
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(), ranks_before);
    scored.resize(keep);
    return scored;
}

}  // namespace

std::vector<Scored> recommend_vector(const ModelView &m, const float *user_vector, float user_bias,
                                     int k, const std::vector<int32_t> &excluded, bool use_half,
                                     const std::vector<int32_t> *include) {
    const float offset =
        m.feedback == Feedback::Explicit ? static_cast<float>(m.global_mean) + user_bias : 0.0f;
    const Eigen::Map<const Eigen::VectorXf> x(user_vector, m.factors());
    if (include) return rank_included(m, x, offset, k, excluded, *include);
    if (use_half && m.half_items && k > 0)
        return recommend_two_stage(m, user_vector, k, excluded, offset);
    Eigen::VectorXf scores = m.item_factors * x;
    if (m.feedback == Feedback::Explicit)
        for (Eigen::Index i = 0; i < scores.size(); ++i) scores(i) += offset + m.item_bias[i];
    return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, excluded);
}

std::vector<Scored> recommend(const ModelView &m, int32_t user, int k,
                              const std::vector<int32_t> &excluded, bool use_half,
                              const std::vector<int32_t> *include) {
    return recommend_vector(m, m.user_factors.row(user).data(), m.user_bias[user], k, excluded,
                            use_half, include);
}

bool fold_in(const ModelView &m, const int64_t *items, const float *values, size_t n,
             const FoldInOptions &o, float &bias, Eigen::VectorXf &x) {
    std::vector<std::pair<int32_t, float>> known;
    for (size_t j = 0; j < n; ++j) {
        const int32_t i = m.item_index(items[j]);
        if (i >= 0) known.emplace_back(i, values[j]);
    }
    if (known.empty()) return false;
    std::vector<int32_t> indices;
    std::vector<float> merged;  // repeats merged as training merges them
    merge_repeats(
        known, m.feedback == Feedback::Explicit ? DuplicatePolicy::Average : DuplicatePolicy::Sum,
        indices, merged);
    const int64_t count = static_cast<int64_t>(indices.size());
    x.resize(m.factors());
    if (o.sum_of_items) {
        bias = 0.0f;
        x = graph_filter_user(m, indices.data(), indices.size());
        return true;
    }
    if (m.feedback == Feedback::Explicit) {
        ExplicitRowScratch scratch;
        solve_explicit_row(indices.data(), merged.data(), count, m.item_factors, m.item_bias,
                           m.global_mean, o.regularization, scratch, bias, x);
        return true;
    }
    bias = 0.0f;
    const int f = m.factors();
    const Eigen::MatrixXf gram =
        m.item_gram ? Eigen::MatrixXf(Eigen::Map<const Eigen::MatrixXf>(m.item_gram, f, f))
                    : Eigen::MatrixXf(m.item_factors.transpose() * m.item_factors);
    solve_implicit_row_exact(indices.data(), merged.data(), count, m.item_factors, gram,
                             implicit_row_regularization(o.regularization, true, count),
                             static_cast<float>(o.alpha), x);
    return true;
}

std::vector<Scored> popular(const ModelView &m, int k, const std::vector<int32_t> &excluded,
                            const std::vector<int32_t> *include) {
    std::vector<float> counts(m.item_counts.begin(), m.item_counts.end());
    if (include) {  // everything not included counts as excluded
        std::vector<int32_t> out = excluded;
        auto next = include->begin();
        for (int32_t i = 0; i < static_cast<int32_t>(counts.size()); ++i) {
            while (next != include->end() && *next < i) ++next;
            if (next == include->end() || *next != i) out.push_back(i);
        }
        std::sort(out.begin(), out.end());
        return top_k(counts.data(), static_cast<int32_t>(counts.size()), k, out);
    }
    return top_k(counts.data(), static_cast<int32_t>(counts.size()), k, excluded);
}

std::vector<Scored> similar_items(const ModelView &m, int32_t item, int k) {
    const Eigen::VectorXf norms = m.item_factors.rowwise().norm();
    Eigen::VectorXf scores = m.item_factors * m.item_factors.row(item).transpose();
    const float own = norms(item);
    for (Eigen::Index i = 0; i < scores.size(); ++i) {
        const float denominator = own * norms(i);
        scores(i) = denominator > 0.0f ? scores(i) / denominator : 0.0f;
    }
    return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, {item});
}

float predict(const ModelView &m, int64_t user_id, int64_t item_id) {
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
