// SQL entry point cfrec_popular: the most interacted items of a model, from
// its training counts, or from its source's rows of the last `since`. The
// source is read as the model's owner, like every other read of a source.
#include "pg/arguments.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/result_set.h"

extern "C" {
#include "utils/datetime.h"
}

namespace cfrec::pg {

namespace {

constexpr int32 kMaxPopular = 1000000;

// The recent-rows query, when the model has a timestamp or date watermark.
const char *recent_rows_sql(const ModelRecord &r, const char *name) {
    Oid relation;
    const char *source = source_relation(r, &relation);
    const AttrNumber column =
        r.watermark_column ? get_attnum(relation, r.watermark_column) : InvalidAttrNumber;
    const Oid kind =
        column != InvalidAttrNumber ? getBaseType(get_atttype(relation, column)) : InvalidOid;
    if (kind != TIMESTAMPTZOID && kind != TIMESTAMPOID && kind != DATEOID)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("cfrec model \"%s\" has no timestamp watermark column", name),
                        errhint("since needs a model trained with watermark_column => a "
                                "timestamp or date column.")));
    const char *item = quote_identifier(r.item_column);
    const char *stamp = quote_identifier(r.watermark_column);
    return psprintf(
        "SELECT %s::pg_catalog.int8, pg_catalog.count(*) FROM %s "
        "WHERE %s OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) $1) "
        "AND %s IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2",
        item, source, stamp, item);
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_popular);
}

extern "C" Datum cfrec_popular(PG_FUNCTION_ARGS) {
    const int32 k = int_argument(fcinfo, 0, "k", 1, kMaxPopular);
    const char *name = model_argument(fcinfo, 1);
    Interval *since = PG_ARGISNULL(2) ? nullptr : PG_GETARG_INTERVAL_P(2);
    Interval zero{};
    if (since != nullptr &&
        DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(since),
                                          IntervalPGetDatum(&zero))) <= 0)
        ereport(
            ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
             errmsg("since must be a positive interval, not %s",
                    DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(since)))),
             errhint("For example since => '7 days'.")));
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    const ModelRecord record = find_model(schema, name);
    int rc;
    if (since == nullptr) {
        Oid types[2] = {TEXTOID, INT8OID};
        Datum values[2] = {PointerGetDatum(cstring_to_text(name)), Int64GetDatum(k)};
        rc = SPI_execute_with_args(
            psprintf("SELECT id, interactions::pg_catalog.int8 FROM %s.cfrec_item_factors "
                     "WHERE model = $1 ORDER BY interactions DESC, id LIMIT $2",
                     schema),
            2, types, values, nullptr, true, 0);
    } else {
        const char *sql = recent_rows_sql(record, name);
        Oid types[2] = {INTERVALOID, INT8OID};
        Datum values[2] = {IntervalPGetDatum(since), Int64GetDatum(k)};
        const OwnerSwitch as_owner = begin_as_owner(record);
        rc = SPI_execute_with_args(sql, 2, types, values, nullptr, true, 0);
        end_as_owner(as_owner);
    }
    if (rc != SPI_OK_SELECT) elog(ERROR, "cfrec: counting popular items failed");
    for (uint64 j = 0; j < SPI_processed; ++j) {
        bool nulls[2];
        Datum values[2] = {
            SPI_getbinval(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1, &nulls[0]),
            SPI_getbinval(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 2, &nulls[1])};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
    finish_spi(spi);
    return (Datum)0;
}
