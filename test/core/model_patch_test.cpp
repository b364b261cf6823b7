#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/model_patch.h"
#include "core/refresh.h"
#include "small_models.h"

using namespace cfrec;

namespace {

core::ChangedRows rows_of(const core::Refreshed &r) {
    return {r.ids.data(), r.bias.data(), r.factors.data(), r.interactions.data(), r.ids.size(),
            static_cast<int>(r.factors.cols())};
}

// A model built from scratch out of the patched one's rows: what a cache
// that reloads the whole model would hold.
core::FactorModel reloaded(const core::FactorModel &m) {
    core::FactorModel fresh = m;
    fresh.half_items.reset();
    fresh.item_gram.reset();
    core::prepare_for_serving(fresh);
    return fresh;
}

void expect_same_recommendations(const core::FactorModel &a, const core::FactorModel &b) {
    ASSERT_EQ(a.user_ids, b.user_ids);
    ASSERT_EQ(a.item_ids, b.item_ids);
    for (int32_t u = 0; u < static_cast<int32_t>(a.user_ids.size()); ++u) {
        const auto x = core::recommend(a, u, 10, {});
        const auto y = core::recommend(b, u, 10, {});
        ASSERT_EQ(x.size(), y.size());
        for (size_t j = 0; j < x.size(); ++j) {
            EXPECT_EQ(x[j].index, y[j].index);
            EXPECT_EQ(x[j].score, y[j].score);
        }
    }
}

}  // namespace

TEST(ModelPatch, NewAndChangedUsersLandInIdOrder) {
    test::Triplets t = test::communities();
    core::FactorModel m = test::train_small(t, core::Feedback::Implicit, 10, 16);
    core::Refresher refresher(m, core::Side::Users);
    const int64_t users[] = {-7, -7, 3, 3, 500, 500};
    const int64_t items[] = {31, 35, 1, 2, 40, 41};
    const float values[] = {5, 5, 5, 5, 5, 5};
    refresher.add(users, items, values, 6);
    const core::Refreshed r = refresher.solve({}, 1, test::never_stop);
    EXPECT_EQ(r.added, 2);

    // Rows arrive in any order (the cache reads them unsorted).
    std::vector<int64_t> ids(r.ids.rbegin(), r.ids.rend());
    std::vector<float> bias(r.bias.rbegin(), r.bias.rend());
    core::FactorMatrix factors = r.factors.colwise().reverse();
    core::apply_changes(m, core::Side::Users,
                        {ids.data(), bias.data(), factors.data(), nullptr, ids.size(),
                         static_cast<int>(factors.cols())});
    ASSERT_EQ(m.user_ids.size(), 102u);
    EXPECT_TRUE(std::is_sorted(m.user_ids.begin(), m.user_ids.end()));
    for (size_t j = 0; j < r.ids.size(); ++j) {
        const int32_t u = m.user_index(r.ids[j]);
        ASSERT_GE(u, 0);
        EXPECT_EQ(m.user_factors.row(u), r.factors.row(j));
    }
    EXPECT_EQ(m.user_index(0), 1);          // -7 came first
    EXPECT_GE(m.user_factors.rows(), 102);  // spare rows for the next new users
    expect_same_recommendations(m, reloaded(m));

    // More new users land in the spare rows, in order, the others unmoved.
    const float *storage = m.user_factors.data();
    const int64_t later[] = {800, 800, 50, 50};
    const int64_t their_items[] = {1, 2, 33, 34};
    core::Refresher again(m, core::Side::Users);
    again.add(later, their_items, values, 4);
    const core::Refreshed r2 = again.solve({}, 1, test::never_stop);
    core::apply_changes(m, core::Side::Users, rows_of(r2));
    EXPECT_EQ(m.user_factors.data(), storage);
    ASSERT_EQ(m.user_ids.size(), 103u);
    EXPECT_EQ(m.user_ids.back(), 800);
    EXPECT_EQ(m.user_factors.row(m.user_index(800)), r2.factors.row(1));
    EXPECT_EQ(m.user_factors.row(m.user_index(500)), r.factors.row(2));
    EXPECT_TRUE((m.user_factors.bottomRows(m.user_factors.rows() - 103).array() == 0).all());
}

TEST(ModelPatch, ItemChangesRebuildTheServingCopies) {
    test::Triplets t = test::communities();
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::FactorModel m = test::train_small(t, feedback, 10, 16);
        // Item 5 gains the other community's taste, item 700 is new.
        test::Triplets more = t;
        for (int u = 50; u < 100; ++u) more.add(u, 5, 5.0f);
        for (int u = 0; u < 20; ++u) more.add(u, 700, 4.0f);
        core::Refresher refresher(m, core::Side::Items);
        refresher.add(more.items.data(), more.users.data(), more.values.data(), more.items.size());
        const core::Refreshed r = refresher.solve({}, 2, test::never_stop);
        EXPECT_EQ(r.added, 1);
        const auto before = m.half_items;

        core::apply_changes(m, core::Side::Items, rows_of(r));
        ASSERT_EQ(m.item_ids.size(), 61u);
        EXPECT_EQ(m.item_ids.back(), 700);
        EXPECT_EQ(m.item_counts.back(), 20);
        EXPECT_EQ(m.item_factors.row(60), r.factors.row(60));
        if (before) {
            EXPECT_NE(m.half_items, before);
        }
        expect_same_recommendations(m, reloaded(m));
    }
}

TEST(ModelPatch, NothingChangedIsANoOp) {
    core::FactorModel m = test::train_small(test::communities(), core::Feedback::Explicit, 3);
    const core::FactorModel copy = m;
    core::apply_changes(m, core::Side::Items, {nullptr, nullptr, nullptr, nullptr, 0, 0});
    EXPECT_EQ(m.item_ids, copy.item_ids);
    EXPECT_EQ(m.half_items, copy.half_items);
}

// Rows of another width than the cached model's (a catalog that says 1
// factor over a model cached at 3) are refused whole, never copied at the
// cached width past the end of the rows.
TEST(ModelPatch, RowsOfAnotherWidthAreRefused) {
    core::FactorModel m = test::train_small(test::communities(), core::Feedback::Explicit, 3);
    const core::FactorModel copy = m;
    const int64_t ids[] = {m.user_ids[0], 999999};
    const float bias[] = {0.5f, 0.5f};
    const float narrow[] = {1.0f, 2.0f};  // one factor each
    const core::ChangedRows rows{ids, bias, narrow, nullptr, 2, 1};
    EXPECT_THROW(core::apply_changes(m, core::Side::Users, rows), core::Error);
    EXPECT_EQ(m.user_ids, copy.user_ids);
    EXPECT_EQ(m.user_factors, copy.user_factors);
}
