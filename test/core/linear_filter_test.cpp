#include <gtest/gtest.h>

#include <Eigen/Core>

#include "core/errors.h"
#include "core/linear_filter.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;

namespace {

struct Dense {
    Eigen::MatrixXd normalized;  // R~ = D_u^-1/2 R D_i^-1/2
    Eigen::VectorXd item_degree;
};

Dense dense(const core::Interactions &d) {
    Dense out{Eigen::MatrixXd::Zero(d.by_user.rows(), d.by_item.rows()),
              Eigen::VectorXd(d.by_item.rows())};
    for (int32_t i = 0; i < d.by_item.rows(); ++i) out.item_degree[i] = d.by_item.row_size(i);
    for (int32_t u = 0; u < d.by_user.rows(); ++u)
        for (int64_t k = d.by_user.indptr[u]; k < d.by_user.indptr[u + 1]; ++k) {
            const int32_t i = d.by_user.indices[k];
            out.normalized(u, i) =
                1.0 / std::sqrt(double(d.by_user.row_size(u)) * out.item_degree[i]);
        }
    return out;
}

std::vector<float> scores_of(const core::LinearFilter &f, const std::vector<int32_t> &items) {
    std::vector<float> scores(f.items()), scratch(f.users(), 0.0f);
    f.score(items.data(), items.size(), scores.data(), scratch);
    for (float s : scratch) EXPECT_EQ(s, 0.0f) << "the scratch is handed back zeroed";
    return scores;
}

Eigen::RowVectorXd row_of(const std::vector<int32_t> &items, int32_t n) {
    Eigen::RowVectorXd r = Eigen::RowVectorXd::Zero(n);
    for (int32_t i : items) r[i] = 1.0;
    return r;
}

}  // namespace

// With no low-rank terms, the scores are r R~^T R~ exactly, whatever the rank.
TEST(LinearFilter, LinearTermIsExact) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::LinearFilterOptions o;
    o.rank = 4;
    o.passes = 1;
    o.ideal = 0.0;
    o.sharpening = 0.0;
    const core::LinearFilter f(data, o, test::never_stop);
    const Dense d = dense(data);
    const Eigen::MatrixXd p = d.normalized.transpose() * d.normalized;
    for (const std::vector<int32_t> &items :
         {std::vector<int32_t>{0, 5, 31}, std::vector<int32_t>{59}, std::vector<int32_t>{}}) {
        const std::vector<float> got = scores_of(f, items);
        const Eigen::RowVectorXd want = row_of(items, f.items()) * p;
        for (int32_t i = 0; i < f.items(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
    }
}

// At full rank V V^T is the projection onto R~'s row space and V S^4 V^T
// is (R~^T R~)^2, so the whole formula can be checked densely.
TEST(LinearFilter, MatchesTheDenseFormulaAtFullRank) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::LinearFilterOptions o;
    o.rank = 60;
    o.passes = 3;
    const core::LinearFilter f(data, o, test::never_stop);
    const Dense d = dense(data);
    const Eigen::MatrixXd p = d.normalized.transpose() * d.normalized;
    // R~ has full column rank here (60 items, 100 users), so the projection is I.
    const Eigen::MatrixXd ideal = Eigen::MatrixXd::Identity(60, 60);
    const Eigen::MatrixXd filter = p - o.sharpening * p * p + o.ideal * ideal;
    for (int32_t u : {0, 42, 77}) {
        const std::vector<int32_t> items(f.user_items_begin(u), f.user_items_end(u));
        ASSERT_FALSE(items.empty());
        const std::vector<float> got = scores_of(f, items);
        const Eigen::RowVectorXd want = row_of(items, f.items()) * filter;
        for (int32_t i = 0; i < f.items(); ++i) EXPECT_NEAR(got[i], want[i], 2e-4) << u << " " << i;
    }
}

// Ranking follows the communities: someone with items of the first half
// scores the rest of that half above the other half.
TEST(LinearFilter, RanksTheUsersCommunityFirst) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::LinearFilterOptions o;
    o.rank = 8;
    const core::LinearFilter f(data, o, test::never_stop);
    const std::vector<float> s = scores_of(f, {1, 2, 3});
    double first = 0, second = 0;
    for (int32_t i = 4; i < 30; ++i) first += s[i];
    for (int32_t i = 30; i < 60; ++i) second += s[i];
    EXPECT_GT(first / 26, 2 * second / 30);
}

TEST(LinearFilter, RefusesARankAboveTheData) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::LinearFilterOptions o;
    o.rank = 61;
    EXPECT_THROW(core::LinearFilter(data, o, test::never_stop), core::Error);
}

TEST(LinearFilter, StopsWhenCancelled) {
    const core::Interactions data = test::build(test::communities(), core::DuplicatePolicy::Sum);
    core::LinearFilterOptions o;
    o.rank = 8;
    EXPECT_THROW(core::LinearFilter(data, o, [] { return true; }), core::Cancelled);
}
