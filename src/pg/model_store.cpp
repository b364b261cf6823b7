#include "pg/model_store.h"

#include <cmath>

#include "pg/arrays.h"
#include "pg/kept_plans.h"

namespace cfrec::pg {

namespace {

// Rows per INSERT when writing factors: large enough to amortise the
// statement, small enough to keep each batch's arrays a few MiB.
constexpr int kWriteRows = 4096;
constexpr int kReadRows = 10000;
// First key of the advisory lock that serialises trainings of one name.
constexpr int32 kLockSpace = 0x63667265;  // "cfre"

void run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expected) {
    int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
    if (rc != expected)
        elog(ERROR, "cfrec: unexpected SPI result %s for: %s", SPI_result_code_string(rc), sql);
}

Datum text_datum(const char *s) {
    return PointerGetDatum(cstring_to_text(s));
}

// The rows of one side of a model, as plain arrays.
struct SideRows {
    const int64_t *ids;
    const float *bias;
    const float *factors;         // n x f, row-major
    const int32_t *interactions;  // items only, else NULL
    int64 n;
    int f;
};

// Writes factor rows in batches; `upsert` replaces rows that exist already.
void write_side(const char *schema, const char *name, const SideRows &side, bool upsert) {
    const bool items = side.interactions != nullptr;
    const char *sql =
        items ? psprintf(
                    "INSERT INTO %s.cfrec_item_factors (model, id, bias, factors, interactions) "
                    "SELECT $1, $2[i], $3[i], $4[(i - 1) * $5 + 1 : i * $5], $6[i] "
                    "FROM pg_catalog.generate_subscripts($2, 1) AS i%s",
                    schema,
                    upsert ? " ON CONFLICT (model, id) DO UPDATE SET bias = EXCLUDED.bias, "
                             "factors = EXCLUDED.factors, interactions = EXCLUDED.interactions"
                           : "")
              : psprintf(
                    "INSERT INTO %s.cfrec_user_factors (model, id, bias, factors) "
                    "SELECT $1, $2[i], $3[i], $4[(i - 1) * $5 + 1 : i * $5] "
                    "FROM pg_catalog.generate_subscripts($2, 1) AS i%s",
                    schema,
                    upsert ? " ON CONFLICT (model, id) DO UPDATE SET bias = EXCLUDED.bias, "
                             "factors = EXCLUDED.factors"
                           : "");
    Oid types[6] = {TEXTOID, INT8ARRAYOID, FLOAT4ARRAYOID, FLOAT4ARRAYOID, INT4OID, INT4ARRAYOID};
    SPIPlanPtr plan = SPI_prepare(sql, items ? 6 : 5, types);
    if (plan == nullptr)
        elog(ERROR, "cfrec: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    const int f = side.f;
    for (int64 begin = 0; begin < side.n; begin += kWriteRows) {
        const int rows = static_cast<int>(Min(side.n - begin, static_cast<int64>(kWriteRows)));
        Datum values[6];
        values[0] = text_datum(name);
        values[1] = PointerGetDatum(flat_array(INT8OID, 8, side.ids + begin, rows));
        values[2] = PointerGetDatum(flat_array(FLOAT4OID, 4, side.bias + begin, rows));
        values[3] = PointerGetDatum(flat_array(FLOAT4OID, 4, side.factors + begin * f, rows * f));
        values[4] = Int32GetDatum(f);
        if (items)
            values[5] = PointerGetDatum(flat_array(INT4OID, 4, side.interactions + begin, rows));
        int rc = SPI_execute_plan(plan, values, nullptr, false, 0);
        if (rc != SPI_OK_INSERT)
            elog(ERROR, "cfrec: writing factors failed: %s", SPI_result_code_string(rc));
        for (int j = 0; j < (items ? 6 : 5); ++j)
            if (j != 4) pfree(DatumGetPointer(values[j]));
        CHECK_FOR_INTERRUPTS();
    }
    SPI_freeplan(plan);
}

void insert_side(const char *schema, const char *name, const core::FactorModel &model, bool items) {
    const SideRows side = items ? SideRows{model.item_ids.data(),
                                           model.item_bias.data(),
                                           model.item_factors.data(),
                                           model.item_counts.data(),
                                           static_cast<int64>(model.item_ids.size()),
                                           model.factors()}
                                : SideRows{model.user_ids.data(),
                                           model.user_bias.data(),
                                           model.user_factors.data(),
                                           nullptr,
                                           static_cast<int64>(model.user_ids.size()),
                                           model.factors()};
    write_side(schema, name, side, false);
}

int64 next_version(const char *schema) {
    char *sequence = psprintf("%s.cfrec_model_version_seq", schema);
    run(psprintf("SELECT pg_catalog.nextval(%s::pg_catalog.regclass)",
                 quote_literal_cstr(sequence)),
        0, nullptr, nullptr, nullptr, SPI_OK_SELECT);
    bool isnull;
    return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

const char *nullable_text(HeapTuple row, TupleDesc desc, int column) {
    return SPI_getvalue(row, desc, column);  // NULL stays NULL
}

}  // namespace

void store_model(const char *schema, ModelRecord &r, const core::FactorModel &model,
                 instr_time started) {
    lock_model(r.name);
    r.version = next_version(schema);

    Oid name_type[1] = {TEXTOID};
    Datum name_value[1] = {text_datum(r.name)};
    run(psprintf("DELETE FROM %s.cfrec_user_factors WHERE model = $1", schema), 1, name_type,
        name_value, nullptr, SPI_OK_DELETE);
    run(psprintf("DELETE FROM %s.cfrec_item_factors WHERE model = $1", schema), 1, name_type,
        name_value, nullptr, SPI_OK_DELETE);

    insert_side(schema, r.name, model, false);
    insert_side(schema, r.name, model, true);

    instr_time elapsed;
    INSTR_TIME_SET_CURRENT(elapsed);
    INSTR_TIME_SUBTRACT(elapsed, started);
    r.train_seconds = INSTR_TIME_GET_DOUBLE(elapsed);
    Oid types[23] = {TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,
                     TEXTOID,   INT4OID,   INT4OID,   FLOAT8OID, FLOAT8OID, INT8OID,
                     FLOAT8OID, FLOAT4OID, FLOAT4OID, INT8OID,   INT8OID,   INT8OID,
                     FLOAT8OID, FLOAT8OID, INT8OID,   TEXTOID,   TEXTOID};
    Datum v[23] = {text_datum(r.name),
                   text_datum(r.feedback),
                   text_datum(r.algorithm),
                   text_datum(r.source),
                   text_datum(r.user_column),
                   text_datum(r.item_column),
                   r.rating_column ? text_datum(r.rating_column) : 0,
                   Int32GetDatum(r.factors),
                   Int32GetDatum(r.iterations),
                   Float8GetDatum(r.regularization),
                   Float8GetDatum(std::isnan(r.alpha) ? 0.0 : r.alpha),
                   Int64GetDatum(r.seed),
                   Float8GetDatum(r.global_mean),
                   Float4GetDatum(r.rating_min),
                   Float4GetDatum(r.rating_max),
                   Int64GetDatum(r.users),
                   Int64GetDatum(r.items),
                   Int64GetDatum(r.interactions),
                   Float8GetDatum(r.loss),
                   Float8GetDatum(r.train_seconds),
                   Int64GetDatum(r.version),
                   r.watermark_column ? text_datum(r.watermark_column) : 0,
                   r.watermark ? text_datum(r.watermark) : 0};
    const bool explicit_model = strcmp(r.feedback, "explicit") == 0;
    char nulls[24] = "                       ";
    if (!r.rating_column) nulls[6] = 'n';
    if (std::isnan(r.alpha)) nulls[10] = 'n';
    if (!explicit_model) nulls[13] = nulls[14] = 'n';
    if (!r.watermark_column) nulls[21] = 'n';
    if (!r.watermark) nulls[22] = 'n';
    run(psprintf(
            "INSERT INTO %s.cfrec_model AS m (name, feedback, algorithm, source, user_column, "
            "item_column, rating_column, factors, iterations, regularization, alpha, seed, "
            "global_mean, rating_min, rating_max, users, items, interactions, loss, "
            "train_seconds, version, watermark_column, watermark, trained_at, trained_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
            "$18, $19, $20, $21, $22, $23, pg_catalog.clock_timestamp(), CURRENT_USER) "
            "ON CONFLICT (name) DO UPDATE SET (feedback, algorithm, source, user_column, "
            "item_column, rating_column, factors, iterations, regularization, alpha, seed, "
            "global_mean, rating_min, rating_max, users, items, interactions, loss, "
            "train_seconds, version, watermark_column, watermark, trained_at, trained_by, "
            "updated_at, updates, last_update_users, last_update_items) = (EXCLUDED.feedback, "
            "EXCLUDED.algorithm, EXCLUDED.source, EXCLUDED.user_column, EXCLUDED.item_column, "
            "EXCLUDED.rating_column, EXCLUDED.factors, EXCLUDED.iterations, "
            "EXCLUDED.regularization, EXCLUDED.alpha, EXCLUDED.seed, EXCLUDED.global_mean, "
            "EXCLUDED.rating_min, EXCLUDED.rating_max, EXCLUDED.users, EXCLUDED.items, "
            "EXCLUDED.interactions, EXCLUDED.loss, EXCLUDED.train_seconds, EXCLUDED.version, "
            "EXCLUDED.watermark_column, EXCLUDED.watermark, EXCLUDED.trained_at, "
            "EXCLUDED.trained_by, NULL, 0, NULL, NULL)",
            schema),
        23, types, v, nulls, SPI_OK_INSERT);
}

ModelRecord find_model(const char *schema, const char *name) {
    Oid type[1] = {TEXTOID};
    Datum value[1] = {text_datum(name)};
    const char *sql = psprintf(
        "SELECT feedback, algorithm, source, user_column, item_column, rating_column, factors, "
        "iterations, regularization, alpha, seed, global_mean, rating_min, rating_max, users, "
        "items, interactions, loss, train_seconds, version, tableoid, watermark_column, "
        "watermark FROM %s.cfrec_model WHERE name = $1",
        schema);
    int rc = SPI_execute_plan(kept_plan(sql, 1, type), value, nullptr, true, 1);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "cfrec: reading the model catalog failed: %s", SPI_result_code_string(rc));
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("cfrec model \"%s\" does not exist", name),
                        errhint("Train it with cfrec_train(); SELECT model FROM cfrec_models lists "
                                "the trained models.")));
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    auto get = [&](int column, bool *isnull) { return SPI_getbinval(row, desc, column, isnull); };
    bool isnull;
    ModelRecord r;
    r.name = name;
    r.feedback = SPI_getvalue(row, desc, 1);
    r.algorithm = SPI_getvalue(row, desc, 2);
    r.source = SPI_getvalue(row, desc, 3);
    r.user_column = SPI_getvalue(row, desc, 4);
    r.item_column = SPI_getvalue(row, desc, 5);
    r.rating_column = nullable_text(row, desc, 6);
    r.factors = DatumGetInt32(get(7, &isnull));
    r.iterations = DatumGetInt32(get(8, &isnull));
    r.regularization = DatumGetFloat8(get(9, &isnull));
    Datum alpha = get(10, &isnull);
    r.alpha = isnull ? NAN : DatumGetFloat8(alpha);
    r.seed = DatumGetInt64(get(11, &isnull));
    r.global_mean = DatumGetFloat8(get(12, &isnull));
    Datum low = get(13, &isnull);
    r.rating_min = isnull ? 0.0f : DatumGetFloat4(low);
    Datum high = get(14, &isnull);
    r.rating_max = isnull ? 0.0f : DatumGetFloat4(high);
    r.users = DatumGetInt64(get(15, &isnull));
    r.items = DatumGetInt64(get(16, &isnull));
    r.interactions = DatumGetInt64(get(17, &isnull));
    r.loss = DatumGetFloat8(get(18, &isnull));
    r.train_seconds = DatumGetFloat8(get(19, &isnull));
    r.version = DatumGetInt64(get(20, &isnull));
    r.catalog = DatumGetObjectId(get(21, &isnull));
    r.watermark_column = SPI_getvalue(row, desc, 22);
    r.watermark = SPI_getvalue(row, desc, 23);
    return r;
}

