// SQL entry point cfrec_train: read the source, train, store the model.
#include <cmath>
#include <limits>

#include "core/feature_map.h"
#include "core/linear_filter.h"
#include "core/model_patch.h"
#include "core/trainer.h"
#include "pg/arguments.h"
#include "pg/catalog_writer.h"
#include "pg/clock.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/features.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/settings.h"
#include "pg/training_log.h"
#include "pg/training_source.h"

extern "C" {
#include "utils/json.h"
}

namespace cfrec::pg {

namespace {

enum Arg {
    kSource,
    kModel,
    kUserColumn,
    kItemColumn,
    kRatingColumn,
    kFeedback,
    kFactors,
    kIterations,
    kRegularization,
    kAlpha,
    kSeed,
    kWatermarkColumn,
    kAlgorithm,
    kLearningRate,
    kItemFeatures,
    kUserFeatures,
    kFeatureIdColumn,
    kFeatureColumn,
    kFeatureWeightColumn
};

// The features cfrec_train was given, per side (items first).
struct GivenFeatures {
    int count;
    FeatureSource sources[2];
    FeatureTable tables[2];
};

// Checks the feature arguments; an old SQL definition without them gives none.
GivenFeatures describe_given_features(FunctionCallInfo fcinfo) {
    GivenFeatures given{};
    if (PG_NARGS() <= kFeatureWeightColumn) return given;
    const char *id = nullable_text_argument(fcinfo, kFeatureIdColumn, "feature_id_column");
    const char *feature = nullable_text_argument(fcinfo, kFeatureColumn, "feature_column");
    const char *weight = nullable_text_argument(fcinfo, kFeatureWeightColumn,
                                                "feature_weight_column");
    for (int arg : {kItemFeatures, kUserFeatures}) {
        if (PG_ARGISNULL(arg)) continue;
        if (id == nullptr || feature == nullptr)
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                            errmsg("feature_id_column and feature_column must not be NULL"),
                            errhint("Name the features' id and feature columns, or leave them "
                                    "at 'id' and 'feature'.")));
        given.sources[given.count++] =
            describe_features(arg == kItemFeatures ? core::Side::Items : core::Side::Users,
                              PG_GETARG_OID(arg), id, feature, weight);
    }
    return given;
}

// Fits each side's map and gives the ids with features only their vectors.
void fit_features(const GivenFeatures &given, core::FactorModel &model,
                  ContextOwned<core::SideFeatures> **fitted, MemoryContext context) {
    for (int j = 0; j < given.count; ++j) {
        const FeatureTable &t = given.tables[j];
        const core::Side side = given.sources[j].side;
        fitted[j] = ContextOwned<core::SideFeatures>::create(context);
        call_cpp([&] {
            fitted[j]->object = new core::SideFeatures(core::fit_side_features(
                model, side, t.ids, t.features, t.weights, t.count, t.feature_count,
                core::kFeatureRegularization, kMaxFeatures));
            const core::SideFeatures &f = **fitted[j];
            const std::vector<int32_t> none(f.cold_ids.size(), 0);
            core::apply_changes(model, side,
                                core::ChangedRows{f.cold_ids.data(), f.cold_bias.data(),
                                                  f.cold_factors.data(), none.data(),
                                                  f.cold_ids.size(), model.factors()});
        });
        const core::SideFeatures &f = **fitted[j];
        const bool items = side == core::Side::Items;
        ereport(NOTICE,
                (errmsg("cfrec: %s features: %d of %d kept, %lld %s with features only got "
                        "vectors from them",
                        items ? "item" : "user", static_cast<int>(f.kept.size()),
                        t.feature_count, static_cast<long long>(f.cold_ids.size()),
                        items ? "items" : "users")));
    }
}

