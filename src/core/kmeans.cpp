#include "core/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/errors.h"
#include "core/random.h"
#include "core/topk.h"

namespace cfrec::core {

namespace {

// k-means++: each next centre is drawn with probability proportional to the
// squared distance to the nearest centre chosen so far.
// k passes over every vector: with k and n both large this runs for minutes,
// so it polls `stop` before each pass.
FactorMatrix seed_centroids(const Eigen::Ref<const FactorMatrix> &v, int64_t n, int k,
                            uint64_t seed, const StopCheck &stop) {
    SplitMix64 rng(seed);
    FactorMatrix c(k, v.cols());
    c.row(0) = v.row(static_cast<int64_t>(rng.uniform() * n));
    std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
    for (int j = 1; j < k; ++j) {
        if (stop()) throw Cancelled();
        double total = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            nearest[i] = std::min(nearest[i], double((v.row(i) - c.row(j - 1)).squaredNorm()));
            total += nearest[i];
        }
        int64_t pick = 0;
        if (total > 0.0) {
            double target = rng.uniform() * total;
            while (pick < n - 1 && (target -= nearest[pick]) >= 0.0) ++pick;
        } else {
            pick = static_cast<int64_t>(rng.uniform() * n);  // all points coincide
        }
        c.row(j) = v.row(pick);
    }
    return c;
}

// Assigns every vector to its nearest centroid; returns how many moved.
int64_t assign(const Eigen::Ref<const FactorMatrix> &v, int64_t n, const FactorMatrix &c,
               int threads, const StopCheck &stop, std::vector<int32_t> &cluster,
               std::vector<float> &dist) {
    std::vector<int64_t> moved_per_chunk((n + 1023) / 1024, 0);
    parallel_for(
        n, threads, 1024,
        [&](int64_t begin, int64_t end) {
            int64_t moved = 0;
            for (int64_t i = begin; i < end; ++i) {
                int32_t best = 0;
                float best_d = std::numeric_limits<float>::infinity();
                for (int32_t j = 0; j < c.rows(); ++j) {
                    const float d = (v.row(i) - c.row(j)).squaredNorm();
                    if (d < best_d) best_d = d, best = j;
                }
                moved += cluster[i] != best;
                cluster[i] = best;
                dist[i] = best_d;
            }
            moved_per_chunk[begin / 1024] += moved;
        },
        stop);
    return std::accumulate(moved_per_chunk.begin(), moved_per_chunk.end(), int64_t{0});
}

// Means of the members; an emptied cluster restarts at the vector farthest
// from its own centroid rather than staying empty.
void update_centroids(const Eigen::Ref<const FactorMatrix> &v, int64_t n,
                      const std::vector<int32_t> &cluster, std::vector<float> &dist,
                      FactorMatrix &c) {
    const int k = static_cast<int>(c.rows());
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(k, v.cols());
    std::vector<int64_t> count(k, 0);
    for (int64_t i = 0; i < n; ++i) {
        sum.row(cluster[i]) += v.row(i).cast<double>();
        ++count[cluster[i]];
    }
    for (int j = 0; j < k; ++j) {
        if (count[j] > 0) {
            c.row(j) = (sum.row(j) / double(count[j])).cast<float>();
            continue;
        }
        const int64_t far = std::max_element(dist.begin(), dist.begin() + n) - dist.begin();
        c.row(j) = v.row(far);
        dist[far] = 0.0f;
    }
}

}  // namespace

Clustering kmeans(Eigen::Ref<const FactorMatrix> v, int64_t n, const KMeansOptions &o,
                  const StopCheck &stop) {
    if (o.k < 1)
        throw Error(ErrorKind::InvalidArgument, "k must be at least 1, not " + std::to_string(o.k));
    if (o.k > n)
        throw Error(ErrorKind::InvalidArgument,
                    "k (" + std::to_string(o.k) + ") is larger than the number of vectors (" +
                        std::to_string(n) + ")",
                    "Ask for at most as many clusters as there are vectors.");
    if (o.iterations < 1 || o.iterations > 10000)
        throw Error(ErrorKind::InvalidArgument, "iterations must be between 1 and 10000");
    const int threads = resolve_threads(o.threads);
    Clustering r;
    r.centroids = seed_centroids(v, n, o.k, o.seed, stop);
    r.cluster.assign(n, -1);
    r.distance.assign(n, 0.0f);
    for (int it = 0; it < o.iterations; ++it) {
        const int64_t moved = assign(v, n, r.centroids, threads, stop, r.cluster, r.distance);
        r.iterations_run = it + 1;
        if (moved == 0) break;
        update_centroids(v, n, r.cluster, r.distance, r.centroids);
    }
    // Renumber by first member, then report distances (not squared).
    std::vector<int32_t> order(o.k, -1);
    int32_t next = 0;
    for (int64_t i = 0; i < n; ++i)
        if (order[r.cluster[i]] < 0) order[r.cluster[i]] = next++;
    for (int32_t j = 0; j < o.k; ++j)
        if (order[j] < 0) order[j] = next++;
    FactorMatrix renumbered(o.k, v.cols());
    for (int32_t j = 0; j < o.k; ++j) renumbered.row(order[j]) = r.centroids.row(j);
    r.centroids = std::move(renumbered);
    r.sizes.assign(o.k, 0);
    for (int64_t i = 0; i < n; ++i) {
        r.cluster[i] = order[r.cluster[i]];
        ++r.sizes[r.cluster[i]];
        r.inertia += r.distance[i];
        r.distance[i] = std::sqrt(r.distance[i]);
    }
    return r;
}

std::vector<ClusterItem> centroid_items(const ModelView &model, const Clustering &users, int top) {
    const int32_t items = static_cast<int32_t>(model.item_ids.size());
    std::vector<ClusterItem> out;
    std::vector<float> scores(items);
    for (int32_t j = 0; j < users.centroids.rows(); ++j) {
        Eigen::Map<Eigen::VectorXf> s(scores.data(), items);
        s = model.item_factors.topRows(items) * users.centroids.row(j).transpose();
        if (model.feedback == Feedback::Explicit)
            for (int32_t i = 0; i < items; ++i) scores[i] += model.item_bias[i];
        for (const Scored &best : top_k(scores.data(), items, top, {}))
            out.push_back({j, best.index, best.score});
    }
    return out;
}

std::vector<ClusterItem> nearest_members(const Clustering &c, int top) {
    std::vector<std::vector<Scored>> members(c.centroids.rows());
    for (size_t i = 0; i < c.cluster.size(); ++i)
        members[c.cluster[i]].push_back({static_cast<int32_t>(i), -c.distance[i]});
    std::vector<ClusterItem> out;
    for (size_t j = 0; j < members.size(); ++j) {
        auto &m = members[j];
        const size_t n = std::min<size_t>(top, m.size());
        std::partial_sort(m.begin(), m.begin() + n, m.end(), ranks_before);
        for (size_t r = 0; r < n; ++r)
            out.push_back({static_cast<int32_t>(j), m[r].index, -m[r].score});
    }
    return out;
}

}  // namespace cfrec::core
