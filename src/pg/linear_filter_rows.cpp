#include "pg/linear_filter_rows.h"

#include <algorithm>
#include <vector>

#include "core/linear_filter.h"
#include "pg/model_row.h"

namespace cfrec::pg {

namespace {

constexpr int kUsersPerInsert = 10000;
constexpr int kReadRows = 10000;

void execute(const char *sql, int nargs, Oid *types, Datum *values, int expected) {
    if (SPI_execute_with_args(sql, nargs, types, values, nullptr, false, 0) != expected)
        elog(ERROR, "cfrec: writing a linear filter's interactions failed");
}

[[noreturn]] void damaged(const ModelRecord &record) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("cfrec model \"%s\" is damaged: its rows in "
                           "cfrec_linear_filter_rows do not match its catalog entry",
                           record.name),
                    errhint("Train the model again with cfrec_train().")));
    pg_unreachable();
}

}  // namespace

bool is_linear_filter(const ModelRecord &record) {
    return !record.imported && record.algorithm == core::Algorithm::LinearFilter;
}

void refuse_linear_filter(const ModelRecord &record, const char *what, const char *hint) {
    if (!is_linear_filter(record)) return;
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s does not serve linear filters, and cfrec model \"%s\" is one", what,
                           record.name),
                    errhint("%s", hint)));
}

bool linear_filter_rows_exist(const char *schema) {
    return catalog_has_table(schema, "cfrec_linear_filter_rows");
}

void require_linear_filter_rows(const char *schema) {
    if (!linear_filter_rows_exist(schema))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("algorithm 'linear_filter' needs cfrec 1.12.0 or later in this "
                               "database"),
                        errhint("Run ALTER EXTENSION cfrec UPDATE.")));
}

void delete_linear_filter_rows(const char *schema, const char *name) {
    if (!linear_filter_rows_exist(schema)) return;
    Oid types[1] = {TEXTOID};
    Datum values[1] = {CStringGetTextDatum(name)};
    execute(psprintf("DELETE FROM %s.cfrec_linear_filter_rows WHERE model = $1", schema), 1, types,
            values, SPI_OK_DELETE);
}

void store_linear_filter_rows(const char *schema, const char *name,
                              const core::FactorModel &model) {
    delete_linear_filter_rows(schema, name);
    if (!model.linear) return;
    require_linear_filter_rows(schema);
    // A batch of users per statement: each row's items are a slice of one
    // array of all the batch's items.
    const char *sql = psprintf(
        "INSERT INTO %s.cfrec_linear_filter_rows (model, user_id, items) "
        "SELECT $1, $2[k], $4[$3[k] + 1 : $3[k + 1]] "
        "FROM pg_catalog.generate_series(1, pg_catalog.cardinality($2)) AS k",
        schema);
    const core::LinearFilter &f = *model.linear;
    const core::PatternView &rows = f.rows();
    const int64 users = static_cast<int64>(f.row_ids().size());
    for (int64 first = 0; first < users; first += kUsersPerInsert) {
        const int n = static_cast<int>(std::min<int64>(kUsersPerInsert, users - first));
        const int64 base = rows.indptr[first];
        const int64 total = rows.indptr[first + n] - base;
        if (total >= PG_INT32_MAX)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("cfrec: %d users have more interactions than one batch "
                                   "holds",
                                   n)));
        Datum *ids = static_cast<Datum *>(palloc(sizeof(Datum) * n));
        Datum *offsets = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
        Datum *items = static_cast<Datum *>(
            palloc_extended(sizeof(Datum) * std::max<int64>(total, 1), MCXT_ALLOC_HUGE));
        for (int r = 0; r <= n; ++r)
            offsets[r] = Int32GetDatum(static_cast<int32>(rows.indptr[first + r] - base));
        for (int r = 0; r < n; ++r) ids[r] = Int64GetDatum(f.row_ids()[first + r]);
        for (int64 k = 0; k < total; ++k)
            items[k] = Int64GetDatum(model.item_ids[rows.indices[base + k]]);
        Oid types[4] = {TEXTOID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID};
        Datum values[4] = {
            CStringGetTextDatum(name),
            PointerGetDatum(construct_array(ids, n, INT8OID, 8, true, TYPALIGN_DOUBLE)),
            PointerGetDatum(construct_array(offsets, n + 1, INT4OID, 4, true, TYPALIGN_INT)),
            PointerGetDatum(construct_array(items, static_cast<int>(total), INT8OID, 8, true,
                                            TYPALIGN_DOUBLE))};
        execute(sql, 4, types, values, SPI_OK_INSERT);
        pfree(ids);
        pfree(offsets);
        pfree(items);
        CHECK_FOR_INTERRUPTS();
    }
}

