// SPI plans prepared once per backend and kept, for the queries serving runs
// on every call (planning them each time costs more than running them).
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

// The kept plan for `sql`, preparing it on first use. Plans are keyed by the
// SQL text, which names every relation fully qualified, so a search_path
// change cannot redirect them; Postgres replans them after DDL.
SPIPlanPtr kept_plan(const char *sql, int nargs, Oid *types);

}  // namespace cfrec::pg
