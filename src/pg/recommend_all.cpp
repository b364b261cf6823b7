// SQL entry point cfrec_recommend_all: top-k for every (or every given) user
// in one call, returned as rows or written into a table.
#include <algorithm>
#include <memory>
#include <vector>

#include "core/batch_recommend.h"
#include "core/linear_filter.h"
#include "pg/arguments.h"
#include "pg/arrays.h"
#include "pg/clock.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/model_cache.h"
#include "pg/pinned_spi.h"
#include "pg/result_set.h"
#include "pg/settings.h"
#include "pg/training_source.h"

namespace cfrec::pg {

namespace {

enum Arg { kModel, kK, kTarget, kUsers, kExcludeSeen };
constexpr int32 kMaxBatchK = 1000;
constexpr int kInsertRows = 65536;
// Output rows scored, flattened and handed on at a time: a user list of any
// length then needs about 32 bytes per slice row (some 32 MiB), not per user.
constexpr int64 kSliceRows = 1 << 20;

// An existing target is written to only when the caller's own roles own it
// (a superuser's included, with no superuser bypass): a table someone else
// planted on the caller's search_path, with triggers of theirs, never runs
// their code as the caller.
void require_own_table(Oid relation, const char *qualified) {
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relation));
    if (!HeapTupleIsValid(tuple)) elog(ERROR, "cfrec: no catalog entry for %s", qualified);
    const auto *form = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
    const Oid owner = form->relowner;
    const char kind = form->relkind;
    ReleaseSysCache(tuple);
    if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("target %s is not a table", qualified)));
    if (!is_member_of_role_nosuper(GetUserId(), owner))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("target table %s belongs to role %s, not to you", qualified,
                               GetUserNameFromId(owner, false)),
                        errhint("Name a new table, which cfrec creates, or one you own.")));
}

// The target's name, schema-qualified where the caller's search_path finds or
// would create it: resolved before cfrec pins search_path (pinned_spi.h).
RangeVar *resolve_target(const char *target) {
#if PG_VERSION_NUM >= 160000
    RangeVar *rv = makeRangeVarFromNameList(stringToQualifiedNameList(target, nullptr));
#else
    RangeVar *rv = makeRangeVarFromNameList(stringToQualifiedNameList(target));
#endif
    if (rv->schemaname == nullptr) {
        const Oid existing = RangeVarGetRelid(rv, NoLock, true);
        const Oid schema = OidIsValid(existing) ? get_rel_namespace(existing)
                                                : RangeVarGetCreationNamespace(rv);
        rv->schemaname = get_namespace_name(schema);
    }
    return rv;
}

// The target table, created (user_id, rank, item_id, score) when missing.
const char *prepare_target(RangeVar *rv) {
    const char *qualified = quote_qualified_identifier(rv->schemaname, rv->relname);
    const Oid existing = RangeVarGetRelid(rv, NoLock, true);
    if (OidIsValid(existing)) require_own_table(existing, qualified);
    if (!OidIsValid(existing)) {
        const char *sql = psprintf(
            "CREATE TABLE %s (user_id bigint NOT NULL, rank integer NOT NULL, item_id bigint NOT "
            "NULL, score real NOT NULL)",
            qualified);
        if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
            elog(ERROR, "cfrec: creating %s failed", qualified);
    }
    return qualified;
}

// Flattened output rows, filled from the core's result.
struct Rows {
    int64 count;
    int64 *users;
    int32 *ranks;
    int64 *items;
    float *scores;
};

// `result` holds the users from users[row_begin] on.
Rows flatten(const core::ModelView &m, const std::vector<int64_t> &users, int64 row_begin,
             const core::BatchRecommendations &result, int k) {
    int64 total = 0;
    for (int32_t c : result.count) total += c;
    Rows rows;
    rows.count = total;
    const Size n = static_cast<Size>(Max(total, int64{1}));
    rows.users =
        static_cast<int64 *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(int64)));
    rows.ranks =
        static_cast<int32 *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(int32)));
    rows.items =
        static_cast<int64 *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(int64)));
    rows.scores =
        static_cast<float *>(MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(float)));
    int64 at = 0;
    for (size_t r = 0; r < result.count.size(); ++r)
        for (int32_t j = 0; j < result.count[r]; ++j, ++at) {
            const core::Scored &s = result.items[r * k + j];
            rows.users[at] = users[row_begin + r];
            rows.ranks[at] = j + 1;
            rows.items[at] = m.item_ids[s.index];
            rows.scores[at] = s.score;
        }
    return rows;
}

