// SQL entry point cfrec_update: refresh the users and items whose rows are
// newer than the model's watermark, then move the watermark.
#include "pg/arguments.h"
#include "pg/model_store.h"
#include "pg/refresh.h"
#include "pg/result_set.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {

// The distinct ids in `id_column` of rows with low < watermark <= high.
int64 *touched_ids(const char *relation, const char *id_column, const char *watermark_column,
                   const char *type, const char *low, const char *high, int *count) {
    const char *sql = psprintf(
        "SELECT DISTINCT %s::pg_catalog.int8 FROM %s WHERE %s <= $2::%s%s AND %s IS NOT NULL",
        quote_identifier(id_column), relation, quote_identifier(watermark_column), type,
        low ? psprintf(" AND %s > $1::%s", quote_identifier(watermark_column), type) : "",
        quote_identifier(id_column));
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {low ? PointerGetDatum(cstring_to_text(low)) : 0,
                       PointerGetDatum(cstring_to_text(high))};
    const char nulls[3] = {low ? ' ' : 'n', ' ', '\0'};
    if (SPI_execute_with_args(sql, 2, types, values, nulls, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "cfrec: finding changed rows failed");
    *count = static_cast<int>(SPI_processed);
    auto *ids = static_cast<int64 *>(palloc(sizeof(int64) * Max(*count, 1)));
    for (int j = 0; j < *count; ++j) {
        bool isnull;
        ids[j] =
            DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1, &isnull));
    }
    SPI_freetuptable(SPI_tuptable);
    return ids;
}

// Whether a > b, both given as text of a value of `type`.
bool above(const char *type, const char *a, const char *b) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {PointerGetDatum(cstring_to_text(a)), PointerGetDatum(cstring_to_text(b))};
    if (SPI_execute_with_args(psprintf("SELECT $1::%s > $2::%s", type, type), 2, types, values,
                              nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "cfrec: comparing watermarks failed");
    bool isnull;
    return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_update);
}

extern "C" Datum cfrec_update(PG_FUNCTION_ARGS) {
    const char *name = model_argument(fcinfo, 0);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    SPI_connect();
    lock_model(name);  // serialised with trainings and other updates of this model
    const ModelRecord record = find_model(schema, name);
    if (record.watermark_column == nullptr)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("cfrec model \"%s\" has no watermark column", name),
                        errhint("Train it with watermark_column => '...' (a timestamp or a "
                                "growing number set on every new or changed row).")));
    Oid relation;
    const char *source = source_relation(record, &relation);
    const Oid kind = watermark_type(relation, record.watermark_column);
    const char *type = format_type_be(kind);
    // Taken before looking for changes: a row committed meanwhile is seen by
    // the next update, never skipped.
    const char *high = highest_value(source, record.watermark_column, kind);
    const bool changed =
        high != nullptr && (record.watermark == nullptr || above(type, high, record.watermark));

    int64 users = 0, items = 0;
    const char *watermark = record.watermark;
    if (changed) {
        int n_users = 0, n_items = 0;
        const int64 *user_ids = touched_ids(source, record.user_column, record.watermark_column,
                                            type, record.watermark, high, &n_users);
        const int64 *item_ids = touched_ids(source, record.item_column, record.watermark_column,
                                            type, record.watermark, high, &n_items);
        // Users first, so the items are solved against their new factors.
        users = refresh_side(schema, name, core::Side::Users, user_ids, n_users);
        items = refresh_side(schema, name, core::Side::Items, item_ids, n_items);
        watermark = high;
    }
    Oid types[4] = {TEXTOID, TEXTOID, INT8OID, INT8OID};
    Datum values[4] = {PointerGetDatum(cstring_to_text(name)),
                       watermark ? PointerGetDatum(cstring_to_text(watermark)) : 0,
                       Int64GetDatum(users), Int64GetDatum(items)};
    const char nulls[5] = {' ', watermark ? ' ' : 'n', ' ', ' ', '\0'};
    if (SPI_execute_with_args(
            psprintf("UPDATE %s.cfrec_model SET watermark = $2, updated_at = "
                     "pg_catalog.clock_timestamp(), updates = updates + 1, last_update_users = $3, "
                     "last_update_items = $4 WHERE name = $1",
                     schema),
            4, types, values, nulls, false, 0) != SPI_OK_UPDATE)
        elog(ERROR, "cfrec: recording the update failed");

    Datum row[3] = {Int64GetDatum(users), Int64GetDatum(items),
                    watermark ? PointerGetDatum(cstring_to_text(watermark)) : 0};
    bool row_nulls[3] = {false, false, watermark == nullptr};
    tuplestore_putvalues(rs.store, rs.desc, row, row_nulls);
    SPI_finish();
    return (Datum)0;
}
