#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <cmath>

#include "core/cpu_kernel.h"
#include "core/errors.h"
#include "core/evaluation.h"
#include "core/explain.h"
#include "core/half_rows.h"
#include "core/linear_filter.h"
#include "core/random.h"
#include "core/serving.h"
#include "small_models.h"
#include "test_data.h"

using namespace cfrec;
using test::normalized_dense;

namespace {

core::Interactions communities() {
    return test::build(test::communities(), core::DuplicatePolicy::Sum);
}

// Two communities almost apart: what each user liked, and one visit to the
// other side for every tenth user. R~'s second singular value is then close
// to its first.
core::Interactions almost_apart() {
    const test::Triplets all = test::communities();
    test::Triplets t;
    for (size_t r = 0; r < all.users.size(); ++r)
        if (all.values[r] >= 4.0f) t.add(all.users[r], all.items[r], 1.0f);
    for (int64_t u = 0; u < 100; u += 10) t.add(u, u < 50 ? 45 : 15, 1.0f);
    return test::build(t, core::DuplicatePolicy::Sum);
}

// `ideal` NaN: weighed by the spectrum, as when alpha is left out.
core::FactorModel train(const core::Interactions &data, int rank, int passes = 3,
                        double ideal = NAN) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::LinearFilter, core::Feedback::Implicit);
    o.factors = rank;
    o.iterations = passes;
    if (!std::isnan(ideal)) {
        o.alpha = ideal;
        o.ideal_from_spectrum = false;
    }
    auto trainer = core::make_trainer(data, o);
    for (int it = 0; it < passes; ++it) trainer->step(test::never_stop);
    return trainer->take_model();
}

std::vector<int32_t> items_of(const core::FactorModel &m, int32_t row) {
    const core::PatternView &rows = m.linear->rows();
    return {rows.indices.begin() + rows.indptr[row], rows.indices.begin() + rows.indptr[row + 1]};
}

Eigen::RowVectorXd row_of(const std::vector<int32_t> &items, int32_t n) {
    Eigen::RowVectorXd r = Eigen::RowVectorXd::Zero(n);
    for (int32_t i : items) r[i] = 1.0;
    return r;
}

}  // namespace

TEST(LinearFilter, KeepsTheInteractionsAndTheSpectrum) {
    const core::Interactions data = communities();
    const core::FactorModel m = train(data, 8);
    ASSERT_TRUE(m.linear);
    EXPECT_TRUE(m.user_ids.empty()) << "no user vectors: anyone is scored from their items";
    const core::Span<int64_t> ids = m.linear->row_ids();
    EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.end()), data.user_ids);
    const core::Span<int32_t> items = m.linear->rows().indices;
    EXPECT_EQ(std::vector<int32_t>(items.begin(), items.end()), data.by_user.indices);
    EXPECT_EQ(m.item_factors.rows(), 60);
    EXPECT_EQ(m.item_factors.cols(), 8);
    // W = V S: its column norms are R~'s singular values, the top one 1.
    EXPECT_NEAR(m.item_factors.colwise().norm().maxCoeff(), 1.0, 1e-4);
}

// Left to the defaults, the ideal term lifts the kept directions by a fixed
// multiple of the weakest one's strength x = s^2, here R~'s 8th singular
// value squared; alpha, when given, is the weight itself.
TEST(LinearFilter, WeighsItsIdealTermByTheWeakestDirectionKept) {
    const core::Interactions data = communities();
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(normalized_dense(data));
    const double eighth = svd.singularValues()[7];
    const core::FactorModel m = train(data, 8, 8);
    EXPECT_NEAR(m.linear->ideal(), core::kLinearFilterIdealPerWeakest * eighth * eighth,
                1e-3 * eighth * eighth);
    EXPECT_DOUBLE_EQ(m.linear->ideal(), core::spectrum_ideal_weight(m.item_factors));
    EXPECT_EQ(train(data, 8, 8, 0.3).linear->ideal(), 0.3);
}

// Asked for more directions than the data has, the empty ones are not the
// weakest kept: the weight comes from the last real one. Items 5-9 here
// have exactly the users of items 0-4, so R~ has rank 5 at most.
TEST(LinearFilter, WeighsItsIdealTermByRealDirectionsOnly) {
    test::Triplets t;
    for (int64_t u = 0; u < 20; ++u)
        for (int64_t i = 0; i < 5; ++i)
            if ((u * 7 + i * 3) % 4 != 0) {
                t.add(u, i, 1.0f);
                t.add(u, i + 5, 1.0f);
            }
    const core::Interactions data = test::build(t, core::DuplicatePolicy::Sum);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(normalized_dense(data));
    const Eigen::Index real = (svd.singularValues().array() > 1e-6).count();
    ASSERT_LE(real, 5);
    const double last = svd.singularValues()[real - 1];
    const core::FactorModel m = train(data, 10, 8);
    EXPECT_NEAR(m.linear->ideal(), core::kLinearFilterIdealPerWeakest * last * last,
                1e-3 * last * last);
}

