// One-dimensional Postgres arrays made from, and read into, plain C arrays.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

// A 1-D array without NULLs holding n elements of a fixed-width by-value type.
ArrayType *flat_array(Oid element_type, int element_size, const void *data, int n);

// Copies a real[] of exactly n elements into out; false when the datum is
// not such an array (wrong dimensions, length or NULL elements).
bool read_real_array(Datum datum, int n, float *out);

}  // namespace cfrec::pg
