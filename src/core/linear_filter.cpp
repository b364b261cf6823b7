#include "core/linear_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "core/als_common.h"
#include "core/graph_filter.h"
#include "core/half_rows.h"
#include "core/serving.h"
#include "core/spectrum.h"

namespace cfrec::core {

namespace {

// What recommend_each_from_items keeps of a block's scores.
constexpr int64_t kScoreBlockBytes = int64_t{8} << 20;

// Items x users from users x items, pattern only.
Csr transposed(const Csr &rows, int32_t columns) {
    Csr out;
    out.indptr.assign(columns + 1, 0);
    for (int32_t c : rows.indices) ++out.indptr[c + 1];
    for (int32_t c = 0; c < columns; ++c) out.indptr[c + 1] += out.indptr[c];
    out.indices.resize(rows.indices.size());
    std::vector<int64_t> next(out.indptr.begin(), out.indptr.end() - 1);
    for (int32_t r = 0; r < rows.rows(); ++r)
        for (int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k)
            out.indices[next[rows.indices[k]]++] = r;
    return out;
}

Eigen::Map<const Eigen::RowVectorXf> weights(Span<float> w) {
    return {w.data(), static_cast<Eigen::Index>(w.size())};
}

// Lanes of scaled_dots' sums: enough sums in flight that the adds' latency
// does not bound a row, few enough that they stay in registers.
#if defined(__AVX__)
constexpr int kLanes = 32;  // two AVX-512 or four AVX registers a sum
#else
constexpr int kLanes = 16;  // four of SSE's 16 registers a sum
#endif

// (w . a) * scale + w . b, summed in fixed lanes in a fixed order: a score
// then does not depend on where the vectors sit in memory, nor on how many
// people share a pass over W.
float scaled_dots(const float *w, const float *a, float scale, const float *b, Eigen::Index n) {
    using Lanes = Eigen::Array<float, kLanes, 1>;
    Lanes sa = Lanes::Zero(), sb = Lanes::Zero();
    Eigen::Index k = 0;
    for (; k + kLanes <= n; k += kLanes) {
        const Lanes x = Eigen::Map<const Lanes>(w + k);
        sa += x * Eigen::Map<const Lanes>(a + k);
        sb += x * Eigen::Map<const Lanes>(b + k);
    }
    float rest_a = 0, rest_b = 0;  // past the last full set of lanes
    for (; k < n; ++k) {
        rest_a += w[k] * a[k];
        rest_b += w[k] * b[k];
    }
    return (sa * scale + sb).sum() + (rest_a * scale + rest_b);
}

}  // namespace

struct LinearFilter::Owned {
    std::vector<int64_t> row_ids;
    Csr by_user, by_item;
    std::vector<float> inv_sqrt_item_degree, inv_user_degree, ideal_weight, sharpen_weight;
    std::vector<uint16_t> half_factors;
    std::vector<float> half_slack;
    double ideal;
};

LinearFilter::LinearFilter(const LinearFilterArrays &arrays) : a_(arrays) {}

double LinearFilter::ideal() const {
    return owned_ ? owned_->ideal : std::numeric_limits<double>::quiet_NaN();
}

namespace {

// Below this share of the largest singular value a direction is noise of a
// spectrum asked for past the data's rank: it gets no weight.
float tiny_singular_value(const Eigen::VectorXf &singular_values) {
    return 1e-4f * std::max(singular_values.size() ? singular_values.maxCoeff() : 0.0f, 1e-30f);
}

}  // namespace

double spectrum_ideal_weight(const FactorMatrix &factors) {
    const Eigen::VectorXf singular_values = factors.colwise().norm().transpose();
    const float tiny = tiny_singular_value(singular_values);
    double weakest = 0.0;
    for (Eigen::Index k = 0; k < singular_values.size(); ++k)
        if (singular_values[k] > tiny && (weakest == 0.0 || singular_values[k] < weakest))
            weakest = singular_values[k];
    return kLinearFilterIdealPerWeakest * weakest * weakest;
}

LinearFilter::~LinearFilter() = default;

LinearFilter::LinearFilter(std::vector<int64_t> row_ids, Csr rows, const FactorMatrix &factors,
                           double ideal, double sharpening) {
    auto o = std::make_unique<Owned>();
    o->ideal = ideal;
    o->row_ids = std::move(row_ids);
    o->by_user = std::move(rows);
    o->by_user.values.clear();
    o->by_item = transposed(o->by_user, static_cast<int32_t>(factors.rows()));
    const Eigen::VectorXf singular_values = factors.colwise().norm().transpose();
    // Directions with no singular value (data of lower rank than asked for)
    // are arbitrary: they get no weight, as in the graph filter.
    const float tiny = tiny_singular_value(singular_values);
    o->ideal_weight.resize(singular_values.size());
    o->sharpen_weight.resize(singular_values.size());
    for (Eigen::Index k = 0; k < singular_values.size(); ++k) {
        const float s2 = singular_values[k] * singular_values[k];
        o->ideal_weight[k] = singular_values[k] > tiny ? static_cast<float>(ideal) / s2 : 0.0f;
        // The sharpening step takes s * x^2 off each component's x = s^2, so
        // x - s x^2; past x = 1/2s that would fall again and rank a strong
        // component (a community almost apart from the rest) below weaker
        // ones, so it stays at its peak 1/4s there: a low-pass filter still.
        // Per column of W = V S the weight is that change over x.
        const double x = s2, peak = 0.5 / std::max(sharpening, 1e-12);
        const double change =
            x <= peak ? -sharpening * x * x : -(x - 0.25 / std::max(sharpening, 1e-12));
        o->sharpen_weight[k] = x > 0 ? static_cast<float>(change / x) : 0.0f;
    }
    const int32_t items = static_cast<int32_t>(factors.rows());
    o->inv_sqrt_item_degree.resize(items);
    for (int32_t i = 0; i < items; ++i)
        o->inv_sqrt_item_degree[i] =
            1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(o->by_item.row_size(i), 1)));
    o->inv_user_degree.resize(o->by_user.rows());
    for (int32_t u = 0; u < o->by_user.rows(); ++u)
        o->inv_user_degree[u] =
            1.0f / static_cast<float>(std::max<int64_t>(o->by_user.row_size(u), 1));
    a_.row_ids = o->row_ids;
    a_.by_user = {o->by_user.indptr, o->by_user.indices};
    a_.by_item = {o->by_item.indptr, o->by_item.indices};
    a_.inv_sqrt_item_degree = o->inv_sqrt_item_degree;
    a_.inv_user_degree = o->inv_user_degree;
    a_.ideal_weight = o->ideal_weight;
    a_.sharpen_weight = o->sharpen_weight;
    if (make_half_rows(factors, o->half_factors, o->half_slack)) {
        a_.half_factors = o->half_factors;
        a_.half_slack = o->half_slack;
    }
    owned_ = std::move(o);  // moving the pointer leaves the vectors where a_ sees them
}

