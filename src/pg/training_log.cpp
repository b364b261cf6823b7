#include <cmath>
#include <cstdio>
#include <cstring>

#include "pg/arguments.h"
#include "pg/catalog_writer.h"
#include "pg/pinned_spi.h"
#include "pg/training_log.h"

extern "C" {
#include "access/xact.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "utils/json.h"
#include "utils/snapmgr.h"
}

namespace cfrec::pg {

namespace {

// Linux keeps a peak-resident-size mark per process; writing 5 to
// clear_refs resets it. Elsewhere the peak is simply unknown (-1).
void reset_peak_memory() {
    if (FILE *f = fopen("/proc/self/clear_refs", "w")) {
        fputs("5", f);
        fclose(f);
    }
}

int64 peak_memory_bytes() {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == nullptr) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : static_cast<int64>(kb) * 1024;
}

void json_number(StringInfo b, const char *key, double v, const char *format) {
    appendStringInfo(b, ",\"%s\":", key);
    if (std::isfinite(v))
        appendStringInfo(b, format, v);
    else
        appendStringInfoString(b, "null");
}

void json_text(StringInfo b, const char *key, const char *v) {
    appendStringInfo(b, ",\"%s\":", key);
    if (v)
        escape_json(b, v);
    else
        appendStringInfoString(b, "null");
}

// The row as one JSON object, for jsonb_populate_record on either path.
char *row_json(const TrainingLog *log, const char *outcome, const ErrorData *error) {
    instr_time now;
    INSTR_TIME_SET_CURRENT(now);
    INSTR_TIME_SUBTRACT(now, log->started);
    const int64 peak = peak_memory_bytes();
    StringInfoData b;
    initStringInfo(&b);
    appendStringInfoString(&b, "{\"model\":");
    escape_json(&b, log->model);
    json_text(&b, "operation", log->operation);
    // ISO 8601 with its offset: the worker may run with another DateStyle.
    json_text(
        &b, "started_at",
        JsonEncodeDateTime(nullptr, TimestampTzGetDatum(log->started_at), TIMESTAMPTZOID, nullptr));
    json_number(&b, "seconds", INSTR_TIME_GET_DOUBLE(now), "%.6f");
    json_number(&b, "rows_read", log->rows_read >= 0 ? double(log->rows_read) : NAN, "%.0f");
    appendStringInfo(&b, ",\"iterations\":[%s]", log->steps.data);
    json_number(&b, "final_loss", log->final_loss, "%.9g");
    json_number(&b, "peak_memory_bytes", peak >= 0 ? double(peak) : NAN, "%.0f");
    json_text(&b, "outcome", outcome);
    json_text(&b, "error", error ? error->message : nullptr);
    json_text(&b, "sqlstate", error ? unpack_sql_state(error->sqlerrcode) : nullptr);
    json_text(&b, "run_by", log->caller_name);
    if (log->parameters.len > 0) appendStringInfo(&b, ",\"parameters\":%s", log->parameters.data);
    appendStringInfoChar(&b, '}');
    return b.data;
}

const char *insert_sql(const char *schema) {
    return psprintf(
        "INSERT INTO %s.cfrec_training_log (model, operation, started_at, seconds, rows_read, "
        "iterations, final_loss, peak_memory_bytes, outcome, error, sqlstate, run_by, parameters) "
        "SELECT r.model, r.operation, r.started_at, r.seconds, r.rows_read, r.iterations, "
        "r.final_loss, r.peak_memory_bytes, r.outcome, r.error, r.sqlstate, r.run_by, r.parameters "
        "FROM pg_catalog.jsonb_populate_record(NULL::%s.cfrec_training_log, $1) r",
        schema, schema);
}

void insert_row(const char *schema, const char *json) {
    Oid types[1] = {JSONBOID};
    Datum values[1] = {DirectFunctionCall1(jsonb_in, CStringGetDatum(json))};
    if (SPI_execute_with_args(insert_sql(schema), 1, types, values, nullptr, false, 0) !=
        SPI_OK_INSERT)
        elog(ERROR, "cfrec: writing cfrec_training_log failed");
}

constexpr int kWorkerAttempts = 100;
constexpr long kWorkerRetryMicroseconds = 20000;

// Hands the row to a background worker through a pinned shared-memory
// segment ("schema\0json\0"), which the worker unpins once it has read it.
void write_detached(const char *schema, const char *json, Oid caller) {
    const size_t schema_len = strlen(schema) + 1, json_len = strlen(json) + 1;
    dsm_segment *segment = dsm_create(schema_len + json_len, DSM_CREATE_NULL_IF_MAXSEGMENTS);
    if (segment == nullptr) {
        elog(LOG, "cfrec: no shared memory segment to log a failed training: %s", json);
        return;
    }
    char *payload = static_cast<char *>(dsm_segment_address(segment));
    memcpy(payload, schema, schema_len);
    memcpy(payload + schema_len, json, json_len);
    const dsm_handle handle = dsm_segment_handle(segment);
    dsm_pin_segment(segment);

    BackgroundWorker worker;
    memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "cfrec");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "cfrec_training_log_worker");
    snprintf(worker.bgw_name, BGW_MAXLEN, "cfrec training log writer");
    snprintf(worker.bgw_type, BGW_MAXLEN, "cfrec training log writer");
    worker.bgw_main_arg = UInt32GetDatum(handle);
    // The database, then the role the row is written as.
    const Oid ids[2] = {MyDatabaseId, caller};
    memcpy(worker.bgw_extra, ids, sizeof ids);
    // Workers live milliseconds: when failures come in bursts and every slot
    // is taken, one frees soon. Past the wait the row is not lost silently:
    // the caller is warned and the server log keeps it.
    bool registered = false;
    for (int attempt = 0; attempt < kWorkerAttempts && !registered; ++attempt) {
        registered = RegisterDynamicBackgroundWorker(&worker, nullptr);
        if (!registered) pg_usleep(kWorkerRetryMicroseconds);
    }
    if (!registered) {
        dsm_unpin_segment(handle);
        ereport(WARNING,
                (errmsg("cfrec: the failed run could not be written to cfrec_training_log"),
                 errdetail("No background worker slot was free for %d ms; the server log has the "
                           "row.",
                           static_cast<int>(kWorkerAttempts * kWorkerRetryMicroseconds / 1000)),
                 errhint("Raise max_worker_processes.")));
        elog(LOG, "cfrec: no background worker slot (max_worker_processes) to log: %s", json);
    }
    dsm_detach(segment);
}

}  // namespace

