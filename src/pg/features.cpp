#include "pg/features.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "pg/arrays.h"
#include "pg/cpp_guard.h"
#include "pg/model_access.h"
#include "pg/model_row.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {

constexpr int kFetchRows = 10000;

const char *side_name(core::Side side) { return side == core::Side::Items ? "items" : "users"; }

// The (id, feature, weight) query of a source, optionally only for the ids in $1.
const char *feature_query(const FeatureSource &s, bool only_requested) {
    const char *id = quote_identifier(s.id_column);
    return psprintf(
        "SELECT f.id, f.feature, pg_catalog.sum(f.weight)::pg_catalog.float8 FROM "
        "(SELECT %s::pg_catalog.int8 AS id, %s::pg_catalog.text AS feature, %s AS weight "
        "FROM %s%s) f "
        "WHERE f.id IS NOT NULL AND f.feature IS NOT NULL AND f.weight IS NOT NULL "
        "GROUP BY f.feature, f.id ORDER BY f.feature COLLATE \"C\", f.id",
        id, quote_identifier(s.feature_column),
        s.weight_column ? psprintf("%s::pg_catalog.float8", quote_identifier(s.weight_column))
                        : "1::pg_catalog.float8",
        s.relation,
        only_requested ? psprintf(" WHERE %s OPERATOR(pg_catalog.=) ANY ($1)", id) : "");
}

// Runs a query through a cursor and hands its rows to `consume` a batch at a
// time, checking for a cancel between batches. `consume` may ERROR: it is a
// lambda over plain memory, with nothing to destroy.
template <class Consume>
void fetch_batches(const char *sql, int nargs, Oid *types, Datum *args, const char *nulls,
                   Consume &&consume) {
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, nargs, types, args, nulls, true, 0);
    if (portal == nullptr) elog(ERROR, "cfrec: could not open a cursor on the features");
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kFetchRows);
        if (SPI_processed == 0) break;
        consume(SPI_tuptable, SPI_processed);
        SPI_freetuptable(SPI_tuptable);
    }
    SPI_cursor_close(portal);
}

template <class T>
void grow(T *&array, size_t &capacity, size_t needed) {
    if (needed <= capacity) return;
    capacity = Max(capacity * 2, needed);
    array = static_cast<T *>(repalloc(array, sizeof(T) * capacity));
}

// Runs a feature query and collects its rows, numbering features by their text.
FeatureTable collect(const char *sql, int nargs, Oid *types, Datum *args) {
    FeatureTable t{};
    size_t capacity = 1024, name_capacity = 64;
    t.ids = static_cast<int64 *>(palloc(sizeof(int64) * capacity));
    t.features = static_cast<int32 *>(palloc(sizeof(int32) * capacity));
    t.weights = static_cast<float *>(palloc(sizeof(float) * capacity));
    t.names = static_cast<char **>(palloc(sizeof(char *) * name_capacity));
    size_t weight_capacity = capacity, feature_capacity = capacity;
    fetch_batches(sql, nargs, types, args, nullptr, [&](SPITupleTable *batch, uint64 n) {
        grow(t.ids, capacity, t.count + n);
        grow(t.features, feature_capacity, t.count + n);
        grow(t.weights, weight_capacity, t.count + n);
        for (uint64 r = 0; r < n; ++r) {
            HeapTuple tuple = batch->vals[r];
            bool null;
            const int64 id = DatumGetInt64(SPI_getbinval(tuple, batch->tupdesc, 1, &null));
            const char *feature = SPI_getvalue(tuple, batch->tupdesc, 2);
            const double weight = DatumGetFloat8(SPI_getbinval(tuple, batch->tupdesc, 3, &null));
            if (t.feature_count == 0 || strcmp(t.names[t.feature_count - 1], feature) != 0) {
                grow(t.names, name_capacity, static_cast<size_t>(t.feature_count) + 1);
                t.names[t.feature_count++] = pstrdup(feature);
            }
            t.ids[t.count] = id;
            t.features[t.count] = t.feature_count - 1;
            t.weights[t.count] = static_cast<float>(weight);
            ++t.count;
        }
    });
    return t;
}

void execute(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
             int expected) {
    if (SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0) != expected)
        elog(ERROR, "cfrec: writing a model's features failed: %s", sql);
}