core::Algorithm algorithm_argument(FunctionCallInfo fcinfo) {
    const char *name = text_argument(fcinfo, kAlgorithm, "algorithm");
    core::Algorithm a;
    if (core::algorithm_named(name, &a)) return a;
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown algorithm \"%s\"", name),
             errhint("Use algorithm => 'als' (alternating least squares, both feedback kinds), "
                     "'svd' (SGD-fitted biased factors, ratings only), 'svdpp' (SVD++: SVD "
                     "plus what each user rated, ratings only), 'bpmf' (Bayesian matrix "
                     "factorisation, ratings only), 'graph_filter' (a "
                     "low-pass filter on the item graph, implicit feedback only) or "
                     "'linear_filter' (the exact linear filter on the item graph, implicit "
                     "feedback only).")));
    pg_unreachable();
}

// Eigen's allFinite() tests element by element, stopping at the first bad
// one: 0.4 s for a 256-factor model of 220,000 rows. Any NaN or infinity
// makes its product with 0 NaN, and the sum of the products is vectorised.
bool all_finite(const core::FactorMatrix &m) {
    return !std::isnan((m.array() * 0.0f).sum());
}

bool graph_filter_kind(core::Algorithm algorithm) {
    return algorithm == core::Algorithm::GraphFilter || algorithm == core::Algorithm::LinearFilter;
}

// NULL: explicit, except for the graph filters, which only take implicit.
core::Feedback feedback_argument(FunctionCallInfo fcinfo, core::Algorithm algorithm) {
    if (PG_ARGISNULL(kFeedback))
        return graph_filter_kind(algorithm) ? core::Feedback::Implicit : core::Feedback::Explicit;
    const char *kind = text_argument(fcinfo, kFeedback, "feedback");
    if (strcmp(kind, "explicit") == 0) return core::Feedback::Explicit;
    if (strcmp(kind, "implicit") == 0) return core::Feedback::Implicit;
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown feedback kind \"%s\"", kind),
             errhint("Use feedback => 'explicit' for ratings or 'implicit' for "
                     "interaction counts, clicks or views.")));
    pg_unreachable();
}

// Arguments left NULL take the algorithm's defaults (core::default_options).
core::TrainOptions options_from(FunctionCallInfo fcinfo, core::Algorithm algorithm,
                                core::Feedback feedback) {
    core::TrainOptions o = core::default_options(algorithm, feedback);
    require_argument(fcinfo, kSeed, "seed");
    require_argument(fcinfo, kLearningRate, "learning_rate");
    if (graph_filter_kind(algorithm) && !PG_ARGISNULL(kRegularization))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("regularization does not apply to algorithm '%s'",
                               core::algorithm_name(algorithm)),
                        errhint("A graph filter's arguments are factors (its rank), iterations "
                                "(passes over the data for its spectrum) and alpha (the weight "
                                "of its ideal low-pass part); leave regularization out.")));
    o.learning_rate = PG_GETARG_FLOAT8(kLearningRate);
    if (!PG_ARGISNULL(kFactors)) o.factors = PG_GETARG_INT32(kFactors);
    o.fit_factors_to_data = PG_ARGISNULL(kFactors);
    if (!PG_ARGISNULL(kIterations)) o.iterations = PG_GETARG_INT32(kIterations);
    o.seed = static_cast<uint64_t>(PG_GETARG_INT64(kSeed));
    if (!PG_ARGISNULL(kRegularization)) o.regularization = PG_GETARG_FLOAT8(kRegularization);
    if (!PG_ARGISNULL(kAlpha)) {
        o.alpha = PG_GETARG_FLOAT8(kAlpha);  // explicit models ignore it
        o.ideal_from_spectrum = false;
    }
    o.threads = cfrec_threads;
    call_cpp([&] { core::validate_options(o); });
    return o;
}

void report_skipped(const SourceCounts &counts) {
    if (counts.null_ids > 0)
        ereport(NOTICE, (errmsg_plural("cfrec: skipped %lld row with a NULL user or item id",
                                       "cfrec: skipped %lld rows with a NULL user or item id",
                                       counts.null_ids, static_cast<long long>(counts.null_ids))));
    if (counts.null_ratings > 0)
        ereport(NOTICE,
                (errmsg_plural("cfrec: skipped %lld row with a NULL rating",
                               "cfrec: skipped %lld rows with a NULL rating", counts.null_ratings,
                               static_cast<long long>(counts.null_ratings))));
}

