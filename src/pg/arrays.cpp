#include "pg/arrays.h"

#include <cstring>

namespace cfrec::pg {

ArrayType *flat_array(Oid element_type, int element_size, const void *data, int n) {
    const Size bytes = ARR_OVERHEAD_NONULLS(1) + static_cast<Size>(element_size) * n;
    auto *array = static_cast<ArrayType *>(palloc0(bytes));
    SET_VARSIZE(array, bytes);
    array->ndim = 1;
    array->dataoffset = 0;
    array->elemtype = element_type;
    ARR_DIMS(array)[0] = n;
    ARR_LBOUND(array)[0] = 1;
    if (n > 0) std::memcpy(ARR_DATA_PTR(array), data, static_cast<size_t>(element_size) * n);
    return array;
}

bool read_real_array(Datum datum, int n, float *out) {
    ArrayType *array = DatumGetArrayTypeP(datum);
    bool ok = ARR_NDIM(array) == 1 && ARR_ELEMTYPE(array) == FLOAT4OID && !ARR_HASNULL(array) &&
              ARR_DIMS(array)[0] == n;
    if (ok) std::memcpy(out, ARR_DATA_PTR(array), sizeof(float) * n);
    if (reinterpret_cast<Pointer>(array) != DatumGetPointer(datum)) pfree(array);
    return ok;
}

}  // namespace cfrec::pg
