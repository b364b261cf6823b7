#include "core/gaussian_draws.h"

#include <cmath>

namespace cfrec::core {

double normal_draw(SplitMix64 &rng) {
    double z;
    normal_draws(rng, &z, 1);
    return z;
}

void normal_draws(SplitMix64 &rng, double *out, Eigen::Index n) {
    for (Eigen::Index k = 0; k < n; k += 2) {
        // 1 - U is in (0, 1]: the log stays finite.
        const double radius = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
        const double angle = 6.283185307179586 * rng.uniform();
        out[k] = radius * std::cos(angle);
        if (k + 1 < n) out[k + 1] = radius * std::sin(angle);
    }
}

double gamma_draw(SplitMix64 &rng, double shape) {
    if (shape < 1.0) {  // boosted: Gamma(a) = Gamma(a + 1) * U^(1/a)
        const double u = 1.0 - rng.uniform();
        return gamma_draw(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = normal_draw(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = 1.0 - rng.uniform();
        if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
}

bool gaussian_given_precision(SplitMix64 &rng, const Eigen::VectorXd &mean,
                              const Eigen::MatrixXd &precision, Eigen::VectorXd &x) {
    // precision = L L^T; x = mean + L^-T z has covariance precision^-1.
    const Eigen::LLT<Eigen::MatrixXd> llt(precision);
    if (llt.info() != Eigen::Success) return false;
    gaussian_given_factor(rng, llt, precision * mean, x);
    return true;
}

void gaussian_given_factor(SplitMix64 &rng, const Eigen::LLT<Eigen::MatrixXd> &precision,
                           const Eigen::VectorXd &pull, Eigen::VectorXd &x) {
    Eigen::VectorXd z(pull.size());
    normal_draws(rng, z.data(), z.size());
    x = precision.solve(pull) + precision.matrixU().solve(z);
}

Eigen::MatrixXd wishart_draw(SplitMix64 &rng, const Eigen::MatrixXd &scale, double degrees) {
    const Eigen::Index d = scale.rows();
    const Eigen::MatrixXd l = scale.llt().matrixL();
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
    for (Eigen::Index i = 0; i < d; ++i) {
        // chi-squared with (degrees - i) degrees of freedom: 2 Gamma((degrees - i) / 2)
        a(i, i) = std::sqrt(2.0 * gamma_draw(rng, 0.5 * (degrees - static_cast<double>(i))));
        for (Eigen::Index j = 0; j < i; ++j) a(i, j) = normal_draw(rng);
    }
    const Eigen::MatrixXd la = l * a;
    return la * la.transpose();
}

}  // namespace cfrec::core
