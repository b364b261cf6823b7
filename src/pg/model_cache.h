// Per-backend cache of trained models for serving.
//
// Entries are keyed by model name (and catalog table) and tagged with the model's version from
// the catalog row the caller just read under its own snapshot. A retrain or
// drop committed elsewhere changes what that row says, so the next call
// reloads; an uncommitted retrain in this transaction is seen by it alone,
// and a rollback makes the catalog point at the old version again. After
// refreshes (same base_version, higher version) the entry catches up by
// reading only the factor rows written since its version. The cache holds
// at most cfrec.cache_size MB, evicting the least recently used model.
#pragma once

#include "core/factor_model.h"
#include <memory>

#include "pg/context_owned.h"
#include "pg/model_store.h"

namespace cfrec::pg {

// The model `record` describes, for the current call: from the server-wide
// shared cache where it can be (shared_cache.h), else from this backend's
// cache. Pinned until the current memory context is reset, whatever either
// cache evicts meanwhile. Needs SPI connected.
const core::ModelView &serving_model(const ModelRecord &record);

// The model `record` describes, loaded from the factor tables when the cache
// holds no entry of that version. Needs SPI connected. The pointer stays valid
// until the next call into this cache.
const core::FactorModel *cached_model(const ModelRecord &record);

// The model, held for as long as the current memory context lives, whatever
// the cache evicts meanwhile: for callers that run user SQL (which could call
// cfrec again) between getting the model and using it.
ContextOwned<std::shared_ptr<const core::FactorModel>> *pin_model(const ModelRecord &record);

// What cfrec_cache_stats() shows of one entry. `name` points into the cache
// and stays valid until the cache next changes.
struct CacheEntryInfo {
    const char *name;
    int64 version;
    int64 bytes;
    int64 hits;
    int64 catch_ups;  // times brought up to date from changed rows only
    TimestampTz loaded_at;
};

// Number of cached models, and up to `capacity` of them copied into `out`.
int cache_size();
int cache_entries(CacheEntryInfo *out, int capacity);

}  // namespace cfrec::pg
