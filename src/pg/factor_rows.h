// The one way from cfrec's factor tables to a serving copy. read_factor_rows
// reads a model's rows, every one or only those written after a version, and
// checks them once against the catalog row it was given: as many rows as the
// row says (when whole), each vector of its width, every value finite; any
// disagreement is an ERROR (XX001), never a copy. Both caches build from
// what it returns, the private one a FactorModel (model_cache.h), the shared
// one a blob (shared_cache.h); neither reads a table itself.
#pragma once

#include "core/factor_model.h"
#include "core/model_patch.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// One side's rows as plain palloc'd arrays, ascending by id when read whole.
struct StoredSide {
    int64 count;
    int64 *ids;
    float *bias;
    float *factors;       // count x width, row-major
    int32 *interactions;  // items only
};

struct FactorRows {
    StoredSide users;
    StoredSide items;
    bool whole;         // every row; otherwise those written after a version
    int width;          // the catalog's factors, which every row has
    LinearRows linear;  // a linear filter's interactions (read whole only); it has no user rows
};

// Every row (since < 0), or the rows written after version `since`, for a
// cache to catch up. Needs SPI connected.
FactorRows read_factor_rows(const ModelRecord &record, int64 since = -1);
void free_factor_rows(FactorRows &rows);

// Whether a cached copy at `version`, made when the catalog's base_version
// was `base_version`, at `factors`, can be brought to what `record`
// describes from the rows written since: only refreshes, which never remove
// rows without moving base_version, came between, at the same width.
bool can_catch_up(int64 version, int64 base_version, int factors, const ModelRecord &record);

// C++ only, inside call_cpp: patches `model` (at the version the rows were
// read after) with them; core::apply_changes refuses rows of another width.
// False when the result is not the model `record` describes: the caller
// then reads it whole.
bool caught_up(core::FactorModel &model, const ModelRecord &record, const FactorRows &rows);

// C++ only, inside call_cpp: a model, ready to serve, from rows read whole.
void fill_model(core::FactorModel &model, const ModelRecord &record, const FactorRows &rows);

// Whether a cached model is the one the catalog row describes, beyond its
// version: the same width and numbers of users and items.
bool same_shape(const core::ModelView &model, const ModelRecord &record);

}  // namespace cfrec::pg
