#include "pg/seen_items.h"

#include <string>
#include <unordered_set>

#include "pg/cpp_guard.h"
#include "pg/kept_plans.h"
#include "pg/training_source.h"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
}

namespace cfrec::pg {

namespace {

void append(SeenItems *s, const int64 *items, size_t n) {
    if (s->count + n > s->capacity) {
        s->capacity = Max(s->capacity * 2, s->count + n);
        s->ids = static_cast<int64 *>(repalloc(s->ids, sizeof(int64) * s->capacity));
    }
    memcpy(s->ids + s->count, items, sizeof(int64) * n);
    s->count += n;
}

Oid access_method(Oid relation) {  // get_rel_relam() exists from PostgreSQL 16 on
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relation));
    if (!HeapTupleIsValid(tuple)) return InvalidOid;
    const Oid am = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relam;
    ReleaseSysCache(tuple);
    return am;
}

// A valid index of `heap` whose first key is `column`; with `btree_only`, a
// btree without a predicate, which holds every row. From the relation
// cache, which reading the source loads anyway.
Oid leading_index(Relation heap, AttrNumber column, bool btree_only) {
    List *indexes = RelationGetIndexList(heap);
    Oid found = InvalidOid;
    ListCell *cell;
    foreach (cell, indexes) {
        const Oid index_oid = lfirst_oid(cell);
        HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
        if (!HeapTupleIsValid(tuple)) continue;
        const auto *index = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
        bool usable = index->indisvalid && index->indnatts > 0 && index->indkey.values[0] == column;
        // indcheckxmin: possibly unusable to older snapshots (the planner
        // checks its xmin; skipping it is the safe side).
        if (usable && btree_only)
            usable = !index->indcheckxmin &&
                     heap_attisnull(tuple, Anum_pg_index_indpred, nullptr) &&
                     access_method(index_oid) == BTREE_AM_OID;
        ReleaseSysCache(tuple);
        if (usable) {
            found = index_oid;
            break;
        }
    }
    list_free(indexes);
    return found;
}

// Warns once per backend, source and column when excluding seen items has no
// index to use: every call would then read the whole source.
void warn_if_unindexed(Oid relation, const char *qualified, const char *user_column) {
    const char kind = get_rel_relkind(relation);
    if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW && kind != RELKIND_PARTITIONED_TABLE)
        return;  // views and foreign tables: nothing we could index
    const AttrNumber column = get_attnum(relation, user_column);
    bool first_time = false;
    call_cpp([&] {
        static std::unordered_set<std::string> checked;
        first_time = checked.insert(std::to_string(relation) + ":" + std::to_string(column)).second;
    });
    if (!first_time || column <= 0) return;
    Relation rel = table_open(relation, AccessShareLock);
    const bool indexed = OidIsValid(leading_index(rel, column, false));
    table_close(rel, AccessShareLock);
    if (!indexed)
        ereport(WARNING,
                (errmsg("cfrec: %s has no index on %s, so every cfrec_recommend call reads the "
                        "whole table to exclude seen items",
                        qualified, quote_identifier(user_column)),
                 errhint("CREATE INDEX ON %s (%s);", qualified, quote_identifier(user_column))));
}

bool integer_type(Oid type) {
    return type == INT2OID || type == INT4OID || type == INT8OID;
}

int64 integer_value(Datum d, Oid type) {
    if (type == INT8OID) return DatumGetInt64(d);
    return type == INT4OID ? DatumGetInt32(d) : DatumGetInt16(d);
}

// The user's items straight from a btree index on the user column, as the
// current role (the owner). False, having read nothing, when the source is
// not a plain table with integer ids, has inheritance children or
// row-level security, is
// not readable by the role as a whole, or has no such index: the query then
// decides, with every rule applied.
bool read_by_index(Oid relation, const ModelRecord &r, int64 user, SeenItems *seen) {
    const char kind = get_rel_relkind(relation);
    if (kind != RELKIND_RELATION || !ActiveSnapshotSet() ||
        pg_class_aclcheck(relation, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
        return false;
    const AttrNumber user_att = get_attnum(relation, r.user_column);
    const AttrNumber item_att = get_attnum(relation, r.item_column);
    if (user_att <= 0 || item_att <= 0) return false;
    Relation heap = table_open(relation, AccessShareLock);
    const Oid user_type = TupleDescAttr(RelationGetDescr(heap), user_att - 1)->atttypid;
    const Oid item_type = TupleDescAttr(RelationGetDescr(heap), item_att - 1)->atttypid;
    // A table with inheritance children: the query reads them too.
    const Oid index_oid = heap->rd_rel->relrowsecurity || heap->rd_rel->relhassubclass ||
                                  !integer_type(user_type) || !integer_type(item_type)
                              ? InvalidOid
                              : leading_index(heap, user_att, true);
    if (!OidIsValid(index_oid)) {
        table_close(heap, AccessShareLock);
        return false;
    }
    Relation index = index_open(index_oid, AccessShareLock);
    const Oid equals =
        get_opfamily_member(index->rd_opfamily[0], user_type, INT8OID, BTEqualStrategyNumber);
    if (!OidIsValid(equals)) {
        index_close(index, AccessShareLock);
        table_close(heap, AccessShareLock);
        return false;
    }
    ScanKeyData key;
    ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, INT8OID, index->rd_indcollation[0],
                           get_opcode(equals), Int64GetDatum(user));
#if PG_VERSION_NUM >= 180000
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), nullptr, 1, 0);
#else
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
#endif
    index_rescan(scan, &key, 1, nullptr, 0);
    TupleTableSlot *slot = table_slot_create(heap, nullptr);
    while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
        CHECK_FOR_INTERRUPTS();
        bool isnull;
        const Datum d = slot_getattr(slot, item_att, &isnull);
        if (isnull) continue;
        const int64 item = integer_value(d, item_type);
        append(seen, &item, 1);
    }
    ExecDropSingleTupleTableSlot(slot);
    index_endscan(scan);
    // Locks are kept to the end of the transaction, as a query keeps them.
    index_close(index, NoLock);
    table_close(heap, NoLock);
    return true;
}

}  // namespace

SeenItems read_seen(const ModelRecord &r, int64 user) {
    Oid relation;
    const char *source = source_relation(r, &relation);
    warn_if_unindexed(relation, source, r.user_column);
    SeenItems seen;
    seen.count = 0;
    seen.capacity = 256;
    seen.ids = static_cast<int64 *>(palloc(sizeof(int64) * seen.capacity));
    const OwnerSwitch as_owner = begin_as_owner(r);
    if (!read_by_index(relation, r, user, &seen)) {
        const char *sql = psprintf(
            "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8 FROM %s WHERE %s "
            "OPERATOR(pg_catalog.=) $1",
            quote_identifier(r.user_column), quote_identifier(r.item_column), source,
            quote_identifier(r.user_column));
        Oid type[1] = {INT8OID};
        Datum value[1] = {Int64GetDatum(user)};
        stream_rows(
            sql, kept_plan(sql, 1, type), 1, type, value, false,
            [](void *context, const int64 *, const int64 *items, const float *, size_t n) {
                append(static_cast<SeenItems *>(context), items, n);
            },
            &seen);
    }
    end_as_owner(as_owner);
    return seen;
}

}  // namespace cfrec::pg
