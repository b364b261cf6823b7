#include "core/batch_recommend.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/serving.h"

namespace cfrec::core {

namespace {

constexpr int64_t kUserBlock = 128;   // users scored together
constexpr int64_t kItemBlock = 2048;  // items per product: 128 x 2048 scores = 1 MiB

// A user's best k so far: a min-heap on ranks_before, worst on top.
struct Best {
    std::vector<Scored> heap;
    float threshold = -std::numeric_limits<float>::infinity();

    bool full(int k) const { return static_cast<int>(heap.size()) == k; }
    // Items may arrive in any order, so an equal score can still win on its
    // lower index: ties are settled by ranks_before, as one user's top k is.
    bool wants(const Scored &s, int k) const {
        return !full(k) || ranks_before(s, heap.front());
    }
    void offer(const Scored &s, int k) {
        if (!full(k)) {
            heap.push_back(s);
            std::push_heap(heap.begin(), heap.end(), ranks_before);
        } else {
            std::pop_heap(heap.begin(), heap.end(), ranks_before);
            heap.back() = s;
            std::push_heap(heap.begin(), heap.end(), ranks_before);
        }
        if (full(k)) threshold = heap.front().score;
    }
};

bool is_seen(const int32_t *seen, const int32_t *seen_end, int32_t index) {
    return seen != nullptr && std::binary_search(seen, seen_end, index);
}

// Offers one user's scores for positions [first, first + n) to `best`,
// skipping seen items. The scan looks at 16 scores at a time so that the
// common case, none reaching the threshold, compiles to a few vector compares.
void scan(const float *scores, int64_t n, int64_t first, const ScanOrder &order,
          const int32_t *seen, const int32_t *seen_end, int k, Best &best) {
    for (int64_t j = 0; j < n; j += 16) {
        const int64_t end = std::min(n, j + 16);
        bool any = false;
        for (int64_t t = j; t < end; ++t) any |= scores[t] >= best.threshold;
        if (!any) continue;
        for (int64_t t = j; t < end; ++t) {
            const Scored s{order.item_at(first + t), scores[t]};
            if (scores[t] >= best.threshold && best.wants(s, k) && !is_seen(seen, seen_end, s.index))
                best.offer(s, k);
        }
    }
}

}  // namespace

ScanOrder::ScanOrder(const ModelView &m) : index_(m.item_ids.size()) {
    std::iota(index_.begin(), index_.end(), 0);
    if (m.feedback == Feedback::Explicit) return;
    const int64_t n = static_cast<int64_t>(index_.size());
    std::vector<float> by_index(n);
    for (int64_t i = 0; i < n; ++i) by_index[i] = m.item_factors.row(i).norm();
    std::stable_sort(index_.begin(), index_.end(),
                     [&](int32_t a, int32_t b) { return by_index[a] > by_index[b]; });
    rows_.resize(n, m.item_factors.cols());
    norm_.resize(n);
    for (int64_t p = 0; p < n; ++p) {
        rows_.row(p) = m.item_factors.row(index_[p]);
        norm_[p] = by_index[index_[p]];
    }
}

SeenCollector::SeenCollector(const ModelView &model, std::vector<int64_t> users)
    : model_(model), users_(std::move(users)) {
    for (int64_t id : users_) user_rows_.index_of(id);  // sorted: index = row
    for (int64_t id : model_.item_ids) item_indices_.index_of(id);
}

void SeenCollector::add(const int64_t *users, const int64_t *items, size_t n) {
    for (size_t r = 0; r < n; ++r) {
        const int32_t row = user_rows_.find(users[r]);
        if (row < 0) continue;
        const int32_t item = item_indices_.find(items[r]);
        if (item < 0) continue;
        rows_.push_back(row);
        items_.push_back(item);
    }
}

Csr SeenCollector::finish() {
    Csr seen;
    seen.indptr.assign(users_.size() + 1, 0);
    for (int32_t r : rows_) ++seen.indptr[r + 1];
    std::partial_sum(seen.indptr.begin(), seen.indptr.end(), seen.indptr.begin());
    seen.indices.resize(rows_.size());
    std::vector<int64_t> fill(seen.indptr.begin(), seen.indptr.end() - 1);
    for (size_t j = 0; j < rows_.size(); ++j) seen.indices[fill[rows_[j]]++] = items_[j];
    std::vector<int32_t>().swap(rows_);
    std::vector<int32_t>().swap(items_);
    for (size_t r = 0; r < users_.size(); ++r)
        std::sort(seen.indices.begin() + seen.indptr[r], seen.indices.begin() + seen.indptr[r + 1]);
    seen.values.assign(seen.indices.size(), 1.0f);
    return seen;
}

BatchRecommendations recommend_many(const ModelView &m, const std::vector<int64_t> &users, int k,
                                    const Csr &seen, int threads, const StopCheck &stop) {
    return recommend_many(m, ScanOrder(m), users, 0, static_cast<int64_t>(users.size()), k, seen,
                          threads, stop);
}

BatchRecommendations recommend_many(const ModelView &m, const ScanOrder &order,
                                    const std::vector<int64_t> &users, int64_t row_begin,
                                    int64_t row_end, int k, const Csr &seen, int threads,
                                    const StopCheck &stop) {
    const int64_t n_users = row_end - row_begin;
    const int32_t n_items = static_cast<int32_t>(m.item_ids.size());
    const int f = m.factors();
    const bool has_seen = seen.rows() > 0;
    BatchRecommendations out;
    out.items.resize(static_cast<size_t>(n_users) * k);
    out.count.assign(n_users, 0);

    // r counts from row_begin: out's slot r is users[row_begin + r].
    auto seen_row = [&](int64_t r, const int32_t *&begin, const int32_t *&end) {
        begin = end = nullptr;
        if (!has_seen) return;
        begin = seen.indices.data() + seen.indptr[row_begin + r];
        end = seen.indices.data() + seen.indptr[row_begin + r + 1];
    };
    auto store = [&](int64_t r, Best &best) {
        std::sort(best.heap.begin(), best.heap.end(), ranks_before);
        std::copy(best.heap.begin(), best.heap.end(), out.items.begin() + r * k);
        out.count[r] = static_cast<int32_t>(best.heap.size());
    };

    const Eigen::Map<const FactorMatrix> item_rows =
        order.prunes() ? Eigen::Map<const FactorMatrix>(order.rows().data(), n_items, f)
                       : m.item_factors;
    const int64_t blocks = (n_users + kUserBlock - 1) / kUserBlock;
    parallel_for(
        blocks, resolve_threads(threads), 1,
        [&](int64_t block_begin, int64_t block_end) {
            FactorMatrix block_users(kUserBlock, f);
            FactorMatrix scores(kUserBlock, kItemBlock);
            std::vector<Best> best(kUserBlock);
            // The block's known users still scanning, at rows [0, n) of
            // block_users: their slots in `out`, model indices, norms and
            // seen items.
            std::vector<int64_t> rows;
            std::vector<int32_t> models;
            std::vector<float> norms;
            std::vector<const int32_t *> seen_at(kUserBlock), seen_end(kUserBlock);
            for (int64_t b = block_begin; b < block_end; ++b) {
                rows.clear();
                models.clear();
                norms.clear();
                for (int64_t r = b * kUserBlock; r < std::min(n_users, (b + 1) * kUserBlock); ++r) {
                    const int32_t u = m.user_index(users[row_begin + r]);
                    if (u >= 0) {
                        rows.push_back(r);
                        models.push_back(u);
                        continue;
                    }
                    std::vector<int32_t> excluded;
                    const int32_t *s, *e;
                    seen_row(r, s, e);
                    if (s) excluded.assign(s, e);
                    Best fallback;
                    fallback.heap = popular(m, k, excluded);
                    store(r, fallback);
                }
                int64_t n = static_cast<int64_t>(rows.size());
                for (int64_t j = 0; j < n; ++j) {
                    block_users.row(j) = m.user_factors.row(models[j]);
                    norms.push_back(block_users.row(j).norm());
                    best[j] = Best();
                    seen_row(rows[j], seen_at[j], seen_end[j]);
                }
                for (int64_t first = 0; first < n_items && n > 0; first += kItemBlock) {
                    const int64_t len = std::min<int64_t>(kItemBlock, n_items - first);
                    auto s = scores.topLeftCorner(n, len);
                    s.noalias() = block_users.topRows(n) * item_rows.middleRows(first, len).transpose();
                    for (int64_t j = 0; j < n; ++j) {
                        float *row = scores.row(j).data();
                        if (m.feedback == Feedback::Explicit) {
                            const float offset =
                                static_cast<float>(m.global_mean) + m.user_bias[models[j]];
                            for (int64_t t = 0; t < len; ++t)
                                row[t] += offset + m.item_bias[order.item_at(first + t)];
                        }
                        scan(row, len, first, order, seen_at[j], seen_end[j], k, best[j]);
                    }
                    if (!order.prunes() || first + len >= n_items) continue;
                    // Users whose top k no item left can enter are done:
                    // their rows leave the block (the last row takes their
                    // place). The margin covers the rounding of float dot
                    // products, which may exceed |x| |y| by a few ulps.
                    const float rest = order.norm_from(first + len) * (1.0f + 1e-4f);
                    for (int64_t j = 0; j < n;) {
                        if (!(best[j].full(k) && best[j].threshold > norms[j] * rest)) {
                            ++j;
                            continue;
                        }
                        store(rows[j], best[j]);
                        --n;
                        block_users.row(j) = block_users.row(n);
                        rows[j] = rows[n];
                        models[j] = models[n];
                        norms[j] = norms[n];
                        std::swap(best[j], best[n]);
                        seen_at[j] = seen_at[n];
                        seen_end[j] = seen_end[n];
                    }
                }
                for (int64_t j = 0; j < n; ++j) store(rows[j], best[j]);
            }
        },
        stop);
    return out;
}

}  // namespace cfrec::core
