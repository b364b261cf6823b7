#include "pg/linear_filter_rows.h"
#include "pg/model_store.h"

#include <algorithm>
#include <cmath>

#include "pg/arrays.h"
#include "pg/catalog_writer.h"
#include "pg/kept_plans.h"
#include "pg/model_row.h"

namespace cfrec::pg {

const char *feedback_name(core::Feedback feedback) {
    return feedback == core::Feedback::Implicit ? "implicit" : "explicit";
}

bool is_graph_filter(const ModelRecord &record) {
    return !record.imported && record.algorithm == core::Algorithm::GraphFilter;
}

const char *algorithm_name(const ModelRecord &record) {
    return record.imported ? "imported" : core::algorithm_name(record.algorithm);
}

core::FoldInOptions fold_in_options(const ModelRecord &record) {
    core::FoldInOptions options;
    options.regularization = record.regularization;
    if (record.feedback == core::Feedback::Implicit) options.alpha = record.alpha;
    options.sum_of_items = is_graph_filter(record);
    return options;
}

namespace {

// Rows per INSERT when writing factors: large enough to amortise the
// statement, small enough to keep each batch's arrays a few MiB.
constexpr int kWriteRows = 4096;

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

// Writes factor rows in batches, tagged with `version`; `upsert` replaces
// rows that exist already.
void write_side(const char *schema, const char *name, const SideRows &side, int64 version,
                bool upsert) {
    const bool items = side.interactions != nullptr;
    const char *sql =
        items ? psprintf(
                    "INSERT INTO %s.cfrec_item_factors (model, id, bias, factors, version, "
                    "interactions) "
                    "SELECT $1, $2[i], $3[i], $4[(i - 1) * $5 + 1 : i * $5], $6, $7[i] "
                    "FROM pg_catalog.generate_subscripts($2, 1) AS i%s",
                    schema,
                    upsert ? " ON CONFLICT (model, id) DO UPDATE SET bias = EXCLUDED.bias, "
                             "factors = EXCLUDED.factors, version = EXCLUDED.version, "
                             "interactions = EXCLUDED.interactions"
                           : "")
              : psprintf(
                    "INSERT INTO %s.cfrec_user_factors (model, id, bias, factors, version) "
                    "SELECT $1, $2[i], $3[i], $4[(i - 1) * $5 + 1 : i * $5], $6 "
                    "FROM pg_catalog.generate_subscripts($2, 1) AS i%s",
                    schema,
                    upsert ? " ON CONFLICT (model, id) DO UPDATE SET bias = EXCLUDED.bias, "
                             "factors = EXCLUDED.factors, version = EXCLUDED.version"
                           : "");
    Oid types[7] = {TEXTOID, INT8ARRAYOID, FLOAT4ARRAYOID, FLOAT4ARRAYOID,
                    INT4OID, INT8OID,      INT4ARRAYOID};
    const int nargs = items ? 7 : 6;
    SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
    if (plan == nullptr)
        elog(ERROR, "cfrec: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    const int f = side.f;
    for (int64 begin = 0; begin < side.n; begin += kWriteRows) {
        const int rows = static_cast<int>(Min(side.n - begin, static_cast<int64>(kWriteRows)));
        Datum values[7];
        values[0] = text_datum(name);
        values[1] = PointerGetDatum(flat_array(INT8OID, 8, side.ids + begin, rows));
        values[2] = PointerGetDatum(flat_array(FLOAT4OID, 4, side.bias + begin, rows));
        values[3] = PointerGetDatum(flat_array(FLOAT4OID, 4, side.factors + begin * f, rows * f));
        values[4] = Int32GetDatum(f);
        values[5] = Int64GetDatum(version);
        if (items)
            values[6] = PointerGetDatum(flat_array(INT4OID, 4, side.interactions + begin, rows));
        int rc = SPI_execute_plan(plan, values, nullptr, false, 0);
        if (rc != SPI_OK_INSERT)
            elog(ERROR, "cfrec: writing factors failed: %s", SPI_result_code_string(rc));
        for (int j = 0; j < nargs; ++j)
            if (j != 4 && j != 5) pfree(DatumGetPointer(values[j]));
        CHECK_FOR_INTERRUPTS();
    }
    SPI_freeplan(plan);
}

void insert_side(const char *schema, const char *name, const core::FactorModel &model, bool items,
                 int64 version) {
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
    write_side(schema, name, side, version, false);
}

int64 next_version(const char *schema) {
    char *sequence = psprintf("%s.cfrec_model_version_seq", schema);
    run(psprintf("SELECT pg_catalog.nextval(%s::pg_catalog.regclass)",
                 quote_literal_cstr(sequence)),
        0, nullptr, nullptr, nullptr, SPI_OK_SELECT);
    bool isnull;
    return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

// Inserts or replaces the model's catalog row (train_seconds: so far),
// trained by the role `caller`, who owns it if it is new.
void upsert_catalog(const char *schema, ModelRecord &r, instr_time started, Oid caller);

}  // namespace

// The catalog row is written first: its upsert locks the model's row (or, for
// a new name, holds its key), so trainings and refreshes of one model take
// turns. A row lock, unlike an advisory lock, needs UPDATE on cfrec_model:
// a role that may not train cannot block those who may.
void store_model(const char *schema, ModelRecord &r, const core::FactorModel &model,
                 instr_time started) {
    const Oid caller = GetUserId();
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    r.version = next_version(schema);
    upsert_catalog(schema, r, started, caller);

    Oid name_type[1] = {TEXTOID};
    Datum name_value[1] = {text_datum(r.name)};
    run(psprintf("DELETE FROM %s.cfrec_user_factors WHERE model = $1", schema), 1, name_type,
        name_value, nullptr, SPI_OK_DELETE);
    run(psprintf("DELETE FROM %s.cfrec_item_factors WHERE model = $1", schema), 1, name_type,
        name_value, nullptr, SPI_OK_DELETE);

    insert_side(schema, r.name, model, false, r.version);
    insert_side(schema, r.name, model, true, r.version);
    store_linear_filter_rows(schema, r.name, model);

    // The reported time includes writing the factors.
    instr_time elapsed;
    INSTR_TIME_SET_CURRENT(elapsed);
    INSTR_TIME_SUBTRACT(elapsed, started);
    r.train_seconds = INSTR_TIME_GET_DOUBLE(elapsed);
    Oid types[2] = {TEXTOID, FLOAT8OID};
    Datum values[2] = {text_datum(r.name), Float8GetDatum(r.train_seconds)};
    run(psprintf("UPDATE %s.cfrec_model SET train_seconds = $2 WHERE name = $1", schema), 2, types,
        values, nullptr, SPI_OK_UPDATE);
    end_catalog_write(as_catalog);
}

namespace {

void upsert_catalog(const char *schema, ModelRecord &r, instr_time started, Oid caller) {
    instr_time elapsed;
    INSTR_TIME_SET_CURRENT(elapsed);
    INSTR_TIME_SUBTRACT(elapsed, started);
    r.train_seconds = INSTR_TIME_GET_DOUBLE(elapsed);
    Oid types[24] = {TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,   TEXTOID,
                     TEXTOID,   INT4OID,   INT4OID,   FLOAT8OID, FLOAT8OID, INT8OID,
                     FLOAT8OID, FLOAT4OID, FLOAT4OID, INT8OID,   INT8OID,   INT8OID,
                     FLOAT8OID, FLOAT8OID, INT8OID,   TEXTOID,   TEXTOID,   OIDOID};
    Datum v[24] = {text_datum(r.name),
                   text_datum(feedback_name(r.feedback)),
                   text_datum(algorithm_name(r)),
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
                   r.watermark ? text_datum(r.watermark) : 0,
                   ObjectIdGetDatum(caller)};
    const bool explicit_model = r.feedback == core::Feedback::Explicit;
    char nulls[25] = "                        ";
    if (!r.rating_column) nulls[6] = 'n';
    if (std::isnan(r.alpha)) nulls[10] = 'n';
    if (!explicit_model) nulls[13] = nulls[14] = 'n';
    if (!r.watermark_column) nulls[21] = 'n';
    if (!r.watermark) nulls[22] = 'n';
    // A new model belongs to the role training it; a retrained one keeps its
    // owner (the upsert's UPDATE leaves the column alone).
    const bool has_owner = catalog_has_owner(schema);
    const char *owner_column = has_owner ? ", owner" : "";
    // By OID (regrole) from 1.9.0 on, by name before.
    const char *owner_value =
        !has_owner ? ""
        : owner_is_regrole(schema) ? ", $24::pg_catalog.regrole"
                                   : ", pg_catalog.pg_get_userbyid($24)";
    run(psprintf(
            "INSERT INTO %s.cfrec_model AS m (name, feedback, algorithm, source, user_column, "
            "item_column, rating_column, factors, iterations, regularization, alpha, seed, "
            "global_mean, rating_min, rating_max, users, items, interactions, loss, "
            "train_seconds, version, base_version, watermark_column, watermark, trained_at, "
            "trained_by%s) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
            "$18, $19, $20, $21, $21, $22, $23, pg_catalog.clock_timestamp(), "
            "pg_catalog.pg_get_userbyid($24)%s) "
            "ON CONFLICT (name) DO UPDATE SET (feedback, algorithm, source, user_column, "
            "item_column, rating_column, factors, iterations, regularization, alpha, seed, "
            "global_mean, rating_min, rating_max, users, items, interactions, loss, "
            "train_seconds, version, base_version, watermark_column, watermark, trained_at, "
            "trained_by, updated_at, updates, last_update_users, last_update_items) = "
            "(EXCLUDED.feedback, "
            "EXCLUDED.algorithm, EXCLUDED.source, EXCLUDED.user_column, EXCLUDED.item_column, "
            "EXCLUDED.rating_column, EXCLUDED.factors, EXCLUDED.iterations, "
            "EXCLUDED.regularization, EXCLUDED.alpha, EXCLUDED.seed, EXCLUDED.global_mean, "
            "EXCLUDED.rating_min, EXCLUDED.rating_max, EXCLUDED.users, EXCLUDED.items, "
            "EXCLUDED.interactions, EXCLUDED.loss, EXCLUDED.train_seconds, EXCLUDED.version, "
            "EXCLUDED.base_version, "
            "EXCLUDED.watermark_column, EXCLUDED.watermark, EXCLUDED.trained_at, "
            "EXCLUDED.trained_by, NULL, 0, NULL, NULL)%s",
            schema, owner_column, owner_value,
            // The caller's right to retrain was checked before the work; a
            // model of this name made by another role meanwhile is not
            // replaced: the row is written only where the caller has its
            // owner's privileges still.
            has_owner ? " WHERE pg_catalog.pg_has_role($24, m.owner, 'USAGE')" : ""),
        24, types, v, nulls, SPI_OK_INSERT);
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("cfrec model \"%s\" was created by another role while this one "
                               "was trained",
                               r.name),
                        errhint("Train under another name, or ask its owner to share its role.")));
}

// The catalog's algorithm text as the record's enum: one of the core's
// trainers' names, or 'imported'.
bool parse_algorithm(const char *text, ModelRecord *r) {
    if (text == nullptr) return false;
    r->imported = strcmp(text, "imported") == 0;
    r->algorithm = core::Algorithm::Als;
    return r->imported || core::algorithm_named(text, &r->algorithm);
}

}  // namespace

bool catalog_has_column(const char *schema, const char *column) {
    const Oid relation = model_catalog(schema);
    return OidIsValid(relation) && get_attnum(relation, column) != InvalidAttrNumber;
}

bool catalog_has_owner(const char *schema) { return catalog_has_column(schema, "owner"); }

bool owner_is_regrole(const char *schema) {
    const Oid relation = model_catalog(schema);
    const AttrNumber owner = get_attnum(relation, "owner");
    return owner != InvalidAttrNumber && get_atttype(relation, owner) == REGROLEOID;
}

ModelRecord find_model(const char *schema, const char *name, Access access) {
    const ModelRow row = read_model_row(schema, name);
    if (row.tuple == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("cfrec model \"%s\" does not exist", name),
                        errhint("Train it with cfrec_train(); SELECT model FROM cfrec_models lists "
                                "the trained models.")));
    // By name: the same binary serves a database still at 1.0.x, whose
    // catalog has no owner column, until ALTER EXTENSION cfrec UPDATE.
    auto column = [&](const char *column_name) {
        const int n = SPI_fnumber(row.desc, column_name);
        return n == SPI_ERROR_NOATTRIBUTE ? 0 : n;
    };
    auto text = [&](const char *column_name) -> char * {
        const int n = column(column_name);
        return n == 0 ? nullptr : SPI_getvalue(row.tuple, row.desc, n);
    };
    auto value = [&](const char *column_name, bool *isnull) {
        return SPI_getbinval(row.tuple, row.desc, column(column_name), isnull);
    };
    bool isnull;
    ModelRecord r;
    r.name = name;
    const char *feedback = text("feedback");
    const char *algorithm = text("algorithm");
    r.source = text("source");
    r.user_column = text("user_column");
    r.item_column = text("item_column");
    r.rating_column = text("rating_column");
    r.factors = DatumGetInt32(value("factors", &isnull));
    r.iterations = DatumGetInt32(value("iterations", &isnull));
    r.regularization = DatumGetFloat8(value("regularization", &isnull));
    Datum alpha = value("alpha", &isnull);
    r.alpha = isnull ? NAN : DatumGetFloat8(alpha);
    r.seed = DatumGetInt64(value("seed", &isnull));
    r.global_mean = DatumGetFloat8(value("global_mean", &isnull));
    Datum low = value("rating_min", &isnull);
    r.rating_min = isnull ? 0.0f : DatumGetFloat4(low);
    Datum high = value("rating_max", &isnull);
    r.rating_max = isnull ? 0.0f : DatumGetFloat4(high);
    r.users = DatumGetInt64(value("users", &isnull));
    r.items = DatumGetInt64(value("items", &isnull));
    r.interactions = DatumGetInt64(value("interactions", &isnull));
    r.loss = DatumGetFloat8(value("loss", &isnull));
    r.train_seconds = DatumGetFloat8(value("train_seconds", &isnull));
    r.version = DatumGetInt64(value("version", &isnull));
    r.catalog = DatumGetObjectId(value("tableoid", &isnull));
    r.watermark_column = text("watermark_column");
    r.watermark = text("watermark");
    r.base_version = DatumGetInt64(value("base_version", &isnull));
    const int owner_column = column("owner");
    r.owner_known = owner_column != 0;
    r.owner = InvalidOid;
    if (r.owner_known &&
        !stored_role(value("owner", &isnull), SPI_gettypeid(row.desc, owner_column), &r.owner))
        r.owner = InvalidOid;  // a dropped role: only superusers pass
    const int readers_column = column("readers");
    r.readers_known = readers_column != 0;
    r.readers = nullptr;
    r.reader_count = 0;
    if (r.readers_known) {
        Datum readers = value("readers", &isnull);
        if (!isnull) {
            // regrole[] from 1.9.0 on, name[] before.
            const bool by_name = SPI_gettypeid(row.desc, readers_column) == NAMEARRAYOID;
            Datum *roles;
            bool *null_roles;
            int n;
            deconstruct_array(DatumGetArrayTypeP(readers), by_name ? NAMEOID : REGROLEOID,
                              by_name ? NAMEDATALEN : sizeof(Oid), !by_name,
                              by_name ? TYPALIGN_CHAR : TYPALIGN_INT, &roles, &null_roles, &n);
            Oid *list = static_cast<Oid *>(palloc(sizeof(Oid) * Max(n, 1)));
            for (int i = 0; i < n; ++i)
                if (!null_roles[i] &&
                    stored_role(roles[i], by_name ? NAMEOID : REGROLEOID, &list[r.reader_count]))
                    ++r.reader_count;
            r.readers = list;
        }
    }
    // Sizes read back size memory: a doctored catalog row is an error, never
    // an allocation (training never writes factors above 1024).
    const bool implicit = feedback != nullptr && strcmp(feedback, "implicit") == 0;
    r.feedback = implicit ? core::Feedback::Implicit : core::Feedback::Explicit;
    if (!implicit && (feedback == nullptr || strcmp(feedback, "explicit") != 0))
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("cfrec model \"%s\" is damaged: its feedback kind is \"%s\"", name,
                               feedback ? feedback : ""),
                        errhint("Train the model again with cfrec_train().")));
    if (!parse_algorithm(algorithm, &r))
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("cfrec model \"%s\" is damaged: its algorithm is \"%s\"", name,
                               algorithm ? algorithm : ""),
                        errhint("Train the model again with cfrec_train().")));
    if (r.factors < 1 || r.factors > 1024 || r.users < 0 || r.items < 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("cfrec model \"%s\" is damaged: its catalog entry says %lld users, "
                               "%lld items and %d factors",
                               name, static_cast<long long>(r.users),
                               static_cast<long long>(r.items), r.factors),
                        errhint("Train the model again with cfrec_train().")));
    if (access == Access::Change)
        require_model_owner(r);
    else
        require_model_read(r);
    return r;
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