StoredSide read_side(const char *schema, const ModelRecord &record, bool items) {
    const int f = record.factors;
    StoredSide side;
    side.count = items ? record.items : record.users;
    const Size n = static_cast<Size>(side.count);
    side.ids =
        static_cast<int64 *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(int64)));
    side.bias =
        static_cast<float *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(float)));
    side.factors =
        static_cast<float *>(MemoryContextAllocHuge(CurrentMemoryContext, n * f * sizeof(float)));
    side.interactions =
        items
            ? static_cast<int32 *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(int32)))
            : nullptr;

    const char *sql = psprintf("SELECT id, bias, factors%s FROM %s.%s WHERE model = $1 ORDER BY id",
                               items ? ", interactions" : "", schema,
                               items ? "cfrec_item_factors" : "cfrec_user_factors");
    Oid type[1] = {TEXTOID};
    Datum value[1] = {text_datum(record.name)};
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, 1, type, value, nullptr, true, 0);
    Size filled = 0;
    bool damaged = false;
    for (;;) {
        SPI_cursor_fetch(portal, true, kReadRows);
        if (SPI_processed == 0) break;
        SPITupleTable *table = SPI_tuptable;
        for (uint64 j = 0; j < SPI_processed && !damaged; ++j, ++filled) {
            if (filled >= n) {
                damaged = true;
                break;
            }
            bool isnull;
            HeapTuple row = table->vals[j];
            side.ids[filled] = DatumGetInt64(SPI_getbinval(row, table->tupdesc, 1, &isnull));
            side.bias[filled] = DatumGetFloat4(SPI_getbinval(row, table->tupdesc, 2, &isnull));
            Datum vector = SPI_getbinval(row, table->tupdesc, 3, &isnull);
            damaged = !read_real_array(vector, f, side.factors + filled * f);
            if (items)
                side.interactions[filled] =
                    DatumGetInt32(SPI_getbinval(row, table->tupdesc, 4, &isnull));
        }
        SPI_freetuptable(table);
        if (damaged) break;
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    if (damaged || filled != n)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("cfrec model \"%s\" is damaged: its %s factor rows do not match "
                               "its catalog entry",
                               record.name, items ? "item" : "user"),
                        errhint("Train the model again with cfrec_train().")));
    return side;
}

