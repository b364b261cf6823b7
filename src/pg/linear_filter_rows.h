// A linear filter's training interactions in cfrec_linear_filter_rows (from
// cfrec 1.12.0 on): one row per training user, their items by id, ascending.
// The filter scores through them (core/linear_filter.h), so they are part
// of the model: written with it, read with it, checked like factor rows.
#pragma once

#include "core/factor_model.h"
#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

bool is_linear_filter(const ModelRecord &record);

// ERROR (0A000) when `record` is a linear filter: `what` (e.g.
// "cfrec_recommend_all") does not serve one; `hint` says what does.
void refuse_linear_filter(const ModelRecord &record, const char *what, const char *hint);

// Whether the table exists: databases not yet updated to 1.12.0 lack it.
bool linear_filter_rows_exist(const char *schema);
// ERROR (0A000, with a hint to update the extension) when it does not.
void require_linear_filter_rows(const char *schema);

// Replaces the model's rows with those of `model` (none unless it is a
// linear filter). Needs SPI connected, as the catalog's owner.
void store_linear_filter_rows(const char *schema, const char *name, const core::FactorModel &model);
void delete_linear_filter_rows(const char *schema, const char *name);

// The rows as dense indices into the model's items, palloc'd.
struct LinearRows {
    int64 count = -1;  // -1: not a linear filter
    int64 *user_ids = nullptr;
    int64 *offsets = nullptr;  // count + 1: row r's items are [offsets[r], offsets[r + 1])
    int32 *items = nullptr;
};

// Reads the rows and checks them against the catalog row and the model's
// item ids (ascending): as many rows as the catalog has users, user ids
// ascending, every item a known one, each row's items ascending and
// distinct. Any disagreement is an ERROR (XX001). Needs SPI connected.
LinearRows read_linear_filter_rows(const ModelRecord &record, const int64 *item_ids, int64 n_items);
void free_linear_rows(LinearRows &rows);

// C++ only, inside call_cpp: the filter of `model` (items and factors
// filled) from checked rows.
void attach_linear_filter(core::FactorModel &model, const ModelRecord &record,
                          const LinearRows &rows);

}  // namespace cfrec::pg
