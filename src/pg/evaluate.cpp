// SQL entry point cfrec_evaluate: a trained model against held-out rows.
#include <cmath>
#include <limits>

#include "core/evaluation.h"
#include "pg/arguments.h"
#include "pg/arrays.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/result_set.h"
#include "pg/settings.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {

enum Arg { kModel, kTestSource, kK, kRelevantRating, kUserColumn, kItemColumn, kRatingColumn };

// A column argument, or the model's own column when it is NULL.
const char *column_or(FunctionCallInfo fcinfo, int arg, const char *name,
                      const char *model_column) {
    return PG_ARGISNULL(arg) ? model_column : nullable_text_argument(fcinfo, arg, name);
}

void put(const ResultSet &rs, const char *metric, double value) {
    Datum values[2] = {PointerGetDatum(cstring_to_text(metric)), Float8GetDatum(value)};
    bool nulls[2] = {false, false};
    tuplestore_putvalues(rs.store, rs.desc, values, nulls);
}

void add_rows(void *context, const int64 *users, const int64 *items, const float *values, size_t n,
              bool test) {
    auto *slot = static_cast<ContextOwned<core::Evaluator> *>(context);
    call_cpp([&] {
        if (test)
            (*slot)->add_test(users, items, values, n);
        else
            (*slot)->add_seen(users, items, n);
    });
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_evaluate);
}

extern "C" Datum cfrec_evaluate(PG_FUNCTION_ARGS) {
    const char *name = model_argument(fcinfo, kModel);
    require_argument(fcinfo, kTestSource, "test_source");
    const Oid test_relation = PG_GETARG_OID(kTestSource);
    const int k = int_argument(fcinfo, kK, "k", 1, 10000);
    if (!PG_ARGISNULL(kRelevantRating) && !std::isfinite(PG_GETARG_FLOAT8(kRelevantRating)))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("relevant_rating must be a finite number, not %g",
                               PG_GETARG_FLOAT8(kRelevantRating)),
                        errhint("Leave relevant_rating out to count every test row as relevant.")));
    // NaN stands for "not given" below.
    const double relevant_rating = PG_ARGISNULL(kRelevantRating)
                                       ? std::numeric_limits<double>::quiet_NaN()
                                       : PG_GETARG_FLOAT8(kRelevantRating);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);
    MemoryContext call_context = CurrentMemoryContext;

    const PinnedSpi spi = connect_spi();
    const ModelRecord record = find_model(schema, name);
    const bool implicit = record.feedback == core::Feedback::Implicit;
    const char *rating_column =
        column_or(fcinfo, kRatingColumn, "rating_column", record.rating_column);
    if (!std::isnan(relevant_rating) && rating_column == nullptr)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("relevant_rating needs a rating column"),
                 errhint("Name the test source's rating column with rating_column => '...'.")));
    const TrainingSource test = describe_source(
        test_relation, column_or(fcinfo, kUserColumn, "user_column", record.user_column),
        column_or(fcinfo, kItemColumn, "item_column", record.item_column), rating_column);
    const core::ModelView &model = serving_model(record);
    auto *evaluator = ContextOwned<core::Evaluator>::create(call_context);
    call_cpp([&] { evaluator->object = new core::Evaluator(model); });

    stream_rows(
        test.query, nullptr, 0, nullptr, nullptr, rating_column != nullptr,
        [](void *c, const int64 *u, const int64 *i, const float *v, size_t n) {
            add_rows(c, u, i, v, n, true);
        },
        evaluator);
    size_t test_rows = 0;
    call_cpp([&] { test_rows = (*evaluator)->test_rows(); });
    if (test_rows == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("test source %s has no rows to evaluate against", test.relation),
                        errhint("Split held-out rows from the data with cfrec_split().")));

    // The training rows of the test users are excluded from their rankings,
    // as cfrec_recommend excludes them.
    // Counted, allocated outside the guard (palloc may raise an ERROR), then
    // filled: no C++ object is alive while Postgres allocates.
    int n_users = 0;
    call_cpp([&] { n_users = static_cast<int>((*evaluator)->known_test_users().size()); });
    auto *users = static_cast<int64 *>(palloc(sizeof(int64) * Max(n_users, 1)));
    call_cpp([&] {
        const std::vector<int64_t> known = (*evaluator)->known_test_users();
        std::copy(known.begin(), known.end(), users);
    });
    const char *seen_sql = psprintf(
        "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8 FROM %s WHERE %s OPERATOR(pg_catalog.=) "
        "ANY ($1)",
        quote_identifier(record.user_column), quote_identifier(record.item_column),
        source_relation(record), quote_identifier(record.user_column));
    Oid types[1] = {INT8ARRAYOID};
    Datum args[1] = {PointerGetDatum(flat_array(INT8OID, 8, users, n_users))};
    // The model's source is read as its owner; the test source, which the
    // caller named, as the caller.
    const OwnerSwitch as_owner = begin_as_owner(record);
    stream_rows(
        seen_sql, nullptr, 1, types, args, false,
        [](void *c, const int64 *u, const int64 *i, const float *v, size_t n) {
            add_rows(c, u, i, v, n, false);
        },
        evaluator);
    end_as_owner(as_owner);

    core::Evaluation e;
    call_cpp([&] {
        e = (*evaluator)->evaluate(k, relevant_rating, cfrec_threads, core_stop_check());
        evaluator->reset();
    });
    CHECK_FOR_INTERRUPTS();
    if (e.relevant_in_training > 0 && 2 * e.relevant_in_training >= e.relevant_items)
        ereport(
            WARNING,
            (errmsg("%lld of the %lld relevant test rows are also in model \"%s\"'s training data",
                    static_cast<long long>(e.relevant_in_training),
                    static_cast<long long>(e.relevant_items), name),
             errdetail("Rankings exclude what a user had in training, so those rows can "
                       "never count as hits and the ranking metrics come out near 0."),
             errhint("Evaluate on rows held out from training: cfrec_split() the data, "
                     "train on the training part, evaluate on the test part.")));
    if (!implicit && e.rated > 0) {
        put(rs, "rmse", e.rmse);
        put(rs, "mae", e.mae);
    }
    put(rs, "precision", e.precision);
    put(rs, "recall", e.recall);
    put(rs, "ndcg", e.ndcg);
    put(rs, "map", e.map);
    put(rs, "hit_rate", e.hit_rate);
    put(rs, "coverage", e.coverage);
    put(rs, "users", static_cast<double>(e.users));
    put(rs, "users_unknown", static_cast<double>(e.users_unknown));
    finish_spi(spi);
    return (Datum)0;
}
