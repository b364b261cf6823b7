// The server-wide model cache: one copy of a model in dynamic shared memory
// (a DSA area) that every backend of the server reads in place, instead of
// a private copy per backend (model_cache.h).
//
// Entries are keyed by database, catalog table, model name and version: a
// backend asks for exactly the version its snapshot sees, so a retrain or
// drop committed elsewhere, or one made and rolled back in its own
// transaction, is never served from another version. The first backend to
// ask loads the model; others asking meanwhile wait (cancellably) and then
// read the same copy. Entries in use are pinned for the life of the calling
// memory context; beyond cfrec.shared_cache_size the least recently used
// unpinned ones are freed whole. A load that fails or is cancelled frees
// what it built, and nothing half-built is ever visible. After a crash the
// postmaster's restart reinitialises shared memory, and with it the cache.
//
// Where it exists: PostgreSQL 17 and later (a named DSM segment holds its
// registry), and 15 and 16 with shared_preload_libraries = 'cfrec'.
// After refreshes, the first backend to ask for the new version builds it
// from the shared older one and the rows the refreshes wrote (as the
// per-backend cache catches up), once for the whole server. Elsewhere, or
// for a model larger than the cache, serving uses the per-backend cache.
#pragma once

#include "core/factor_model.h"
#include "pg/model_store.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// From _PG_init: on 15 and 16, when cfrec is preloaded, asks for the
// registry's shared memory.
void shared_cache_init();

// The model `record` describes, from the shared cache (found there, or
// loaded into it now), pinned until the current memory context is reset.
// NULL when the shared cache is not available or not for this model: the
// caller then uses its private cache. Needs SPI connected.
const core::ModelView *shared_model(const ModelRecord &record);

// What cfrec_cache_stats() shows of a shared entry.
struct SharedEntryInfo {
    char name[1025];
    int64 version;
    int64 bytes;
    int64 hits;
    int64 catch_ups;
    TimestampTz loaded_at;
};

// Up to `capacity` ready entries of this database, copied into `out`.
int shared_entries(SharedEntryInfo *out, int capacity);

}  // namespace cfrec::pg