const char *source_relation(const ModelRecord &r, Oid *relation_out) {
#if PG_VERSION_NUM >= 160000
    List *names = stringToQualifiedNameList(r.source, nullptr);
#else
    List *names = stringToQualifiedNameList(r.source);
#endif
    Oid relation = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
    if (!OidIsValid(relation))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("source %s of cfrec model \"%s\" does not exist", r.source, r.name),
                        errhint("Retrain the model from an existing table, or call with "
                                "exclude_seen => false.")));
    if (relation_out) *relation_out = relation;
    return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relation)),
                                      get_rel_name(relation));
}

void lock_model(const char *name) {
    Oid types[2] = {INT4OID, TEXTOID};
    Datum values[2] = {Int32GetDatum(kLockSpace), text_datum(name)};
    run("SELECT pg_catalog.pg_advisory_xact_lock($1, pg_catalog.hashtext($2))", 2, types, values,
        nullptr, SPI_OK_SELECT);
}

int64 store_refreshed(const char *schema, const char *name, core::Side side,
                      const core::Refreshed &refreshed, const int64 *requested, int n_requested) {
    lock_model(name);
    const bool items = side == core::Side::Items;
    const char *table = items ? "cfrec_item_factors" : "cfrec_user_factors";
    const int f = static_cast<int>(refreshed.factors.cols());
    write_side(schema, name,
               SideRows{refreshed.ids.data(), refreshed.bias.data(), refreshed.factors.data(),
                        items ? refreshed.interactions.data() : nullptr,
                        static_cast<int64>(refreshed.ids.size()), f},
               true);
    // Rows asked for (all of them, when none were named) that have no usable
    // pairs any more leave the model.
    Oid types[3] = {TEXTOID, INT8ARRAYOID, INT8ARRAYOID};
    Datum values[3] = {
        text_datum(name),
        PointerGetDatum(
            flat_array(INT8OID, 8, refreshed.ids.data(), static_cast<int>(refreshed.ids.size()))),
        requested ? PointerGetDatum(flat_array(INT8OID, 8, requested, n_requested)) : 0};
    const char nulls[4] = {' ', ' ', requested ? ' ' : 'n', '\0'};
    run(psprintf("DELETE FROM %s.%s WHERE model = $1 AND id <> ALL ($2) "
                 "AND ($3 IS NULL OR id = ANY ($3))",
                 schema, table),
        3, types, values, nulls, SPI_OK_DELETE);
    const int64 removed = static_cast<int64>(SPI_processed);
    Oid update_types[2] = {TEXTOID, INT8OID};
    Datum update_values[2] = {text_datum(name), Int64GetDatum(next_version(schema))};
    run(psprintf("UPDATE %s.cfrec_model SET version = $2, %s = (SELECT pg_catalog.count(*) "
                 "FROM %s.%s f WHERE f.model = $1) WHERE name = $1",
                 schema, items ? "items" : "users", schema, table),
        2, update_types, update_values, nullptr, SPI_OK_UPDATE);
    return removed;
}

}  // namespace cfrec::pg