// The stored source of a model's side, or nullptr; the relation resolved
// again by name, as the model's source is.
const FeatureSource *stored_source(const char *schema, const char *model, core::Side side) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {CStringGetTextDatum(model), CStringGetTextDatum(side_name(side))};
    if (SPI_execute_with_args(
            psprintf("SELECT relation, id_column, feature_column, weight_column FROM "
                     "%s.cfrec_feature_source WHERE model = $1 AND side = $2",
                     schema),
            2, types, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "cfrec: reading a model's feature source failed");
    if (SPI_processed == 0) return nullptr;
    HeapTuple tuple = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    const char *relation_name = SPI_getvalue(tuple, desc, 1);
#if PG_VERSION_NUM >= 160000
    List *names = stringToQualifiedNameList(relation_name, nullptr);
#else
    List *names = stringToQualifiedNameList(relation_name);
#endif
    const Oid relation = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
    if (!OidIsValid(relation))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("%s features %s of cfrec model \"%s\" do not exist",
                               side == core::Side::Items ? "item" : "user", relation_name, model),
                        errhint("Retrain the model with features from an existing table.")));
    auto *s = static_cast<FeatureSource *>(palloc(sizeof(FeatureSource)));
    *s = describe_features(side, relation, SPI_getvalue(tuple, desc, 2),
                           SPI_getvalue(tuple, desc, 3), SPI_getvalue(tuple, desc, 4));
    return s;
}

// The model's map for a side: feature text -> row, checked against the
// model's width; the intercept separately.
struct StoredMap {
    float *intercept;  // bias then factors: width + 1 floats
    int width;
};

[[noreturn]] void damaged(const char *model) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("the feature map of cfrec model \"%s\" is damaged", model),
                    errhint("Train the model again.")));
    pg_unreachable();
}

// Reads one map row (bias, factors) at columns `first`, `first + 1` into out.
void read_map_row(HeapTuple tuple, TupleDesc desc, int first, int width, const char *model,
                  float *out) {
    bool null_bias, null_factors;
    const Datum bias = SPI_getbinval(tuple, desc, first, &null_bias);
    const Datum factors = SPI_getbinval(tuple, desc, first + 1, &null_factors);
    if (null_bias || null_factors || !read_real_array(factors, width, out + 1)) damaged(model);
    out[0] = DatumGetFloat4(bias);
    for (int c = 0; c <= width; ++c)
        if (!std::isfinite(out[c])) damaged(model);
}

// A length row (bias, then factors: width + 1 floats) into out.
void read_length(Datum array, int width, const char *model, float *out) {
    if (!read_real_array(array, width + 1, out)) damaged(model);
    for (int c = 0; c <= width; ++c)
        if (!std::isfinite(out[c])) damaged(model);
}

}  // namespace

FeatureSource describe_features(core::Side side, Oid relation, const char *id_column,
                                const char *feature_column, const char *weight_column) {
    const bool items = side == core::Side::Items;
    const char *qualified = readable_relation(
        relation, items ? "Give item_features as a table, view, materialized view or foreign table."
                        : "Give user_features as a table, view, materialized view or foreign table.");
    const Oid id_type = column_type(relation, qualified, id_column, "feature_id_column");
    require_type(is_integer_type(id_type), id_column, id_type, "an integer type", "bigint");
    column_type(relation, qualified, feature_column, "feature_column");  // any type: read as text
    if (weight_column != nullptr) {
        const Oid type = column_type(relation, qualified, weight_column, "feature_weight_column");
        require_type(is_number_type(type), weight_column, type, "a numeric type", "float8");
    }
    return FeatureSource{side, qualified, id_column, feature_column, weight_column};
}

FeatureTable read_features(const FeatureSource &source) {
    return collect(feature_query(source, false), 0, nullptr, nullptr);
}

bool feature_tables_exist(const char *schema) {
    return catalog_has_table(schema, "cfrec_feature_factors");
}

void delete_features(const char *schema, const char *model) {
    if (!feature_tables_exist(schema)) return;
    Oid types[1] = {TEXTOID};
    Datum values[1] = {CStringGetTextDatum(model)};
    for (const char *table : {"cfrec_feature_source", "cfrec_feature_factors"})
        execute(psprintf("DELETE FROM %s.%s WHERE model = $1", schema, table), 1, types, values,
                nullptr, SPI_OK_DELETE);
}

