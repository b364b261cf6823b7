// SQL entry points cfrec_kmeans and cfrec_describe_clusters: k-means of a
// model's user or item vectors, as read from the serving cache.
#include "core/kmeans.h"
#include "pg/arguments.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/linear_filter_rows.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/result_set.h"
#include "pg/settings.h"

namespace cfrec::pg {

namespace {

enum Arg { kModel, kK, kOf, kIterations, kSeed, kTop };

core::Side side_argument(FunctionCallInfo fcinfo) {
    const char *of = text_argument(fcinfo, kOf, "of");
    if (strcmp(of, "users") == 0) return core::Side::Users;
    if (strcmp(of, "items") == 0) return core::Side::Items;
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("of must be 'users' or 'items', not \"%s\"", of)));
    pg_unreachable();
}

struct Clustered {
    const core::ModelView *model;
    core::Side side;
    ContextOwned<core::Clustering> *clustering;
};

// Clusters the chosen side's vectors; the clustering lives as long as the
// current memory context, so an ERROR while returning rows frees it.
Clustered cluster(FunctionCallInfo fcinfo, const char *schema) {
    const char *name = model_argument(fcinfo, kModel);
    core::KMeansOptions options;
    options.k = int_argument(fcinfo, kK, "k", 1, 100000);
    options.iterations = int_argument(fcinfo, kIterations, "iterations", 1, 10000);
    require_argument(fcinfo, kSeed, "seed");
    options.seed = static_cast<uint64_t>(PG_GETARG_INT64(kSeed));
    options.threads = cfrec_threads;
    Clustered c;
    c.side = side_argument(fcinfo);
    const ModelRecord record = find_model(schema, name);
    if (c.side == core::Side::Users)
        refuse_linear_filter(record, "cfrec_kmeans of users",
                             "A linear filter keeps no user vectors; cluster its items with "
                             "of => 'items'.");
    c.model = &serving_model(record);
    c.clustering = ContextOwned<core::Clustering>::create(CurrentMemoryContext);
    call_cpp([&] {
        const bool users = c.side == core::Side::Users;
        const Eigen::Map<const core::FactorMatrix> &vectors =
            users ? c.model->user_factors : c.model->item_factors;
        const int64_t rows = users ? c.model->user_ids.size() : c.model->item_ids.size();
        c.clustering->object =
            new core::Clustering(core::kmeans(vectors, rows, options, core_stop_check()));
    });
    return c;
}

}  // namespace

}  // namespace cfrec::pg

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_kmeans);
PG_FUNCTION_INFO_V1(cfrec_describe_clusters);
}

extern "C" Datum cfrec_kmeans(PG_FUNCTION_ARGS) {
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);
    const PinnedSpi spi = connect_spi();
    const Clustered c = cluster(fcinfo, schema);
    const core::Clustering &k = **c.clustering;
    const core::Span<int64_t> ids =
        c.side == core::Side::Users ? c.model->user_ids : c.model->item_ids;
    for (size_t i = 0; i < k.cluster.size(); ++i) {
        Datum values[3] = {Int64GetDatum(ids[i]), Int32GetDatum(k.cluster[i] + 1),
                           Float4GetDatum(k.distance[i])};
        bool nulls[3] = {false, false, false};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
    finish_spi(spi);
    return (Datum)0;
}

extern "C" Datum cfrec_describe_clusters(PG_FUNCTION_ARGS) {
    const char *schema = extension_schema(fcinfo);
    const int32 top = int_argument(fcinfo, kTop, "top", 1, 1000);
    ResultSet rs = begin_result_set(fcinfo);
    const PinnedSpi spi = connect_spi();
    const Clustered c = cluster(fcinfo, schema);
    const core::Clustering &k = **c.clustering;
    auto *described = ContextOwned<std::vector<core::ClusterItem>>::create(CurrentMemoryContext);
    call_cpp([&] {
        described->object = new std::vector<core::ClusterItem>(
            c.side == core::Side::Users ? core::centroid_items(*c.model, k, top)
                                        : core::nearest_members(k, top));
    });
    int32 rank = 0, previous = -1;
    for (const core::ClusterItem &d : **described) {
        rank = d.cluster == previous ? rank + 1 : 1;
        previous = d.cluster;
        Datum values[5] = {Int32GetDatum(d.cluster + 1), Int64GetDatum(k.sizes[d.cluster]),
                           Int32GetDatum(rank), Int64GetDatum(c.model->item_ids[d.item]),
                           Float4GetDatum(d.score)};
        bool nulls[5] = {false, false, false, false, false};
        tuplestore_putvalues(rs.store, rs.desc, values, nulls);
    }
    finish_spi(spi);
    return (Datum)0;
}
