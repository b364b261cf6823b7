#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <algorithm>
#include <cmath>

#include "core/cpu_kernel.h"
#include "core/errors.h"
#include "core/serving.h"
#include "core/trainer.h"
#include "test_data.h"

using namespace cfrec;

namespace {

// A rank-3 rating matrix with biases; `observed` of it is revealed for
// training, the rest is returned in `hidden` for checking.
struct Planted {
    test::Triplets train, hidden;
};

Planted planted_ratings(int users, int items, double observed, uint64_t seed) {
    core::SplitMix64 rng(seed);
    const int f = 3;
    std::vector<double> u(users * f), v(items * f), bu(users), bi(items);
    for (auto &x : u) x = rng.uniform() * 2 - 1;
    for (auto &x : v) x = rng.uniform() * 2 - 1;
    for (auto &x : bu) x = rng.uniform() - 0.5;
    for (auto &x : bi) x = rng.uniform() - 0.5;
    Planted p;
    for (int a = 0; a < users; ++a)
        for (int b = 0; b < items; ++b) {
            double r = 3.0 + bu[a] + bi[b];
            for (int k = 0; k < f; ++k) r += u[a * f + k] * v[b * f + k];
            (rng.uniform() < observed ? p.train : p.hidden).add(a, b, static_cast<float>(r));
        }
    return p;
}

core::FactorModel train(const test::Triplets &t, const core::TrainOptions &o,
                        std::vector<double> *losses = nullptr) {
    auto policy = o.feedback == core::Feedback::Explicit ? core::DuplicatePolicy::Average
                                                         : core::DuplicatePolicy::Sum;
    auto trainer = core::make_trainer(test::build(t, policy, core::item_order_for(o)), o);
    for (int it = 0; it < o.iterations; ++it) {
        auto report = trainer->step(test::never_stop);
        if (losses) losses->push_back(report.loss);
    }
    return trainer->take_model();
}

// Users 0..49 like items 0..29, users 50..99 like items 30..59; each user
// reveals 60% of their group's items.
test::Triplets two_communities(uint64_t seed) {
    core::SplitMix64 rng(seed);
    test::Triplets t;
    for (int u = 0; u < 100; ++u)
        for (int i = 0; i < 30; ++i)
            if (rng.uniform() < 0.6) t.add(u, (u < 50 ? 0 : 30) + i, 1.0f + (rng.next() % 3));
    return t;
}

}  // namespace

TEST(ExplicitAls, RecoversAPlantedLowRankMatrix) {
    Planted p = planted_ratings(80, 60, 0.5, 7);
    core::TrainOptions o;
    o.factors = 3;
    o.iterations = 40;
    o.regularization = 0.001;
    std::vector<double> losses;
    core::FactorModel m = train(p.train, o, &losses);
    double se = 0;
    for (size_t j = 0; j < p.hidden.users.size(); ++j) {
        double e = core::predict(m, p.hidden.users[j], p.hidden.items[j]) - p.hidden.values[j];
        se += e * e;
    }
    double rmse = std::sqrt(se / p.hidden.users.size());
    EXPECT_LT(rmse, 0.05) << "held-out RMSE on a noise-free rank-3 matrix";
    for (size_t j = 1; j < losses.size(); ++j) EXPECT_LE(losses[j], losses[j - 1] * (1 + 1e-4));
}

TEST(ExplicitAls, PredictionsAreClippedAndUnknownIdsFallBack) {
    Planted p = planted_ratings(30, 20, 0.7, 3);
    core::TrainOptions o;
    o.factors = 4;
    o.iterations = 5;
    core::FactorModel m = train(p.train, o);
    const float unknown_both = core::predict(m, -1, -1);
    EXPECT_NEAR(unknown_both, std::clamp<double>(m.global_mean, m.rating_min, m.rating_max), 1e-5);
    const int32_t i = m.item_index(3);
    EXPECT_NEAR(core::predict(m, -1, 3), m.global_mean + m.item_bias[i], 1e-5);
    for (int u = 0; u < 30; ++u)
        for (int it = 0; it < 20; ++it) {
            float r = core::predict(m, u, it);
            EXPECT_GE(r, m.rating_min);
            EXPECT_LE(r, m.rating_max);
        }
}

