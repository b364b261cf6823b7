// cfrec_training_log: one row per training or update, whatever its outcome.
// A success is written in the caller's transaction, so the row commits or
// rolls back with the model. A failure or cancel is written by a short-lived
// background worker: the caller's transaction is about to roll back and would
// take the row with it.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct TrainingLog {
    const char *schema;
    Oid namespace_oid;  // the extension's schema
    const char *model;  // NULL until the arguments are checked: nothing is logged
    const char *operation;
    Oid caller;               // the role that called
    const char *caller_name;  // run_by
    TimestampTz started_at;
    instr_time started;
    int64 rows_read;            // -1: unknown
    double final_loss;          // NaN until an iteration ran
    StringInfoData steps;       // JSON objects, one per iteration, comma-separated
    StringInfoData parameters;  // a JSON object, or empty
    MemoryContext context;      // where the log lives; outlives an ERROR
};

void training_log_iteration(TrainingLog *log, int iteration, double loss, double rmse,
                            double seconds);
// Writes outcome "ok" through SPI (which must be connected).
void training_log_success(TrainingLog *log);
// Runs body(fcinfo, log) with a fresh log for `operation`; if body raises an
// ERROR (or is cancelled), records "error" or "cancelled" with its message,
// then re-raises it. body records success itself, inside its transaction.
// A failure is recorded only once body has named the model (log->model),
// which it does after checking that the caller may train or change it:
// nobody's failures are logged against a model they may not touch.
Datum with_training_log(FunctionCallInfo fcinfo, const char *operation,
                        Datum (*body)(FunctionCallInfo, TrainingLog *));

}  // namespace cfrec::pg

extern "C" {
// The background worker that writes a failed training's row.
PGDLLEXPORT void cfrec_training_log_worker(Datum argument);
}
