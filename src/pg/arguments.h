// Checks of SQL arguments shared by the entry points. Each raises a Postgres
// ERROR with a SQLSTATE and a hint; none returns on bad input.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

// ERROR (22004) when argument `arg`, called `name` in SQL, is NULL.
void require_argument(FunctionCallInfo fcinfo, int arg, const char *name);

// The text argument as a C string; ERROR when NULL.
char *text_argument(FunctionCallInfo fcinfo, int arg, const char *name);
// The same for an argument that may be NULL (then NULL).
char *nullable_text_argument(FunctionCallInfo fcinfo, int arg, const char *name);

// A model name: not NULL, not empty.
// Longer names could not be stored (a btree key holds about 2.7 kB), and
// would only be found out after a whole training.
constexpr int kMaxModelNameBytes = 1024;
char *model_argument(FunctionCallInfo fcinfo, int arg);

// An integer argument within [low, high].
int32 int_argument(FunctionCallInfo fcinfo, int arg, const char *name, int32 low, int32 high);

// The elements of a bigint[] (or real[]) argument as a plain array, or NULL
// when the argument is NULL; ERROR (22004) on NULL elements.
int64 *bigint_array_argument(FunctionCallInfo fcinfo, int arg, const char *name, int *count);
float *real_array_argument(FunctionCallInfo fcinfo, int arg, const char *name, int *count);

// The quoted name of the schema cfrec was installed in (that of the function
// being called), for schema-qualified queries on cfrec's own tables.
const char *extension_schema(FunctionCallInfo fcinfo);

}  // namespace cfrec::pg