void store_features(const char *schema, const char *model, const FeatureSource *sources,
                    const FeatureTable *tables, const core::SideFeatures *const *fitted,
                    int count) {
    delete_features(schema, model);
    for (int j = 0; j < count; ++j) {
        const FeatureSource &s = sources[j];
        const core::FactorMatrix &w = fitted[j]->map.weights();
        const int features = static_cast<int>(fitted[j]->kept.size());
        Oid source_types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID};
        Datum source_values[7] = {CStringGetTextDatum(model),
                                  CStringGetTextDatum(side_name(s.side)),
                                  CStringGetTextDatum(s.relation),
                                  CStringGetTextDatum(s.id_column),
                                  CStringGetTextDatum(s.feature_column),
                                  s.weight_column ? CStringGetTextDatum(s.weight_column) : 0,
                                  Int32GetDatum(features)};
        const char source_nulls[8] = {' ', ' ', ' ', ' ', ' ', s.weight_column ? ' ' : 'n', ' ',
                                      '\0'};
        execute(psprintf("INSERT INTO %s.cfrec_feature_source VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         schema),
                7, source_types, source_values, source_nulls, SPI_OK_INSERT);
        const core::FactorMatrix &length = fitted[j]->length_map.weights();
        const bool has_length = length.rows() == w.rows();
        Oid types[6] = {TEXTOID, TEXTOID, TEXTOID, FLOAT4OID, FLOAT4ARRAYOID, FLOAT4ARRAYOID};
        SPIPlanPtr plan = SPI_prepare(
            psprintf("INSERT INTO %s.cfrec_feature_factors (model, side, feature, bias, factors, "
                     "length) VALUES ($1, $2, $3, $4, $5, $6)",
                     schema),
            6, types);
        if (plan == nullptr) elog(ERROR, "cfrec: preparing the feature map's insert failed");
        const int width = static_cast<int>(w.cols()) - 1;
        for (int k = 0; k <= features; ++k) {  // k == features: the intercept
            CHECK_FOR_INTERRUPTS();
            const float *row = w.row(k).data();
            Datum values[6] = {
                CStringGetTextDatum(model), CStringGetTextDatum(side_name(s.side)),
                k < features ? CStringGetTextDatum(tables[j].names[fitted[j]->kept[k]]) : 0,
                Float4GetDatum(row[0]), PointerGetDatum(flat_array(FLOAT4OID, 4, row + 1, width)),
                has_length ? PointerGetDatum(flat_array(FLOAT4OID, 4, length.row(k).data(),
                                                        width + 1))
                           : 0};
            const char nulls[7] = {' ', ' ', k < features ? ' ' : 'n', ' ', ' ',
                                   has_length ? ' ' : 'n', '\0'};
            if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
                elog(ERROR, "cfrec: writing a model's feature map failed");
        }
        SPI_freeplan(plan);
    }
}

const MappedFeatures *read_mapped_features(const char *schema, const ModelRecord &record,
                                           core::Side side, const int64 *requested,
                                           int n_requested) {
    if (!feature_tables_exist(schema)) return nullptr;
    const FeatureSource *source = stored_source(schema, record.name, side);
    if (source == nullptr) return nullptr;
    const int width = record.factors;
    auto *out = static_cast<MappedFeatures *>(palloc0(sizeof(MappedFeatures)));
    out->width = width;

    // The intercept, then each requested id's known features with their rows.
    Oid key_types[2] = {TEXTOID, TEXTOID};
    Datum key[2] = {CStringGetTextDatum(record.name), CStringGetTextDatum(side_name(side))};
    if (SPI_execute_with_args(psprintf("SELECT bias, factors, length FROM "
                                       "%s.cfrec_feature_factors WHERE model = $1 AND side = $2 "
                                       "AND feature IS NULL",
                                       schema),
                              2, key_types, key, nullptr, true, 0) != SPI_OK_SELECT ||
        SPI_processed != 1)
        damaged(record.name);
    out->intercept = static_cast<float *>(palloc(sizeof(float) * (width + 1)));
    read_map_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, width, record.name,
                 out->intercept);
    bool no_length;
    const Datum intercept_length =
        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &no_length);
    if (!no_length) {
        out->length_intercept = static_cast<float *>(palloc(sizeof(float) * (width + 1)));
        read_length(intercept_length, width, record.name, out->length_intercept);
    }

    Oid types[3] = {INT8ARRAYOID, TEXTOID, TEXTOID};
    Datum args[3] = {requested ? PointerGetDatum(flat_array(INT8OID, 8, requested, n_requested))
                               : 0,
                     key[0], key[1]};
    const char *sql = psprintf(
        "SELECT f.id, f.weight, m.bias, m.factors, f.feature, m.length FROM (SELECT r.* FROM (%s) "
        "r(id, feature, weight)) f JOIN %s.cfrec_feature_factors m ON m.model = $2 AND "
        "m.side = $3 AND m.feature = f.feature ORDER BY f.id, f.feature COLLATE \"C\"",
        feature_query(*source, requested != nullptr), schema);
    const OwnerSwitch as_owner = begin_as_owner(record);
    size_t capacity = 256, weight_capacity = 256, row_capacity = 256, name_capacity = 256;
    size_t &count = out->count;
    out->ids = static_cast<int64 *>(palloc(sizeof(int64) * capacity));
    out->weights = static_cast<float *>(palloc(sizeof(float) * capacity));
    out->rows = static_cast<float *>(palloc(sizeof(float) * capacity * (width + 1)));
    out->names = static_cast<char **>(palloc(sizeof(char *) * capacity));
    const bool has_length = out->length_intercept != nullptr;
    size_t length_capacity = has_length ? capacity : 0;
    if (has_length)
        out->length_rows = static_cast<float *>(palloc(sizeof(float) * capacity * (width + 1)));
    fetch_batches(sql, 3, types, args, requested ? nullptr : "n  ", [&](SPITupleTable *batch,
                                                                      uint64 n) {
        grow(out->ids, capacity, count + n);
        grow(out->weights, weight_capacity, count + n);
        grow(out->names, name_capacity, count + n);
        if (count + n > row_capacity) {
            row_capacity = Max(row_capacity * 2, count + n);
            out->rows = static_cast<float *>(
                repalloc(out->rows, sizeof(float) * row_capacity * (width + 1)));
        }
        if (has_length && count + n > length_capacity) {
            length_capacity = Max(length_capacity * 2, count + n);
            out->length_rows = static_cast<float *>(
                repalloc(out->length_rows, sizeof(float) * length_capacity * (width + 1)));
        }
        for (uint64 r = 0; r < n; ++r, ++count) {
            HeapTuple tuple = batch->vals[r];
            bool null;
            out->ids[count] = DatumGetInt64(SPI_getbinval(tuple, batch->tupdesc, 1, &null));
            out->weights[count] =
                static_cast<float>(DatumGetFloat8(SPI_getbinval(tuple, batch->tupdesc, 2, &null)));
            if (!std::isfinite(out->weights[count]))
                ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                                errmsg("a feature weight of id %lld is not a finite number",
                                       static_cast<long long>(out->ids[count])),
                                errhint("Filter out NaN and infinite weights with a view or "
                                        "WHERE clause.")));
            read_map_row(tuple, batch->tupdesc, 3, width, record.name,
                         out->rows + count * (width + 1));
            out->names[count] = SPI_getvalue(tuple, batch->tupdesc, 5);
            bool null_length;
            const Datum length = SPI_getbinval(tuple, batch->tupdesc, 6, &null_length);
            if (null_length != !has_length) damaged(record.name);
            if (has_length)
                read_length(length, width, record.name, out->length_rows + count * (width + 1));
        }
    });
    end_as_owner(as_owner);
    out->row_of = static_cast<const float **>(palloc(sizeof(float *) * Max(count, 1)));
    for (size_t r = 0; r < count; ++r) out->row_of[r] = out->rows + r * (width + 1);
    if (has_length) {
        out->length_row_of = static_cast<const float **>(palloc(sizeof(float *) * Max(count, 1)));
        for (size_t r = 0; r < count; ++r)
            out->length_row_of[r] = out->length_rows + r * (width + 1);
    }
    return out;
}

