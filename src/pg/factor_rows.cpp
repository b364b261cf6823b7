#include "pg/factor_rows.h"

#include <cmath>
#include <cstring>

#include "core/linear_filter.h"
#include "core/serving.h"

#include "pg/arrays.h"
#include "pg/model_row.h"

namespace cfrec::pg {

namespace {

constexpr int kReadRows = 10000;

bool all_finite(const float *values, int n) {
    bool finite = true;
    for (int j = 0; j < n; ++j) finite &= std::isfinite(values[j]);
    return finite;
}

// Rows allocated before any has been read: the catalog's count is trusted
// only up to this, and the arrays grow with the rows actually there.
constexpr Size kFirstRows = 65536;

// Makes room for `capacity` rows in `side`, keeping the rows already there.
void reserve_rows(StoredSide &side, Size capacity, int f, bool items) {
    auto grow = [](void *old, Size bytes) {
        return old ? repalloc_huge(old, bytes)
                   : MemoryContextAllocHuge(CurrentMemoryContext, bytes);
    };
    capacity = Max(capacity, static_cast<Size>(1));
    if (capacity > MaxAllocHugeSize / (static_cast<Size>(f) * sizeof(float) + sizeof(int64)))
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("cfrec: %zu factor rows of %d factors do not fit in memory", capacity, f)));
    side.ids = static_cast<int64 *>(grow(side.ids, capacity * sizeof(int64)));
    side.bias = static_cast<float *>(grow(side.bias, capacity * sizeof(float)));
    side.factors = static_cast<float *>(grow(side.factors, capacity * f * sizeof(float)));
    if (items)
        side.interactions = static_cast<int32 *>(grow(side.interactions, capacity * sizeof(int32)));
}

StoredSide read_side(const ModelRecord &record, bool items, int64 since) {
    const int f = record.factors;
    const bool whole = since < 0;
    // A linear filter stores its users' interactions instead of their vectors.
    const Size expected = static_cast<Size>(items                      ? record.items
                                            : is_linear_filter(record) ? 0
                                                                       : record.users);
    StoredSide side{0, nullptr, nullptr, nullptr, nullptr};
    Size capacity = whole ? Min(expected, kFirstRows) : 64;
    reserve_rows(side, capacity, f, items);

    // Changed rows come unordered: no ORDER BY id may tempt the planner off
    // the (model, version) index, whatever the table's statistics say.
    const char *sql = psprintf("SELECT id, bias, factors%s FROM %s.%s WHERE model = $1%s",
                               items ? ", interactions" : "", catalog_schema(record.catalog),
                               items ? "cfrec_item_factors" : "cfrec_user_factors",
                               whole ? " ORDER BY id" : " AND version > $2");
    Oid types[2] = {TEXTOID, INT8OID};
    Datum values[2] = {CStringGetTextDatum(record.name), Int64GetDatum(since)};
    Portal portal =
        SPI_cursor_open_with_args(nullptr, sql, whole ? 1 : 2, types, values, nullptr, true, 0);
    Size filled = 0;
    bool damaged = false;
    for (;;) {
        SPI_cursor_fetch(portal, true, kReadRows);
        if (SPI_processed == 0) break;
        SPITupleTable *table = SPI_tuptable;
        if (whole && filled + SPI_processed > expected) {
            damaged = true;  // more rows than the catalog says
            SPI_freetuptable(table);
            break;
        }
        if (filled + SPI_processed > capacity) {
            capacity = Max(capacity * 2, filled + SPI_processed);
            if (whole) capacity = Min(capacity, expected);
            reserve_rows(side, capacity, f, items);
        }
        for (uint64 j = 0; j < SPI_processed && !damaged; ++j, ++filled) {
            if (filled >= capacity) {
                damaged = true;
                break;
            }
            bool isnull;
            HeapTuple row = table->vals[j];
            side.ids[filled] = DatumGetInt64(SPI_getbinval(row, table->tupdesc, 1, &isnull));
            side.bias[filled] = DatumGetFloat4(SPI_getbinval(row, table->tupdesc, 2, &isnull));
            Datum vector = SPI_getbinval(row, table->tupdesc, 3, &isnull);
            damaged = !read_real_array(vector, f, side.factors + filled * f) ||
                      !all_finite(side.factors + filled * f, f) || !std::isfinite(side.bias[filled]);
            if (items)
                side.interactions[filled] =
                    DatumGetInt32(SPI_getbinval(row, table->tupdesc, 4, &isnull));
        }
        SPI_freetuptable(table);
        if (damaged) break;
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    if (damaged || (whole && filled != expected))
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("cfrec model \"%s\" is damaged: its %s factor rows do not match "
                               "its catalog entry",
                               record.name, items ? "item" : "user"),
                        errhint("Train the model again with cfrec_train().")));
    side.count = static_cast<int64>(filled);
    return side;
}

