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
    bool whole;  // every row; otherwise those written after a version
    int width;   // the catalog's factors, which every row has
};

// Every row (since < 0), or the rows written after version `since`, for a
// cache to catch up. Needs SPI connected.
FactorRows read_factor_rows(const char *schema, const ModelRecord &record, int64 since = -1);
void free_factor_rows(FactorRows &rows);

// C++ only, inside call_cpp: patches a model of the rows' width with them
// (core::apply_changes refuses another width).
void apply_rows(core::FactorModel &model, const FactorRows &rows);

// C++ only, inside call_cpp: a model, ready to serve, from rows read whole.
void fill_model(core::FactorModel &model, const ModelRecord &record, const FactorRows &rows);

// Whether a cached model is the one the catalog row describes, beyond its
// version: the same width and numbers of users and items.
bool same_shape(const core::ModelView &model, const ModelRecord &record);

}  // namespace cfrec::pg
