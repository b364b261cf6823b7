// Bayesian matrix factorisation with biases (algorithm => 'bpmf'; after
// Salakhutdinov and Mnih 2008, "Bayesian probabilistic matrix factorization
// using Markov chain Monte Carlo"), explicit ratings only:
//
//     r ~ N(mean + b_u + b_i + x_u . y_i, 1 / alpha)
//
// (sampled in units of the ratings' standard deviation, so the same priors
// suit any rating scale)
// Each side's rows [x, b] share a Gaussian prior whose mean and precision
// have a Normal-Wishart hyperprior, and alpha has a Gamma one, so there is
// nothing to tune: the data set how strongly each side is regularised.
// Gibbs sampling, one sweep per iteration: the users' prior, every user's
// row given the items, the items' prior, every item's row given the users,
// then alpha. Rows of one side are independent given the other, so they
// are drawn in parallel, each from a generator seeded by (seed, sweep, id):
// a seed gives the same model on any number of threads.
//
// The model is the mean of the samples after the first tenth of the sweeps
// (the burn-in), an ordinary factor model. On ml-latest-small the product of
// the mean factors predicts held-out ratings as well as the mean of the
// samples' products, which would need every sample (bench/RESULTS.md).
// Folding in and refreshing solve a user's vector against the item factors
// as explicit ALS does, with the model's regularization.
#pragma once

#include "core/trainer.h"

namespace cfrec::core {

// Defaults measured on ml-latest-small, 5 folds, two seeds (bench/RESULTS.md):
// 12 factors and 250 sweeps, RMSE 0.8574-0.8575; 10 and 200 gave
// 0.8583-0.8595, 12 and 300 no better.
constexpr int kBayesianFactors = 12;
constexpr int kBayesianSweeps = 250;

class BayesianMf : public Trainer {
  public:
    BayesianMf(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    // Draws the prior of `rows` (rows x (f + 1): factors, then the bias),
    // then every row given the other side's, for the ratings `by_row` holds.
    void draw_side(Eigen::MatrixXd &rows, const Eigen::MatrixXd &other, const Csr &by_row,
                   const std::vector<int64_t> &ids, uint64_t stream, uint64_t prior_stream,
                   const StopCheck &stop);

    Interactions data_;
    TrainOptions options_;
    double mean_ = 0.0, scale_ = 1.0;  // the ratings' mean and standard deviation
    float min_ = 0.0f, max_ = 0.0f;
    Eigen::MatrixXd users_, items_;        // the current sample
    Eigen::MatrixXd user_sum_, item_sum_;  // the samples after the burn-in, summed
    double alpha_ = 2.0;                   // the ratings' precision
    int iteration_ = 0, samples_ = 0;
};

}  // namespace cfrec::core
