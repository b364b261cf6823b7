// Models in cfrec's tables: writing a trained model, reading one back.
#pragma once

#include "core/factor_model.h"
#include "core/refresh.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// The catalog row of a model, as plain data.
struct ModelRecord {
    const char *name;
    const char *feedback;  // 'explicit' | 'implicit'
    const char *algorithm;
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
    Oid catalog;        // OID of the cfrec_model table: new when the extension is recreated
    const char *owner;  // the role that first trained it; NULL before cfrec 1.1.0
    // Roles granted reading by cfrec_grant ('public': everyone). Unknown
    // (readers_known false) before cfrec 1.4.0, when anyone could read.
    bool readers_known;
    int reader_count;
    const char *const *readers;
};

// How the model places someone it was not trained on (serving fold-ins and
// refreshes): its regularization and alpha, and whether it is a graph filter.
core::FoldInOptions fold_in_options(const ModelRecord &record);
bool is_graph_filter(const ModelRecord &record);

// Whether the model catalog in `schema` (quoted) has the column: the same
// binary serves databases not yet updated by ALTER EXTENSION cfrec UPDATE.
bool catalog_has_column(const char *schema, const char *column);
// Models' owners exist from 1.1.0 on.
bool catalog_has_owner(const char *schema);

// Raises 42501 unless the caller may read the model: has its owner's
// privileges, was granted it with cfrec_grant (directly, through a role, or
// as PUBLIC), or is a superuser. find_model checks it, so every function that
// serves, evaluates or clusters a model does, cached or not.
void require_model_read(const ModelRecord &record);

// Raises 42501 unless the caller has the privileges of the model's owner
// (is it, was granted its role, or is a superuser): what retraining,
// refreshing, updating and dropping need.
void require_model_owner(const ModelRecord &record);
// The same before retraining: checks the owner of model `name` if it exists
// (needs SPI connected). Returns the owner (allocated outside SPI), or NULL
// for a new model.
const char *require_owner_if_exists(const char *schema, const char *name);

// Reads of a model's source run as the model's owner, inside a
// security-restricted operation, as PostgreSQL runs REFRESH MATERIALIZED VIEW:
// code in the source (a view's functions) never runs with the privileges of
// whoever serves or updates the model. begin_as_owner switches (when the
// caller is not the owner); end_as_owner switches back. An ERROR in between
// is undone by the transaction's abort.
struct OwnerSwitch {
    bool switched;
    Oid saved_user;
    int saved_context;
    int nest_level;
};
OwnerSwitch begin_as_owner(const ModelRecord &record);
void end_as_owner(const OwnerSwitch &s);

// Replaces the model called record.name (catalog row and factor rows) with
// `model`. Needs SPI connected; atomic with the caller's transaction, and
// serialised against concurrent trainings of the same name. Sets
// record.version, and record.train_seconds to the time since `started`
// when the catalog row, written last, is written.
void store_model(const char *schema, ModelRecord &record, const core::FactorModel &model,
                 instr_time started);

// Reads the catalog row; ERROR (42704) when there is no such model, 42501
// when the caller may not read it (require_model_read) or, for
// Access::Change, lacks its owner's privileges (require_model_owner).
enum class Access { Read, Change };
ModelRecord find_model(const char *schema, const char *name, Access access = Access::Read);

// Plain copies of a model's factor rows, ascending by id, read for the cache.
struct StoredSide {
    int64 count;
    int64 *ids;
    float *bias;
    float *factors;       // count x record.factors, row-major
    int32 *interactions;  // items only
};

// Reads one side of a stored model: every row (since < 0), ERROR (XX001)
// when they do not match the catalog (a damaged or hand-edited model); or
// only the rows written after version `since`, for a cache to catch up.
StoredSide read_side(const char *schema, const ModelRecord &record, bool items, int64 since = -1);
void free_side(StoredSide &side);

// The model's source relation, quoted afresh from the system catalog; ERROR
// (42P01) when it no longer exists. The catalog row's text is only ever
// parsed as a name, never pasted into SQL: whoever may write cfrec's tables
// must not be able to make a caller of cfrec_recommend run SQL of their choosing.
const char *source_relation(const ModelRecord &record, Oid *relation = nullptr);

// Raises 42501 unless the caller may write cfrec's model tables (in the
// extension's schema): what training and updating need, checked up front.
void require_model_writes(Oid namespace_oid);

// Serialises changes to one existing model until the end of the transaction
// (a row lock on its catalog entry; needs UPDATE on cfrec_model).
void lock_model(const char *schema, const char *name);

// Writes refreshed users or items over their old factor rows (new ones are
// added), removes requested ones (every one, when `requested` is NULL) that
// were not refreshed, and gives the model a new version so serving caches
// reload. Returns the number removed.
int64 store_refreshed(const char *schema, const char *name, core::Side side,
                      const core::Refreshed &refreshed, const int64 *requested, int n_requested);

}  // namespace cfrec::pg