TEST(ImplicitAls, RanksPlantedPositivesFirst) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 2;  // the planted structure has rank 2
    o.iterations = 15;
    o.regularization = 0.1;
    o.alpha = 2.0;
    test::Triplets t = two_communities(11);
    core::FactorModel m = train(t, o);
    for (int u = 0; u < 100; ++u) {
        std::vector<int64_t> seen;
        for (size_t j = 0; j < t.users.size(); ++j)
            if (t.users[j] == u) seen.push_back(t.items[j]);
        auto excluded = core::known_items(m, seen.data(), seen.size());
        const int unseen_own = 30 - static_cast<int>(excluded.size());
        auto top = core::recommend(m, m.user_index(u), unseen_own, excluded);
        ASSERT_EQ(static_cast<int>(top.size()), unseen_own);
        for (const auto &s : top) {
            const int64_t item = m.item_ids[s.index];
            EXPECT_EQ(item < 30, u < 50) << "user " << u << " got item " << item;
        }
    }
}

// Implicit ALS at 6 factors solved exactly by Cholesky, the reference the
// conjugate-gradient path is checked against.
core::TrainOptions exact_implicit(int iterations, double alpha) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 6;
    o.iterations = iterations;
    o.alpha = alpha;
    o.regularization = 0.1;
    o.solver = core::ImplicitSolver::Cholesky;
    return o;
}

TEST(ImplicitAls, ConjugateGradientAgreesWithCholesky) {
    test::Triplets t = two_communities(5);
    core::TrainOptions o = exact_implicit(1, 3.0);
    core::FactorModel exact = train(t, o);
    o.solver = core::ImplicitSolver::ConjugateGradient;
    o.cg_steps = 6;  // as many steps as dimensions: CG is exact up to rounding
    core::FactorModel cg = train(t, o);
    EXPECT_LT((exact.user_factors - cg.user_factors).cwiseAbs().maxCoeff(), 1e-3);
    EXPECT_LT((exact.item_factors - cg.item_factors).cwiseAbs().maxCoeff(), 1e-3);

    // Three warm-started steps reach nearly the same objective.
    o.iterations = 10;
    o.cg_steps = 3;
    std::vector<double> cg_loss, chol_loss;
    train(t, o, &cg_loss);
    o.solver = core::ImplicitSolver::Cholesky;
    train(t, o, &chol_loss);
    EXPECT_NEAR(cg_loss.back(), chol_loss.back(), 0.02 * chol_loss.back());
}

// Items with more users than a CG batch keeps in cache are each solved
// alone, their operator formed once with AVX-512 (implicit_side.cpp): the
// solution and the loss are the ones the reference path gives.
TEST(ImplicitAls, RowsTooLongForABatchSolveAsTheReference) {
    test::Triplets t;
    core::SplitMix64 rng(21);
    for (int64_t u = 0; u < 12000; ++u) {
        for (int64_t item : {0, 1}) {  // 12,000 users each: 288 KB of factor rows at f = 6
            t.users.push_back(u);
            t.items.push_back(item);
            t.values.push_back(1.0f + static_cast<float>(rng.next() % 3));
        }
        for (int j = 0; j < 3; ++j) {
            t.users.push_back(u);
            t.items.push_back(2 + static_cast<int64_t>(rng.next() % 50));
            t.values.push_back(1.0f);
        }
    }
    core::TrainOptions o = exact_implicit(2, 2.0);
    std::vector<double> exact_loss, cg_loss;
    core::FactorModel exact = train(t, o, &exact_loss);
    o.solver = core::ImplicitSolver::ConjugateGradient;
    o.cg_steps = 6;  // as many steps as dimensions: CG is exact up to rounding
    core::FactorModel cg = train(t, o, &cg_loss);
    EXPECT_LT((exact.user_factors - cg.user_factors).cwiseAbs().maxCoeff(), 1e-3);
    EXPECT_LT((exact.item_factors - cg.item_factors).cwiseAbs().maxCoeff(), 1e-3);
    for (size_t it = 0; it < exact_loss.size(); ++it)
        EXPECT_NEAR(cg_loss[it], exact_loss[it], 1e-4 * exact_loss[it]) << "iteration " << it;
}

