// SQL entry points cfrec_refresh_users and cfrec_refresh_items: recompute
// one side's factors from the current rows in the source, the other side
// fixed; new users (items) join the model.
#include "core/refresh.h"
#include "pg/arguments.h"
#include "pg/arrays.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/features.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/refresh.h"
#include "pg/settings.h"
#include "pg/training_source.h"

namespace cfrec::pg {

// Refreshes the given users or items (all in the source when `requested` is
// NULL) of the model. Needs SPI connected; takes the model's lock.
int64 refresh_side(const char *schema, const char *name, core::Side side, const int64 *requested,
                   int n_requested) {
    const bool items = side == core::Side::Items;
    if (requested != nullptr && n_requested == 0) return 0;  // nothing to do: no new version
    MemoryContext call_context = CurrentMemoryContext;
    lock_model(schema, name);  // first, so the model read below is the newest committed one
    ModelRecord record = find_model(schema, name, Access::Change);
    if (!items && is_linear_filter(record)) {
        ereport(NOTICE, (errmsg("cfrec model \"%s\" is a linear filter: it keeps no user vectors "
                                "and scores each user from their rows at each call, so there is "
                                "nothing to refresh",
                                name)));
        return 0;
    }
    refuse_linear_filter(record, "cfrec_refresh_items",
                         "Train it again to add or change items: new interactions of known "
                         "items count at the next call without it.");
    if (items && is_graph_filter(record))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cfrec model \"%s\" is a graph filter, whose items cannot be "
                               "refreshed",
                               name),
                        errhint("Train it again to add or change items: cfrec_train with "
                                "algorithm => 'graph_filter' takes seconds at a few million "
                                "interactions.")));
    const core::ModelView &model = serving_model(record);
    auto *refresher = ContextOwned<core::Refresher>::create(call_context);
    call_cpp([&] { refresher->object = new core::Refresher(model, side); });

    // Rows come out as (refreshed side, fixed side[, value]).
    const char *row = quote_identifier(items ? record.item_column : record.user_column);
    const char *other = quote_identifier(items ? record.user_column : record.item_column);
    const char *sql =
        psprintf("SELECT %s::pg_catalog.int8, %s::pg_catalog.int8%s FROM %s%s", row, other,
                 record.rating_column
                     ? psprintf(", %s::pg_catalog.float8", quote_identifier(record.rating_column))
                     : "",
                 source_relation(record),
                 requested ? psprintf(" WHERE %s OPERATOR(pg_catalog.=) ANY ($1)", row) : "");
    Oid types[1] = {INT8ARRAYOID};
    Datum args[1] = {requested ? PointerGetDatum(flat_array(INT8OID, 8, requested, n_requested))
                               : 0};
    const OwnerSwitch as_owner = begin_as_owner(record);
    stream_rows(
        sql, nullptr, requested ? 1 : 0, types, args, record.rating_column != nullptr,
        [](void *context, const int64 *rows, const int64 *others, const float *values, size_t n) {
            auto *slot = static_cast<ContextOwned<core::Refresher> *>(context);
            call_cpp([&] { (*slot)->add(rows, others, values, n); });
        },
        refresher);
    end_as_owner(as_owner);

    auto *refreshed = ContextOwned<core::Refreshed>::create(call_context);
    call_cpp([&] {
        refreshed->object = new core::Refreshed(
            (*refresher)->solve(fold_in_options(record), cfrec_threads, core_stop_check()));
        refresher->reset();
    });
    add_feature_vectors(schema, record, model, side, requested, n_requested, refreshed);
    const int64 count = static_cast<int64>((*refreshed)->ids.size());
    const int64 removed = store_refreshed(schema, name, side, **refreshed, requested, n_requested);
    if (removed > 0)
        ereport(NOTICE, (errmsg("cfrec: removed %lld %s without usable rows from model \"%s\"",
                                static_cast<long long>(removed), items ? "items" : "users", name)));
    refreshed->reset();
    return count;
}

namespace {

// With no ids named, the ones whose rows changed since the model's watermark,
// when it has one; NULL (every one in the source) otherwise.
const int64 *changed_since_watermark(const char *schema, const char *name, core::Side side,
                                     int *count) {
    lock_model(schema, name);
    const ModelRecord record = find_model(schema, name, Access::Change);
    if (record.watermark_column == nullptr || record.watermark == nullptr) return nullptr;
    Oid relation;
    const char *source = source_relation(record, &relation);
    const char *type = format_type_be(watermark_type(relation, record.watermark_column));
    const OwnerSwitch as_owner = begin_as_owner(record);
    const int64 *ids =
        changed_ids(source, side == core::Side::Items ? record.item_column : record.user_column,
                    record.watermark_column, type, record.watermark, nullptr, count);
    end_as_owner(as_owner);
    return ids;
}

Datum refresh(FunctionCallInfo fcinfo, core::Side side) {
    const char *name = model_argument(fcinfo, 0);
    int n_requested = 0;
    const int64 *requested = bigint_array_argument(
        fcinfo, 1, side == core::Side::Items ? "item_ids" : "user_ids", &n_requested);
    const char *schema = extension_schema(fcinfo);
    const PinnedSpi spi = connect_spi();
    if (requested == nullptr) requested = changed_since_watermark(schema, name, side, &n_requested);
    const int64 count = refresh_side(schema, name, side, requested, n_requested);
    finish_spi(spi);
    PG_RETURN_INT64(count);
}

}  // namespace

}  // namespace cfrec::pg

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_refresh_users);
PG_FUNCTION_INFO_V1(cfrec_refresh_items);
}

extern "C" Datum cfrec_refresh_users(PG_FUNCTION_ARGS) {
    return cfrec::pg::refresh(fcinfo, cfrec::core::Side::Users);
}

extern "C" Datum cfrec_refresh_items(PG_FUNCTION_ARGS) {
    return cfrec::pg::refresh(fcinfo, cfrec::core::Side::Items);
}
