// SQL entry points cfrec_grant and cfrec_revoke: who besides the owner's
// roles may read a model. Readers are kept by role OID (0 for PUBLIC), so a
// role dropped and created again under the same name reads nothing.
#include "pg/arguments.h"
#include "pg/catalog_writer.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_grant);
PG_FUNCTION_INFO_V1(cfrec_revoke);
}

namespace {

// The grantee's OID: ACL_ID_PUBLIC for PUBLIC; ERROR (42704) for no role.
Oid grantee_argument(FunctionCallInfo fcinfo, int arg) {
    const char *grantee = text_argument(fcinfo, arg, "grantee");
    if (strcmp(grantee, "public") == 0 || strcmp(grantee, "PUBLIC") == 0) return ACL_ID_PUBLIC;
    const Oid role = get_role_oid(grantee, true);
    if (!OidIsValid(role))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("role \"%s\" does not exist", grantee),
                        errhint("Name an existing role, or PUBLIC for every role.")));
    return role;
}

Datum change_readers(FunctionCallInfo fcinfo, bool grant) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("model and grantee must not be NULL")));
    const char *name = model_argument(fcinfo, 0);
    const Oid grantee = grantee_argument(fcinfo, 1);
    require_primary();
    const char *schema = extension_schema(fcinfo);

    const PinnedSpi spi = connect_spi();
    lock_model(schema, name);  // grants and trainings take turns
    find_model(schema, name, Access::Change);
    Oid types[2] = {TEXTOID, OIDOID};
    Datum values[2] = {CStringGetTextDatum(name), ObjectIdGetDatum(grantee)};
    const char *sql =
        grant ? "UPDATE %s.cfrec_model m SET readers = m.readers || $2::pg_catalog.regrole "
                "WHERE m.name = $1 AND NOT $2 = ANY (m.readers::pg_catalog.oid[])"
              : "UPDATE %s.cfrec_model m SET readers = pg_catalog.array_remove(m.readers, "
                "$2::pg_catalog.regrole) WHERE m.name = $1";
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    if (SPI_execute_with_args(psprintf(sql, schema), 2, types, values, nullptr, false, 0) !=
        SPI_OK_UPDATE)
        elog(ERROR, "cfrec: changing the readers of cfrec model \"%s\" failed", name);
    end_catalog_write(as_catalog);
    finish_spi(spi);
    PG_RETURN_VOID();
}

}  // namespace

// Lets `grantee` (a role, or PUBLIC) read a model. Needs the owner's privileges.
extern "C" Datum cfrec_grant(PG_FUNCTION_ARGS) { return change_readers(fcinfo, true); }

// Takes back what cfrec_grant gave.
extern "C" Datum cfrec_revoke(PG_FUNCTION_ARGS) { return change_readers(fcinfo, false); }
