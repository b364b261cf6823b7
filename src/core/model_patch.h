// Bringing a loaded model up to date with rows that cfrec_refresh_users or
// cfrec_refresh_items wrote since it was loaded, so a serving cache reads a
// handful of rows instead of the whole model.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/factor_model.h"

namespace cfrec::core {

// Rows of one side, distinct ids in any order; interactions only for items.
struct ChangedRows {
    const int64_t *ids;
    const float *bias;
    const float *factors;  // n x width, row-major
    const int32_t *interactions;
    size_t n;
    int width;  // factors per row: must be the model's
};

// Overwrites the rows whose ids the model has and inserts the others in id
// order. Rows of another width than the model's are refused (Error,
// DataError) before anything changes: the caller reloads the model whole. After item changes the serving copies (half precision, Gram matrix)
// are rebuilt, so results stay exactly those of a model loaded afresh.
void apply_changes(FactorModel &m, Side side, const ChangedRows &rows);

}  // namespace cfrec::core
