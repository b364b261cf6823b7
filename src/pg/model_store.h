// Models in cfrec's tables: writing a trained model, reading one back.
#pragma once

#include "core/factor_model.h"
#include "core/refresh.h"
#include "pg/model_access.h"
#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// How the model places someone it was not trained on (serving fold-ins and
// refreshes): its regularization and alpha, and whether it is a graph filter.
core::FoldInOptions fold_in_options(const ModelRecord &record);
// 'explicit' or 'implicit', as cfrec_model.feedback stores it.
const char *feedback_name(core::Feedback feedback);
bool is_graph_filter(const ModelRecord &record);
// The algorithm as cfrec_model.algorithm stores it: a trainer's name, or 'imported'.
const char *algorithm_name(const ModelRecord &record);

// Whether the model catalog in `schema` (quoted) has the column: the same
// binary serves databases not yet updated by ALTER EXTENSION cfrec UPDATE.
bool catalog_has_column(const char *schema, const char *column);
// Models' owners exist from 1.1.0 on, kept by role OID (regrole) from 1.9.0 on.
bool catalog_has_owner(const char *schema);
bool owner_is_regrole(const char *schema);

// Replaces the model called record.name (catalog row and factor rows) with
// `model`. Needs SPI connected; atomic with the caller's transaction, and
// serialised against concurrent trainings of the same name. Sets
// record.version, and record.train_seconds to the time since `started`
// when the catalog row, written last, is written.
void store_model(const char *schema, ModelRecord &record, const core::FactorModel &model,
                 instr_time started);

// Reads the catalog row; ERROR (42704) when there is no such model, 42501
// when the caller may not read it (require_model_read) or, for
// Access::Change, lacks its owner's privileges (require_model_owner).
ModelRecord find_model(const char *schema, const char *name, Access access = Access::Read);

// The model's source relation, quoted afresh from the system catalog; ERROR
// (42P01) when it no longer exists. The catalog row's text is only ever
// parsed as a name, never pasted into SQL: whoever may write cfrec's tables
// must not be able to make a caller of cfrec_recommend run SQL of their choosing.
const char *source_relation(const ModelRecord &record, Oid *relation = nullptr);

// Serialises changes to one existing model until the end of the transaction
// (a row lock on its catalog entry, taken as cfrec's catalog owner).
void lock_model(const char *schema, const char *name);

// Writes refreshed users or items over their old factor rows (new ones are
// added), removes requested ones (every one, when `requested` is NULL) that
// were not refreshed, and gives the model a new version so serving caches
// reload. Returns the number removed.
int64 store_refreshed(const char *schema, const char *name, core::Side side,
                      const core::Refreshed &refreshed, const int64 *requested, int n_requested);

}  // namespace cfrec::pg
