// BPMF (bayesian_mf.h) and the draws its Gibbs sampler makes (gaussian_draws.h).
#include <gtest/gtest.h>

#include <cmath>

#include "core/bayesian_mf.h"
#include "core/errors.h"
#include "core/gaussian_draws.h"
#include "core/serving.h"
#include "core/trainer.h"
#include "test_data.h"

using namespace cfrec;

namespace {

// Ratings from a rank-3 taste model with biases and noise (sd 0.3), a third
// of the pairs rated; every fifth rating held out.
struct Split {
    test::Triplets train, test;
};

Split low_rank_ratings() {
    core::SplitMix64 rng(5);
    const int users = 150, items = 120, rank = 3;
    Eigen::MatrixXd x(users, rank), y(items, rank);
    for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = core::normal_draw(rng) * 0.7;
    for (Eigen::Index k = 0; k < y.size(); ++k) y.data()[k] = core::normal_draw(rng) * 0.7;
    Split s;
    int n = 0;
    for (int u = 0; u < users; ++u)
        for (int i = 0; i < items; ++i) {
            if (rng.uniform() > 1.0 / 3) continue;
            const double r = 3.2 + 0.3 * std::sin(u) + 0.4 * std::cos(i) + x.row(u).dot(y.row(i)) +
                             0.3 * core::normal_draw(rng);
            (++n % 5 == 0 ? s.test : s.train).add(u, i, static_cast<float>(r));
        }
    return s;
}

core::FactorModel train_bpmf(const test::Triplets &t, int threads, int sweeps = 60) {
    core::TrainOptions o = core::default_options(core::Algorithm::Bpmf, core::Feedback::Explicit);
    o.iterations = sweeps;
    o.threads = threads;
    auto trainer = core::make_trainer(test::build(t), o);
    for (int it = 0; it < sweeps; ++it) trainer->step(test::never_stop);
    return trainer->take_model();
}

double rmse(const core::FactorModel &m, const test::Triplets &t) {
    double se = 0;
    for (size_t k = 0; k < t.users.size(); ++k) {
        const double e = core::predict(m, t.users[k], t.items[k]) - t.values[k];
        se += e * e;
    }
    return std::sqrt(se / static_cast<double>(t.users.size()));
}

}  // namespace

// Nothing tuned: the priors learn how much to regularise, and held-out
// ratings come out close to the noise (0.3), far below the spread of the
// ratings themselves.
TEST(BayesianMf, PredictsHeldOutRatingsNearTheNoise) {
    const Split s = low_rank_ratings();
    const core::FactorModel m = train_bpmf(s.train, 2);
    EXPECT_EQ(m.factors(), core::kBayesianFactors);
    double mean = 0, spread = 0;
    for (float v : s.test.values) mean += v;
    mean /= static_cast<double>(s.test.values.size());
    for (float v : s.test.values) spread += (v - mean) * (v - mean);
    spread = std::sqrt(spread / static_cast<double>(s.test.values.size()));
    const double held_out = rmse(m, s.test);
    EXPECT_LT(held_out, 0.45) << "noise 0.3; the ratings' own spread " << spread;
    EXPECT_GT(spread, 2.5 * held_out);
}

// Each row is drawn from a generator of its own (seed, sweep, id), so the
// number of threads does not change the model.
TEST(BayesianMf, IsTheSameOnAnyNumberOfThreads) {
    const Split s = low_rank_ratings();
    const core::FactorModel a = train_bpmf(s.train, 1, 8), b = train_bpmf(s.train, 2, 8);
    EXPECT_EQ(a.user_factors, b.user_factors);
    EXPECT_EQ(a.item_factors, b.item_factors);
    EXPECT_EQ(a.user_bias, b.user_bias);
}

// Sampled in units of the ratings' spread: ratings on a 0-100 scale get the
// same model, scaled, as the same ratings on 0-5.
TEST(BayesianMf, FitsAnyRatingScale) {
    const Split s = low_rank_ratings();
    test::Triplets times20 = s.train;
    for (float &v : times20.values) v *= 20.0f;
    const core::FactorModel a = train_bpmf(s.train, 2, 20), b = train_bpmf(times20, 2, 20);
    for (size_t k = 0; k < s.test.users.size(); k += 17)
        EXPECT_NEAR(core::predict(b, s.test.users[k], s.test.items[k]),
                    20.0f * core::predict(a, s.test.users[k], s.test.items[k]), 2e-3 * 20);
}

TEST(BayesianMf, NeedsExplicitFeedbackAndStopsWhenAsked) {
    core::TrainOptions o = core::default_options(core::Algorithm::Bpmf, core::Feedback::Implicit);
    EXPECT_THROW(core::validate_options(o), core::Error);
    o.feedback = core::Feedback::Explicit;
    EXPECT_EQ(o.iterations, core::kBayesianSweeps);
    auto trainer = core::make_trainer(test::build(low_rank_ratings().train), o);
    EXPECT_THROW(trainer->step([] { return true; }), core::Cancelled);
}

TEST(GaussianDraws, HaveTheirDistributionsMoments) {
    core::SplitMix64 rng(11);
    const int n = 40000;
    double sum = 0, squares = 0, gamma3 = 0, gamma_half = 0;
    for (int k = 0; k < n; ++k) {
        const double z = core::normal_draw(rng);
        sum += z;
        squares += z * z;
        gamma3 += core::gamma_draw(rng, 3.0);
        gamma_half += core::gamma_draw(rng, 0.5);
    }
    EXPECT_NEAR(sum / n, 0.0, 0.02);
    EXPECT_NEAR(squares / n, 1.0, 0.03);
    EXPECT_NEAR(gamma3 / n, 3.0, 0.05);
    EXPECT_NEAR(gamma_half / n, 0.5, 0.02);
    // Wishart(W, nu) has mean nu W.
    Eigen::MatrixXd w(2, 2);
    w << 1.0, 0.3, 0.3, 0.5;
    Eigen::MatrixXd total = Eigen::MatrixXd::Zero(2, 2);
    for (int k = 0; k < 5000; ++k) total += core::wishart_draw(rng, w, 4.0);
    EXPECT_TRUE((total / 5000).isApprox(4.0 * w, 0.05)) << total / 5000;
    // N(m, P^-1): the mean m, covariance P^-1.
    Eigen::VectorXd m(2), x;
    m << 1.0, -2.0;
    Eigen::MatrixXd p(2, 2);
    p << 4.0, 1.0, 1.0, 2.0;
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(2);
    Eigen::MatrixXd second = Eigen::MatrixXd::Zero(2, 2);
    for (int k = 0; k < 20000; ++k) {
        ASSERT_TRUE(core::gaussian_given_precision(rng, m, p, x));
        mean += x;
        second += (x - m) * (x - m).transpose();
    }
    EXPECT_TRUE((mean / 20000).isApprox(m, 0.02));
    EXPECT_TRUE((second / 20000).isApprox(p.inverse(), 0.05)) << second / 20000;
    EXPECT_FALSE(core::gaussian_given_precision(rng, m, -p, x)) << "not a precision";
}
