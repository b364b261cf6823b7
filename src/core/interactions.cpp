#include "core/interactions.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/errors.h"

namespace cfrec::core {

namespace {

std::vector<int64_t> sorted_unique(const std::vector<int64_t> &ids) {
    std::vector<int64_t> out(ids);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<int32_t> dense_indices(const std::vector<int64_t> &ids,
                                   const std::vector<int64_t> &sorted) {
    std::vector<int32_t> out(ids.size());
    for (size_t r = 0; r < ids.size(); ++r)
        out[r] = static_cast<int32_t>(std::lower_bound(sorted.begin(), sorted.end(), ids[r]) -
                                      sorted.begin());
    return out;
}

}  // namespace

void InteractionBuilder::add(const int64_t *users, const int64_t *items, const float *values,
                             size_t n) {
    for (size_t r = 0; r < n; ++r)
        if (!std::isfinite(values[r]))
            throw Error(ErrorKind::DataError,
                        "value for user " + std::to_string(users[r]) + " and item " +
                            std::to_string(items[r]) + " is not a finite number",
                        "Filter out NaN and infinite values with a view or WHERE clause.");
    users_.insert(users_.end(), users, users + n);
    items_.insert(items_.end(), items, items + n);
    values_.insert(values_.end(), values, values + n);
}

Interactions InteractionBuilder::finish() {
    if (users_.empty())
        throw Error(ErrorKind::DataError, "there are no interactions to train on",
                    "The source must have at least one row whose user and item are not NULL.");
    Interactions out;
    out.rows_read = static_cast<int64_t>(users_.size());
    out.user_ids = sorted_unique(users_);
    out.item_ids = sorted_unique(items_);
    if (out.user_ids.size() > INT32_MAX || out.item_ids.size() > INT32_MAX)
        throw Error(ErrorKind::DataError, "more than 2^31 distinct users or items");
    std::vector<int32_t> u = dense_indices(users_, out.user_ids);
    std::vector<int32_t> i = dense_indices(items_, out.item_ids);
    std::vector<int64_t>().swap(users_);
    std::vector<int64_t>().swap(items_);

    // Counting sort by user, then sort each user's row by item, keeping the
    // read order among duplicates.
    const int32_t n_users = static_cast<int32_t>(out.user_ids.size());
    std::vector<int64_t> start(n_users + 1, 0);
    for (int32_t uu : u) ++start[uu + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<int64_t> order(u.size());
    {
        std::vector<int64_t> fill(start.begin(), start.end() - 1);
        for (size_t r = 0; r < u.size(); ++r) order[fill[u[r]]++] = static_cast<int64_t>(r);
    }

    Csr &m = out.by_user;
    m.indptr.assign(1, 0);
    m.indptr.reserve(n_users + 1);
    m.indices.reserve(u.size());
    m.values.reserve(u.size());
    for (int32_t uu = 0; uu < n_users; ++uu) {
        auto first = order.begin() + start[uu], last = order.begin() + start[uu + 1];
        std::stable_sort(first, last, [&](int64_t a, int64_t b) { return i[a] < i[b]; });
        for (auto it = first; it != last;) {
            auto run_end = it;
            double sum = 0.0;
            while (run_end != last && i[*run_end] == i[*it]) sum += values_[*run_end++];
            int64_t count = run_end - it;
            out.duplicates_merged += count - 1;
            double value = policy_ == DuplicatePolicy::Average ? sum / count : sum;
            m.indices.push_back(i[*it]);
            m.values.push_back(static_cast<float>(value));
            it = run_end;
        }
        m.indptr.push_back(m.nnz());
    }
    std::vector<float>().swap(values_);
    out.by_item = transpose(m, static_cast<int32_t>(out.item_ids.size()));
    return out;
}

Csr transpose(const Csr &m, int32_t columns) {
    Csr t;
    t.indptr.assign(columns + 1, 0);
    for (int32_t c : m.indices) ++t.indptr[c + 1];
    std::partial_sum(t.indptr.begin(), t.indptr.end(), t.indptr.begin());
    t.indices.resize(m.indices.size());
    t.values.resize(m.values.size());
    std::vector<int64_t> fill(t.indptr.begin(), t.indptr.end() - 1);
    for (int32_t r = 0; r < m.rows(); ++r)
        for (int64_t p = m.indptr[r]; p < m.indptr[r + 1]; ++p) {
            int64_t dst = fill[m.indices[p]]++;
            t.indices[dst] = r;
            t.values[dst] = m.values[p];
        }
    return t;
}

}  // namespace cfrec::core
