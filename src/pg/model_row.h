// One row of the model catalog, cfrec_model, found by the model's name.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct ModelRow {
    HeapTuple tuple;  // nullptr: no model of that name under the caller's snapshot
    TupleDesc desc;   // column names as in the catalog; "tableoid" reads its OID
};

// cfrec_model in `schema` (as quote_identifier gives it), or InvalidOid.
Oid model_catalog(const char *schema);

// Whether cfrec's table `table` exists beside that catalog: tables added by
// later versions are missing from databases not yet updated.
bool catalog_has_table(const char *schema, const char *table);

// The schema of the cfrec_model table `catalog`, quoted for SQL: a model
// read once is named by this OID from then on, so serving code carries no
// schema text of its own. ERROR when the extension was dropped meanwhile.
const char *catalog_schema(Oid catalog);

// The row the caller's snapshot sees, as `SELECT ... FROM schema.cfrec_model
// WHERE name = $1` run by the caller would return it. Read straight through
// the primary key when that is sure to give the same answer: a new session's
// first call then has no query to parse and plan.
ModelRow read_model_row(const char *schema, const char *name);

}  // namespace cfrec::pg
