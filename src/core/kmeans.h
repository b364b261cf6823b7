// k-means of factor vectors (users or items): k-means++ seeding, then Lloyd
// iterations until no vector changes cluster.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/parallel.h"

namespace cfrec::core {

struct KMeansOptions {
    int k = 8;
    int iterations = 50;  // at most; stops earlier once assignments settle
    uint64_t seed = 42;
    int threads = 0;
};

struct Clustering {
    // Clusters are numbered 0..k-1 in the order of their lowest-numbered
    // member, so the numbering does not depend on the seeding's draws.
    std::vector<int32_t> cluster;  // per vector
    std::vector<float> distance;   // Euclidean, to its cluster's centroid
    FactorMatrix centroids;        // k x factors
    std::vector<int64_t> sizes;
    int iterations_run = 0;
    double inertia = 0.0;  // sum of squared distances
};

// Throws Error when k is not in [1, rows] or iterations < 1.
Clustering kmeans(Eigen::Ref<const FactorMatrix> vectors, int64_t rows,
                  const KMeansOptions &options, const StopCheck &stop);

struct ClusterItem {
    int32_t cluster;
    int32_t item;  // index into the model's items
    float score;
};

// Each user cluster's most characteristic items: those its centroid scores
// highest (what the cluster's average member would be recommended, item
// biases included for rating models). Best first, `top` per cluster.
std::vector<ClusterItem> centroid_items(const ModelView &model, const Clustering &users, int top);

// Each cluster's most typical members: the `top` nearest its centroid,
// nearest first; score is the distance.
std::vector<ClusterItem> nearest_members(const Clustering &clustering, int top);

}  // namespace cfrec::core
