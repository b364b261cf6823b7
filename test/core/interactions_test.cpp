#include "core/interactions.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.h"
#include "test_data.h"

using namespace cfrec;

TEST(Interactions, DenseIndicesFollowSortedIdsWhateverTheRowOrder) {
    test::Triplets a, b;
    a.add(30, 7, 1);
    a.add(10, 5, 2);
    a.add(20, 9, 3);
    b.add(20, 9, 3);
    b.add(30, 7, 1);
    b.add(10, 5, 2);
    core::Interactions x = test::build(a), y = test::build(b);
    EXPECT_EQ(x.user_ids, (std::vector<int64_t>{10, 20, 30}));
    EXPECT_EQ(x.item_ids, (std::vector<int64_t>{5, 7, 9}));
    EXPECT_EQ(x.by_user.indices, y.by_user.indices);
    EXPECT_EQ(x.by_user.values, y.by_user.values);
    EXPECT_EQ(x.by_user.indices, (std::vector<int32_t>{0, 2, 1}));
}

TEST(Interactions, ItemsByInteractionsArePopularFirstTiesById) {
    test::Triplets t;
    for (int64_t u : {1, 2, 3}) t.add(u, 30, 1);
    for (int64_t u : {1, 2}) t.add(u, 20, 2);
    t.add(3, 20, 4);
    t.add(3, 20, 1);  // a duplicate counts as a row
    t.add(2, 5, 3);
    t.add(1, 10, 5);
    const core::Interactions by_id = test::build(t, core::DuplicatePolicy::Sum);
    const core::Interactions popular =
        test::build(t, core::DuplicatePolicy::Sum, core::ItemOrder::ByInteractions);
    EXPECT_EQ(popular.item_ids, (std::vector<int64_t>{20, 30, 5, 10}));
    EXPECT_EQ(popular.user_ids, by_id.user_ids);
    EXPECT_EQ(popular.duplicates_merged, 1);
    // The same (user, item, value) rows, each user's by its items' new numbers.
    for (int32_t u = 0; u < by_id.by_user.rows(); ++u) {
        std::vector<std::pair<int64_t, float>> a, b;
        for (int64_t p = by_id.by_user.indptr[u]; p < by_id.by_user.indptr[u + 1]; ++p)
            a.emplace_back(by_id.item_ids[by_id.by_user.indices[p]], by_id.by_user.values[p]);
        for (int64_t p = popular.by_user.indptr[u]; p < popular.by_user.indptr[u + 1]; ++p) {
            if (p > popular.by_user.indptr[u]) {
                EXPECT_LT(popular.by_user.indices[p - 1], popular.by_user.indices[p]);
            }
            b.emplace_back(popular.item_ids[popular.by_user.indices[p]], popular.by_user.values[p]);
        }
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << "user " << u;
    }
    EXPECT_EQ(popular.by_item.row_size(0), 3);  // item 20
}

TEST(Interactions, FinishStopsWhenCancelled) {
    test::Triplets t;
    for (int u = 0; u < 3000; ++u) t.add(u, u % 17, 1.0f);
    core::InteractionBuilder builder(core::DuplicatePolicy::Sum);
    builder.add(t.users.data(), t.items.data(), t.values.data(), t.users.size());
    EXPECT_THROW(builder.finish(
                     2, [] { return true; }, core::ItemOrder::ByInteractions),
                 core::Cancelled);
}

TEST(Interactions, DuplicatesAverageForRatings) {
    test::Triplets t;
    t.add(1, 1, 2);
    t.add(1, 1, 4);
    t.add(1, 2, 5);
    core::Interactions x = test::build(t, core::DuplicatePolicy::Average);
    EXPECT_EQ(x.rows_read, 3);
    EXPECT_EQ(x.duplicates_merged, 1);
    ASSERT_EQ(x.by_user.nnz(), 2);
    EXPECT_FLOAT_EQ(x.by_user.values[0], 3.0f);
    EXPECT_FLOAT_EQ(x.by_user.values[1], 5.0f);
}

