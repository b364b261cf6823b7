#include "core/interactions.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "core/errors.h"

namespace cfrec::core {

namespace {

// Rows a thread sorts at a time: enough to amortise taking a chunk.
constexpr int64_t kSortChunk = 1024;

// Sorted ids, and for each first-seen index its position among them.
std::pair<std::vector<int64_t>, std::vector<int32_t>> sort_ids(const std::vector<int64_t> &seen) {
    std::vector<int32_t> order(seen.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return seen[a] < seen[b]; });
    std::vector<int64_t> sorted(seen.size());
    std::vector<int32_t> rank(seen.size());
    for (size_t r = 0; r < order.size(); ++r) {
        sorted[r] = seen[order[r]];
        rank[order[r]] = static_cast<int32_t>(r);
    }
    return {std::move(sorted), std::move(rank)};
}

// A stable counting sort of `entries` entries into `buckets` buckets:
// visit(begin, end, fn) calls fn(bucket, source) for the entries of units
// [begin, end) (rows, or single entries) in order, and place(source, at)
// puts one at position at.
// Returns the CSR row pointers. Each band of units is counted and placed on
// its own thread, its entries of a bucket going after those of the bands
// before, so the result is what one thread placing them in order would give.
template <typename Visit, typename Place>
std::vector<int64_t> stable_scatter(int64_t units, int64_t entries, int32_t buckets, int threads,
                                    const StopCheck &stop, Visit visit, Place place) {
    // A band's counts cost 8 bytes a bucket: never more bands than threads,
    // nor so many that their counts outweigh the entries.
    const int64_t bands = std::max<int64_t>(
        1, std::min<int64_t>({threads, 8, units, entries / std::max<int64_t>(buckets, 1)}));
    auto band_begin = [&](int64_t b) { return units * b / bands; };
    std::vector<std::vector<int64_t>> at(bands);
    parallel_for(
        bands, threads, 1,
        [&](int64_t first, int64_t last) {
            for (int64_t b = first; b < last; ++b) {
                std::vector<int64_t> &count = at[b];
                count.assign(buckets, 0);
                visit(band_begin(b), band_begin(b + 1),
                      [&](int32_t bucket, const auto &) { ++count[bucket]; });
            }
        },
        stop);
    std::vector<int64_t> indptr(buckets + 1, 0);
    for (int32_t k = 0; k < buckets; ++k) {
        int64_t next = indptr[k];
        for (int64_t b = 0; b < bands; ++b) {
            const int64_t count = at[b][k];
            at[b][k] = next;  // where band b's first entry of bucket k goes
            next += count;
        }
        indptr[k + 1] = next;
    }
    parallel_for(
        bands, threads, 1,
        [&](int64_t first, int64_t last) {
            for (int64_t b = first; b < last; ++b) {
                std::vector<int64_t> &cursor = at[b];
                visit(band_begin(b), band_begin(b + 1),
                      [&](int32_t bucket, const auto &source) { place(source, cursor[bucket]++); });
            }
        },
        stop);
    return indptr;
}

}  // namespace

void require_finite(const int64_t *users, const int64_t *items, const float *values, size_t n) {
    for (size_t r = 0; r < n; ++r)
        if (!std::isfinite(values[r]))
            throw Error(ErrorKind::DataError,
                        "value for user " + std::to_string(users[r]) + " and item " +
                            std::to_string(items[r]) + " is not a finite number",
                        "Filter out NaN and infinite values with a view or WHERE clause.");
}

void InteractionBuilder::add(const int64_t *users, const int64_t *items, const float *values,
                             size_t n) {
    require_finite(users, items, values, n);
    for (size_t r = 0; r < n; ++r) {
        if (blocks_.empty() || blocks_.back().users.size() == kBlockRows) {
            blocks_.emplace_back();
            Block &b = blocks_.back();
            b.users.reserve(kBlockRows);
            b.items.reserve(kBlockRows);
            b.values.reserve(kBlockRows);
        }
        Block &b = blocks_.back();
        b.users.push_back(user_ids_.index_of(users[r]));
        b.items.push_back(item_ids_.index_of(items[r]));
        b.values.push_back(values[r]);
    }
    if (user_ids_.ids().size() > INT32_MAX / 2 || item_ids_.ids().size() > INT32_MAX / 2)
        throw Error(ErrorKind::DataError, "more than 2^30 distinct users or items");
    rows_ += n;
}

