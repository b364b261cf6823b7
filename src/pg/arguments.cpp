#include "pg/arguments.h"

namespace cfrec::pg {

namespace {

// Whether the called function declares a default for argument `arg`, so that
// a hint to leave it out is true (defaults are on the last arguments).
bool has_default(FunctionCallInfo fcinfo, int arg) {
    HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
    if (!HeapTupleIsValid(tuple)) return false;
    const auto *proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
    const bool result = arg >= proc->pronargs - proc->pronargdefaults;
    ReleaseSysCache(tuple);
    return result;
}

}  // namespace

void require_argument(FunctionCallInfo fcinfo, int arg, const char *name) {
    if (!PG_ARGISNULL(arg)) return;
    if (has_default(fcinfo, arg))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("argument \"%s\" must not be NULL", name),
                        errhint("Leave %s out to use its default.", name)));
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("argument \"%s\" must not be NULL", name),
                    errhint("%s has no default: pass a value.", name)));
}

namespace {

// A text argument of at most `max_bytes`, refused before any work: texts are
// logged (cfrec_training_log) and longer ones cannot be valid anyway.
char *bounded_text(FunctionCallInfo fcinfo, int arg, const char *name, size_t max_bytes) {
    const size_t bytes = VARSIZE_ANY_EXHDR(PG_GETARG_DATUM(arg));
    if (bytes > max_bytes)
        ereport(ERROR,
                (errcode(ERRCODE_NAME_TOO_LONG),
                 errmsg("%s is %zu bytes long; at most %zu are allowed", name, bytes, max_bytes)));
    return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

}  // namespace

char *text_argument(FunctionCallInfo fcinfo, int arg, const char *name) {
    require_argument(fcinfo, arg, name);
    return bounded_text(fcinfo, arg, name, NAMEDATALEN - 1);
}

char *nullable_text_argument(FunctionCallInfo fcinfo, int arg, const char *name) {
    return PG_ARGISNULL(arg) ? nullptr : bounded_text(fcinfo, arg, name, NAMEDATALEN - 1);
}

char *model_argument(FunctionCallInfo fcinfo, int arg) {
    require_argument(fcinfo, arg, "model");
    char *model = bounded_text(fcinfo, arg, "model name", kMaxModelNameBytes);
    if (model[0] == '\0')
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty"),
                 errhint("Leave model out to use the model called 'default'.")));
    return model;
}

int32 int_argument(FunctionCallInfo fcinfo, int arg, const char *name, int32 low, int32 high) {
    require_argument(fcinfo, arg, name);
    int32 value = PG_GETARG_INT32(arg);
    if (value < low || value > high)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("%s must be between %d and %d, not %d", name, low, high, value),
                 has_default(fcinfo, arg) ? errhint("Leave %s out to use its default.", name) : 0));
    return value;
}

namespace {

// Elements of a 1-D array argument of a fixed-width by-value type.
Datum *array_elements(FunctionCallInfo fcinfo, int arg, const char *name, Oid type, int size,
                      char align, int *count) {
    ArrayType *array = PG_GETARG_ARRAYTYPE_P(arg);
    if (ARR_NDIM(array) > 1)  // deconstruct_array would flatten it silently
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s must be a one-dimensional array, not %d-dimensional", name,
                               ARR_NDIM(array))));
    Datum *elements;
    bool *nulls;
    deconstruct_array(array, type, size, true, align, &elements, &nulls, count);
    for (int j = 0; j < *count; ++j)
        if (nulls[j])
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                            errmsg("%s must not contain NULL", name)));
    return elements;
}

}  // namespace

int64 *bigint_array_argument(FunctionCallInfo fcinfo, int arg, const char *name, int *count) {
    *count = 0;
    if (PG_ARGISNULL(arg)) return nullptr;
    Datum *elements = array_elements(fcinfo, arg, name, INT8OID, 8, TYPALIGN_DOUBLE, count);
    auto *out = static_cast<int64 *>(palloc(sizeof(int64) * Max(*count, 1)));
    for (int j = 0; j < *count; ++j) out[j] = DatumGetInt64(elements[j]);
    return out;
}

float *real_array_argument(FunctionCallInfo fcinfo, int arg, const char *name, int *count) {
    *count = 0;
    if (PG_ARGISNULL(arg)) return nullptr;
    Datum *elements = array_elements(fcinfo, arg, name, FLOAT4OID, 4, TYPALIGN_INT, count);
    auto *out = static_cast<float *>(palloc(sizeof(float) * Max(*count, 1)));
    for (int j = 0; j < *count; ++j) out[j] = DatumGetFloat4(elements[j]);
    return out;
}

const char *extension_schema(FunctionCallInfo fcinfo) {
    // The function's catalog row is gone when DROP EXTENSION committed while
    // this query ran (a cursor, or another session).
    const char *name = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
    if (name == nullptr)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("the cfrec extension was dropped while this query was running"),
                        errhint("Run the query again once the extension exists: CREATE "
                                "EXTENSION cfrec.")));
    return quote_identifier(name);
}

}  // namespace cfrec::pg
