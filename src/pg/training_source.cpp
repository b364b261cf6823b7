#include "pg/training_source.h"

#include "pg/core_call.h"

namespace cfrec::pg {

namespace {

constexpr int kFetchRows = 10000;

bool is_integer_type(Oid type) {
    return type == INT2OID || type == INT4OID || type == INT8OID;
}

bool is_number_type(Oid type) {
    return is_integer_type(type) || type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;
}

// The base type of a column (domains resolved); ERROR when there is no such column.
Oid column_type(Oid relation, const char *relation_name, const char *column, const char *argument) {
    AttrNumber number = get_attnum(relation, column);
    if (number <= 0)
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_COLUMN),
                 errmsg("column \"%s\" of relation %s does not exist", column, relation_name),
                 errhint("Name the column with %s => '...'.", argument)));
    return getBaseType(get_atttype(relation, number));
}

void require_type(bool ok, const char *column, Oid type, const char *wanted) {
    if (!ok)
        ereport(ERROR,
                (errcode(ERRCODE_DATATYPE_MISMATCH),
                 errmsg("column \"%s\" has type %s, but %s is needed", column, format_type_be(type),
                        wanted),
                 errhint("Train from a view that casts the column, e.g. SELECT %s::bigint ...",
                         quote_identifier(column))));
}

}  // namespace

TrainingSource describe_source(Oid relation, const char *user_column, const char *item_column,
                               const char *rating_column) {
    char kind = get_rel_relkind(relation);
    char *name = get_rel_name(relation);
    if (name == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("relation with OID %u does not exist", relation)));
    const char *qualified =
        quote_qualified_identifier(get_namespace_name(get_rel_namespace(relation)), name);
    if (kind != RELKIND_RELATION && kind != RELKIND_VIEW && kind != RELKIND_MATVIEW &&
        kind != RELKIND_FOREIGN_TABLE && kind != RELKIND_PARTITIONED_TABLE)
        ereport(ERROR,
                (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("%s is not a table or view", qualified),
                 errhint("Train from a table, view, materialized view or foreign table.")));

    Oid type = column_type(relation, qualified, user_column, "user_column");
    require_type(is_integer_type(type), user_column, type, "an integer type");
    type = column_type(relation, qualified, item_column, "item_column");
    require_type(is_integer_type(type), item_column, type, "an integer type");
    if (rating_column != nullptr) {
        type = column_type(relation, qualified, rating_column, "rating_column");
        require_type(is_number_type(type), rating_column, type, "a numeric type");
    }

    TrainingSource source;
    source.relation = qualified;
    source.user_column = user_column;
    source.item_column = item_column;
    source.rating_column = rating_column;
    source.query = psprintf(
        "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8%s%s FROM %s",
        quote_identifier(user_column), quote_identifier(item_column), rating_column ? ", " : "",
        rating_column ? psprintf("%s::pg_catalog.float8", quote_identifier(rating_column)) : "",
        qualified);
    return source;
}

SourceCounts read_source(const TrainingSource &source,
                         ContextOwned<core::InteractionBuilder> *builder) {
    SourceCounts counts = {0, 0, 0};
    auto *users = static_cast<int64 *>(palloc(sizeof(int64) * kFetchRows));
    auto *items = static_cast<int64 *>(palloc(sizeof(int64) * kFetchRows));
    auto *values = static_cast<float *>(palloc(sizeof(float) * kFetchRows));
    const bool has_rating = source.rating_column != nullptr;

    Portal portal =
        SPI_cursor_open_with_args(nullptr, source.query, 0, nullptr, nullptr, nullptr, true, 0);
    for (;;) {
        SPI_cursor_fetch(portal, true, kFetchRows);
        const uint64 fetched = SPI_processed;
        if (fetched == 0) break;
        SPITupleTable *table = SPI_tuptable;
        size_t n = 0;
        for (uint64 r = 0; r < fetched; ++r) {
            bool user_null, item_null, value_null = false;
            HeapTuple row = table->vals[r];
            Datum user = SPI_getbinval(row, table->tupdesc, 1, &user_null);
            Datum item = SPI_getbinval(row, table->tupdesc, 2, &item_null);
            Datum value = has_rating ? SPI_getbinval(row, table->tupdesc, 3, &value_null) : 0;
            if (user_null || item_null) {
                ++counts.null_ids;
                continue;
            }
            if (value_null) {
                ++counts.null_ratings;
                continue;
            }
            users[n] = DatumGetInt64(user);
            items[n] = DatumGetInt64(item);
            values[n] = has_rating ? static_cast<float>(DatumGetFloat8(value)) : 1.0f;
            ++n;
        }
        SPI_freetuptable(table);
        call_core([&] { (*builder)->add(users, items, values, n); });
        counts.rows_used += static_cast<int64>(n);
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    return counts;
}

}  // namespace cfrec::pg