LinearRows read_linear_filter_rows(const ModelRecord &record, const int64 *item_ids,
                                   int64 n_items) {
    LinearRows rows;
    const int64 expected = record.users;
    if (expected < 0 || static_cast<Size>(expected) + 1 > MaxAllocHugeSize / sizeof(int64))
        damaged(record);
    rows.user_ids = static_cast<int64 *>(
        palloc_extended(sizeof(int64) * std::max<int64>(expected, 1), MCXT_ALLOC_HUGE));
    rows.offsets =
        static_cast<int64 *>(palloc_extended(sizeof(int64) * (expected + 1), MCXT_ALLOC_HUGE));
    Size capacity = 1024;
    rows.items = static_cast<int32 *>(palloc_extended(sizeof(int32) * capacity, MCXT_ALLOC_HUGE));
    rows.offsets[0] = 0;
    rows.count = 0;

    const char *sql = psprintf(
        "SELECT user_id, items FROM %s.cfrec_linear_filter_rows WHERE model = $1 ORDER BY user_id",
        catalog_schema(record.catalog));
    Oid types[1] = {TEXTOID};
    Datum values[1] = {CStringGetTextDatum(record.name)};
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, 1, types, values, nullptr, true, 0);
    bool bad = false;
    int64 filled = 0;
    for (;;) {
        SPI_cursor_fetch(portal, true, kReadRows);
        if (SPI_processed == 0) break;
        SPITupleTable *table = SPI_tuptable;
        for (uint64 j = 0; j < SPI_processed && !bad; ++j) {
            bool isnull;
            HeapTuple row = table->vals[j];
            const int64 user = DatumGetInt64(SPI_getbinval(row, table->tupdesc, 1, &isnull));
            const Datum array = SPI_getbinval(row, table->tupdesc, 2, &isnull);
            if (rows.count >= expected || isnull ||
                (rows.count > 0 && user <= rows.user_ids[rows.count - 1])) {
                bad = true;
                break;
            }
            ArrayType *a = DatumGetArrayTypeP(array);
            const int n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
            if (ARR_ELEMTYPE(a) != INT8OID || ARR_HASNULL(a) || ARR_NDIM(a) > 1 || n == 0) {
                bad = true;
                break;
            }
            if (static_cast<Size>(filled + n) > capacity) {
                capacity = Max(capacity * 2, static_cast<Size>(filled + n));
                if (capacity > MaxAllocHugeSize / sizeof(int32)) damaged(record);
                rows.items =
                    static_cast<int32 *>(repalloc_huge(rows.items, sizeof(int32) * capacity));
            }
            const int64 *ids = reinterpret_cast<const int64 *>(ARR_DATA_PTR(a));
            for (int k = 0; k < n && !bad; ++k) {
                const int64 *at = std::lower_bound(item_ids, item_ids + n_items, ids[k]);
                bad = at == item_ids + n_items || *at != ids[k] || (k > 0 && ids[k] <= ids[k - 1]);
                rows.items[filled + k] = static_cast<int32>(at - item_ids);
            }
            if (reinterpret_cast<Pointer>(a) != DatumGetPointer(array)) pfree(a);  // detoasted
            filled += n;
            rows.user_ids[rows.count++] = user;
            rows.offsets[rows.count] = filled;
        }
        SPI_freetuptable(table);
        if (bad) break;
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    if (bad || rows.count != expected) damaged(record);
    return rows;
}

void free_linear_rows(LinearRows &rows) {
    if (rows.count < 0) return;
    pfree(rows.user_ids);
    pfree(rows.offsets);
    pfree(rows.items);
}

void attach_linear_filter(core::FactorModel &model, const ModelRecord &record,
                          const LinearRows &rows) {
    core::Csr csr;
    csr.indptr.assign(rows.offsets, rows.offsets + rows.count + 1);
    csr.indices.assign(rows.items, rows.items + rows.offsets[rows.count]);
    model.linear = std::make_shared<const core::LinearFilter>(
        std::vector<int64_t>(rows.user_ids, rows.user_ids + rows.count), std::move(csr),
        model.item_factors, record.alpha, core::kLinearFilterSharpening);
}

}  // namespace cfrec::pg
