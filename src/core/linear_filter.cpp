#include "core/linear_filter.h"

#include <algorithm>
#include <cmath>

#include "core/spectrum.h"

namespace cfrec::core {

namespace {

// Only the pattern matters to the filter: values (counts, ratings) are dropped.
Csr pattern(const Csr &m) {
    Csr out;
    out.indptr = m.indptr;
    out.indices = m.indices;
    return out;
}

}  // namespace

LinearFilter::LinearFilter(const Interactions &data, const LinearFilterOptions &options,
                           const StopCheck &stop)
    : by_user_(pattern(data.by_user)),
      by_item_(pattern(data.by_item)),
      ideal_(static_cast<float>(options.ideal)) {
    const int threads = resolve_threads(options.threads);
    ItemSpectrumSolver solver(data, options.rank, options.seed);
    for (int pass = 0; pass < std::max(options.passes, 1); ++pass) solver.iterate(threads, stop);
    ItemSpectrum spectrum = solver.finish(stop);
    vectors_ = std::move(spectrum.vectors);
    sharpen_ = static_cast<float>(options.sharpening) *
               spectrum.values.transpose().array().square().square();

    inv_sqrt_item_degree_.resize(by_item_.rows());
    for (int32_t i = 0; i < by_item_.rows(); ++i)
        inv_sqrt_item_degree_[i] =
            1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(by_item_.row_size(i), 1)));
    inv_user_degree_.resize(by_user_.rows());
    for (int32_t u = 0; u < by_user_.rows(); ++u)
        inv_user_degree_[u] = 1.0f / static_cast<float>(std::max<int64_t>(by_user_.row_size(u), 1));
}

const int32_t *LinearFilter::user_items_begin(int32_t user) const {
    return by_user_.indices.data() + by_user_.indptr[user];
}

const int32_t *LinearFilter::user_items_end(int32_t user) const {
    return by_user_.indices.data() + by_user_.indptr[user + 1];
}

void LinearFilter::score(const int32_t *items, size_t n, float *scores,
                         std::vector<float> &user_scratch) const {
    const int32_t item_count = by_item_.rows();
    // r R~^T: for each user v sharing an item with r, sum over shared items j
    // of d_j^-1/2, times d_v^-1/2 now and once more on the way back.
    std::vector<int32_t> touched;
    for (size_t k = 0; k < n; ++k) {
        const int32_t j = items[k];
        const float w = inv_sqrt_item_degree_[j];
        for (int64_t q = by_item_.indptr[j]; q < by_item_.indptr[j + 1]; ++q) {
            const int32_t v = by_item_.indices[q];
            if (user_scratch[v] == 0.0f) touched.push_back(v);
            user_scratch[v] += w;
        }
    }
    // ... R~: each touched user's items, then d_i^-1/2.
    std::fill(scores, scores + item_count, 0.0f);
    for (int32_t v : touched) {
        const float c = user_scratch[v] * inv_user_degree_[v];
        user_scratch[v] = 0.0f;
        for (int64_t q = by_user_.indptr[v]; q < by_user_.indptr[v + 1]; ++q)
            scores[by_user_.indices[q]] += c;
    }

    // The low-rank terms: r D_i^-1/2 V for the ideal term, r V S^4 for the
    // sharpening; then V once, item by item (rows of V are contiguous), both
    // dot products riding on the same load, which bounds a request's cost.
    Eigen::RowVectorXf ideal = Eigen::RowVectorXf::Zero(vectors_.cols());
    Eigen::RowVectorXf sharpen = Eigen::RowVectorXf::Zero(vectors_.cols());
    for (size_t k = 0; k < n; ++k) {
        ideal += inv_sqrt_item_degree_[items[k]] * vectors_.row(items[k]);
        sharpen += vectors_.row(items[k]);
    }
    ideal *= ideal_;
    sharpen = -(sharpen.array() * sharpen_.array()).matrix();
    for (int32_t i = 0; i < item_count; ++i) {
        const auto v = vectors_.row(i);
        const float d = inv_sqrt_item_degree_[i];
        scores[i] = scores[i] * d + v.dot(ideal) / d + v.dot(sharpen);
    }
}

}  // namespace cfrec::core
