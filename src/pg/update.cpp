// SQL entry point cfrec_update: refresh the users and items whose rows are
// newer than the model's watermark, then move the watermark.
#include "pg/arguments.h"
#include "pg/catalog_writer.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/refresh.h"
#include "pg/result_set.h"
#include "pg/training_log.h"
#include "pg/training_source.h"

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_update);
}

namespace {

Datum update(FunctionCallInfo fcinfo, TrainingLog *log) {
    const char *name = model_argument(fcinfo, 0);
    const char *schema = log->schema;
    require_primary();
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    lock_model(schema, name);  // serialised with trainings and other updates of this model
    const ModelRecord record = find_model(schema, name, Access::Change);
    log->model = name;  // only now: nobody logs failures against another's model
    refuse_linear_filter(record, "cfrec_update",
                         "A linear filter counts new interactions of the items it knows at the "
                         "next call; train it again with cfrec_train to add new items.");
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
    // the next update, never skipped. The source is read as the model's owner.
    OwnerSwitch as_owner = begin_as_owner(record);
    const char *high = highest_value(source, record.watermark_column, kind);
    end_as_owner(as_owner);
    const bool changed = high != nullptr && (record.watermark == nullptr ||
                                             watermark_above(type, high, record.watermark));

    int64 users = 0, items = 0;
    const char *watermark = record.watermark;
    if (changed) {
        int n_users = 0, n_items = 0;
        as_owner = begin_as_owner(record);
        const int64 *user_ids = changed_ids(source, record.user_column, record.watermark_column,
                                            type, record.watermark, high, &n_users);
        const int64 *item_ids = changed_ids(source, record.item_column, record.watermark_column,
                                            type, record.watermark, high, &n_items);
        end_as_owner(as_owner);
        // Users first, so the items are solved against their new factors.
        users = refresh_side(schema, name, core::Side::Users, user_ids, n_users);
        if (!is_graph_filter(record))
            items = refresh_side(schema, name, core::Side::Items, item_ids, n_items);
        else if (n_items > 0)
            ereport(NOTICE, (errmsg("cfrec: %d changed items of graph filter \"%s\" wait for "
                                    "its next training",
                                    n_items, name),
                             errhint("A graph filter refreshes users only; training it "
                                     "again brings in new items.")));
        watermark = high;
    }
    Oid types[4] = {TEXTOID, TEXTOID, INT8OID, INT8OID};
    Datum values[4] = {PointerGetDatum(cstring_to_text(name)),
                       watermark ? PointerGetDatum(cstring_to_text(watermark)) : 0,
                       Int64GetDatum(users), Int64GetDatum(items)};
    const char nulls[5] = {' ', watermark ? ' ' : 'n', ' ', ' ', '\0'};
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    if (SPI_execute_with_args(
            psprintf("UPDATE %s.cfrec_model SET watermark = $2, updated_at = "
                     "pg_catalog.clock_timestamp(), updates = updates + 1, last_update_users = $3, "
                     "last_update_items = $4 WHERE name = $1",
                     schema),
            4, types, values, nulls, false, 0) != SPI_OK_UPDATE)
        elog(ERROR, "cfrec: recording the update failed");
    end_catalog_write(as_catalog);

    Datum row[3] = {Int64GetDatum(users), Int64GetDatum(items),
                    watermark ? PointerGetDatum(cstring_to_text(watermark)) : 0};
    bool row_nulls[3] = {false, false, watermark == nullptr};
    tuplestore_putvalues(rs.store, rs.desc, row, row_nulls);
    appendStringInfo(&log->parameters, "{\"refreshed_users\": %lld, \"refreshed_items\": %lld}",
                     static_cast<long long>(users), static_cast<long long>(items));
    training_log_success(log);
    finish_spi(spi);
    return (Datum)0;
}

}  // namespace

extern "C" Datum cfrec_update(PG_FUNCTION_ARGS) {
    return with_training_log(fcinfo, "update", update);
}