void lock_model(const char *schema, const char *name) {
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(name)};
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    run(psprintf("SELECT FROM %s.cfrec_model WHERE name = $1 FOR UPDATE", schema), 1, types, values,
        nullptr, SPI_OK_SELECT);
    end_catalog_write(as_catalog);
}

int64 store_refreshed(const char *schema, const char *name, core::Side side,
                      const core::Refreshed &refreshed, const int64 *requested, int n_requested) {
    lock_model(schema, name);
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    const bool items = side == core::Side::Items;
    const char *table = items ? "cfrec_item_factors" : "cfrec_user_factors";
    const int f = static_cast<int>(refreshed.factors.cols());
    const int64 version = next_version(schema);
    write_side(schema, name,
               SideRows{refreshed.ids.data(), refreshed.bias.data(), refreshed.factors.data(),
                        items ? refreshed.interactions.data() : nullptr,
                        static_cast<int64>(refreshed.ids.size()), f},
               version, true);
    // Rows asked for (all of them, when none were named) that have no usable
    // pairs any more leave the model. Named ones are matched here, so the
    // usual refresh of a few users runs no DELETE at all.
    int64 removed = 0;
    if (requested == nullptr) {
        Oid types[2] = {TEXTOID, INT8ARRAYOID};
        Datum values[2] = {text_datum(name),
                           PointerGetDatum(flat_array(INT8OID, 8, refreshed.ids.data(),
                                                      static_cast<int>(refreshed.ids.size())))};
        run(psprintf("DELETE FROM %s.%s WHERE model = $1 AND id <> ALL ($2)", schema, table), 2,
            types, values, nullptr, SPI_OK_DELETE);
        removed = static_cast<int64>(SPI_processed);
    } else {
        int64 *gone = static_cast<int64 *>(palloc(sizeof(int64) * Max(n_requested, 1)));
        int n_gone = 0;
        for (int j = 0; j < n_requested; ++j)
            if (!std::binary_search(refreshed.ids.begin(), refreshed.ids.end(), requested[j]))
                gone[n_gone++] = requested[j];
        if (n_gone > 0) {
            Oid types[2] = {TEXTOID, INT8ARRAYOID};
            Datum values[2] = {text_datum(name),
                               PointerGetDatum(flat_array(INT8OID, 8, gone, n_gone))};
            run(psprintf("DELETE FROM %s.%s WHERE model = $1 AND id = ANY ($2)", schema, table), 2,
                types, values, nullptr, SPI_OK_DELETE);
            removed = static_cast<int64>(SPI_processed);
        }
        pfree(gone);
    }
    // Caches catch up by reading the rows of the new version, unless rows were
    // removed: then they reload the model whole.
    Oid update_types[4] = {TEXTOID, INT8OID, INT8OID, BOOLOID};
    Datum update_values[4] = {text_datum(name), Int64GetDatum(version),
                              Int64GetDatum(refreshed.added - removed), BoolGetDatum(removed > 0)};
    run(psprintf("UPDATE %s.cfrec_model SET version = $2, %s = %s + $3, base_version = CASE WHEN "
                 "$4 THEN $2 ELSE base_version END WHERE name = $1",
                 schema, items ? "items" : "users", items ? "items" : "users"),
        4, update_types, update_values, nullptr, SPI_OK_UPDATE);
    end_catalog_write(as_catalog);
    return removed;
}

}  // namespace cfrec::pg
