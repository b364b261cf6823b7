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
    const char *model;  // NULL until the arguments are checked: nothing is logged
    const char *operation;
    TimestampTz started_at;
    instr_time started;
    int64 rows_read;  // -1: unknown
    int iterations_done;
    double final_loss;          // NaN until an iteration ran
    StringInfoData steps;       // JSON objects, one per iteration, comma-separated
    StringInfoData parameters;  // a JSON object, or empty
    MemoryContext context;      // where the log lives; outlives an ERROR
};

// Starts a log in the current memory context and resets the backend's peak
// memory reading, so the row reports this call's peak.
TrainingLog *training_log_begin(const char *schema, const char *operation);
void training_log_iteration(TrainingLog *log, int iteration, double loss, double rmse,
                            double seconds);
// Writes outcome "ok" through SPI (which must be connected).
void training_log_success(TrainingLog *log);
// For PG_CATCH, before re-throwing: records "error" or "cancelled" with the
// pending error's message. Never throws; problems go to the server log.
void training_log_failure(TrainingLog *log);

}  // namespace cfrec::pg

extern "C" {
// The background worker that writes a failed training's row.
PGDLLEXPORT void cfrec_training_log_worker(Datum argument);
}