int32_t LinearFilter::row_index(int64_t user_id) const {
    const auto it = std::lower_bound(a_.row_ids.begin(), a_.row_ids.end(), user_id);
    return it != a_.row_ids.end() && *it == user_id ? static_cast<int32_t>(it - a_.row_ids.begin())
                                                    : -1;
}

int64_t LinearFilter::bytes() const {
    return static_cast<int64_t>(
        sizeof(int64_t) *
            (a_.row_ids.size() + a_.by_user.indptr.size() + a_.by_item.indptr.size()) +
        sizeof(int32_t) * (a_.by_user.indices.size() + a_.by_item.indices.size()) +
        sizeof(float) * (a_.inv_sqrt_item_degree.size() + a_.inv_user_degree.size() +
                         a_.ideal_weight.size() + a_.sharpen_weight.size() + a_.half_slack.size()) +
        sizeof(uint16_t) * a_.half_factors.size());
}

void LinearFilter::linear_scores(const int32_t *items, size_t n, float *scores) const {
    // r R~^T: for each user v sharing an item with r, the sum over shared
    // items j of d_j^-1/2 (d_v^-1/2 twice, on the way there and back, is
    // 1/d_v below).
    std::vector<float> through(a_.by_user.rows(), 0.0f);
    std::vector<int32_t> touched;
    for (size_t k = 0; k < n; ++k) {
        const int32_t j = items[k];
        const float w = a_.inv_sqrt_item_degree[j];
        for (int64_t q = a_.by_item.indptr[j]; q < a_.by_item.indptr[j + 1]; ++q) {
            const int32_t v = a_.by_item.indices[q];
            if (through[v] == 0.0f) touched.push_back(v);
            through[v] += w;
        }
    }
    // ... R~: each touched user's items, then d_i^-1/2.
    std::fill(scores, scores + this->items(), 0.0f);
    for (int32_t v : touched) {
        const float c = through[v] * a_.inv_user_degree[v];
        for (int64_t q = a_.by_user.indptr[v]; q < a_.by_user.indptr[v + 1]; ++q)
            scores[a_.by_user.indices[q]] += c;
    }
    for (int32_t i = 0; i < this->items(); ++i) scores[i] *= a_.inv_sqrt_item_degree[i];
}

