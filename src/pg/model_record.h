// A model's catalog row (cfrec_model), as plain data: what find_model
// (model_store.h) read and checked, and what store_model writes.
#pragma once

#include "core/factor_model.h"
#include "core/trainer.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// The catalog row of a model, as plain data.
struct ModelRecord {
    const char *name;
    core::Feedback feedback;
    // What made it: one of the core's trainers, or cfrec_import_model
    // (imported; `algorithm` is then Als, the shape Spark's factors have).
    core::Algorithm algorithm;
    bool imported;
    const char *source;  // quoted, schema-qualified
    const char *user_column;
    const char *item_column;
    const char *rating_column;  // may be NULL
    int32 factors;
    int32 iterations;
    double regularization;
    double alpha;  // NaN: not used (stored as NULL)
    int64 seed;
    double global_mean;
    float rating_min;
    float rating_max;
    int64 users;
    int64 items;
    int64 interactions;
    double loss;
    double train_seconds;
    int64 version;
    int64 base_version;            // last training, or last refresh that removed rows
    const char *watermark_column;  // may be NULL
    const char *watermark;         // text of the highest value seen; may be NULL
    // OID of the cfrec_model table: the handle a model is named by once
    // found (catalog_schema gives its schema for SQL); new when the
    // extension is created again, so cache keys include it.
    Oid catalog;
    // The role that first trained it, by OID (InvalidOid once that role is
    // dropped: then only superusers may change the model). Unknown
    // (owner_known false) before cfrec 1.1.0, when models had no owners.
    bool owner_known;
    Oid owner;
    // Roles granted reading by cfrec_grant, by OID; 0 for PUBLIC. Unknown
    // (readers_known false) before cfrec 1.4.0, when anyone could read.
    bool readers_known;
    int reader_count;
    const Oid *readers;
};

enum class Access { Read, Change };

}  // namespace cfrec::pg