// The linear term is r R~^T R~ exactly, whatever the rank.
TEST(LinearFilter, LinearTermIsExact) {
    const core::Interactions data = communities();
    const core::FactorModel m = train(data, 4, 1);
    const Eigen::MatrixXd r = normalized_dense(data);
    const Eigen::MatrixXd p = r.transpose() * r;
    for (const std::vector<int32_t> &items :
         {std::vector<int32_t>{0, 5, 31}, std::vector<int32_t>{59}, std::vector<int32_t>{}}) {
        std::vector<float> got(60);
        m.linear->linear_scores(items.data(), items.size(), got.data());
        const Eigen::RowVectorXd want = row_of(items, 60) * p;
        for (int32_t i = 0; i < 60; ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
    }
}

// At full rank V V^T is the projection onto R~'s row space (here all of it:
// 60 items, 100 users) and the low-rank terms cover the whole spectrum of
// P = R~^T R~, so the model is g(P) + ideal I with g(x) = x - s x^2 up to
// x = 1/2s and 1/4s past it, checked densely through P's eigenvectors.
TEST(LinearFilter, MatchesTheDenseFormulaAtFullRank) {
    const core::Interactions data = almost_apart();
    const core::FactorModel m = train(data, 60, 3, 0.2);
    const core::ModelView v = m.view();
    const Eigen::MatrixXd r = normalized_dense(data);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(r.transpose() * r);
    const double s = core::kLinearFilterSharpening;
    Eigen::VectorXd g = eigen.eigenvalues();
    for (Eigen::Index k = 0; k < g.size(); ++k)
        g[k] = g[k] <= 0.5 / s ? g[k] - s * g[k] * g[k] : 0.25 / s;
    EXPECT_GT(eigen.eigenvalues()[g.size() - 2], 0.5 / s) << "two components reach the clamp";
    const Eigen::MatrixXd filter =
        eigen.eigenvectors() * g.asDiagonal() * eigen.eigenvectors().transpose() +
        m.linear->ideal() * Eigen::MatrixXd::Identity(60, 60);
    for (int32_t u : {0, 42, 77}) {
        const std::vector<int32_t> items = items_of(m, u);
        ASSERT_FALSE(items.empty());
        std::vector<float> got(60);
        m.linear->score(v.item_factors, items.data(), items.size(), got.data());
        const Eigen::RowVectorXd want = row_of(items, 60) * filter;
        for (int32_t i = 0; i < 60; ++i) EXPECT_NEAR(got[i], want[i], 2e-4) << u << " " << i;
    }
}

// Where a community is almost apart, sharpening must not rank the other
// community's items above the user's own.
TEST(LinearFilter, KeepsAUserInTheirCommunity) {
    const core::FactorModel m = train(almost_apart(), 60);
    for (int32_t u : {1, 33, 61, 99}) {
        const std::vector<int32_t> items = items_of(m, u);
        const auto top = core::recommend_from_items(m.view(), items, 5, items);
        for (const auto &s : top) EXPECT_EQ(s.index < 30, u < 50) << u << " " << s.index;
    }
}

TEST(LinearFilter, RecommendsFromItemsWithExclusionsAndCandidates) {
    const core::FactorModel m = train(communities(), 8);
    const core::ModelView v = m.view();
    const std::vector<int32_t> items{1, 2, 3};
    std::vector<float> scores(60);
    m.linear->score(v.item_factors, items.data(), items.size(), scores.data());
    const auto top = core::recommend_from_items(v, items, 5, items);
    ASSERT_EQ(top.size(), 5u);
    for (const auto &s : top) {
        EXPECT_LT(s.index, 30) << "the user's community first";
        EXPECT_FLOAT_EQ(s.score, scores[s.index]);
        EXPECT_FALSE(std::count(items.begin(), items.end(), s.index)) << "excluded";
    }
    const std::vector<int32_t> include{2, 40, 50, 55};
    const auto only = core::recommend_from_items(v, items, 10, items, &include);
    ASSERT_EQ(only.size(), 3u) << "2 is excluded";
    for (const auto &s : only) EXPECT_TRUE(s.index == 40 || s.index == 50 || s.index == 55);
}

TEST(LinearFilter, RecommendsForManyAsForOne) {
    const core::FactorModel m = train(communities(), 8);
    const core::ModelView v = m.view();
    core::Csr rows;  // users 0 and 5 as trained, then someone with nothing known
    for (int32_t u : {0, 5}) {
        const auto items = items_of(m, u);
        rows.indices.insert(rows.indices.end(), items.begin(), items.end());
        rows.indptr.push_back(static_cast<int64_t>(rows.indices.size()));
    }
    rows.indptr.push_back(static_cast<int64_t>(rows.indices.size()));
    const auto many = core::recommend_many_from_items(v, 1, 3, 4, rows, true, 2, test::never_stop);
    ASSERT_EQ(many.count, (std::vector<int32_t>{4, 4}));
    const auto one = core::recommend_from_items(v, items_of(m, 5), 4, items_of(m, 5));
    for (size_t j = 0; j < one.size(); ++j) {
        EXPECT_EQ(many.items[j].index, one[j].index);
        EXPECT_EQ(many.items[j].score, one[j].score);
    }
    const auto popular = core::popular(v, 4, {});
    for (size_t j = 0; j < popular.size(); ++j)
        EXPECT_EQ(many.items[4 + j].index, popular[j].index);
    // Without exclusion a user's own items compete (and, scored from
    // themselves, come first).
    const auto with_seen =
        core::recommend_many_from_items(v, 0, 1, 4, rows, false, 1, test::never_stop);
    const auto own = items_of(m, 0);
    EXPECT_TRUE(std::count(own.begin(), own.end(), with_seen.items[0].index));
}

TEST(LinearFilter, ScoresManyExactlyAsOne) {
    // 40 factors: a part of each row past the last full set of lanes.
    const core::FactorModel m = train(communities(), 40);
    const core::ModelView v = m.view();
    const int32_t users = m.linear->rows().rows(), items = m.linear->items();
    std::vector<std::vector<int32_t>> own(users);
    std::vector<core::Span<int32_t>> people;
    for (int32_t u = 0; u < users; ++u) {
        own[u] = items_of(m, u);
        people.emplace_back(own[u]);
    }
    std::vector<float> many(static_cast<size_t>(users) * items), one(items);
    m.linear->score_many(v.item_factors, people.data(), people.size(), many.data());
    for (int32_t u = 0; u < users; ++u) {
        m.linear->score(v.item_factors, own[u].data(), own[u].size(), one.data());
        for (int32_t i = 0; i < items; ++i)
            ASSERT_EQ(many[static_cast<size_t>(u) * items + i], one[i]) << u << " " << i;
    }
    // Blocks of any size, on two threads, rank as one person at a time does.
    core::Csr rows;
    for (int32_t u = 0; u < users; ++u) {
        rows.indices.insert(rows.indices.end(), own[u].begin(), own[u].end());
        rows.indptr.push_back(static_cast<int64_t>(rows.indices.size()));
    }
    const auto all =
        core::recommend_many_from_items(v, 0, users, 5, rows, true, 2, test::never_stop);
    for (int32_t u = 0; u < users; ++u) {
        const auto alone = core::recommend_from_items(v, own[u], 5, own[u]);
        ASSERT_EQ(all.count[u], static_cast<int32_t>(alone.size()));
        for (size_t j = 0; j < alone.size(); ++j) {
            EXPECT_EQ(all.items[u * 5 + j].index, alone[j].index) << u;
            EXPECT_EQ(all.items[u * 5 + j].score, alone[j].score) << u;
        }
    }
}

TEST(LinearFilter, EvaluatesAsEachUserIsRecommended) {
    const core::FactorModel m = train(communities(), 8);
    const core::ModelView v = m.view();
    core::Evaluator ev(m);
    std::vector<int64_t> test_users, test_items, seen_users, seen_items;
    double recall = 0;
    int measured = 0;
    for (int32_t u = 0; u < m.linear->rows().rows(); ++u) {
        const int64_t id = m.linear->row_ids()[u];
        const auto own = items_of(m, u);
        for (int32_t i : own) {
            seen_users.push_back(id);
            seen_items.push_back(m.item_ids[i]);
        }
        // One held-out item each (none where it is one of the user's own);
        // the evaluator must count a hit exactly where the user's own top 10,
        // ranked alone, holds it.
        const int32_t held = (u * 7) % static_cast<int32_t>(m.item_ids.size());
        if (std::binary_search(own.begin(), own.end(), held)) continue;
        test_users.push_back(id);
        test_items.push_back(m.item_ids[held]);
        const auto top = core::recommend_from_items(v, own, 10, own);
        recall += std::count_if(top.begin(), top.end(),
                                [&](const core::Scored &s) { return s.index == held; });
        ++measured;
    }
    ev.add_test(test_users.data(), test_items.data(), nullptr, test_users.size());
    ev.add_seen(seen_users.data(), seen_items.data(), seen_users.size());
    const core::Evaluation e = ev.evaluate(10, std::nan(""), 2, test::never_stop);
    ASSERT_EQ(e.users, measured);
    EXPECT_GT(recall, 0);
    EXPECT_DOUBLE_EQ(e.recall, recall / measured);
}

TEST(LinearFilter, SharesAddUpToTheScore) {
    const core::Interactions data = communities();
    const core::FactorModel m = train(data, 8);
    const core::ModelView v = m.view();
    const std::vector<int64_t> ids{data.item_ids[3], data.item_ids[9], data.item_ids[40], 9999};
    std::vector<float> scores(60);
    const std::vector<int32_t> known{3, 9, 40};
    m.linear->score(v.item_factors, known.data(), known.size(), scores.data());
    for (int32_t i : {0, 12, 44}) {
        const core::Explanation e = core::explain_linear(v, i, ids.data(), ids.size());
        EXPECT_FLOAT_EQ(e.score, scores[i]);
        ASSERT_EQ(e.items.size(), 3u) << "the unknown id is left out";
        double sum = 0;
        for (const auto &c : e.items) {
            std::vector<float> alone(60);
            m.linear->score(v.item_factors, &c.item, 1, alone.data());
            EXPECT_NEAR(c.value, alone[i], 1e-6) << "a share is the item's score alone";
            sum += c.value;
        }
        EXPECT_NEAR(sum, e.score, 1e-6);
        EXPECT_NEAR(e.remainder, 0.0, 1e-6);
    }
}

TEST(LinearFilter, NeighboursAreTheOperatorsRow) {
    const core::Interactions data = communities();
    const core::FactorModel m = train(data, 8);
    const Eigen::MatrixXd r = normalized_dense(data);
    const Eigen::RowVectorXd row = (r.transpose() * r).row(7);
    const auto top = core::operator_neighbours(m.view(), 7, 59);
    ASSERT_EQ(top.size(), 59u) << "every item but itself";
    for (size_t k = 0; k < top.size(); ++k) {
        EXPECT_NE(top[k].index, 7);
        EXPECT_NEAR(top[k].score, row[top[k].index], 1e-5);
        if (k > 0) {
            EXPECT_GE(top[k - 1].score, top[k].score);
        }
    }
}

TEST(LinearFilter, RefusesRatingsAndARankAboveTheData) {
    const core::Interactions data = communities();
    core::TrainOptions o =
        core::default_options(core::Algorithm::LinearFilter, core::Feedback::Explicit);
    EXPECT_THROW(core::make_trainer(data, o), core::Error);
    o = core::default_options(core::Algorithm::LinearFilter, core::Feedback::Implicit);
    o.factors = 61;
    EXPECT_THROW(core::make_trainer(data, o), core::Error);
}

TEST(LinearFilter, StopsWhenCancelled) {
    core::TrainOptions o =
        core::default_options(core::Algorithm::LinearFilter, core::Feedback::Implicit);
    o.factors = 8;
    auto trainer = core::make_trainer(communities(), o);
    EXPECT_THROW(trainer->step([] { return true; }), core::Cancelled);
}

// Recommending reads the half-precision copy of W first where the CPU has a
// kernel for it, and must answer exactly as the float pass: the same items,
// the same scores, for any k and exclusions.
TEST(LinearFilter, HalfPrecisionPassRecommendsExactlyAsFloat) {
    test::Triplets t;  // many popularity-skewed items: scores near the cut are close
    core::SplitMix64 rng(11);
    for (int64_t u = 0; u < 2000; ++u)
        for (int n = 0; n < 3 + u % 17; ++n)
            t.add(u, static_cast<int64_t>(3000 * std::pow(rng.uniform(), 2.5)), 1.0f);
    const core::FactorModel m = train(test::build(t, core::DuplicatePolicy::Sum), 40);
    const core::ModelView v = m.view();
    const int32_t items = m.linear->items();
    if (core::cpu_kernel() != core::CpuKernel::None) {
        ASSERT_EQ(m.linear->arrays().half_factors.size(),
                  static_cast<size_t>(items) * core::half_row_stride(40));
    }
    const std::vector<int32_t> none;
    for (int32_t u = 0; u < m.linear->rows().rows(); u += 5) {
        const std::vector<int32_t> own = items_of(m, u);
        const core::Span<int32_t> person(own);
        for (int k : {1, 10, items - 2, items + 5}) {
            for (const std::vector<int32_t> *excluded : {&own, &none}) {
                const std::vector<int32_t> *excluded_of[] = {excluded};
                const auto half =
                    m.linear->best_many(v.item_factors, &person, 1, k, excluded_of, true)[0];
                const auto exact =
                    m.linear->best_many(v.item_factors, &person, 1, k, excluded_of, false)[0];
                ASSERT_EQ(half.size(), exact.size()) << u << " " << k;
                for (size_t j = 0; j < exact.size(); ++j) {
                    ASSERT_EQ(half[j].index, exact[j].index) << u << " " << k << " " << j;
                    ASSERT_EQ(half[j].score, exact[j].score) << u << " " << k << " " << j;
                }
            }
        }
    }
}