Interactions InteractionBuilder::finish(int threads, const StopCheck &stop, ItemOrder order) {
    if (rows_ == 0)
        throw Error(ErrorKind::DataError, "there are no interactions to train on",
                    "The source must have at least one row whose user and item are not NULL.");
    Interactions out;
    out.rows_read = static_cast<int64_t>(rows_);
    auto [user_ids, user_rank] = sort_ids(user_ids_.ids());
    auto [item_ids, item_rank] = sort_ids(item_ids_.ids());
    if (order == ItemOrder::ByInteractions) by_interactions(item_ids, item_rank);
    out.user_ids = std::move(user_ids);
    out.item_ids = std::move(item_ids);
    user_ids_ = IdMap();
    item_ids_ = IdMap();

    // Scatter rows into user-major order, keeping the read order within a user.
    const int32_t n_users = static_cast<int32_t>(out.user_ids.size());
    Csr &m = out.by_user;
    m.indices.resize(rows_);
    m.values.resize(rows_);
    m.indptr = stable_scatter(
        static_cast<int64_t>(rows_), static_cast<int64_t>(rows_), n_users, threads, stop,
        [&](int64_t begin, int64_t end, auto &&fn) {
            for (int64_t j = begin; j < end; ++j)
                fn(user_rank[blocks_[j / kBlockRows].users[j % kBlockRows]], j);
        },
        [&](int64_t j, int64_t at) {
            const Block &b = blocks_[j / kBlockRows];
            m.indices[at] = item_rank[b.items[j % kBlockRows]];
            m.values[at] = b.values[j % kBlockRows];
        });
    blocks_.clear();

    // Sort each row by item and merge its duplicates at its start, rows on
    // every thread (one thread took 0.3-0.5 s of 25M rows' 1.1 s build);
    // then close the gaps merges left, in order.
    std::vector<int64_t> kept(n_users);
    parallel_for(
        n_users, threads, kSortChunk,
        [&](int64_t first, int64_t last) {
            std::vector<std::pair<int32_t, float>> row;
            for (int64_t u = first; u < last; ++u) {
                const int64_t begin = m.indptr[u], end = m.indptr[u + 1];
                row.clear();
                for (int64_t p = begin; p < end; ++p) row.emplace_back(m.indices[p], m.values[p]);
                std::stable_sort(row.begin(), row.end(),
                                 [](const auto &a, const auto &b) { return a.first < b.first; });
                int64_t write = begin;
                for (size_t j = 0; j < row.size();) {
                    size_t k = j;
                    double sum = 0.0;
                    while (k < row.size() && row[k].first == row[j].first) sum += row[k++].second;
                    m.indices[write] = row[j].first;
                    m.values[write] = static_cast<float>(policy_ == DuplicatePolicy::Average
                                                             ? sum / static_cast<double>(k - j)
                                                             : sum);
                    ++write;
                    j = k;
                }
                kept[u] = write - begin;
            }
        },
        stop);
    int64_t write = 0;
    for (int32_t u = 0; u < n_users; ++u) {
        const int64_t begin = m.indptr[u];
        if (write != begin) {
            std::copy(m.indices.begin() + begin, m.indices.begin() + begin + kept[u],
                      m.indices.begin() + write);
            std::copy(m.values.begin() + begin, m.values.begin() + begin + kept[u],
                      m.values.begin() + write);
        }
        m.indptr[u] = write;
        write += kept[u];
    }
    out.duplicates_merged = static_cast<int64_t>(rows_) - write;
    m.indptr[n_users] = write;
    m.indices.resize(write);
    m.indices.shrink_to_fit();
    m.values.resize(write);
    m.values.shrink_to_fit();
    rows_ = 0;
    out.by_item = transpose(m, static_cast<int32_t>(out.item_ids.size()), threads, stop);
    return out;
}

void InteractionBuilder::by_interactions(std::vector<int64_t> &ids,
                                         std::vector<int32_t> &rank) const {
    std::vector<int64_t> seen(ids.size(), 0);  // by first-seen index
    for (const Block &b : blocks_)
        for (int32_t item : b.items) ++seen[item];
    std::vector<int64_t> count(ids.size());  // by rank, the ids' ascending order
    for (size_t item = 0; item < seen.size(); ++item) count[rank[item]] = seen[item];
    std::vector<int32_t> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return count[a] > count[b]; });
    std::vector<int32_t> position(ids.size());
    std::vector<int64_t> reordered(ids.size());
    for (size_t k = 0; k < order.size(); ++k) {
        position[order[k]] = static_cast<int32_t>(k);
        reordered[k] = ids[order[k]];
    }
    for (int32_t &r : rank) r = position[r];
    ids = std::move(reordered);
}

void merge_repeats(std::vector<std::pair<int32_t, float>> &row, DuplicatePolicy policy,
                   std::vector<int32_t> &indices, std::vector<float> &values) {
    std::stable_sort(row.begin(), row.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    indices.clear();
    values.clear();
    for (size_t j = 0; j < row.size();) {
        size_t end = j;
        double sum = 0.0;
        while (end < row.size() && row[end].first == row[j].first) sum += row[end++].second;
        indices.push_back(row[j].first);
        values.push_back(static_cast<float>(
            policy == DuplicatePolicy::Average ? sum / static_cast<double>(end - j) : sum));
        j = end;
    }
}

Csr transpose(const Csr &m, int32_t columns, int threads, const StopCheck &stop) {
    Csr t;
    t.indices.resize(m.indices.size());
    t.values.resize(m.values.size());
    struct Entry {
        int64_t p;
        int32_t row;
    };
    t.indptr = stable_scatter(
        m.rows(), m.nnz(), columns, threads, stop,
        [&](int64_t begin, int64_t end, auto &&fn) {
            for (int64_t r = begin; r < end; ++r)
                for (int64_t p = m.indptr[r]; p < m.indptr[r + 1]; ++p)
                    fn(m.indices[p], Entry{p, static_cast<int32_t>(r)});
        },
        [&](const Entry &e, int64_t at) {
            t.indices[at] = e.row;
            t.values[at] = m.values[e.p];
        });
    return t;
}

}  // namespace cfrec::core
