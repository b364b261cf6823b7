// SQL entry points that serve a trained model: cfrec_recommend,
// cfrec_predict and cfrec_similar_items.
#include <cmath>
#include <string>
#include <unordered_set>

#include "core/linear_filter.h"
#include "core/serving.h"
#include "pg/arguments.h"
#include "pg/cpp_guard.h"
#include "pg/kept_plans.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/recommend_user.h"
#include "pg/result_set.h"
#include "pg/seen_items.h"
#include "pg/settings.h"
#include "pg/shared_cache.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {


Ranked allocate_ranked(int capacity) {
    Ranked out;
    out.ids = static_cast<int64 *>(palloc(sizeof(int64) * Max(capacity, 1)));
    out.scores = static_cast<float *>(palloc(sizeof(float) * Max(capacity, 1)));
    out.count = 0;
    return out;
}

// Copies core results into `out`, which holds at least results.size() rows.
void copy_ranked(const core::ModelView &m, const std::vector<core::Scored> &results, Ranked &out) {
    out.count = static_cast<int>(results.size());
    for (int j = 0; j < out.count; ++j) {
        out.ids[j] = m.item_ids[results[j].index];
        out.scores[j] = results[j].score;
    }
}

void emit(const ResultSet &rs, const Ranked &ranked) {
    for (int j = 0; j < ranked.count; ++j) {
        Datum values[2] = {Int64GetDatum(ranked.ids[j]), Float4GetDatum(ranked.scores[j])};
        bool nulls[2] = {false, false};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
}

}  // namespace

Ranked recommend_for_user(const ModelRecord &record, const UserRequest &r) {
    // A linear filter scores anyone from their items as the source has them
    // now, so it reads them whether or not they are excluded.
    const bool linear = is_linear_filter(record);
    SeenItems seen =
        r.exclude_seen || linear ? read_seen(record, r.user) : SeenItems{nullptr, 0, 0};
    const size_t history = seen.count;
    if (r.n_exclude > 0) {  // excluded items are treated like seen ones
        seen.ids = static_cast<int64 *>(
            seen.ids ? repalloc(seen.ids, sizeof(int64) * (seen.count + r.n_exclude))
                     : palloc(sizeof(int64) * r.n_exclude));
        memcpy(seen.ids + seen.count, r.exclude, sizeof(int64) * r.n_exclude);
        seen.count += r.n_exclude;
    }
    const core::ModelView *model = &serving_model(record);
    Ranked ranked = allocate_ranked(static_cast<int>(std::min<int64>(r.k, record.items)));
    call_cpp([&] {
        const size_t kept = r.exclude_seen ? 0 : history;  // seen but not excluded
        const auto excluded = core::known_items(*model, seen.ids + kept, seen.count - kept);
        std::vector<int32_t> candidates;
        if (r.include) candidates = core::known_items(*model, r.include, r.n_include);
        const std::vector<int32_t> *only = r.include ? &candidates : nullptr;
        if (model->linear) {
            const auto items = core::known_items(*model, seen.ids, history);
            // Nothing the model knows: the most popular items, as for a new user.
            copy_ranked(*model,
                        items.empty()
                            ? core::popular(*model, r.k, excluded, only)
                            : core::recommend_from_items(*model, items, r.k, excluded, only,
                                                         cfrec_half_precision_scoring),
                        ranked);
            return;
        }
        const int32_t u = model->user_index(r.user);
        // A user the model has not seen gets the most popular items.
        copy_ranked(*model,
                    u >= 0 ? core::recommend(*model, u, r.k, excluded,
                                             cfrec_half_precision_scoring, only)
                           : core::popular(*model, r.k, excluded, only),
                    ranked);
    });
    return ranked;
}

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_recommend);
PG_FUNCTION_INFO_V1(cfrec_predict);
PG_FUNCTION_INFO_V1(cfrec_similar_items);
PG_FUNCTION_INFO_V1(cfrec_cache_stats);
PG_FUNCTION_INFO_V1(cfrec_recommend_for_items);
}