TEST(Interactions, DuplicatesAddUpForImplicitStrengths) {
    test::Triplets t;
    t.add(1, 1, 2);
    t.add(1, 1, 4);
    t.add(1, 1, 1);
    core::Interactions x = test::build(t, core::DuplicatePolicy::Sum);
    EXPECT_EQ(x.duplicates_merged, 2);
    ASSERT_EQ(x.by_user.nnz(), 1);
    EXPECT_FLOAT_EQ(x.by_user.values[0], 7.0f);
}

TEST(Interactions, ItemSideIsTheTranspose) {
    test::Triplets t;
    t.add(1, 10, 1);
    t.add(1, 11, 2);
    t.add(2, 10, 3);
    core::Interactions x = test::build(t);
    EXPECT_EQ(x.by_item.indptr, (std::vector<int64_t>{0, 2, 3}));
    EXPECT_EQ(x.by_item.indices, (std::vector<int32_t>{0, 1, 0}));
    EXPECT_EQ(x.by_item.values, (std::vector<float>{1, 3, 2}));
}

TEST(Interactions, EmptyInputIsADataError) {
    core::InteractionBuilder builder(core::DuplicatePolicy::Average);
    try {
        builder.finish();
        FAIL() << "expected an error";
    } catch (const core::Error &e) {
        EXPECT_EQ(e.kind(), core::ErrorKind::DataError);
    }
}

TEST(Interactions, NonFiniteValuesAreRejected) {
    core::InteractionBuilder builder(core::DuplicatePolicy::Average);
    int64_t u = 1, i = 2;
    float nan = std::numeric_limits<float>::quiet_NaN();
    float inf = std::numeric_limits<float>::infinity();
    EXPECT_THROW(builder.add(&u, &i, &nan, 1), core::Error);
    EXPECT_THROW(builder.add(&u, &i, &inf, 1), core::Error);
    EXPECT_EQ(builder.rows(), 0u);
}

// Sorting the rows on several threads gives what one gives, bit for bit:
// duplicates merge in the order they were read, across the builder's
// blocks of a million rows too.
TEST(Interactions, ThreadsChangeNothing) {
    core::SplitMix64 rng(5);
    std::vector<int64_t> users, items;
    std::vector<float> values;
    for (int j = 0; j < 1100000; ++j) {
        users.push_back(static_cast<int64_t>(rng.next() % 2000) * 7);
        items.push_back(static_cast<int64_t>(rng.next() % 500) - 100);
        values.push_back(static_cast<float>(rng.uniform()));
    }
    auto build = [&](int threads) {
        core::InteractionBuilder builder(core::DuplicatePolicy::Average);
        builder.add(users.data(), items.data(), values.data(), users.size());
        return builder.finish(threads);
    };
    const core::Interactions one = build(1);
    EXPECT_GT(one.duplicates_merged, 0);
    // Each row holds each item once, ascending, and every row read is in one.
    EXPECT_EQ(one.by_user.nnz() + one.duplicates_merged, one.rows_read);
    for (int32_t u = 0; u < one.by_user.rows(); ++u)
        for (int64_t p = one.by_user.indptr[u] + 1; p < one.by_user.indptr[u + 1]; ++p)
            ASSERT_LT(one.by_user.indices[p - 1], one.by_user.indices[p]) << "user " << u;
    for (int threads : {2, 3, 8}) {
        const core::Interactions many = build(threads);
        EXPECT_EQ(many.user_ids, one.user_ids);
        EXPECT_EQ(many.item_ids, one.item_ids);
        EXPECT_EQ(many.duplicates_merged, one.duplicates_merged);
        for (auto side : {&core::Interactions::by_user, &core::Interactions::by_item}) {
            EXPECT_EQ((many.*side).indptr, (one.*side).indptr) << threads << " threads";
            EXPECT_EQ((many.*side).indices, (one.*side).indices) << threads << " threads";
            EXPECT_EQ((many.*side).values, (one.*side).values) << threads << " threads";
        }
    }
}