void report_iteration(const core::IterationReport &r, int iterations, TrainingLog *log) {
    training_log_iteration(log, r.iteration, r.loss, r.rmse, r.seconds);
    // Long runs (BPMF's 250 sweeps) say how they go about 25 times, not at
    // every iteration; the training log keeps every one.
    const int every = iterations <= 50 ? 1 : iterations / 25;
    if (r.iteration != 1 && r.iteration != iterations && r.iteration % every != 0) return;
    // Timing goes into DETAIL, so terse output (and regression tests) stay stable.
    if (std::isnan(r.rmse))
        ereport(NOTICE,
                (errmsg("cfrec: iteration %d/%d: loss %.4g", r.iteration, iterations, r.loss),
                 errdetail("%.3f s", r.seconds)));
    else
        ereport(NOTICE, (errmsg("cfrec: iteration %d/%d: loss %.4g, training RMSE %.4f",
                                r.iteration, iterations, r.loss, r.rmse),
                         errdetail("%.3f s", r.seconds)));
}

Datum summary_row(FunctionCallInfo fcinfo, const ModelRecord &r) {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "cfrec: return type must be a row type");
    desc = BlessTupleDesc(desc);
    Datum values[7] = {PointerGetDatum(cstring_to_text(r.name)),
                       PointerGetDatum(cstring_to_text(feedback_name(r.feedback))),
                       Int64GetDatum(r.users),
                       Int64GetDatum(r.items),
                       Int64GetDatum(r.interactions),
                       Float8GetDatum(r.train_seconds),
                       Float8GetDatum(r.loss)};
    bool nulls[7] = {false, false, false, false, false, false, false};
    return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_train);
}

namespace {

// Huge finite ratings or alpha overflow single-precision factors into NaN or
// infinity; such a model would serve nothing useful, so it is never stored.
[[noreturn]] void diverged(const char *model, int iteration) {
    ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                    errmsg("training of model \"%s\" diverged: the loss or factors are not finite "
                           "after iteration %d",
                           model, iteration),
                    errhint("Scale the ratings or strengths to a moderate range (1 to 5, say, or "
                            "log(1 + count)) and keep alpha moderate (1 to 100).")));
    pg_unreachable();
}

