// SQL entry point cfrec_explain: which of a user's items a score comes
// from, read from the user's current rows in the model's source.
#include <cmath>

#include "core/explain.h"
#include "pg/arguments.h"
#include "pg/cpp_guard.h"
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

void put_row(const ResultSet &rs, const char *kind, const int64 *item, double contribution) {
    Datum values[3] = {PointerGetDatum(cstring_to_text(kind)), item ? Int64GetDatum(*item) : 0,
                       Float4GetDatum(static_cast<float>(contribution))};
    bool nulls[3] = {false, item == nullptr, false};
    tuplestore_putvalues(rs.store, rs.desc, values, nulls);
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
// bias; the remainder (core/explain.h). Together they sum to the score
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
    if (u < 0)
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

    // Filled inside the core call, so no palloc (which may ERROR) happens there.
    auto *items = static_cast<int64 *>(palloc(sizeof(int64) * Max(rows.count, 1)));
    auto *shares = static_cast<double *>(palloc(sizeof(double) * Max(rows.count, 1)));
    size_t shown = 0;
    double others = 0.0, mean = 0.0, bias = 0.0, remainder = 0.0;
    bool has_others = false;
    call_cpp([&] {
        const core::Explanation e = core::explain(*model, u, i, rows.items, rows.values,
                                                  rows.count, fold_in_options(record));
        shown = std::min<size_t>(e.items.size(), static_cast<size_t>(k));
        for (size_t j = 0; j < e.items.size(); ++j) {
            if (j < shown) {
                items[j] = model->item_ids[e.items[j].item];
                shares[j] = e.items[j].value;
            } else {
                others += e.items[j].value;
            }
        }
        has_others = e.items.size() > shown;
        mean = e.global_mean;
        bias = e.item_bias;
        remainder = e.remainder;
    });
    for (size_t j = 0; j < shown; ++j) put_row(rs, "item", &items[j], shares[j]);
    if (has_others) put_row(rs, "other items", nullptr, others);
    if (record.feedback == core::Feedback::Explicit) {
        put_row(rs, "global mean", nullptr, mean);
        put_row(rs, "item bias", nullptr, bias);
    }
    put_row(rs, "remainder", nullptr, remainder);
    finish_spi(spi);
    return (Datum)0;
}
