#include "pg/model_row.h"

#include "pg/kept_plans.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace cfrec::pg {

namespace {

// "s" or "\"s\"" (quote_identifier's output) as the plain name.
const char *unquoted(const char *schema) {
    if (schema[0] != '"') return schema;
    StringInfoData b;
    initStringInfo(&b);
    for (const char *c = schema + 1; *c && !(c[0] == '"' && c[1] != '"'); ++c) {
        appendStringInfoChar(&b, *c);
        if (c[0] == '"') ++c;  // "" stands for "
    }
    return b.data;
}

bool applies_to_select(const RowSecurityPolicy *p) {
    return p->polcmd == '*' || p->polcmd == ACL_SELECT_CHR;
}

bool is_true(const Expr *qual) {
    if (qual == nullptr || !IsA(qual, Const)) return false;
    const auto *c = reinterpret_cast<const Const *>(qual);
    return c->consttype == BOOLOID && !c->constisnull && DatumGetBool(c->constvalue);
}

bool for_public(const RowSecurityPolicy *p) {
    Datum *roles;
    int n;
    deconstruct_array(p->roles, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &roles, nullptr, &n);
    for (int i = 0; i < n; ++i)
        if (DatumGetObjectId(roles[i]) == ACL_ID_PUBLIC) return true;
    return false;
}

// Row-level security hides no row from the caller: it is off for them, or
// the only policies for SELECT are permissive, for PUBLIC and USING (true),
// as the extension creates them (every model's catalog row is public).
bool every_row_visible(Relation catalog) {
    if (check_enable_rls(RelationGetRelid(catalog), InvalidOid, true) != RLS_ENABLED) return true;
    if (row_security_policy_hook_permissive || row_security_policy_hook_restrictive ||
        catalog->rd_rsdesc == nullptr)
        return false;
    bool open_to_all = false;
    ListCell *cell;
    foreach (cell, catalog->rd_rsdesc->policies) {
        const auto *p = static_cast<const RowSecurityPolicy *>(lfirst(cell));
        if (!applies_to_select(p)) continue;
        if (!p->permissive) return false;
        open_to_all |= is_true(p->qual) && for_public(p);
    }
    return open_to_all;
}

// The primary key's index when its only column is `column`.
Oid key_on(Relation catalog, AttrNumber column) {
    list_free(RelationGetIndexList(catalog));  // sets rd_pkindex
    const Oid index = catalog->rd_pkindex;
    if (!OidIsValid(index)) return InvalidOid;
    HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
    if (!HeapTupleIsValid(tuple)) return InvalidOid;
    const auto *form = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
    const bool only_column = form->indnatts == 1 && form->indkey.values[0] == column;
    ReleaseSysCache(tuple);
    return only_column ? index : InvalidOid;
}

// False, having read nothing, when the direct read might differ from the
// query: no snapshot, no table-wide SELECT privilege, row-level security
// that hides rows, or no primary key on name.
bool read_directly(Oid relation, const char *name, ModelRow *out) {
    if (!ActiveSnapshotSet() || pg_class_aclcheck(relation, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
        return false;
    Relation catalog = table_open(relation, AccessShareLock);
    const AttrNumber name_column = 1;
    const Oid key_index = key_on(catalog, name_column);
    if (!OidIsValid(key_index) || !every_row_visible(catalog) ||
        strcmp(NameStr(TupleDescAttr(RelationGetDescr(catalog), name_column - 1)->attname),
               "name") != 0) {
        table_close(catalog, NoLock);
        return false;
    }
    ScanKeyData key;
    ScanKeyInit(&key, name_column, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(name));
    key.sk_collation = TupleDescAttr(RelationGetDescr(catalog), name_column - 1)->attcollation;
    SysScanDesc scan = systable_beginscan(catalog, key_index, true, GetActiveSnapshot(), 1, &key);
    HeapTuple found = systable_getnext(scan);
    out->tuple = HeapTupleIsValid(found) ? heap_copytuple(found) : nullptr;
    out->desc = CreateTupleDescCopy(RelationGetDescr(catalog));
    systable_endscan(scan);
    // The lock stays to the end of the transaction, as a query's would.
    table_close(catalog, NoLock);
    return true;
}

ModelRow query(const char *schema, const char *name) {
    Oid type[1] = {TEXTOID};
    Datum value[1] = {CStringGetTextDatum(name)};
    const char *sql = psprintf(
        "SELECT m.*, m.tableoid FROM %s.cfrec_model AS m WHERE name OPERATOR(pg_catalog.=) $1",
        schema);
    int rc = SPI_execute_plan(kept_plan(sql, 1, type), value, nullptr, true, 1);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "cfrec: reading the model catalog failed: %s", SPI_result_code_string(rc));
    return {SPI_processed > 0 ? SPI_tuptable->vals[0] : nullptr, SPI_tuptable->tupdesc};
}

}  // namespace

Oid model_catalog(const char *schema) {
    return get_relname_relid("cfrec_model", get_namespace_oid(unquoted(schema), true));
}

bool catalog_has_table(const char *schema, const char *table) {
    const Oid catalog = model_catalog(schema);
    return OidIsValid(catalog) &&
           OidIsValid(get_relname_relid(table, get_rel_namespace(catalog)));
}

const char *catalog_schema(Oid catalog) {
    const char *name = get_namespace_name(get_rel_namespace(catalog));
    if (name == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("cfrec's catalog was dropped during this call")));
    return quote_identifier(name);
}

ModelRow read_model_row(const char *schema, const char *name) {
    const Oid relation = model_catalog(schema);
    ModelRow row{nullptr, nullptr};
    if (OidIsValid(relation) && read_directly(relation, name, &row)) return row;
    return query(schema, name);
}

}  // namespace cfrec::pg
