#include "pg/catalog_writer.h"

#include <initializer_list>

#include "pg/model_row.h"
#include "pg/pinned_spi.h"

namespace cfrec::pg {

namespace {

Oid catalog_owner(const char *schema) {
    const Oid catalog = model_catalog(schema);
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(catalog));
    if (!HeapTupleIsValid(tuple))
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("the cfrec catalog in schema %s is missing", schema),
                        errhint("DROP EXTENSION cfrec; CREATE EXTENSION cfrec; recreates it.")));
    const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
    ReleaseSysCache(tuple);
    return owner;
}

bool writes_granted(Oid namespace_oid) {
    for (const char *table : {"cfrec_model", "cfrec_user_factors", "cfrec_item_factors"}) {
        const Oid relation = get_relname_relid(table, namespace_oid);
        if (!OidIsValid(relation) ||
            pg_class_aclcheck(relation, GetUserId(), ACL_INSERT | ACL_UPDATE | ACL_DELETE) !=
                ACLCHECK_OK)
            return false;
    }
    return true;
}

}  // namespace

CatalogWrite begin_catalog_write(const char *schema) {
    CatalogWrite w;
    GetUserIdAndSecContext(&w.saved_user, &w.saved_context);
    SetUserIdAndSecContext(catalog_owner(schema), w.saved_context | SECURITY_LOCAL_USERID_CHANGE |
                                                      SECURITY_RESTRICTED_OPERATION);
    w.nest_level = pin_search_path();
    return w;
}

void end_catalog_write(const CatalogWrite &w) {
    unpin_search_path(w.nest_level);
    SetUserIdAndSecContext(w.saved_user, w.saved_context);
}

void require_primary() {
    if (RecoveryInProgress())
        ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                        errmsg("cfrec models cannot be trained or changed on a standby"),
                        errhint("Train, refresh and update on the primary; the standby serves "
                                "the new version once it has replayed it.")));
}

void require_trainer(Oid namespace_oid) {
    require_primary();
    if (superuser()) return;
    const Oid trainer = get_role_oid("cfrec_trainer", true);
    if (OidIsValid(trainer) && has_privs_of_role(GetUserId(), trainer)) return;
    if (writes_granted(namespace_oid)) return;
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied to train cfrec models"),
                    errhint("An administrator lets a role train with GRANT cfrec_trainer TO "
                            "that_role.")));
}

}  // namespace cfrec::pg