TEST(ImplicitAls, LossDecreases) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 8;
    o.iterations = 8;
    o.solver = core::ImplicitSolver::Cholesky;
    std::vector<double> losses;
    train(two_communities(2), o, &losses);
    for (size_t j = 1; j < losses.size(); ++j) EXPECT_LE(losses[j], losses[j - 1] * (1 + 1e-4));
}

TEST(Training, SameSeedSameModelWhateverTheThreadCount) {
    for (auto feedback : {core::Feedback::Explicit, core::Feedback::Implicit}) {
        core::TrainOptions o;
        o.feedback = feedback;
        o.factors = 5;
        o.iterations = 3;
        o.threads = 1;
        test::Triplets t = two_communities(9);
        core::FactorModel a = train(t, o);
        o.threads = 2;
        core::FactorModel b = train(t, o);
        EXPECT_EQ(a.user_factors, b.user_factors);
        EXPECT_EQ(a.item_factors, b.item_factors);
        o.seed = 43;
        core::FactorModel c = train(t, o);
        EXPECT_NE(a.item_factors, c.item_factors);
    }
}

TEST(Training, ImplicitModelsKeepItemsInIdOrderHoweverTrainingNumbersThem) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 6;
    o.iterations = 4;
    // Item ids whose order is not their popularity's.
    test::Triplets t;
    for (int u = 0; u < 40; ++u)
        for (int i = 0; i < 12; ++i)
            if ((u * 7 + i * 3) % (i + 2) == 0)
                t.add(u, 100 - 7 * i, 1.0f + static_cast<float>(i % 3));
    ASSERT_EQ(core::item_order_for(o), core::ItemOrder::ByInteractions);
    auto trained = [&](core::ItemOrder order) {
        auto trainer = core::make_trainer(test::build(t, core::DuplicatePolicy::Sum, order), o);
        for (int it = 0; it < o.iterations; ++it) trainer->step(test::never_stop);
        return trainer->take_model();
    };
    const core::FactorModel by_id = trained(core::ItemOrder::ById);
    const core::FactorModel popular = trained(core::ItemOrder::ByInteractions);
    EXPECT_TRUE(std::is_sorted(popular.item_ids.begin(), popular.item_ids.end()));
    EXPECT_EQ(popular.item_ids, by_id.item_ids);
    EXPECT_EQ(popular.item_counts, by_id.item_counts);
    // The same model but for the order the item Gram sums in.
    EXPECT_LT((popular.item_factors - by_id.item_factors).cwiseAbs().maxCoeff(), 1e-4f);
    EXPECT_LT((popular.user_factors - by_id.user_factors).cwiseAbs().maxCoeff(), 1e-4f);
    // Every other trainer needs its items by id.
    o.feedback = core::Feedback::Explicit;
    EXPECT_THROW(
        core::make_trainer(
            test::build(t, core::DuplicatePolicy::Average, core::ItemOrder::ByInteractions), o),
        std::logic_error);
}

TEST(Training, StopCheckCancelsAStep) {
    core::TrainOptions o;
    o.factors = 4;
    auto trainer = core::make_trainer(test::build(two_communities(1)), o);
    EXPECT_THROW(trainer->step([] { return true; }), core::Cancelled);
}

TEST(Training, OptionsOutOfRangeAreInvalidArguments) {
    core::TrainOptions o;
    auto expect_invalid = [](const core::TrainOptions &bad) {
        try {
            core::validate_options(bad);
            FAIL() << "expected an error";
        } catch (const core::Error &e) {
            EXPECT_EQ(e.kind(), core::ErrorKind::InvalidArgument);
        }
    };
    o.factors = 0;
    expect_invalid(o);
    o = {};
    o.iterations = 0;
    expect_invalid(o);
    o = {};
    o.regularization = -1;
    expect_invalid(o);
    o = {};
    o.alpha = std::nan("");
    expect_invalid(o);
}

TEST(ImplicitAls, NegativeStrengthsAreRejected) {
    test::Triplets t;
    t.add(1, 1, -1.0f);
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    EXPECT_THROW(core::make_trainer(test::build(t, core::DuplicatePolicy::Sum), o), core::Error);
}

TEST(ImplicitAls, UnscaledRegularizationConvergesToo) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 4;
    o.iterations = 6;
    o.regularization = 1.0;
    o.scale_regularization = false;
    std::vector<double> losses;
    train(two_communities(4), o, &losses);
    for (size_t j = 1; j < losses.size(); ++j) EXPECT_LE(losses[j], losses[j - 1] * (1 + 1e-3));
}

