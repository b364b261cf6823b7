// SQL entry point cfrec_refresh_users: recompute users' factors from their
// current rows in the source, item factors fixed; new users join the model.
#include "core/refresh.h"
#include "pg/arguments.h"
#include "pg/context_owned.h"
#include "pg/core_call.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/settings.h"
#include "pg/training_source.h"

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_refresh_users);
}

extern "C" Datum cfrec_refresh_users(PG_FUNCTION_ARGS) {
    const char *name = model_argument(fcinfo, 0);
    int n_requested = 0;
    const int64 *requested = bigint_array_argument(fcinfo, 1, "user_ids", &n_requested);
    const char *schema = extension_schema(fcinfo);
    MemoryContext call_context = CurrentMemoryContext;

    SPI_connect();
    lock_model(name);  // first, so the model read below is the newest committed one
    ModelRecord record = find_model(schema, name);
    auto *pin = pin_model(schema, record);
    auto *refresher = ContextOwned<core::UserRefresher>::create(call_context);
    call_core([&] { refresher->object = new core::UserRefresher(**pin->object); });

    const char *user = quote_identifier(record.user_column);
    const char *sql =
        psprintf("SELECT %s::pg_catalog.int8, %s::pg_catalog.int8%s FROM %s%s", user,
                 quote_identifier(record.item_column),
                 record.rating_column
                     ? psprintf(", %s::pg_catalog.float8", quote_identifier(record.rating_column))
                     : "",
                 source_relation(record), requested ? psprintf(" WHERE %s = ANY ($1)", user) : "");
    Oid types[1] = {INT8ARRAYOID};
    Datum args[1] = {requested ? PG_GETARG_DATUM(1) : 0};
    stream_rows(
        sql, nullptr, requested ? 1 : 0, types, args, record.rating_column != nullptr,
        [](void *context, const int64 *users, const int64 *items, const float *values, size_t n) {
            auto *slot = static_cast<ContextOwned<core::UserRefresher> *>(context);
            call_core([&] { (*slot)->add(users, items, values, n); });
        },
        refresher);

    auto *refreshed = ContextOwned<core::RefreshedUsers>::create(call_context);
    call_core([&] {
        core::FoldInOptions options;
        options.regularization = record.regularization;
        if (strcmp(record.feedback, "implicit") == 0) options.alpha = record.alpha;
        refreshed->object = new core::RefreshedUsers(
            (*refresher)->solve(options, cfrec_threads, core_stop_check()));
        refresher->reset();
    });
    const int64 count = static_cast<int64>((*refreshed)->users.size());
    const int64 removed = store_refreshed_users(schema, name, **refreshed, requested, n_requested);
    if (removed > 0)
        ereport(NOTICE, (errmsg("cfrec: removed %lld users without usable rows from model \"%s\"",
                                static_cast<long long>(removed), name)));
    SPI_finish();
    PG_RETURN_INT64(count);
}
