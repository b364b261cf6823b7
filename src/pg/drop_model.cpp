// SQL entry point cfrec_drop_model: removes a model's catalog row and factor
// rows (its sessions and training log stay). Needs the owner's privileges.
#include <initializer_list>

#include "pg/arguments.h"
#include "pg/catalog_writer.h"
#include "pg/features.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_row.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_drop_model);
}

extern "C" Datum cfrec_drop_model(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("model and if_exists must not be NULL")));
    const char *name = model_argument(fcinfo, 0);
    const bool if_exists = PG_GETARG_BOOL(1);
    require_primary();
    const char *schema = extension_schema(fcinfo);

    const PinnedSpi spi = connect_spi();
    lock_model(schema, name);  // waits for a training or refresh of it to end
    if (read_model_row(schema, name).tuple != nullptr) {
        find_model(schema, name, Access::Change);
        Oid types[1] = {TEXTOID};
        Datum values[1] = {CStringGetTextDatum(name)};
        const CatalogWrite as_catalog = begin_catalog_write(schema);
        for (const char *table : {"cfrec_model", "cfrec_user_factors", "cfrec_item_factors"})
            if (SPI_execute_with_args(
                    psprintf("DELETE FROM %s.%s t WHERE t.%s = $1", schema, table,
                             strcmp(table, "cfrec_model") == 0 ? "name" : "model"),
                    1, types, values, nullptr, false, 0) != SPI_OK_DELETE)
                elog(ERROR, "cfrec: dropping cfrec model \"%s\" failed", name);
        delete_features(schema, name);
        delete_linear_filter_rows(schema, name);
        end_catalog_write(as_catalog);
    } else if (if_exists) {
        ereport(NOTICE, (errmsg("cfrec model \"%s\" does not exist, skipping", name)));
    } else {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("cfrec model \"%s\" does not exist", name),
                        errhint("SELECT model FROM cfrec_models lists the trained models.")));
    }
    finish_spi(spi);
    PG_RETURN_VOID();
}
