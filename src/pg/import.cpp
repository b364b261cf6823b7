// SQL entry point cfrec_store_imported: the last step of cfrec_import_model.
// That function copies the user's factor tables once into private temporary
// tables and checks the copies with clear messages; this one reads the
// copies, checks every row again (ids unique, vectors of one width from 1 to
// 1024, every value finite), and stores them through store_model, the path
// a training takes. Callable directly, it trusts nothing it is given.
#include <cmath>
#include <vector>

#include "core/factor_model.h"
#include "pg/arguments.h"
#include "pg/arrays.h"
#include "pg/catalog_writer.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_store_imported);
}

namespace {

enum Arg {
    kModel, kFeedback, kUsers, kItems, kSource, kUserColumn, kItemColumn, kRatingColumn,
    kRegularization, kAlpha, kGlobalMean, kRatingMin, kRatingMax, kInteractions
};

constexpr int kMaxFactors = 1024;
constexpr int kFetchRows = 10000;

// One side's rows as the core keeps them.
struct Side {
    std::vector<int64_t> ids;
    std::vector<float> bias;
    std::vector<float> factors;  // row-major, width f
    std::vector<int32_t> counts;
};

[[noreturn]] void invalid(const char *relation, const char *problem) {
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                    errmsg("cannot import the factors in %s: %s", relation, problem),
                    errhint("Every row needs a unique id, a bias, and a vector of the same 1 to "
                            "1024 finite factors.")));
}

// Reads (id, bias, features[, interactions]) of `relation`, ascending by id,
// checking each row. *f is the width: taken from the first row when 0.
void read_side(Oid relation, bool items, int *f, ContextOwned<Side> *side) {
    const char *name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relation)),
                                                  get_rel_name(relation));
    const char *sql = psprintf("SELECT id::pg_catalog.int8, bias::pg_catalog.float4, "
                               "features::pg_catalog.float4[]%s FROM %s ORDER BY 1",
                               items ? ", interactions::pg_catalog.int4" : "", name);
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, 0, nullptr, nullptr, nullptr, true, 0);
    int64 last = 0;
    bool any = false;
    float *vector = nullptr;
    for (;;) {
        SPI_cursor_fetch(portal, true, kFetchRows);
        if (SPI_processed == 0) break;
        SPITupleTable *table = SPI_tuptable;
        const int n = static_cast<int>(SPI_processed);
        auto *ids = static_cast<int64 *>(palloc(sizeof(int64) * n));
        auto *bias = static_cast<float *>(palloc(sizeof(float) * n));
        auto *counts = static_cast<int32 *>(palloc(sizeof(int32) * n));
        for (int j = 0; j < n; ++j) {
            bool nulls[4] = {false, false, false, false};
            HeapTuple row = table->vals[j];
            const Datum id = SPI_getbinval(row, table->tupdesc, 1, &nulls[0]);
            const Datum b = SPI_getbinval(row, table->tupdesc, 2, &nulls[1]);
            const Datum features = SPI_getbinval(row, table->tupdesc, 3, &nulls[2]);
            const Datum count = items ? SPI_getbinval(row, table->tupdesc, 4, &nulls[3]) : 0;
            if (nulls[0] || nulls[1] || nulls[2] || nulls[3]) invalid(name, "a row has NULLs");
            ids[j] = DatumGetInt64(id);
            if (any && ids[j] <= last) invalid(name, "ids repeat");
            last = ids[j];
            any = true;
            bias[j] = DatumGetFloat4(b);
            counts[j] = items ? DatumGetInt32(count) : 0;
            if (*f == 0) {
                ArrayType *array = DatumGetArrayTypeP(features);
                *f = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
                if (*f < 1 || *f > kMaxFactors) invalid(name, "vectors must have 1 to 1024 factors");
            }
            if (vector == nullptr) vector = static_cast<float *>(palloc(sizeof(float) * *f * kFetchRows));
            if (!read_real_array(features, *f, vector + static_cast<size_t>(j) * *f))
                invalid(name, "vectors differ in length, or hold NULLs");
        }
        const int width = *f;
        bool finite = true;
        call_cpp([&] {
            Side &s = **side;
            for (int j = 0; j < n; ++j) finite &= std::isfinite(bias[j]);
            for (size_t x = 0; x < static_cast<size_t>(n) * width; ++x) finite &= std::isfinite(vector[x]);
            s.ids.insert(s.ids.end(), ids, ids + n);
            s.bias.insert(s.bias.end(), bias, bias + n);
            s.factors.insert(s.factors.end(), vector, vector + static_cast<size_t>(n) * width);
            if (items) s.counts.insert(s.counts.end(), counts, counts + n);
        });
        if (!finite) invalid(name, "a bias or factor is NaN or infinite");
        pfree(ids);
        pfree(bias);
        pfree(counts);
        SPI_freetuptable(table);
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    if (!any) invalid(name, "it has no rows");
}

}  // namespace