extern "C" Datum cfrec_recommend(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "user_id");
    const int64 user = PG_GETARG_INT64(0);
    const int32 k = int_argument(fcinfo, 1, "k", 1, kMaxK);
    const char *name = model_argument(fcinfo, 2);
    require_argument(fcinfo, 3, "exclude_seen");
    const bool exclude_seen = PG_GETARG_BOOL(3);
    int n_include = 0, n_exclude = 0;
    const int64 *include = bigint_array_argument(fcinfo, 4, "include", &n_include);
    const int64 *exclude = bigint_array_argument(fcinfo, 5, "exclude", &n_exclude);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    const ModelRecord record = find_model(schema, name);
    emit(rs, recommend_for_user(record,
                                UserRequest{user, k, exclude_seen, include, n_include, exclude,
                                            n_exclude}));
    finish_spi(spi);
    return (Datum)0;
}

extern "C" Datum cfrec_recommend_for_items(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "item_ids");
    int n_items = 0, n_ratings = 0;
    const int64 *items = bigint_array_argument(fcinfo, 0, "item_ids", &n_items);
    const float *ratings = real_array_argument(fcinfo, 1, "ratings", &n_ratings);
    if (ratings && n_ratings != n_items)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ratings has %d elements but item_ids has %d", n_ratings, n_items),
                        errhint("Give one rating per item, or leave ratings out.")));
    for (int j = 0; ratings && j < n_ratings; ++j)
        if (!std::isfinite(ratings[j]))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("ratings must be finite numbers")));
    const int32 k = int_argument(fcinfo, 2, "k", 1, kMaxK);
    const char *name = model_argument(fcinfo, 3);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    ModelRecord record = find_model(schema, name);
    const core::ModelView *model = &serving_model(record);
    Ranked ranked = allocate_ranked(static_cast<int>(std::min<int64>(k, record.items)));
    const bool implicit = record.feedback == core::Feedback::Implicit;
    for (int j = 0; implicit && ratings && j < n_ratings; ++j)
        if (ratings[j] < 0)
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                            errmsg("ratings of an implicit model are interaction strengths and "
                                   "must not be negative, not %g",
                                   static_cast<double>(ratings[j])),
                            errhint("Training rejects negative strengths too; leave ratings out "
                                    "to count each item once.")));
    call_cpp([&] {
        // Without ratings, every item counts as one interaction, or, for a
        // rating model, as the top rating: "liked".
        std::vector<float> values(n_items, implicit ? 1.0f : record.rating_max);
        if (ratings) values.assign(ratings, ratings + n_ratings);
        const auto excluded = core::known_items(*model, items, n_items);
        if (model->linear) {  // who interacted with what: ratings play no part
            copy_ranked(*model,
                        excluded.empty()
                            ? core::popular(*model, k, excluded)
                            : core::recommend_from_items(*model, excluded, k, excluded, nullptr,
                                                         cfrec_half_precision_scoring),
                        ranked);
            return;
        }
        const core::FoldInOptions options = fold_in_options(record);
        float bias;
        Eigen::VectorXf x;
        // Nothing the model knows: the most popular items, as for a new user.
        copy_ranked(*model,
                    core::fold_in(*model, items, values.data(), n_items, options, bias, x)
                        ? core::recommend_vector(*model, x.data(), bias, k, excluded,
                                                 cfrec_half_precision_scoring)
                        : core::popular(*model, k, excluded),
                    ranked);
    });
    emit(rs, ranked);
    finish_spi(spi);
    return (Datum)0;
}

