// Returning rows from a set-returning C function (materialize mode), written
// out here so the same code builds on every supported PostgreSQL (15 on).
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct ResultSet {
    Tuplestorestate *store;
    TupleDesc desc;
};

// Prepares the tuplestore the executor reads the function's rows from.
ResultSet begin_result_set(FunctionCallInfo fcinfo);

}  // namespace cfrec::pg