extern "C" Datum cfrec_store_imported(PG_FUNCTION_ARGS) {
    instr_time started;
    INSTR_TIME_SET_CURRENT(started);
    for (int arg : {kModel, kFeedback, kUsers, kItems, kSource, kUserColumn, kItemColumn,
                    kRegularization, kAlpha, kGlobalMean, kInteractions})
        require_argument(fcinfo, arg, "cfrec_store_imported's arguments");
    const char *name = model_argument(fcinfo, kModel);
    const char *feedback = text_argument(fcinfo, kFeedback, "feedback");
    const bool implicit = strcmp(feedback, "implicit") == 0;
    if (!implicit && strcmp(feedback, "explicit") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown feedback kind \"%s\"", feedback),
                        errhint("Use 'explicit' or 'implicit'.")));
    const double regularization = PG_GETARG_FLOAT8(kRegularization);
    const double alpha = PG_GETARG_FLOAT8(kAlpha);
    const double global_mean = PG_GETARG_FLOAT8(kGlobalMean);
    if (!(regularization >= 0 && std::isfinite(regularization) && alpha > 0 &&
          std::isfinite(alpha) && std::isfinite(global_mean)))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("regularization must be at least 0, alpha above 0, and both and "
                               "global_mean finite")));
    const Oid source = PG_GETARG_OID(kSource);
    if (!OidIsValid(get_rel_namespace(source)))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("source does not exist")));
    const Oid namespace_oid = get_func_namespace(fcinfo->flinfo->fn_oid);
    require_trainer(namespace_oid);
    const char *schema = extension_schema(fcinfo);
    MemoryContext call_context = CurrentMemoryContext;
    auto *users = ContextOwned<Side>::create(call_context);
    auto *items = ContextOwned<Side>::create(call_context);
    auto *model = ContextOwned<core::FactorModel>::create(call_context);
    call_cpp([&] {
        users->object = new Side();
        items->object = new Side();
        model->object = new core::FactorModel();
    });

    const PinnedSpi spi = connect_spi();
    Oid owner;
    require_owner_if_exists(schema, name, &owner);
    int f = 0;
    read_side(PG_GETARG_OID(kUsers), false, &f, users);
    read_side(PG_GETARG_OID(kItems), true, &f, items);
    ModelRecord record{};
    record.name = name;
    record.feedback = implicit ? core::Feedback::Implicit : core::Feedback::Explicit;
    record.algorithm = core::Algorithm::Als;
    record.imported = true;
    record.source = quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
                                               get_rel_name(source));
    record.user_column = text_argument(fcinfo, kUserColumn, "user_column");
    record.item_column = text_argument(fcinfo, kItemColumn, "item_column");
    record.rating_column = nullable_text_argument(fcinfo, kRatingColumn, "rating_column");
    record.factors = f;
    record.regularization = regularization;
    record.alpha = implicit ? alpha : NAN;
    record.global_mean = implicit ? 0.0 : global_mean;
    record.rating_min = PG_ARGISNULL(kRatingMin) ? 0.0f : PG_GETARG_FLOAT4(kRatingMin);
    record.rating_max = PG_ARGISNULL(kRatingMax) ? 0.0f : PG_GETARG_FLOAT4(kRatingMax);
    record.interactions = PG_GETARG_INT64(kInteractions);
    record.loss = NAN;
    call_cpp([&] {
        core::FactorModel &m = **model;
        Side &u = **users, &i = **items;
        m.feedback = implicit ? core::Feedback::Implicit : core::Feedback::Explicit;
        m.global_mean = record.global_mean;
        m.rating_min = record.rating_min;
        m.rating_max = record.rating_max;
        m.user_ids = std::move(u.ids);
        m.user_bias = std::move(u.bias);
        m.user_factors = Eigen::Map<const core::FactorMatrix>(
            u.factors.data(), static_cast<Eigen::Index>(m.user_ids.size()), f);
        m.item_ids = std::move(i.ids);
        m.item_bias = std::move(i.bias);
        m.item_factors = Eigen::Map<const core::FactorMatrix>(
            i.factors.data(), static_cast<Eigen::Index>(m.item_ids.size()), f);
        m.item_counts = std::move(i.counts);
        users->reset();
        items->reset();
    });
    record.users = static_cast<int64>((*model)->user_ids.size());
    record.items = static_cast<int64>((*model)->item_ids.size());
    store_model(schema, record, **model, started);
    finish_spi(spi);
    model->reset();

    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "cfrec: return type must be a row type");
    desc = BlessTupleDesc(desc);
    Datum values[7] = {CStringGetTextDatum(name),         CStringGetTextDatum(feedback),
                       Int64GetDatum(record.users),       Int64GetDatum(record.items),
                       Int64GetDatum(record.interactions), Float8GetDatum(record.train_seconds),
                       Float8GetDatum(NAN)};
    bool nulls[7] = {false, false, false, false, false, false, false};
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
