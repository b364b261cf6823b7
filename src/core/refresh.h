// Recomputing users' (or items') factors from their current rows with the
// other side fixed (cfrec_refresh_users, cfrec_refresh_items): the step ALS
// makes for every row of that side.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/id_map.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/serving.h"

namespace cfrec::core {

struct Refreshed {
    std::vector<int64_t> ids;  // ascending; only rows with at least one known counterpart
    std::vector<float> bias;
    FactorMatrix factors;
    std::vector<int32_t> interactions;  // distinct counterparts per row
    int64_t added = 0;                  // ids the model did not have before
};

// Adds the rows of `more` (ids ascending, none of them in `into`) to `into`,
// keeping its ids ascending.
void merge_refreshed(Refreshed &into, const Refreshed &more);

// Collects (row, counterpart, value) triples in batches — (user, item) when
// refreshing users, (item, user) when refreshing items — then solves every
// row against the model's fixed other side. Counterparts the model does not
// know are ignored; repeated pairs are averaged (explicit models) or summed
// (implicit), as in training.
class Refresher {
  public:
    Refresher(const ModelView &model, Side side);
    // Throws Error(DataError) for a NaN or infinite value.
    void add(const int64_t *rows, const int64_t *counterparts, const float *values, size_t n);
    Refreshed solve(const FoldInOptions &options, int threads, const StopCheck &stop);

  private:
    ModelView model_;
    Side side_;
    IdMap rows_seen_;  // rows in first-seen order
    std::vector<int32_t> rows_, columns_;
    std::vector<float> values_;
};

}  // namespace cfrec::core