void add_feature_vectors(const char *schema, const ModelRecord &record,
                         const core::ModelView &model, core::Side side,
                         const int64 *requested, int n_requested,
                         ContextOwned<core::Refreshed> *refreshed) {
    const MappedFeatures *mapped_rows =
        read_mapped_features(schema, record, side, requested, n_requested);
    if (mapped_rows == nullptr) return;
    const int width = mapped_rows->width;
    const size_t count = mapped_rows->count;
    const int64 *ids = mapped_rows->ids;
    const float *weights = mapped_rows->weights;
    const float *const *row_of = mapped_rows->row_of;
    const float *intercept = mapped_rows->intercept;
    const bool explicit_model = record.feedback == core::Feedback::Explicit;
    call_cpp([&] {
        core::Refreshed &out = **refreshed;
        core::Refreshed mapped;
        std::vector<float> x(static_cast<size_t>(width) + 1), length(x.size());
        for (size_t begin = 0; begin < count;) {
            size_t end = begin;
            while (end < count && ids[end] == ids[begin]) ++end;
            if (!std::binary_search(out.ids.begin(), out.ids.end(), ids[begin])) {
                core::mapped_vector(intercept, row_of + begin, weights + begin, end - begin,
                                    width + 1, x.data());
                if (mapped_rows->length_intercept != nullptr) {
                    core::mapped_vector(mapped_rows->length_intercept,
                                        mapped_rows->length_row_of + begin, weights + begin,
                                        end - begin, width + 1, length.data());
                    core::take_length(x.data(), length.data(), width + 1);
                }
                mapped.ids.push_back(ids[begin]);
                const bool known = side == core::Side::Items ? model.item_index(ids[begin]) >= 0
                                                             : model.user_index(ids[begin]) >= 0;
                if (!known) ++mapped.added;
                mapped.bias.push_back(explicit_model ? x[0] : 0.0f);
                mapped.interactions.push_back(0);
                mapped.factors.conservativeResize(static_cast<Eigen::Index>(mapped.ids.size()),
                                                  width);
                mapped.factors.row(mapped.factors.rows() - 1) =
                    Eigen::Map<const Eigen::RowVectorXf>(x.data() + 1, width);
            }
            begin = end;
        }
        core::merge_refreshed(out, mapped);
    });
}

}  // namespace cfrec::pg