void LinearFilter::score(const Eigen::Map<const FactorMatrix> &factors, const int32_t *items,
                         size_t n, float *scores) const {
    const Span<int32_t> person(items, n);
    score_many(factors, &person, 1, scores);
}

void LinearFilter::low_rank_weights(const Eigen::Map<const FactorMatrix> &factors,
                                    Span<int32_t> person, Eigen::RowVectorXf &ideal,
                                    Eigen::RowVectorXf &sharpen) const {
    ideal = Eigen::RowVectorXf::Zero(factors.cols());
    sharpen = Eigen::RowVectorXf::Zero(factors.cols());
    for (int32_t j : person) {
        ideal += a_.inv_sqrt_item_degree[j] * factors.row(j);
        sharpen += factors.row(j);
    }
    ideal.array() *= weights(a_.ideal_weight).array();
    sharpen.array() *= weights(a_.sharpen_weight).array();
}

void LinearFilter::score_many(const Eigen::Map<const FactorMatrix> &factors,
                              const Span<int32_t> *people, size_t count, float *scores) const {
    const int32_t n_items = this->items();
    std::vector<Eigen::RowVectorXf> ideal(count), sharpen(count);
    for (size_t r = 0; r < count; ++r) {
        linear_scores(people[r].data(), people[r].size(), scores + r * n_items);
        low_rank_weights(factors, people[r], ideal[r], sharpen[r]);
    }
    // Then W once, item by item (rows are contiguous), each row serving
    // everyone's two dot products while it is in cache: reading W (39 MB on
    // Yelp2018) is what a person costs, so sharing the read is the saving.
    for (int32_t i = 0; i < n_items; ++i) {
        const float *w = factors.row(i).data();
        const float sqrt_degree = 1.0f / a_.inv_sqrt_item_degree[i];
        for (size_t r = 0; r < count; ++r)
            scores[r * n_items + i] +=
                scaled_dots(w, ideal[r].data(), sqrt_degree, sharpen[r].data(), factors.cols());
    }
}

