#include "core/kmeans.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/errors.h"
#include "core/random.h"

namespace cfrec::core {
namespace {

const StopCheck kNever = [] { return false; };

// `groups` groups of `per_group` points in `dims` dimensions, group g around
// 10 * e_g with noise of at most 0.5 per coordinate; rows interleave groups.
FactorMatrix planted(int groups, int per_group, int dims, uint64_t seed) {
    SplitMix64 rng(seed);
    FactorMatrix m(groups * per_group, dims);
    for (int r = 0; r < m.rows(); ++r)
        for (int d = 0; d < dims; ++d)
            m(r, d) = (d == r % groups ? 10.0f : 0.0f) + float(rng.uniform() - 0.5);
    return m;
}

TEST(KMeans, RecoversPlantedClustersExactly) {
    const FactorMatrix v = planted(4, 60, 8, 3);
    KMeansOptions o;
    o.k = 4;
    const Clustering c = kmeans(v, v.rows(), o, kNever);
    std::map<int, std::set<int32_t>> clusters_of_group;
    for (int r = 0; r < v.rows(); ++r) clusters_of_group[r % 4].insert(c.cluster[r]);
    std::set<int32_t> used;
    for (auto &[group, clusters] : clusters_of_group) {
        ASSERT_EQ(clusters.size(), 1u) << "group " << group << " was split";
        used.insert(*clusters.begin());
    }
    EXPECT_EQ(used.size(), 4u);  // no two groups merged
    // Numbered by first member: rows 0, 1, 2, 3 start groups 0, 1, 2, 3.
    for (int r = 0; r < 4; ++r) EXPECT_EQ(c.cluster[r], r);
    for (int64_t s : c.sizes) EXPECT_EQ(s, 60);
    for (float d : c.distance) EXPECT_LT(d, 0.5f * std::sqrt(8.0f));
    EXPECT_NEAR(c.centroids(2, 2), 10.0f, 0.2f);
}

TEST(KMeans, SameSeedSameAnswerAnyThreads) {
    const FactorMatrix v = planted(5, 40, 6, 9);
    KMeansOptions o;
    o.k = 7;  // more clusters than groups: the split depends on the seeding
    o.threads = 1;
    const Clustering a = kmeans(v, v.rows(), o, kNever);
    o.threads = 2;
    const Clustering b = kmeans(v, v.rows(), o, kNever);
    EXPECT_EQ(a.cluster, b.cluster);
    EXPECT_EQ(a.distance, b.distance);
}

// k-means++ seeding makes k passes over the vectors: a cancel must be seen
// between them, not only once the Lloyd iterations start.
TEST(KMeans, SeedingStopsWhenAsked) {
    const FactorMatrix v = planted(4, 100, 8, 5);
    KMeansOptions o;
    o.k = 300;
    o.iterations = 1;
    o.threads = 1;
    int polls = 0;
    const StopCheck counting = [&] { return ++polls < 0; };
    kmeans(v, v.rows(), o, counting);
    EXPECT_GE(polls, o.k - 1);  // at least once per seeding pass
    int left = 10;
    const StopCheck soon = [&] { return --left < 0; };
    EXPECT_THROW(kmeans(v, v.rows(), o, soon), Cancelled);
    EXPECT_LT(left, 0);
}

TEST(KMeans, OneClusterPerVectorHasZeroDistances) {
    const FactorMatrix v = planted(3, 2, 4, 1);
    KMeansOptions o;
    o.k = 6;
    const Clustering c = kmeans(v, v.rows(), o, kNever);
    EXPECT_EQ(std::set<int32_t>(c.cluster.begin(), c.cluster.end()).size(), 6u);
    for (float d : c.distance) EXPECT_EQ(d, 0.0f);
}

TEST(KMeans, IgnoresRowsPastTheCount) {
    FactorMatrix v(25, 3);
    v.topRows(20) = planted(2, 10, 3, 5);
    v.bottomRows(5).setConstant(1000.0f);  // spare rows: must not attract a centroid
    KMeansOptions o;
    o.k = 2;
    const Clustering c = kmeans(v, 20, o, kNever);
    EXPECT_EQ(c.cluster.size(), 20u);
    EXPECT_EQ(c.sizes, (std::vector<int64_t>{10, 10}));
}

TEST(KMeans, RejectsKOutsideOneToRows) {
    const FactorMatrix v = planted(2, 3, 2, 1);
    KMeansOptions o;
    o.k = 7;
    try {
        kmeans(v, v.rows(), o, kNever);
        FAIL() << "k > rows accepted";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "k (7) is larger than the number of vectors (6)");
    }
    o.k = 0;
    EXPECT_THROW(kmeans(v, v.rows(), o, kNever), Error);
}

TEST(KMeans, CentroidItemsAreWhatTheCentroidScoresHighest) {
    FactorModel m;
    m.feedback = Feedback::Implicit;
    m.item_ids = {10, 20, 30};
    m.item_bias = {0, 0, 0};
    m.item_factors = FactorMatrix(3, 2);
    m.item_factors << 1, 0,  //
        0, 1,                //
        0.5, 0.5;
    Clustering users;
    users.centroids = FactorMatrix(2, 2);
    users.centroids << 2, 0,  //
        0, 1;
    const std::vector<ClusterItem> top = centroid_items(m, users, 2);
    ASSERT_EQ(top.size(), 4u);
    EXPECT_EQ(top[0].cluster, 0);
    EXPECT_EQ(top[0].item, 0);
    EXPECT_FLOAT_EQ(top[0].score, 2.0f);
    EXPECT_EQ(top[1].item, 2);
    EXPECT_EQ(top[2].cluster, 1);
    EXPECT_EQ(top[2].item, 1);
}

}  // namespace
}  // namespace cfrec::core
