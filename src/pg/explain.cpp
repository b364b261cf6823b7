// SQL entry point cfrec_explain: which of a user's items a score comes
// from, read from the user's current rows in the model's source.
#include <cmath>

#include "core/explain.h"
#include "pg/arguments.h"
#include "pg/cpp_guard.h"
#include "pg/features.h"
#include "pg/model_access.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/recommend_user.h"
#include "pg/result_set.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {

// One user's (item, value) rows, palloc'd: plain memory an ERROR may leave.
struct UserRows {
    int64 *items;
    float *values;
    size_t count;
    size_t capacity;
};

void add_rows(void *context, const int64 *, const int64 *items, const float *values, size_t n) {
    auto *rows = static_cast<UserRows *>(context);
    if (rows->count + n > rows->capacity) {
        rows->capacity = Max(rows->capacity * 2, rows->count + n);
        rows->items = static_cast<int64 *>(repalloc(rows->items, sizeof(int64) * rows->capacity));
        rows->values = static_cast<float *>(repalloc(rows->values, sizeof(float) * rows->capacity));
    }
    memcpy(rows->items + rows->count, items, sizeof(int64) * n);
    memcpy(rows->values + rows->count, values, sizeof(float) * n);
    rows->count += n;
}

// The rows are shown, so the caller must be allowed to read them too.
void require_select(Oid relation, const ModelRecord &record) {
    const Oid me = GetUserId();
    if (pg_class_aclcheck(relation, me, ACL_SELECT) == ACLCHECK_OK) return;
    const char *columns[3] = {record.user_column, record.item_column, record.rating_column};
    for (const char *column : columns) {
        if (column == nullptr) continue;
        const AttrNumber attnum = get_attnum(relation, column);
        if (attnum == InvalidAttrNumber ||
            pg_attribute_aclcheck(relation, attnum, me, ACL_SELECT) != ACLCHECK_OK)
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("permission denied for table %s", get_rel_name(relation)),
                     errdetail("cfrec_explain shows the user's rows of the model's source %s.",
                               source_relation(record)),
                     errhint("Ask its owner for SELECT on it.")));
    }
}

// The user's rows in the model's source now, read as the model's owner.
UserRows read_user_rows(const ModelRecord &record, int64 user) {
    Oid relation;
    const char *source = source_relation(record, &relation);
    require_select(relation, record);
    UserRows rows{static_cast<int64 *>(palloc(sizeof(int64) * 64)),
                  static_cast<float *>(palloc(sizeof(float) * 64)), 0, 64};
    const char *sql = psprintf(
        "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8%s FROM %s WHERE %s "
        "OPERATOR(pg_catalog.=) $1",
        quote_identifier(record.user_column), quote_identifier(record.item_column),
        record.rating_column
            ? psprintf(", %s::pg_catalog.float8", quote_identifier(record.rating_column))
            : "",
        source, quote_identifier(record.user_column));
    Oid types[1] = {INT8OID};
    Datum args[1] = {Int64GetDatum(user)};
    const OwnerSwitch as_owner = begin_as_owner(record);
    stream_rows(sql, nullptr, 1, types, args, record.rating_column != nullptr, add_rows, &rows);
    end_as_owner(as_owner);
    return rows;
}

void put_row(const ResultSet &rs, const char *kind, const int64 *item, double contribution,
             const char *feature = nullptr) {
    Datum values[4] = {PointerGetDatum(cstring_to_text(kind)), item ? Int64GetDatum(*item) : 0,
                       Float4GetDatum(static_cast<float>(contribution)),
                       feature ? PointerGetDatum(cstring_to_text(feature)) : 0};
    bool nulls[4] = {false, item == nullptr, false, feature == nullptr};
    tuplestore_putvalues(rs.store, rs.desc, values, nulls);
}

// C++ only: the first k of contributions sorted largest first (their indices
// and values) and the sum of the rest; how many were kept.
size_t split_top(const std::vector<core::Contribution> &all, int32 k, int32 *index, double *value,
                 double *rest) {
    const size_t shown = std::min<size_t>(all.size(), static_cast<size_t>(k));
    *rest = 0.0;
    for (size_t j = 0; j < all.size(); ++j) {
        if (j < shown) {
            index[j] = all[j].item;
            value[j] = all[j].value;
        } else {
            *rest += all[j].value;
        }
    }
    return shown;
}

// The score over the user's items (core::explain).
void emit_item_shares(const ResultSet &rs, const ModelRecord &record, const core::ModelView &model,
                      int32_t u, int32_t i, const UserRows &rows, int32 k) {
    // Filled inside the core call, so no palloc (which may ERROR) happens there.
    auto *order = static_cast<int32 *>(palloc(sizeof(int32) * Max(rows.count, 1)));
    auto *shares = static_cast<double *>(palloc(sizeof(double) * Max(rows.count, 1)));
    size_t shown = 0, total = 0;
    double others = 0.0, mean = 0.0, bias = 0.0, remainder = 0.0;
    call_cpp([&] {
        const core::Explanation e =
            model.linear ? core::explain_linear(model, i, rows.items, rows.count)
                         : core::explain(model, u, i, rows.items, rows.values, rows.count,
                                         fold_in_options(record));
        total = e.items.size();
        shown = split_top(e.items, k, order, shares, &others);
        mean = e.global_mean;
        bias = e.item_bias;
        remainder = e.remainder;
    });
    for (size_t j = 0; j < shown; ++j) {
        const int64 id = model.item_ids[order[j]];
        put_row(rs, "item", &id, shares[j]);
    }
    if (total > shown) put_row(rs, "other items", nullptr, others);
    if (record.feedback == core::Feedback::Explicit) {
        put_row(rs, "global mean", nullptr, mean);
        put_row(rs, "item bias", nullptr, bias);
    }
    put_row(rs, "remainder", nullptr, remainder);
}