std::vector<std::vector<Scored>> LinearFilter::best_many(
    const Eigen::Map<const FactorMatrix> &factors, const Span<int32_t> *people, size_t count, int k,
    const std::vector<int32_t> *const *excluded, bool use_half) const {
    const int32_t n_items = this->items();
    std::vector<std::vector<Scored>> out(count);
    std::vector<float> scores(count * n_items);
    if (!use_half || a_.half_factors.empty() || k <= 0) {
        score_many(factors, people, count, scores.data());
        for (size_t r = 0; r < count; ++r)
            out[r] = top_k(scores.data() + r * n_items, n_items, k, *excluded[r]);
        return out;
    }
    // The exact linear term, and the low-rank terms from the half copy on top.
    const Eigen::Index f = factors.cols();
    const int32_t stride = half_row_stride(static_cast<int32_t>(f));
    std::vector<Eigen::RowVectorXf> ideal(count), sharpen(count);
    std::vector<std::vector<float>> padded(2 * count, std::vector<float>(stride, 0.0f));
    std::vector<const float *> a(count), b(count);
    for (size_t r = 0; r < count; ++r) {
        linear_scores(people[r].data(), people[r].size(), scores.data() + r * n_items);
        low_rank_weights(factors, people[r], ideal[r], sharpen[r]);
        std::copy(ideal[r].data(), ideal[r].data() + f, padded[2 * r].data());
        std::copy(sharpen[r].data(), sharpen[r].data() + f, padded[2 * r + 1].data());
        a[r] = padded[2 * r].data();
        b[r] = padded[2 * r + 1].data();
    }
    std::vector<float> approx(scores);
    add_half_dots({a_.half_factors.data(), n_items, stride, a_.inv_sqrt_item_degree.data(),
                   a.data(), b.data(), static_cast<int32_t>(count), approx.data(), n_items});
    std::vector<float> reach(n_items), lower(n_items);
    for (size_t r = 0; r < count; ++r) {
        const float *linear = scores.data() + r * n_items, *near = approx.data() + r * n_items;
        // How far an approximate score can be from the exact one: the copy's
        // slack on both dot products, and float rounding of the sums around them.
        const float ideal_norm = ideal[r].norm() * (1.0f + 1e-6f);
        const float sharpen_norm = sharpen[r].norm() * (1.0f + 1e-6f);
        for (int32_t i = 0; i < n_items; ++i) {
            const float scale = 1.0f / a_.inv_sqrt_item_degree[i];
            reach[i] = a_.half_slack[i] * (scale * ideal_norm + sharpen_norm) * (1.0f + 1e-5f) +
                       (std::abs(linear[i]) + std::abs(near[i])) * 0x1p-21f;
            lower[i] = near[i] - reach[i];
        }
        // At least k items score at least the k-th best lower bound; an item
        // that cannot reach it is not in the top k.
        const std::vector<Scored> sure = top_k(lower.data(), n_items, k, *excluded[r]);
        const float threshold = static_cast<int>(sure.size()) == k
                                    ? sure.back().score
                                    : -std::numeric_limits<float>::infinity();
        std::vector<Scored> candidates;
        auto skip = excluded[r]->begin();
        for (int32_t i = 0; i < n_items; ++i) {
            while (skip != excluded[r]->end() && *skip < i) ++skip;
            if (skip != excluded[r]->end() && *skip == i) continue;
            if (!(near[i] + reach[i] >= threshold)) continue;
            // Exactly as score_many computes it.
            const float exact =
                linear[i] + scaled_dots(factors.row(i).data(), ideal[r].data(),
                                        1.0f / a_.inv_sqrt_item_degree[i], sharpen[r].data(), f);
            candidates.push_back({i, exact});
        }
        const size_t keep = std::min<size_t>(k, candidates.size());
        std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(),
                          ranks_before);
        candidates.resize(keep);
        out[r] = std::move(candidates);
    }
    return out;
}

double LinearFilter::share(const Eigen::Map<const FactorMatrix> &factors, int32_t j,
                           int32_t i) const {
    // The users of j and of i (ascending in both rows) each add 1/d_v.
    double shared = 0.0;
    const int32_t *a = a_.by_item.indices.data() + a_.by_item.indptr[j];
    const int32_t *a_end = a_.by_item.indices.data() + a_.by_item.indptr[j + 1];
    const int32_t *b = a_.by_item.indices.data() + a_.by_item.indptr[i];
    const int32_t *b_end = a_.by_item.indices.data() + a_.by_item.indptr[i + 1];
    while (a != a_end && b != b_end) {
        if (*a < *b) {
            ++a;
        } else if (*b < *a) {
            ++b;
        } else {
            shared += a_.inv_user_degree[*a];
            ++a;
            ++b;
        }
    }
    const double dj = a_.inv_sqrt_item_degree[j], di = a_.inv_sqrt_item_degree[i];
    const auto wj = factors.row(j), wi = factors.row(i);
    const double ideal = (dj * wj.array() * weights(a_.ideal_weight).array()).matrix().dot(wi) / di;
    const double sharpen = (wj.array() * weights(a_.sharpen_weight).array()).matrix().dot(wi);
    return shared * dj * di + ideal + sharpen;
}

LinearFilterTrainer::LinearFilterTrainer(Interactions data, const TrainOptions &options)
    : data_(std::move(data)), options_(options) {
    const int most = std::min(data_.by_user.rows(), data_.by_item.rows());
    const int rank =
        options.fit_factors_to_data ? std::min(options.factors, most) : options.factors;
    solver_ = std::make_unique<ItemSpectrumSolver>(data_, rank, options.seed);
}

IterationReport LinearFilterTrainer::step(const StopCheck &stop) {
    stop_ = stop;  // take_model() is asked without one
    return spectrum_pass(*solver_, ++iteration_, resolve_threads(options_.threads), stop);
}