// A log in the current memory context. Resets the backend's peak memory
// reading, so the row reports this call's peak.
static TrainingLog *training_log_begin(const char *schema, Oid namespace_oid,
                                       const char *operation) {
    auto *log = static_cast<TrainingLog *>(palloc0(sizeof(TrainingLog)));
    log->schema = schema;
    log->namespace_oid = namespace_oid;
    log->operation = operation;
    // Taken now: a failure may come while the source is read as a model's
    // owner, and the row must still be the caller's.
    log->caller = GetUserId();
    log->caller_name = GetUserNameFromId(log->caller, false);
    log->started_at = GetCurrentTimestamp();
    INSTR_TIME_SET_CURRENT(log->started);
    log->rows_read = -1;
    log->final_loss = NAN;
    initStringInfo(&log->steps);
    initStringInfo(&log->parameters);
    log->context = CurrentMemoryContext;
    reset_peak_memory();
    return log;
}

void training_log_iteration(TrainingLog *log, int iteration, double loss, double rmse,
                            double seconds) {
    MemoryContext old = MemoryContextSwitchTo(log->context);
    if (log->steps.len > 0) appendStringInfoChar(&log->steps, ',');
    appendStringInfo(&log->steps, "{\"iteration\":%d", iteration);
    json_number(&log->steps, "loss", loss, "%.9g");
    json_number(&log->steps, "rmse", rmse, "%.9g");
    json_number(&log->steps, "seconds", seconds, "%.6f");
    appendStringInfoChar(&log->steps, '}');
    log->final_loss = loss;
    MemoryContextSwitchTo(old);
}

void training_log_success(TrainingLog *log) {
    const char *json = row_json(log, "ok", nullptr);
    const CatalogWrite as_catalog = begin_catalog_write(log->schema);
    insert_row(log->schema, json);
    end_catalog_write(as_catalog);
}

namespace {

// From PG_CATCH, before re-throwing. Never throws; problems go to the
// server log.
void training_log_failure(TrainingLog *log) {
    MemoryContext old = MemoryContextSwitchTo(log->context);
    ErrorData *error = CopyErrorData();
    MemoryContextSwitchTo(old);
    // Named only once the caller was found allowed to train or change that
    // model: nobody else's failures fill the log or mark a model as failing.
    if (log->model == nullptr) return;
    // The pending error stays pending (the caller re-throws it); anything
    // going wrong here is only reported to the server log.
    HOLD_INTERRUPTS();
    MemoryContext before = MemoryContextSwitchTo(log->context);
    const char *outcome = error->sqlerrcode == ERRCODE_QUERY_CANCELED ? "cancelled" : "error";
    write_detached(log->schema, row_json(log, outcome, error), log->caller);
    MemoryContextSwitchTo(before);
    RESUME_INTERRUPTS();
}

}  // namespace

Datum with_training_log(FunctionCallInfo fcinfo, const char *operation,
                        Datum (*body)(FunctionCallInfo, TrainingLog *)) {
    TrainingLog *log = training_log_begin(extension_schema(fcinfo),
                                          get_func_namespace(fcinfo->flinfo->fn_oid), operation);
    volatile Datum result = 0;
    PG_TRY();
    { result = body(fcinfo, log); }
    PG_CATCH();
    {
        training_log_failure(log);
        PG_RE_THROW();
    }
    PG_END_TRY();
    return result;
}

}  // namespace cfrec::pg

using namespace cfrec::pg;

extern "C" void cfrec_training_log_worker(Datum argument) {
    Oid ids[2];  // database, role
    memcpy(ids, MyBgworkerEntry->bgw_extra, sizeof ids);
    BackgroundWorkerUnblockSignals();
    // Connected as the bootstrap superuser (the caller's role may lack
    // LOGIN); the row is written as every catalog row is (catalog_writer.h).
    BackgroundWorkerInitializeConnectionByOid(ids[0], InvalidOid, 0);
    StartTransactionCommand();
    const dsm_handle handle = DatumGetUInt32(argument);
    dsm_segment *segment = dsm_attach(handle);
    if (segment == nullptr) elog(ERROR, "cfrec: the failed training's log record is gone");
    const char *payload = static_cast<const char *>(dsm_segment_address(segment));
    const char *schema = pstrdup(payload);
    const char *json = pstrdup(payload + strlen(payload) + 1);
    dsm_unpin_segment(handle);
    dsm_detach(segment);
    const PinnedSpi spi = connect_spi();
    PushActiveSnapshot(GetTransactionSnapshot());
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    insert_row(schema, json);
    end_catalog_write(as_catalog);
    finish_spi(spi);
    PopActiveSnapshot();
    CommitTransactionCommand();
}
