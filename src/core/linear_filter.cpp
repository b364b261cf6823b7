#include "core/linear_filter.h"

#include <algorithm>
#include <cmath>

#include "core/als_common.h"
#include "core/graph_filter.h"
#include "core/serving.h"
#include "core/spectrum.h"

namespace cfrec::core {

namespace {

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

}  // namespace

LinearFilter::LinearFilter(std::vector<int64_t> row_ids, Csr rows, const FactorMatrix &factors,
                           double ideal, double sharpening)
    : row_ids_(std::move(row_ids)),
      by_user_(std::move(rows)),
      by_item_(transposed(by_user_, static_cast<int32_t>(factors.rows()))),
      singular_values_(factors.colwise().norm().transpose()) {
    by_user_.values.clear();
    // Directions with no singular value (data of lower rank than asked for)
    // are arbitrary: they get no weight, as in the graph filter.
    const float tiny = 1e-4f * std::max(singular_values_.maxCoeff(), 1e-30f);
    ideal_weight_.resize(singular_values_.size());
    sharpen_weight_.resize(singular_values_.size());
    for (Eigen::Index k = 0; k < singular_values_.size(); ++k) {
        const float s2 = singular_values_[k] * singular_values_[k];
        ideal_weight_[k] = singular_values_[k] > tiny ? static_cast<float>(ideal) / s2 : 0.0f;
        // The sharpening step takes s * x^2 off each component's x = s^2, so
        // x - s x^2; past x = 1/2s that would fall again and rank a strong
        // component (a community almost apart from the rest) below weaker
        // ones, so it stays at its peak 1/4s there: a low-pass filter still.
        // Per column of W = V S the weight is that change over x.
        const double x = s2, peak = 0.5 / std::max(sharpening, 1e-12);
        const double change =
            x <= peak ? -sharpening * x * x : -(x - 0.25 / std::max(sharpening, 1e-12));
        sharpen_weight_[k] = x > 0 ? static_cast<float>(change / x) : 0.0f;
    }
    const int32_t items = static_cast<int32_t>(factors.rows());
    inv_sqrt_item_degree_.resize(items);
    for (int32_t i = 0; i < items; ++i)
        inv_sqrt_item_degree_[i] =
            1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(by_item_.row_size(i), 1)));
    inv_user_degree_.resize(by_user_.rows());
    for (int32_t u = 0; u < by_user_.rows(); ++u)
        inv_user_degree_[u] = 1.0f / static_cast<float>(std::max<int64_t>(by_user_.row_size(u), 1));
}

int32_t LinearFilter::row_index(int64_t user_id) const {
    const auto it = std::lower_bound(row_ids_.begin(), row_ids_.end(), user_id);
    return it != row_ids_.end() && *it == user_id ? static_cast<int32_t>(it - row_ids_.begin())
                                                  : -1;
}

int64_t LinearFilter::bytes() const {
    return static_cast<int64_t>(
        sizeof(int64_t) * (row_ids_.size() + by_user_.indptr.size() + by_item_.indptr.size()) +
        sizeof(int32_t) * (by_user_.indices.size() + by_item_.indices.size()) +
        sizeof(float) *
            (inv_sqrt_item_degree_.size() + inv_user_degree_.size() + 3 * singular_values_.size()));
}

void LinearFilter::linear_scores(const int32_t *items, size_t n, float *scores) const {
    // r R~^T: for each user v sharing an item with r, the sum over shared
    // items j of d_j^-1/2 (d_v^-1/2 twice, on the way there and back, is
    // 1/d_v below).
    std::vector<float> through(by_user_.rows(), 0.0f);
    std::vector<int32_t> touched;
    for (size_t k = 0; k < n; ++k) {
        const int32_t j = items[k];
        const float w = inv_sqrt_item_degree_[j];
        for (int64_t q = by_item_.indptr[j]; q < by_item_.indptr[j + 1]; ++q) {
            const int32_t v = by_item_.indices[q];
            if (through[v] == 0.0f) touched.push_back(v);
            through[v] += w;
        }
    }
    // ... R~: each touched user's items, then d_i^-1/2.
    std::fill(scores, scores + this->items(), 0.0f);
    for (int32_t v : touched) {
        const float c = through[v] * inv_user_degree_[v];
        for (int64_t q = by_user_.indptr[v]; q < by_user_.indptr[v + 1]; ++q)
            scores[by_user_.indices[q]] += c;
    }
    for (int32_t i = 0; i < this->items(); ++i) scores[i] *= inv_sqrt_item_degree_[i];
}