FactorModel LinearFilterTrainer::take_model() {
    ItemSpectrum spectrum = solver_->finish(stop_);
    FactorModel model;
    model.feedback = Feedback::Implicit;
    model.item_factors = spectrum.vectors * spectrum.values.asDiagonal();
    model.item_counts = row_sizes(data_.by_item);
    model.item_bias.assign(data_.item_ids.size(), 0.0f);
    const double ideal =
        options_.ideal_from_spectrum ? spectrum_ideal_weight(model.item_factors) : options_.alpha;
    model.linear =
        std::make_shared<const LinearFilter>(std::move(data_.user_ids), std::move(data_.by_user),
                                             model.item_factors, ideal, kLinearFilterSharpening);
    model.item_ids = std::move(data_.item_ids);
    model.user_factors = FactorMatrix(0, model.item_factors.cols());
    return model;
}

std::vector<Scored> recommend_from_items(const ModelView &m, const std::vector<int32_t> &items,
                                         int k, const std::vector<int32_t> &excluded,
                                         const std::vector<int32_t> *include, bool use_half) {
    if (!include) {
        const Span<int32_t> person(items);
        const std::vector<int32_t> *excluded_of[] = {&excluded};
        return std::move(
            m.linear->best_many(m.item_factors, &person, 1, k, excluded_of, use_half)[0]);
    }
    std::vector<float> scores(m.item_ids.size());
    m.linear->score(m.item_factors, items.data(), items.size(), scores.data());
    std::vector<Scored> scored;
    for (int32_t i : *include)
        if (!std::binary_search(excluded.begin(), excluded.end(), i))
            scored.push_back({i, scores[i]});
    const size_t keep = std::min<size_t>(std::max(k, 0), scored.size());
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(), ranks_before);
    scored.resize(keep);
    return scored;
}

std::vector<std::vector<Scored>> recommend_each_from_items(
    const ModelView &m, const std::vector<std::vector<int32_t>> &items, int k, bool exclude_own) {
    const int32_t n_items = static_cast<int32_t>(m.item_ids.size());
    // People are scored a block at a time (one pass over W for the block);
    // the block's score rows stay within the budget.
    const size_t block = static_cast<size_t>(std::clamp<int64_t>(
        kScoreBlockBytes / (static_cast<int64_t>(sizeof(float)) * std::max(n_items, 1)), 1, 16));
    const std::vector<int32_t> none;
    std::vector<std::vector<Scored>> out(items.size());
    for (size_t first = 0; first < items.size(); first += block) {
        const size_t last = std::min(items.size(), first + block);
        std::vector<Span<int32_t>> people;
        std::vector<const std::vector<int32_t> *> excluded;
        for (size_t r = first; r < last; ++r) {
            if (items[r].empty()) {
                out[r] = popular(m, k, none);
                continue;
            }
            people.emplace_back(items[r]);
            excluded.push_back(exclude_own ? &items[r] : &none);
        }
        if (people.empty()) continue;
        // as recommend_from_items without candidates
        auto tops = m.linear->best_many(m.item_factors, people.data(), people.size(), k,
                                        excluded.data(), true);
        auto next = tops.begin();
        for (size_t r = first; r < last; ++r)
            if (!items[r].empty()) out[r] = std::move(*next++);
    }
    return out;
}

BatchRecommendations recommend_many_from_items(const ModelView &m, int64_t row_begin,
                                               int64_t row_end, int k, const Csr &items,
                                               bool exclude_seen, int threads,
                                               const StopCheck &stop) {
    const int64_t n = row_end - row_begin;
    BatchRecommendations out;
    out.items.resize(static_cast<size_t>(n) * k);
    out.count.assign(n, 0);
    parallel_for(
        n, resolve_threads(threads), 16,
        [&](int64_t begin, int64_t end) {
            std::vector<std::vector<int32_t>> own;
            for (int64_t row = row_begin + begin; row < row_begin + end; ++row)
                own.emplace_back(items.indices.begin() + items.indptr[row],
                                 items.indices.begin() + items.indptr[row + 1]);
            const auto tops = recommend_each_from_items(m, own, k, exclude_seen);
            for (int64_t r = begin; r < end; ++r) {
                const std::vector<Scored> &top = tops[r - begin];
                std::copy(top.begin(), top.end(), out.items.begin() + r * k);
                out.count[r] = static_cast<int32_t>(top.size());
            }
        },
        stop);
    return out;
}

std::vector<Scored> operator_neighbours(const ModelView &m, int32_t item, int k) {
    std::vector<float> scores(m.item_ids.size());
    m.linear->linear_scores(&item, 1, scores.data());
    return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, {item});
}

}  // namespace cfrec::core
