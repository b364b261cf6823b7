// Training data: (user, item, value) rows turned into compressed sparse rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/id_map.h"
#include "core/parallel.h"

namespace cfrec::core {

// Compressed sparse rows: row r owns indices/values [indptr[r], indptr[r+1]).
struct Csr {
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> indices;
    std::vector<float> values;

    int32_t rows() const { return static_cast<int32_t>(indptr.size()) - 1; }
    int64_t nnz() const { return static_cast<int64_t>(indices.size()); }
    int64_t row_size(int32_t r) const { return indptr[r + 1] - indptr[r]; }
};

// What repeated (user, item) rows mean: ratings average, interactions add up.
enum class DuplicatePolicy { Average, Sum };

// How finish() numbers the items: by ascending id, or by descending number
// of rows (duplicates counted), ties by ascending id. The second keeps the
// popular items' rows together, where a training that gathers them for
// every interaction finds them in cache (implicit ALS: trainer.h).
enum class ItemOrder { ById, ByInteractions };

struct Interactions {
    std::vector<int64_t> user_ids;  // ascending; dense user index -> external id
    std::vector<int64_t> item_ids;  // dense item index -> external id, in an ItemOrder
    Csr by_user;                    // rows: users, indices: items
    Csr by_item;                    // rows: items, indices: users
    int64_t rows_read = 0;          // rows given to the builder
    int64_t duplicates_merged = 0;  // rows folded into an earlier (user, item)
};

// Collects rows in batches (as the glue reads them) and builds Interactions.
// Dense indices follow ascending external ids (items: or their ItemOrder),
// so the result does not depend on the order rows arrive in. Memory: 12
// bytes per row while collecting, in fixed-size blocks (no doubling copies);
// finish() turns the blocks into the user-major CSR one block at a time,
// freeing each as it goes.
class InteractionBuilder {
  public:
    explicit InteractionBuilder(DuplicatePolicy policy) : policy_(policy) {}

    // Throws Error(DataError) for a value that is NaN or infinite; the batch
    // is then not added.
    void add(const int64_t *users, const int64_t *items, const float *values, size_t n);
    size_t rows() const { return rows_; }

    // Consumes the collected rows, sorting them on up to `threads` threads
    // (the result does not depend on how many), items numbered in `order`.
    // Throws Error(DataError) when there are none, Cancelled when `stop`
    // says so.
    Interactions finish(int threads = 1, const StopCheck &stop = {},
                        ItemOrder order = ItemOrder::ById);

  private:
    struct Block {
        std::vector<int32_t> users, items;  // first-seen indices
        std::vector<float> values;
    };
    // Renumbers sorted item ids and each first-seen item's rank into them
    // by descending rows collected, ties kept in id order.
    void by_interactions(std::vector<int64_t> &ids, std::vector<int32_t> &rank) const;
    static constexpr size_t kBlockRows = size_t{1} << 20;

    DuplicatePolicy policy_;
    IdMap user_ids_, item_ids_;
    std::vector<Block> blocks_;
    size_t rows_ = 0;
};

// Throws Error(DataError) naming the first (user, item) whose value is NaN
// or infinite: training data must be finite.
void require_finite(const int64_t *users, const int64_t *items, const float *values, size_t n);

// One row's (index, value) pairs sorted by index with repeats merged by
// `policy`, as training merges duplicate rows: into indices and values.
void merge_repeats(std::vector<std::pair<int32_t, float>> &row, DuplicatePolicy policy,
                   std::vector<int32_t> &indices, std::vector<float> &values);

// The transpose of a CSR matrix with `columns` columns, on up to `threads`
// threads (the result does not depend on how many).
Csr transpose(const Csr &m, int32_t columns, int threads = 1, const StopCheck &stop = {});

}  // namespace cfrec::core
