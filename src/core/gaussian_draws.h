// Seeded draws from the distributions Gibbs sampling needs (bayesian_mf.h):
// the standard normal, the gamma, a Gaussian given its precision matrix and
// the Wishart. Built on SplitMix64, never on <random>'s distributions, so a
// seed gives the same draws on every platform.
#pragma once

#include <Eigen/Dense>

#include "core/random.h"

namespace cfrec::core {

// Standard normal (Box-Muller; one of the pair is dropped, which keeps the
// generator's state a function of the draw count alone).
double normal_draw(SplitMix64 &rng);
// n standard normals, both of each Box-Muller pair used.
void normal_draws(SplitMix64 &rng, double *out, Eigen::Index n);

// Gamma with this shape (> 0) and scale 1 (Marsaglia and Tsang 2000).
double gamma_draw(SplitMix64 &rng, double shape);

// A draw of N(mean, precision^-1), precision symmetric positive definite.
// False (x untouched) when it is not, as after a numerical breakdown.
bool gaussian_given_precision(SplitMix64 &rng, const Eigen::VectorXd &mean,
                              const Eigen::MatrixXd &precision, Eigen::VectorXd &x);

// The same for N(precision^-1 pull, precision), with precision's Cholesky
// factor given: the usual Gibbs step of a Bayesian regression.
void gaussian_given_factor(SplitMix64 &rng, const Eigen::LLT<Eigen::MatrixXd> &precision,
                           const Eigen::VectorXd &pull, Eigen::VectorXd &x);

// A draw of Wishart(scale, degrees), degrees > dimension - 1 (Bartlett's
// decomposition).
Eigen::MatrixXd wishart_draw(SplitMix64 &rng, const Eigen::MatrixXd &scale, double degrees);

}  // namespace cfrec::core