void LinearFilter::score(const Eigen::Map<const FactorMatrix> &factors, const int32_t *items,
                         size_t n, float *scores) const {
    linear_scores(items, n, scores);
    // The low-rank terms: r D_i^-1/2 V for the ideal term, r V S^4 for the
    // sharpening, as weights on W = V S; then W once, item by item (rows are
    // contiguous), both dot products riding on the same load, which bounds
    // a request's cost.
    Eigen::RowVectorXf ideal = Eigen::RowVectorXf::Zero(factors.cols());
    Eigen::RowVectorXf sharpen = Eigen::RowVectorXf::Zero(factors.cols());
    for (size_t k = 0; k < n; ++k) {
        ideal += inv_sqrt_item_degree_[items[k]] * factors.row(items[k]);
        sharpen += factors.row(items[k]);
    }
    ideal.array() *= ideal_weight_.array();
    sharpen.array() *= sharpen_weight_.array();
    for (int32_t i = 0; i < this->items(); ++i) {
        const auto w = factors.row(i);
        scores[i] += w.dot(ideal) / inv_sqrt_item_degree_[i] + w.dot(sharpen);
    }
}

double LinearFilter::share(const Eigen::Map<const FactorMatrix> &factors, int32_t j,
                           int32_t i) const {
    // The users of j and of i (ascending in both rows) each add 1/d_v.
    double shared = 0.0;
    const int32_t *a = by_item_.indices.data() + by_item_.indptr[j];
    const int32_t *a_end = by_item_.indices.data() + by_item_.indptr[j + 1];
    const int32_t *b = by_item_.indices.data() + by_item_.indptr[i];
    const int32_t *b_end = by_item_.indices.data() + by_item_.indptr[i + 1];
    while (a != a_end && b != b_end) {
        if (*a < *b) {
            ++a;
        } else if (*b < *a) {
            ++b;
        } else {
            shared += inv_user_degree_[*a];
            ++a;
            ++b;
        }
    }
    const double dj = inv_sqrt_item_degree_[j], di = inv_sqrt_item_degree_[i];
    const auto wj = factors.row(j), wi = factors.row(i);
    const double ideal = (dj * wj.array() * ideal_weight_.array()).matrix().dot(wi) / di;
    const double sharpen = (wj.array() * sharpen_weight_.array()).matrix().dot(wi);
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
    model.linear = std::make_shared<const LinearFilter>(
        std::move(data_.user_ids), std::move(data_.by_user), model.item_factors, options_.alpha,
        kLinearFilterSharpening);
    model.item_ids = std::move(data_.item_ids);
    model.user_factors = FactorMatrix(0, model.item_factors.cols());
    return model;
}

std::vector<Scored> recommend_from_items(const ModelView &m, const std::vector<int32_t> &items,
                                         int k, const std::vector<int32_t> &excluded,
                                         const std::vector<int32_t> *include) {
    std::vector<float> scores(m.item_ids.size());
    m.linear->score(m.item_factors, items.data(), items.size(), scores.data());
    if (!include) return top_k(scores.data(), static_cast<int32_t>(scores.size()), k, excluded);
    std::vector<Scored> scored;
    for (int32_t i : *include)
        if (!std::binary_search(excluded.begin(), excluded.end(), i))
            scored.push_back({i, scores[i]});
    const size_t keep = std::min<size_t>(std::max(k, 0), scored.size());
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(), ranks_before);
    scored.resize(keep);
    return scored;
}

BatchRecommendations recommend_many_from_items(const ModelView &m, int64_t row_begin,
                                               int64_t row_end, int k, const Csr &items,
                                               bool exclude_seen, int threads,
                                               const StopCheck &stop) {
    const int64_t n = row_end - row_begin;
    BatchRecommendations out;
    out.items.resize(static_cast<size_t>(n) * k);
    out.count.assign(n, 0);
    const std::vector<int32_t> none;
    parallel_for(
        n, resolve_threads(threads), 8,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                const int64_t row = row_begin + r;
                const std::vector<int32_t> own(items.indices.begin() + items.indptr[row],
                                               items.indices.begin() + items.indptr[row + 1]);
                const std::vector<int32_t> &excluded = exclude_seen ? own : none;
                const std::vector<Scored> top = own.empty()
                                                    ? popular(m, k, excluded)
                                                    : recommend_from_items(m, own, k, excluded);
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