// Implicit ALS by CG at `factors`, never turned into the eigenbasis (each
// test below turns it on to compare).
core::TrainOptions unturned_implicit(int factors, int iterations, double alpha) {
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = factors;
    o.iterations = iterations;
    o.alpha = alpha;
    o.eigenbasis_from_factors = 1000;
    return o;
}

Eigen::MatrixXf predictions(const core::FactorModel &m) {
    return m.user_factors * m.item_factors.transpose();
}

// The implicit objective of a trained model, from its factors alone, divided
// by the number of interactions (as IterationReport::loss).
double implicit_loss(const core::FactorModel &m, const test::Triplets &t,
                     const core::TrainOptions &o) {
    auto index = [](const std::vector<int64_t> &ids, int64_t id) {
        return std::lower_bound(ids.begin(), ids.end(), id) - ids.begin();
    };
    const Eigen::MatrixXd s = predictions(m).cast<double>();
    Eigen::MatrixXd confidence = Eigen::MatrixXd::Ones(s.rows(), s.cols());
    Eigen::MatrixXd preference = Eigen::MatrixXd::Zero(s.rows(), s.cols());
    Eigen::VectorXd user_n = Eigen::VectorXd::Zero(s.rows()),
                    item_n = Eigen::VectorXd::Zero(s.cols());
    for (size_t j = 0; j < t.users.size(); ++j) {
        const auto u = index(m.user_ids, t.users[j]), i = index(m.item_ids, t.items[j]);
        confidence(u, i) = 1.0 + o.alpha * t.values[j];
        preference(u, i) = 1.0;
        user_n(u) += 1;
        item_n(i) += 1;
    }
    double total = (confidence.array() * (preference - s).array().square()).sum();
    for (Eigen::Index u = 0; u < s.rows(); ++u)
        total += o.regularization * std::max(user_n(u), 1.0) *
                 m.user_factors.row(u).cast<double>().squaredNorm();
    for (Eigen::Index i = 0; i < s.cols(); ++i)
        total += o.regularization * std::max(item_n(i), 1.0) *
                 m.item_factors.row(i).cast<double>().squaredNorm();
    return total / static_cast<double>(t.users.size());
}

// Each iteration's reported loss is that of the model as it stands after it,
// although all but the last take it while solving the next iteration's
// users: a training stopped after k iterations has exactly that loss.
TEST(ImplicitAls, ReportsTheLossOfTheModelAfterEachIteration) {
    const test::Triplets t = two_communities(8);
    for (int turn_from : {1000, 1}) {
        core::TrainOptions o = unturned_implicit(8, 4, 2.0);
        o.eigenbasis_from_factors = turn_from;
        std::vector<double> losses;
        train(t, o, &losses);
        for (int k = 1; k <= o.iterations; ++k) {
            core::TrainOptions shorter = o;
            shorter.iterations = k;
            const double direct = implicit_loss(train(t, shorter), t, o);
            EXPECT_NEAR(losses[k - 1], direct, 1e-4 * direct)
                << "iteration " << k << ", eigenbasis from " << turn_from;
        }
    }
}

// Turning both sides into a Gram's eigenbasis before each side's solve
// (gram_eigenbasis.h) changes the basis of the factors, not the model: with
// as many CG steps as factors, plain or preconditioned, each row is solved
// exactly, so every prediction and loss are the same up to rounding.
// (Turning one side alone would change every prediction.)
TEST(ImplicitAls, TurningToTheEigenbasisChangesNoPrediction) {
    core::TrainOptions o = unturned_implicit(12, 6, 2.0);
    o.cg_steps = 12;
    std::vector<double> plain_loss, turned_loss;
    const core::FactorModel plain = train(two_communities(6), o, &plain_loss);
    o.eigenbasis_from_factors = 1;
    const core::FactorModel turned = train(two_communities(6), o, &turned_loss);
    const Eigen::MatrixXf p = predictions(plain), t = predictions(turned);
    EXPECT_LT((p - t).cwiseAbs().maxCoeff(), 1e-3f * p.cwiseAbs().maxCoeff());
    EXPECT_GT((plain.user_factors - turned.user_factors).cwiseAbs().maxCoeff(), 1e-2f);
    for (size_t it = 0; it < plain_loss.size(); ++it)
        EXPECT_NEAR(turned_loss[it], plain_loss[it], 1e-5 * plain_loss[it]) << "iteration " << it;
}