void free_side(StoredSide &side) {
    pfree(side.ids);
    pfree(side.bias);
    pfree(side.factors);
    if (side.interactions) pfree(side.interactions);
}

core::ChangedRows changed_rows(const StoredSide &side, int width) {
    return {side.ids, side.bias, side.factors, side.interactions, static_cast<size_t>(side.count),
            width};
}

}  // namespace

FactorRows read_factor_rows(const ModelRecord &record, int64 since) {
    FactorRows rows;
    rows.whole = since < 0;
    rows.width = record.factors;
    rows.users = read_side(record, false, since);
    rows.items = read_side(record, true, since);
    if (rows.whole && is_linear_filter(record))
        rows.linear = read_linear_filter_rows(record, rows.items.ids, rows.items.count);
    return rows;
}

void free_factor_rows(FactorRows &rows) {
    free_side(rows.users);
    free_side(rows.items);
    free_linear_rows(rows.linear);
}

bool caught_up(core::FactorModel &model, const ModelRecord &record, const FactorRows &rows) {
    core::apply_changes(model, core::Side::Users, changed_rows(rows.users, rows.width));
    core::apply_changes(model, core::Side::Items, changed_rows(rows.items, rows.width));
    return same_shape(model.view(), record);
}

namespace {

void copy_side(const StoredSide &side, int f, std::vector<int64_t> &ids, std::vector<float> &bias,
               core::FactorMatrix &factors) {
    ids.assign(side.ids, side.ids + side.count);
    bias.assign(side.bias, side.bias + side.count);
    factors = Eigen::Map<const core::FactorMatrix>(side.factors, side.count, f);
}

}  // namespace

void fill_model(core::FactorModel &m, const ModelRecord &r, const FactorRows &rows) {
    m.feedback = r.feedback;
    m.global_mean = r.global_mean;
    m.rating_min = r.rating_min;
    m.rating_max = r.rating_max;
    copy_side(rows.users, rows.width, m.user_ids, m.user_bias, m.user_factors);
    copy_side(rows.items, rows.width, m.item_ids, m.item_bias, m.item_factors);
    m.item_counts.assign(rows.items.interactions, rows.items.interactions + rows.items.count);
    if (rows.linear.count >= 0)
        attach_linear_filter(m, r, rows.linear);  // scored by its own pass (linear_filter.h)
    else
        core::prepare_for_serving(m);
}

bool same_shape(const core::ModelView &m, const ModelRecord &r) {
    const size_t users = m.linear ? m.linear->row_ids().size() : m.user_ids.size();
    return m.factors() == r.factors && static_cast<int64>(users) == r.users &&
           static_cast<int64>(m.item_ids.size()) == r.items;
}

bool can_catch_up(int64 version, int64 base_version, int factors, const ModelRecord &r) {
    return version < r.version && base_version == r.base_version && factors == r.factors;
}

}  // namespace cfrec::pg