extern "C" Datum cfrec_predict(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "user_id");
    require_argument(fcinfo, 1, "item_id");
    const int64 user = PG_GETARG_INT64(0);
    const int64 item = PG_GETARG_INT64(1);
    const char *name = model_argument(fcinfo, 2);
    const char *schema = extension_schema(fcinfo);

    const PinnedSpi spi = connect_spi();
    ModelRecord record = find_model(schema, name);
    // A linear filter's score comes from the user's items as they are now.
    const SeenItems seen =
        is_linear_filter(record) ? read_seen(record, user) : SeenItems{nullptr, 0, 0};
    const core::ModelView *model = &serving_model(record);
    float prediction = 0.0f;
    call_cpp([&] {
        if (!model->linear) {
            prediction = core::predict(*model, user, item);
            return;
        }
        const int32_t i = model->item_index(item);
        const auto items = core::known_items(*model, seen.ids, seen.count);
        if (i < 0 || items.empty()) return;  // nothing to say, as for an unknown id
        std::vector<float> scores(model->item_ids.size());
        model->linear->score(model->item_factors, items.data(), items.size(), scores.data());
        prediction = scores[i];
    });
    finish_spi(spi);
    PG_RETURN_FLOAT4(prediction);
}

extern "C" Datum cfrec_similar_items(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "item_id");
    const int64 item = PG_GETARG_INT64(0);
    const int32 k = int_argument(fcinfo, 1, "k", 1, kMaxK);
    const char *name = model_argument(fcinfo, 2);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    ModelRecord record = find_model(schema, name);
    const core::ModelView *model = &serving_model(record);
    Ranked ranked = allocate_ranked(static_cast<int>(std::min<int64>(k, record.items)));
    call_cpp([&] {
        // An item the model does not know has no vector, hence no neighbours.
        const int32_t i = model->item_index(item);
        if (i >= 0)
            copy_ranked(*model,
                        model->linear ? core::operator_neighbours(*model, i, k)
                                      : core::similar_items(*model, i, k),
                        ranked);
    });
    emit(rs, ranked);
    finish_spi(spi);
    return (Datum)0;
}

// This backend's serving cache: one row per cached model.
// This backend's private entries, then the server's shared ones of this
// database (the column `shared`, from 1.7.0 on, tells them apart).
extern "C" Datum cfrec_cache_stats(PG_FUNCTION_ARGS) {
    ResultSet rs = begin_result_set(fcinfo);
    const bool with_shared_column = rs.desc->natts >= 7;
    const int capacity = cache_size();
    auto *entries =
        static_cast<CacheEntryInfo *>(palloc(sizeof(CacheEntryInfo) * Max(capacity, 1)));
    const int count = cache_entries(entries, capacity);
    for (int j = 0; j < count; ++j) {
        Datum values[7] = {PointerGetDatum(cstring_to_text(entries[j].name)),
                           Int64GetDatum(entries[j].version),
                           Int64GetDatum(entries[j].bytes),
                           Int64GetDatum(entries[j].hits),
                           TimestampTzGetDatum(entries[j].loaded_at),
                           Int64GetDatum(entries[j].catch_ups),
                           BoolGetDatum(false)};
        bool nulls[7] = {false, false, false, false, false, false, false};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
    if (!with_shared_column) return (Datum)0;
    constexpr int kMaxShared = 64;
    auto *shared = static_cast<SharedEntryInfo *>(palloc(sizeof(SharedEntryInfo) * kMaxShared));
    const int n_shared = shared_entries(shared, kMaxShared);
    for (int j = 0; j < n_shared; ++j) {
        Datum values[7] = {PointerGetDatum(cstring_to_text(shared[j].name)),
                           Int64GetDatum(shared[j].version),
                           Int64GetDatum(shared[j].bytes),
                           Int64GetDatum(shared[j].hits),
                           TimestampTzGetDatum(shared[j].loaded_at),
                           Int64GetDatum(shared[j].catch_ups),
                           BoolGetDatum(true)};
        bool nulls[7] = {false, false, false, false, false, false, false};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
    return (Datum)0;
}
