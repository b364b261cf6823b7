// Item and user features (cfrec_train's item_features and user_features):
// reading them, storing a model's map from features to factors
// (core/feature_map.h), and vectors for ids that have features but no
// interactions, at training and in cfrec_refresh_users / cfrec_refresh_items.
#pragma once

#include "core/feature_map.h"
#include "core/refresh.h"
#include "pg/context_owned.h"
#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// A map keeps at most this many features, the most used ones: its fit
// solves a system of that size (32 MiB at the limit).
constexpr size_t kMaxFeatures = 2048;

struct FeatureSource {
    core::Side side;
    const char *relation;  // quoted, schema-qualified
    const char *id_column;
    const char *feature_column;
    const char *weight_column;  // NULL: every feature weighs 1
};

// Checks the relation and its columns (an integer id, a weight of a numeric
// type); ERROR naming the fix otherwise.
FeatureSource describe_features(core::Side side, Oid relation, const char *id_column,
                                const char *feature_column, const char *weight_column);

// Distinct (id, feature) rows, repeats summed, rows with a NULL id, feature
// or weight left out; features numbered by their text in byte order.
struct FeatureTable {
    int64 *ids;
    int32 *features;
    float *weights;
    size_t count;
    char **names;  // feature_count of them
    int32 feature_count;
};

// Reads them with the current privileges. Needs SPI connected.
FeatureTable read_features(const FeatureSource &source);

// Whether the database's cfrec has feature tables (1.11.0 on).
bool feature_tables_exist(const char *schema);

// Replaces the model's feature sources and maps with these (sides[j] with
// fitted[j]); none at all when count is 0. Needs SPI connected, inside a
// catalog write.
void store_features(const char *schema, const char *model, const FeatureSource *sources,
                    const FeatureTable *tables, const core::SideFeatures *const *fitted,
                    int count);

// Removes the model's feature sources and maps (when the tables exist).
void delete_features(const char *schema, const char *model);

// A side's features as the model's map knows them, for some ids: a row per
// (id, known feature), ordered by id, with the map's row for that feature.
struct MappedFeatures {
    int width;         // the model's factors
    float *intercept;  // bias, then factors: width + 1 floats
    size_t count;
    int64 *ids;
    float *weights;
    char **names;
    float *rows;            // count x (width + 1): bias, then factors
    const float **row_of;   // row_of[r] = rows + r * (width + 1)
    // Items: the rows of the map that sets a vector's length, alike; NULL
    // for users.
    float *length_intercept;
    float *length_rows;
    const float **length_row_of;
};

// Reads them (every id with features when `requested` is NULL) as the
// model's owner; NULL when the model has no features on that side. Needs
// SPI connected.
const MappedFeatures *read_mapped_features(const char *schema, const ModelRecord &record,
                                           core::Side side, const int64 *requested,
                                           int n_requested);

// For a refresh of `side`: the requested ids (every id with features when
// `requested` is NULL) that `refreshed` has no row for but that have
// features the model's map knows get the map's vector, interactions 0.
// Reads the features as the model's owner. Needs SPI connected.
void add_feature_vectors(const char *schema, const ModelRecord &record,
                         const core::ModelView &model, core::Side side,
                         const int64 *requested, int n_requested,
                         ContextOwned<core::Refreshed> *refreshed);

}  // namespace cfrec::pg