// The score over the features of the side the feature map made (core::explain_by_features).
void emit_feature_shares(const ResultSet &rs, const ModelRecord &record,
                         const core::ModelView &model, int32_t u, int32_t i, core::Side mapped,
                         const MappedFeatures &f, int32 k) {
    auto *order = static_cast<int32 *>(palloc(sizeof(int32) * f.count));
    auto *shares = static_cast<double *>(palloc(sizeof(double) * f.count));
    size_t shown = 0;
    double others = 0.0, mean = 0.0, bias = 0.0, intercept = 0.0, remainder = 0.0;
    call_cpp([&] {
        const core::FeatureExplanation e = core::explain_by_features(
            model, u, i, mapped, f.intercept, f.row_of, f.weights, f.count, f.length_intercept,
            f.length_row_of);
        shown = split_top(e.features, k, order, shares, &others);
        mean = e.global_mean;
        bias = e.other_bias;
        intercept = e.intercept;
        remainder = e.remainder;
    });
    for (size_t j = 0; j < shown; ++j)
        put_row(rs, "feature", nullptr, shares[j], f.names[order[j]]);
    if (f.count > shown) put_row(rs, "other features", nullptr, others);
    if (record.feedback == core::Feedback::Explicit) {
        put_row(rs, "global mean", nullptr, mean);
        put_row(rs, mapped == core::Side::Items ? "user bias" : "item bias", nullptr, bias);
    }
    put_row(rs, "feature intercept", nullptr, intercept);
    put_row(rs, "remainder", nullptr, remainder);
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_explain);
}

// Rows: the user's k items that add most to the score, largest first; the
// rest of their items as one row; an explicit model's global mean and item
// bias; the remainder (core/explain.h). For an item or user known only by
// its features, its k features that add most instead, the rest of them, the
// other side's bias and the map's intercept. Together they sum to the score
// cfrec_recommend gives the item.
extern "C" Datum cfrec_explain(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "user_id");
    require_argument(fcinfo, 1, "item_id");
    const int64 user = PG_GETARG_INT64(0);
    const int64 item = PG_GETARG_INT64(1);
    const char *name = model_argument(fcinfo, 2);
    const int32 k = int_argument(fcinfo, 3, "k", 1, kMaxK);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    const ModelRecord record = find_model(schema, name);
    const core::ModelView *model = &serving_model(record);
    const int32_t u = model->user_index(user), i = model->item_index(item);
    // A linear filter keeps no user vectors: it explains anyone from their rows.
    if (u < 0 && !model->linear)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("user %lld is not in cfrec model \"%s\"", static_cast<long long>(user),
                        name),
                 errhint("Only users the model has vectors for have scores to explain. "
                         "cfrec_refresh_users adds a user who has rows in the model's source.")));
    if (i < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("item %lld is not in cfrec model \"%s\"",
                               static_cast<long long>(item), name),
                        is_graph_filter(record)
                            ? errhint("Train the model again to add items.")
                            : errhint("cfrec_refresh_items adds an item that has rows in the "
                                      "model's source.")));
    const UserRows rows = read_user_rows(record, user);
    for (size_t j = 0; j < rows.count; ++j)
        if (!std::isfinite(rows.values[j]))
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                            errmsg("value for user %lld and item %lld is not a finite number",
                                   static_cast<long long>(user),
                                   static_cast<long long>(rows.items[j])),
                            errhint("Filter out NaN and infinite values with a view or WHERE "
                                    "clause.")));

    // An item (or, when the user has no rows, a user) that has features but
    // no interactions owes its vector to the feature map: its features
    // explain the score. Older SQL definitions have no feature column.
    const MappedFeatures *features = nullptr;
    core::Side mapped = core::Side::Items;
    if (rs.desc->natts >= 4 && !model->linear) {
        if (static_cast<size_t>(i) < model->item_counts.size() && model->item_counts[i] == 0)
            features = read_mapped_features(schema, record, core::Side::Items, &item, 1);
        if ((features == nullptr || features->count == 0) && rows.count == 0) {
            mapped = core::Side::Users;
            features = read_mapped_features(schema, record, core::Side::Users, &user, 1);
        }
    }
    // The reads above ran queries: take the model from the cache again.
    model = &serving_model(record);
    if (model->user_index(user) != u || model->item_index(item) != i)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("cfrec model \"%s\" changed during the call", name),
                        errhint("Call cfrec_explain again.")));
    if (features != nullptr && features->count > 0)
        emit_feature_shares(rs, record, *model, u, i, mapped, *features, k);
    else
        emit_item_shares(rs, record, *model, u, i, rows, k);
    finish_spi(spi);
    return (Datum)0;
}