void insert_rows(const char *target, const Rows &rows) {
    Oid types[4] = {INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, FLOAT4ARRAYOID};
    SPIPlanPtr plan = SPI_prepare(
        psprintf("INSERT INTO %s (user_id, rank, item_id, score) "
                 "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
                 "pg_catalog.unnest($3), pg_catalog.unnest($4))",
                 target),
        4, types);
    if (plan == nullptr) elog(ERROR, "cfrec: preparing the insert into %s failed", target);
    for (int64 begin = 0; begin < rows.count; begin += kInsertRows) {
        const int n = static_cast<int>(Min(rows.count - begin, static_cast<int64>(kInsertRows)));
        Datum values[4] = {PointerGetDatum(flat_array(INT8OID, 8, rows.users + begin, n)),
                           PointerGetDatum(flat_array(INT4OID, 4, rows.ranks + begin, n)),
                           PointerGetDatum(flat_array(INT8OID, 8, rows.items + begin, n)),
                           PointerGetDatum(flat_array(FLOAT4OID, 4, rows.scores + begin, n))};
        if (SPI_execute_plan(plan, values, nullptr, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "cfrec: inserting into %s failed", target);
        for (Datum v : values) pfree(DatumGetPointer(v));
        CHECK_FOR_INTERRUPTS();
    }
    SPI_freeplan(plan);
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_recommend_all);
}