Datum train(FunctionCallInfo fcinfo, TrainingLog *log) {
    instr_time started;
    INSTR_TIME_SET_CURRENT(started);
    require_argument(fcinfo, kSource, "source");
    const Oid relation = PG_GETARG_OID(kSource);
    const char *name = model_argument(fcinfo, kModel);
    require_trainer(log->namespace_oid);  // before any work, and before it is logged
    // Retraining someone else's model needs its owner's privileges, checked
    // before any data is read or anything logged against the model.
    const PinnedSpi check = connect_spi();
    Oid owner;
    const bool retraining = require_owner_if_exists(log->schema, name, &owner);
    finish_spi(check);
    log->model = name;
    const char *user_column = text_argument(fcinfo, kUserColumn, "user_column");
    const char *item_column = text_argument(fcinfo, kItemColumn, "item_column");
    const core::Algorithm algorithm = algorithm_argument(fcinfo);
    const core::Feedback feedback = feedback_argument(fcinfo, algorithm);
    const bool implicit = feedback == core::Feedback::Implicit;
    // Graph filters read who interacted with what, never a strength.
    const char *rating_column =
        graph_filter_kind(algorithm)
            ? nullptr
            : nullable_text_argument(fcinfo, kRatingColumn, "rating_column");
    const core::TrainOptions options = options_from(fcinfo, algorithm, feedback);
    if (rating_column == nullptr && !implicit)
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("explicit feedback needs a rating column"),
                        errhint("Name it with rating_column => '...', or train with "
                                "feedback => 'implicit' to count every row as one interaction.")));
    // The source is read as the model's owner, who is the caller unless
    // another role with the owner's privileges retrains it: code in the
    // source then runs with the owner's privileges, never the caller's.
    ModelRecord owned_by{};
    owned_by.name = name;
    owned_by.owner_known = retraining;
    owned_by.owner = owner;
    // C++ state lives on the heap, owned by this call's memory context, so an
    // ERROR or a cancel anywhere below frees it.
    MemoryContext call_context = CurrentMemoryContext;
    // Connected (and search_path pinned) around the owner switch, which nests inside.
    const PinnedSpi spi = connect_spi();
    const OwnerSwitch as_owner = begin_as_owner(owned_by);
    const TrainingSource source =
        describe_source(relation, user_column, item_column, rating_column);
    GivenFeatures features = describe_given_features(fcinfo);
    if (features.count > 0 && algorithm == core::Algorithm::LinearFilter)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("algorithm 'linear_filter' takes no item or user features"),
                        errhint("Train with algorithm => 'als' to give items or users "
                                "features.")));
    // Before any data is read: a database not yet updated has nowhere to
    // keep the filter's interactions.
    if (algorithm == core::Algorithm::LinearFilter) require_linear_filter_rows(log->schema);
    const char *watermark_column =
        nullable_text_argument(fcinfo, kWatermarkColumn, "watermark_column");
    const Oid watermark_kind = watermark_column ? watermark_type(relation, watermark_column) : 0;
    const char *schema = log->schema;
    appendStringInfoString(&log->parameters, "{\"source\": ");
    escape_json(&log->parameters, source.relation);
    appendStringInfo(&log->parameters,
                     ", \"feedback\": \"%s\", \"algorithm\": \"%s\", "
                     "\"factors\": %d, \"iterations\": %d, \"regularization\": %g, "
                     "\"alpha\": %s, \"learning_rate\": %g, \"seed\": %lld}",
                     implicit ? "implicit" : "explicit", core::algorithm_name(options.algorithm),
                     options.factors, options.iterations, options.regularization,
                     // null: from the model's spectrum (cfrec_model has the value)
                     options.ideal_from_spectrum ? "null" : psprintf("%g", options.alpha),
                     options.learning_rate, static_cast<long long>(options.seed));

    auto *builder = ContextOwned<core::InteractionBuilder>::create(call_context);
    auto *trainer = ContextOwned<core::Trainer>::create(call_context);
    auto *model = ContextOwned<core::FactorModel>::create(call_context);
    call_cpp([&] {
        builder->object = new core::InteractionBuilder(implicit ? core::DuplicatePolicy::Sum
                                                                : core::DuplicatePolicy::Average);
    });

    // The watermark is taken before the rows are read: a row committed in
    // between is trained on and refreshed again by cfrec_update, never lost.
    const char *watermark = watermark_column
                                ? highest_value(source.relation, watermark_column, watermark_kind)
                                : nullptr;
    instr_time phase = started;
    const SourceCounts counts = read_source(source, builder);
    for (int j = 0; j < features.count; ++j) features.tables[j] = read_features(features.sources[j]);
    end_as_owner(as_owner);
    log->rows_read = counts.rows_used + counts.null_ids + counts.null_ratings;
    const double read_seconds = seconds_since(&phase);
    report_skipped(counts);
    int64 duplicates = 0;
    int64 needed = 0;
    const int64 allowed = static_cast<int64>(cfrec_max_training_memory_mb) * 1024 * 1024;
    call_cpp([&] {
        core::Interactions data = (*builder)->finish(
            core::resolve_threads(cfrec_threads), core_stop_check(), core::item_order_for(options));
        builder->reset();
        duplicates = data.duplicates_merged;
        needed = core::training_memory_bytes(data, options, core::resolve_threads(cfrec_threads));
        if (needed <= allowed)
            trainer->object = core::make_trainer(std::move(data), options).release();
    });
    if (needed > allowed)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("training model \"%s\" would need about %lld MB, more than "
                               "cfrec.max_training_memory (%d MB)",
                               name, static_cast<long long>(needed / (1024 * 1024)),
                               cfrec_max_training_memory_mb),
                        errhint("Use fewer factors, or ask a superuser to raise "
                                "cfrec.max_training_memory.")));
    const double build_seconds = seconds_since(&phase);
    if (duplicates > 0)
        ereport(NOTICE,
                (errmsg("cfrec: %s duplicate (user, item) rows: %lld merged",
                        implicit ? "summed" : "averaged", static_cast<long long>(duplicates))));

    double loss = 0.0;
    for (int it = 0; it < options.iterations; ++it) {
        core::IterationReport report;
        call_cpp([&] { report = (*trainer)->step(core_stop_check()); });
        loss = report.loss;
        report_iteration(report, options.iterations, log);
        CHECK_FOR_INTERRUPTS();
        if (!std::isfinite(loss)) diverged(name, report.iteration);
    }
    call_cpp([&] {
        model->object = new core::FactorModel((*trainer)->take_model());
        trainer->reset();
    });

    const double train_seconds = seconds_since(&phase);
    core::FactorModel &m = **model;
    if (!all_finite(m.user_factors) || !all_finite(m.item_factors))
        diverged(name, options.iterations);
    ContextOwned<core::SideFeatures> *fitted[2] = {nullptr, nullptr};
    fit_features(features, m, fitted, call_context);
    ModelRecord record;
    record.name = name;
    record.feedback = feedback;
    record.algorithm = options.algorithm;
    record.imported = false;
    record.source = source.relation;
    record.user_column = user_column;
    record.item_column = item_column;
    record.rating_column = rating_column;
    record.factors = m.factors();  // the graph filter's default rank fits small data
    record.iterations = options.iterations;
    record.regularization = options.regularization;
    record.alpha = !implicit  ? std::numeric_limits<double>::quiet_NaN()
                   : m.linear ? m.linear->ideal()  // what it was built with
                              : options.alpha;
    record.seed = PG_GETARG_INT64(kSeed);
    record.watermark_column = watermark_column;
    record.watermark = watermark;
    record.global_mean = m.global_mean;
    record.rating_min = m.rating_min;
    record.rating_max = m.rating_max;
    record.users = static_cast<int64>(m.linear ? m.linear->row_ids().size() : m.user_ids.size());
    record.items = static_cast<int64>(m.item_ids.size());
    record.interactions = counts.rows_used - duplicates;
    record.loss = loss;
    store_model(schema, record, m, started);
    const core::SideFeatures *maps[2] = {fitted[0] ? &**fitted[0] : nullptr,
                                         fitted[1] ? &**fitted[1] : nullptr};
    if (features.count > 0 || feature_tables_exist(schema)) {
        const CatalogWrite as_catalog = begin_catalog_write(schema);
        store_features(schema, name, features.sources, features.tables, maps, features.count);
        end_catalog_write(as_catalog);
    }
    training_log_success(log);
    ereport(
        NOTICE,
        (errmsg("cfrec: trained model \"%s\"", name),
         errdetail("read %lld rows in %.2f s, built the matrices in %.2f s, ran %d iterations "
                   "in %.2f s, wrote %lld factor rows in %.2f s",
                   static_cast<long long>(counts.rows_used + counts.null_ids + counts.null_ratings),
                   read_seconds, build_seconds, options.iterations, train_seconds,
                   static_cast<long long>(record.users + record.items), seconds_since(&phase))));
    finish_spi(spi);
    model->reset();
    return summary_row(fcinfo, record);
}

}  // namespace

extern "C" Datum cfrec_train(PG_FUNCTION_ARGS) {
    return with_training_log(fcinfo, "train", train);
}
