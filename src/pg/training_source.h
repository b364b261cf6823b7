// The table or view a model is trained from: checking it, and reading it.
#pragma once

#include "core/interactions.h"
#include "pg/context_owned.h"

namespace cfrec::pg {

struct TrainingSource {
    const char *relation;     // quoted, schema-qualified
    const char *user_column;  // as given (unquoted)
    const char *item_column;
    const char *rating_column;  // NULL: every row counts 1
    const char *query;          // SELECT user, item[, rating] FROM relation
};

// The quoted, schema-qualified name of a relation that can be read as rows
// (table, view, materialized view, foreign table); ERROR otherwise, with
// that hint.
const char *readable_relation(Oid relation, const char *hint);

// The base type of a column (domains resolved); ERROR (42703) when there is
// no such column, with a hint naming the `argument` that names it.
Oid column_type(Oid relation, const char *relation_name, const char *column, const char *argument);

// ERROR (42804) unless `ok`: the column has `type`, `wanted` is needed, and
// `cast` is a type the column's values convert to without losing anything.
void require_type(bool ok, const char *column, Oid type, const char *wanted, const char *cast);

bool is_integer_type(Oid type);
bool is_number_type(Oid type);

// Checks that the relation can be read as rows and that the columns exist
// with usable types; raises an ERROR naming the fix otherwise.
TrainingSource describe_source(Oid relation, const char *user_column, const char *item_column,
                               const char *rating_column);

// The type of a column usable as a watermark (integer, numeric, date or
// timestamp); ERROR when it is missing or of another type.
Oid watermark_type(Oid relation, const char *column);

// max(column) of the (quoted) relation as text, NULL when it has no rows.
// Dates and timestamps are written in ISO form (timestamptz in UTC), which
// reads back the same whatever the session's DateStyle. Needs SPI connected.
const char *highest_value(const char *relation, const char *column, Oid type);

// The distinct ids in `id_column` (of the quoted relation) of rows with
// low < watermark <= high, both given as text of `type`; a NULL bound is
// left out. Sets *count; needs SPI connected.
int64 *changed_ids(const char *relation, const char *id_column, const char *watermark_column,
                   const char *type, const char *low, const char *high, int *count);

// Whether a > b, both given as text of a value of `type`.
bool watermark_above(const char *type, const char *a, const char *b);

struct SourceCounts {
    int64 rows_used;
    int64 null_ids;      // rows skipped: NULL user or item
    int64 null_ratings;  // rows skipped: NULL rating
};

// Receives rows in batches from stream_rows, in glue code (it must cross
// into the core through call_cpp itself).
using RowBatchConsumer = void (*)(void *context, const int64 *users, const int64 *items,
                                  const float *values, size_t n);

// Runs `query`, or `plan` when given (a prepared form of it), with the
// caller's privileges: columns int8 user, int8 item[, float8 value]. Hands
// the rows to `consume` in batches, without copying tuples. NULL ids (and
// NULL values) are skipped and counted. Needs SPI connected.
SourceCounts stream_rows(const char *query, SPIPlanPtr plan, int nargs, Oid *types, Datum *args,
                         bool has_value, RowBatchConsumer consume, void *context);

// Streams the rows into the builder in batches. Needs SPI to be connected;
// reads with the caller's privileges.
SourceCounts read_source(const TrainingSource &source,
                         ContextOwned<core::InteractionBuilder> *builder);

}  // namespace cfrec::pg
