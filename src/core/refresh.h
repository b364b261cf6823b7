// Recomputing users' factors from their current rows, item factors fixed
// (cfrec_refresh_users): the step ALS makes for every user, for many users.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/id_map.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/serving.h"

namespace cfrec::core {

struct RefreshedUsers {
    std::vector<int64_t> users;  // ascending; only users with at least one known item
    std::vector<float> bias;
    FactorMatrix factors;
};

// Collects (user, item, value) rows in batches, then solves every user.
// Rows for items the model does not know are ignored; repeated (user, item)
// rows are averaged (explicit models) or summed (implicit), as in training.
class UserRefresher {
  public:
    explicit UserRefresher(const FactorModel &model) : model_(model) {
        for (int64_t id : model.item_ids) items_.index_of(id);
    }
    void add(const int64_t *users, const int64_t *items, const float *values, size_t n);
    RefreshedUsers solve(const FoldInOptions &options, int threads, const StopCheck &stop);

  private:
    const FactorModel &model_;
    IdMap items_;  // model item ids, in model order
    IdMap users_;  // users in first-seen order
    std::vector<int32_t> rows_, columns_;
    std::vector<float> values_;
};

}  // namespace cfrec::core
