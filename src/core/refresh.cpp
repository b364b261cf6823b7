#include "core/refresh.h"

#include <algorithm>
#include <numeric>

#include "core/errors.h"
#include "core/graph_filter.h"
#include "core/row_solve.h"

namespace cfrec::core {

Refresher::Refresher(const ModelView &model, Side side) : model_(model), side_(side) {}

void Refresher::add(const int64_t *rows, const int64_t *counterparts, const float *values,
                    size_t n) {
    if (side_ == Side::Users)  // as in training: no NaN or infinite values
        require_finite(rows, counterparts, values, n);
    else
        require_finite(counterparts, rows, values, n);
    const bool users = side_ == Side::Users;
    for (size_t r = 0; r < n; ++r) {
        const int32_t other =
            users ? model_.item_index(counterparts[r]) : model_.user_index(counterparts[r]);
        if (other < 0) continue;
        rows_.push_back(rows_seen_.index_of(rows[r]));
        columns_.push_back(other);
        values_.push_back(values[r]);
    }
}

Refreshed Refresher::solve(const FoldInOptions &o, int threads, const StopCheck &stop) {
    if (o.sum_of_items && side_ == Side::Items)
        throw Error(ErrorKind::InvalidArgument, "a graph filter's items cannot be refreshed",
                    "Train the model again to add or change items.");
    const bool explicit_model = model_.feedback == Feedback::Explicit;
    const bool users = side_ == Side::Users;
    const Eigen::Map<const FactorMatrix> &other = users ? model_.item_factors : model_.user_factors;
    const Span<float> other_bias = users ? model_.item_bias : model_.user_bias;
    // Rows in ascending id order, each with its pairs sorted by counterpart.
    const std::vector<int64_t> &seen = rows_seen_.ids();
    std::vector<int32_t> order(seen.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return seen[a] < seen[b]; });
    std::vector<int32_t> rank(seen.size());
    for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int32_t>(r);
    Csr rows;
    rows.indptr.assign(seen.size() + 1, 0);
    for (int32_t r : rows_) ++rows.indptr[rank[r] + 1];
    std::partial_sum(rows.indptr.begin(), rows.indptr.end(), rows.indptr.begin());
    rows.indices.resize(rows_.size());
    rows.values.resize(rows_.size());
    std::vector<int64_t> fill(rows.indptr.begin(), rows.indptr.end() - 1);
    for (size_t j = 0; j < rows_.size(); ++j) {
        const int64_t at = fill[rank[rows_[j]]]++;
        rows.indices[at] = columns_[j];
        rows.values[at] = values_[j];
    }

    Refreshed out;
    out.ids.resize(seen.size());
    for (size_t r = 0; r < order.size(); ++r) {
        out.ids[r] = seen[order[r]];
        if ((users ? model_.user_index(out.ids[r]) : model_.item_index(out.ids[r])) < 0)
            ++out.added;
    }
    out.bias.assign(seen.size(), 0.0f);
    out.interactions.assign(seen.size(), 0);
    out.factors = FactorMatrix::Zero(static_cast<Eigen::Index>(seen.size()), model_.factors());
    Eigen::MatrixXf gram;
    const int f = model_.factors();
    if (!explicit_model && !o.sum_of_items)
        gram = users && model_.item_gram
                   ? Eigen::MatrixXf(Eigen::Map<const Eigen::MatrixXf>(model_.item_gram, f, f))
                   : Eigen::MatrixXf(other.transpose() * other);
    parallel_for(
        static_cast<int64_t>(seen.size()), resolve_threads(threads), 64,
        [&](int64_t begin, int64_t end) {
            ExplicitRowScratch scratch;
            std::vector<std::pair<int32_t, float>> row;
            std::vector<int32_t> indices;
            std::vector<float> merged;
            Eigen::VectorXf x(model_.factors());
            for (int64_t u = begin; u < end; ++u) {
                row.clear();
                for (int64_t p = rows.indptr[u]; p < rows.indptr[u + 1]; ++p)
                    row.emplace_back(rows.indices[p], rows.values[p]);
                merge_repeats(row, explicit_model ? DuplicatePolicy::Average : DuplicatePolicy::Sum,
                              indices, merged);
                const int64_t n = static_cast<int64_t>(indices.size());
                out.interactions[u] = static_cast<int32_t>(n);
                if (o.sum_of_items)
                    x = graph_filter_user(model_, indices.data(), indices.size());
                else if (explicit_model)
                    solve_explicit_row(indices.data(), merged.data(), n, other, other_bias,
                                       model_.global_mean, o.regularization, scratch, out.bias[u],
                                       x);
                else
                    solve_implicit_row_exact(indices.data(), merged.data(), n, other, gram,
                                             implicit_row_regularization(o.regularization, true, n),
                                             static_cast<float>(o.alpha), x);
                out.factors.row(u) = x.transpose();
            }
        },
        stop);
    return out;
}

void merge_refreshed(Refreshed &into, const Refreshed &more) {
    if (more.ids.empty()) return;
    const size_t n = into.ids.size() + more.ids.size();
    const Eigen::Index f = std::max(into.factors.cols(), more.factors.cols());
    Refreshed out;
    out.ids.reserve(n);
    out.bias.reserve(n);
    out.interactions.reserve(n);
    out.factors.resize(static_cast<Eigen::Index>(n), f);
    out.added = into.added + more.added;
    size_t a = 0, b = 0;
    while (a < into.ids.size() || b < more.ids.size()) {
        const bool from_into =
            b == more.ids.size() || (a < into.ids.size() && into.ids[a] < more.ids[b]);
        const Refreshed &src = from_into ? into : more;
        const size_t r = from_into ? a++ : b++;
        out.factors.row(static_cast<Eigen::Index>(out.ids.size())) =
            src.factors.row(static_cast<Eigen::Index>(r));
        out.ids.push_back(src.ids[r]);
        out.bias.push_back(src.bias[r]);
        out.interactions.push_back(src.interactions[r]);
    }
    into = std::move(out);
}

}  // namespace cfrec::core