// In the eigenbasis each row's steps are preconditioned by its operator
// without its own interactions: two of them end lower than three plain ones.
TEST(ImplicitAls, TwoPreconditionedStepsEndLowerThanThreePlain) {
    core::TrainOptions o = unturned_implicit(12, 8, 2.0);
    o.cg_steps = 3;
    std::vector<double> plain_loss, preconditioned_loss;
    train(two_communities(7), o, &plain_loss);
    o.eigenbasis_from_factors = 1;
    o.cg_steps = 2;
    train(two_communities(7), o, &preconditioned_loss);
    EXPECT_LT(preconditioned_loss.back(), plain_loss.back());
}

// Six items, so at 16 factors the items' Gram has rank 6 at most.
test::Triplets six_items_forty_users() {
    test::Triplets t;
    for (int u = 0; u < 40; ++u)
        for (int i = 0; i < 6; ++i)
            if ((u + i) % 3 != 0) t.add(u, i, 1.0f + static_cast<float>(u % 4));
    return t;
}

// More factors than items and no regularisation: the items' Gram has zero
// eigenvalues, which the preconditioner must not divide by (it did, and
// the users' factors ran off to 5.6e7 where plain steps keep them at 55).
TEST(ImplicitAls, PreconditionsARankDeficientGramWithoutRegularisation) {
    const test::Triplets t = six_items_forty_users();
    core::TrainOptions o = unturned_implicit(16, 20, 1.0);
    o.regularization = 0.0;
    // The two bases' products from the floats: a half-precision copy rounds
    // each basis's factors differently, and with no regularisation that
    // rounding alone moved the predictions 1.1e-3 apart (GCC 16).
    o.half_precision_products = false;
    const core::FactorModel plain = train(t, o);
    o.eigenbasis_from_factors = 1;
    std::vector<double> losses;
    const core::FactorModel turned = train(t, o, &losses);
    for (double loss : losses) EXPECT_TRUE(std::isfinite(loss));
    EXPECT_LT(turned.user_factors.cwiseAbs().maxCoeff(),
              1e3f * plain.user_factors.cwiseAbs().maxCoeff());
    const Eigen::MatrixXf p = predictions(plain), q = predictions(turned);
    EXPECT_LT((p - q).cwiseAbs().maxCoeff(), 1e-3f * p.cwiseAbs().maxCoeff());
}

// Without regularisation nothing acts on a user's factors outside the span
// of the items' factors: the steps must not move them there. The size of
// that part, which a joint turn of both sides leaves alone, stays what the
// plain steps leave (their start, to rounding), whatever the compiler's
// rounding in the Gram's zero eigenvalues.
TEST(ImplicitAls, LeavesWhatNoItemSpansAloneWithoutRegularisation) {
    const test::Triplets t = six_items_forty_users();
    core::TrainOptions o = unturned_implicit(16, 20, 1.0);
    o.regularization = 0.0;
    o.half_precision_products = false;
    auto outside_items = [](const core::FactorModel &m) {
        const Eigen::MatrixXd y = m.item_factors.cast<double>();
        const Eigen::JacobiSVD<Eigen::MatrixXd> svd(y, Eigen::ComputeFullV);
        const Eigen::Index rank =
            (svd.singularValues().array() > 1e-6 * svd.singularValues()(0)).count();
        const Eigen::MatrixXd beyond = svd.matrixV().rightCols(y.cols() - rank);
        return (m.user_factors.cast<double>() * beyond).norm();
    };
    const double plain = outside_items(train(t, o));
    o.eigenbasis_from_factors = 1;
    const double turned = outside_items(train(t, o));
    EXPECT_GT(plain, 0.0) << "the users start with some of it";
    EXPECT_LT(turned, 2.0 * plain);
}