extern "C" Datum cfrec_recommend_all(PG_FUNCTION_ARGS) {
    const char *name = model_argument(fcinfo, kModel);
    const int32 k = int_argument(fcinfo, kK, "k", 1, kMaxBatchK);
    RangeVar *target =
        PG_ARGISNULL(kTarget) ? nullptr : resolve_target(text_to_cstring(PG_GETARG_TEXT_PP(kTarget)));
    require_argument(fcinfo, kExcludeSeen, "exclude_seen");
    const bool exclude_seen = PG_GETARG_BOOL(kExcludeSeen);
    int n_requested = 0;
    int64 *requested = bigint_array_argument(fcinfo, kUsers, "users", &n_requested);
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);
    MemoryContext call_context = CurrentMemoryContext;

    instr_time phase, call_start;  // seconds_since() restarts `phase` at each lap
    INSTR_TIME_SET_CURRENT(phase);
    call_start = phase;
    const PinnedSpi spi = connect_spi();
    ModelRecord record = find_model(schema, name);
    const core::ModelView &model = serving_model(record);
    // A linear filter scores each user from their rows, read below whether
    // or not they are excluded; any user with rows can be scored.
    const bool linear = model.linear != nullptr;
    auto *seen = ContextOwned<core::SeenCollector>::create(call_context);
    int64 unknown = 0;
    call_cpp([&] {
        std::vector<int64_t> users =
            requested ? std::vector<int64_t>(requested, requested + n_requested)
            : linear  ? std::vector<int64_t>(model.linear->row_ids().begin(),
                                            model.linear->row_ids().end())
                      : std::vector<int64_t>(model.user_ids.begin(), model.user_ids.end());
        std::sort(users.begin(), users.end());
        users.erase(std::unique(users.begin(), users.end()), users.end());
        // Users the model does not know are left out: each would only get
        // the popular items, and a long list of them would be written out
        // (or spill to temporary files) for nothing.
        const auto known_end = std::remove_if(users.begin(), users.end(), [&](int64_t u) {
            return linear ? model.linear->row_index(u) < 0 : model.user_index(u) < 0;
        });
        unknown = static_cast<int64>(users.end() - known_end);
        users.erase(known_end, users.end());
        seen->object = new core::SeenCollector(model, std::move(users));
    });
    if (unknown > 0)
        ereport(NOTICE,
                (errmsg_plural("cfrec: %lld requested user is not in model \"%s\" and was left out",
                               "cfrec: %lld requested users are not in model \"%s\" and were left out",
                               unknown, static_cast<long long>(unknown), name),
                 errhint("cfrec_popular(k, model) gives what cfrec_recommend serves them.")));
    if (exclude_seen || linear) {
        const char *sql = psprintf("SELECT %s::pg_catalog.int8, %s::pg_catalog.int8 FROM %s%s",
                                   quote_identifier(record.user_column),
                                   quote_identifier(record.item_column), source_relation(record),
                                   requested ? psprintf(" WHERE %s OPERATOR(pg_catalog.=) ANY ($1)",
                                                        quote_identifier(record.user_column))
                                             : "");
        Oid types[1] = {INT8ARRAYOID};
        Datum args[1] = {requested ? PG_GETARG_DATUM(kUsers) : 0};
        const OwnerSwitch as_owner = begin_as_owner(record);
        stream_rows(
            sql, nullptr, requested ? 1 : 0, types, args, false,
            [](void *context, const int64 *users, const int64 *items, const float *, size_t n) {
                auto *slot = static_cast<ContextOwned<core::SeenCollector> *>(context);
                call_cpp([&] { (*slot)->add(users, items, n); });
            },
            seen);
        end_as_owner(as_owner);
    }
    const double read_seconds = seconds_since(&phase);
    auto *seen_items = ContextOwned<core::Csr>::create(call_context);
    call_cpp([&] {
        seen_items->object =
            new core::Csr(exclude_seen || linear ? (*seen)->finish() : core::Csr());
    });
    const char *qualified = target ? prepare_target(target) : nullptr;
    const std::vector<int64_t> &users = (*seen)->users();
    const int64 n_users = static_cast<int64>(users.size());
    const int64 slice = Max(int64{1}, kSliceRows / k);
    int64 written = 0;
    instr_time ordering;
    INSTR_TIME_SET_CURRENT(ordering);
    auto *order = ContextOwned<core::ScanOrder>::create(call_context);
    if (!linear) call_cpp([&] { order->object = new core::ScanOrder(model); });
    double score_seconds = seconds_since(&ordering);
    // A slice at a time: scored, then written or handed to the result set
    // (a tuplestore, which spills to disk past work_mem).
    for (int64 begin = 0; begin < n_users; begin += slice) {
        const int64 end = Min(n_users, begin + slice);
        auto *result = ContextOwned<core::BatchRecommendations>::create(call_context);
        instr_time scoring;
        INSTR_TIME_SET_CURRENT(scoring);
        call_cpp([&] {
            result->object = new core::BatchRecommendations(
                linear ? core::recommend_many_from_items(model, begin, end, k, **seen_items,
                                                         exclude_seen, cfrec_threads,
                                                         core_stop_check())
                       : core::recommend_many(model, **order, users, begin, end, k,
                                              **seen_items, cfrec_threads, core_stop_check()));
        });
        score_seconds += seconds_since(&scoring);
        Rows rows = flatten(model, users, begin, **result, k);
        result->reset();
        if (qualified != nullptr) {
            insert_rows(qualified, rows);
        } else {
            for (int64 j = 0; j < rows.count; ++j) {
                Datum values[4] = {Int64GetDatum(rows.users[j]), Int32GetDatum(rows.ranks[j]),
                                   Int64GetDatum(rows.items[j]), Float4GetDatum(rows.scores[j])};
                bool nulls[4] = {false, false, false, false};
                tuplestore_putvalues(rs.store, rs.desc, values, nulls);
            }
        }
        written += rows.count;
        pfree(rows.users);
        pfree(rows.ranks);
        pfree(rows.items);
        pfree(rows.scores);
        CHECK_FOR_INTERRUPTS();
    }
    seen_items->reset();
    order->reset();
    if (qualified != nullptr)
        ereport(NOTICE,
                (errmsg_plural("cfrec: wrote %lld recommendations for %lld user into %s",
                               "cfrec: wrote %lld recommendations for %lld users into %s", n_users,
                               static_cast<long long>(written), static_cast<long long>(n_users),
                               qualified),
                 errdetail("loaded the model and seen items in %.2f s, scored in %.2f s, whole "
                           "call %.2f s",
                           read_seconds, score_seconds, seconds_since(&call_start))));
    finish_spi(spi);
    return (Datum)0;
}