TEST(ImplicitAls, TakesTwoCgStepsUpTo64FactorsAndFromTheEigenbasisUnlessTold) {
    core::TrainOptions o;
    EXPECT_EQ(core::cg_steps_for(o, 32), 2);
    EXPECT_EQ(core::cg_steps_for(o, 64), 2);
    EXPECT_EQ(core::cg_steps_for(o, 65), 3);
    EXPECT_EQ(core::cg_steps_for(o, 127), 3);
    EXPECT_EQ(core::cg_steps_for(o, 128), 2);  // preconditioned in the Gram's eigenbasis
    EXPECT_EQ(core::cg_steps_for(o, 256), 2);
    EXPECT_EQ(core::cg_steps_for(o, 64, true), 2);
    EXPECT_EQ(core::cg_steps_for(o, 127, true), 3);
    EXPECT_EQ(core::cg_steps_for(o, 128, true), 1);  // a row streamed from memory
    EXPECT_EQ(core::cg_steps_for(o, 256, true), 1);
    o.cg_steps = 5;
    EXPECT_EQ(core::cg_steps_for(o, 64), 5);
    EXPECT_EQ(core::cg_steps_for(o, 256, true), 5);
}

namespace {

// 1,500 users who all have items 0 and 1, and three of 300 others each.
test::Triplets two_items_everyone_has() {
    test::Triplets t;
    core::SplitMix64 rng(23);
    for (int64_t u = 0; u < 1500; ++u) {
        for (int64_t item : {0, 1}) t.add(u, item, 1.0f + static_cast<float>(rng.next() % 3));
        for (int j = 0; j < 3; ++j) t.add(u, 2 + static_cast<int64_t>(rng.next() % 300), 1.0f);
    }
    return t;
}

}  // namespace

// Two items with 1,500 users each: at 128 factors their users' rows (768 KB)
// are more than a batch keeps in cache, so each takes one preconditioned
// step where the other rows take two. The model ends where two steps for
// every row take it.
TEST(ImplicitAls, RowsStreamedFromMemoryTakeOneStepAndEndWhereTwoDo) {
    const test::Triplets t = two_items_everyone_has();
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = 128;
    o.iterations = 12;
    o.alpha = 5.0;
    o.regularization = 0.5;
    ASSERT_EQ(core::cg_steps_for(o, o.factors, true), 1);
    std::vector<double> one_step, two_steps;
    const core::FactorModel streamed = train(t, o, &one_step);
    o.cg_steps = 2;
    const core::FactorModel every_row_two = train(t, o, &two_steps);
    EXPECT_NEAR(one_step.back(), two_steps.back(), 2e-3 * two_steps.back());
    const Eigen::MatrixXf p = predictions(streamed), q = predictions(every_row_two);
    EXPECT_LT((p - q).cwiseAbs().maxCoeff(), 0.05f * q.cwiseAbs().maxCoeff());
}

// Where the CPU has kernels the rows' products read the other side rounded
// to half precision: each iteration's loss and the predictions are the
// floats' but for that rounding, and the factors are not the floats' bit
// for bit (so the copy was read).
TEST(ImplicitAls, HalfPrecisionProductsEndWhereTheFloatsDo) {
    if (core::cpu_kernel() == core::CpuKernel::None) GTEST_SKIP() << "no kernels on this CPU";
    const test::Triplets t = two_items_everyone_has();
    for (int factors : {64, 128}) {
        core::TrainOptions o;
        o.feedback = core::Feedback::Implicit;
        o.factors = factors;
        o.iterations = 10;
        o.alpha = 5.0;
        o.regularization = 0.5;
        ASSERT_TRUE(o.half_precision_products);
        std::vector<double> half_loss, float_loss;
        const core::FactorModel from_half = train(t, o, &half_loss);
        o.half_precision_products = false;
        const core::FactorModel from_floats = train(t, o, &float_loss);
        for (size_t k = 0; k < float_loss.size(); ++k)
            EXPECT_NEAR(half_loss[k], float_loss[k], 1e-4 * float_loss[k])
                << "f " << factors << " iteration " << k + 1;
        const Eigen::MatrixXf p = predictions(from_half), q = predictions(from_floats);
        EXPECT_LT((p - q).cwiseAbs().maxCoeff(), 1e-2f * q.cwiseAbs().maxCoeff())
            << "f " << factors;
        EXPECT_GT((from_half.item_factors - from_floats.item_factors).cwiseAbs().maxCoeff(), 0.0f);
    }
}
