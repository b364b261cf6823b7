#include "core/orthonormal.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/random.h"

namespace cfrec::core {

namespace {

// Rows per block: a block's product with a 1,000-column basis takes tens of
// milliseconds, so a cancel is seen well within a second.
constexpr Eigen::Index kBlockRows = 2048;

void check(const StopCheck &stop) {
    if (stop && stop()) throw Cancelled();
}

// a^T b, summed over blocks of rows in double.
Eigen::MatrixXd cross(const FactorMatrix &a, const FactorMatrix &b, const StopCheck &stop) {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(a.cols(), b.cols());
    for (Eigen::Index at = 0; at < a.rows(); at += kBlockRows) {
        check(stop);
        const Eigen::Index n = std::min(kBlockRows, a.rows() - at);
        out += (a.middleRows(at, n).transpose() * b.middleRows(at, n)).cast<double>();
    }
    return out;
}

// One Cholesky QR pass; false, y unchanged, when y^T y is too ill-conditioned.
bool cholesky_pass(FactorMatrix &y, const StopCheck &stop) {
    const Eigen::MatrixXd g = cross(y, y, stop);
    Eigen::LLT<Eigen::MatrixXd> llt(g);
    const Eigen::VectorXd d = llt.matrixLLT().diagonal();
    if (llt.info() != Eigen::Success || !(d.minCoeff() > 1e-4 * d.maxCoeff())) return false;
    const Eigen::MatrixXd inverse =
        llt.matrixU().solve(Eigen::MatrixXd::Identity(g.rows(), g.cols()));  // U^-1, g = U^T U
    multiply_right(y, inverse.cast<float>(), stop);
    return true;
}

// For (nearly) rank-deficient y: y's own directions, from the eigenvectors of
// y^T y, then random ones orthogonal to them for the rest of the columns.
void complete_basis(FactorMatrix &y, uint64_t seed, const StopCheck &stop) {
    const Eigen::Index width = y.cols();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cross(y, y, stop));  // ascending
    check(stop);
    const Eigen::VectorXd &values = eig.eigenvalues();
    const double top = std::max(values[width - 1], 0.0);
    Eigen::Index kept = 0;
    while (kept < width && values[width - 1 - kept] > 1e-8 * top && top > 0) ++kept;
    Eigen::MatrixXd to_basis = eig.eigenvectors().rightCols(kept);
    for (Eigen::Index k = 0; k < kept; ++k)
        to_basis.col(k) /= std::sqrt(values[width - kept + k]);
    FactorMatrix own = y;
    multiply_right(own, to_basis.cast<float>(), stop);

    FactorMatrix fresh(y.rows(), width - kept);
    gaussian_fill(fresh, seed);
    for (int pass = 0; pass < 2 && kept > 0; ++pass) {  // Gram-Schmidt twice is enough
        const Eigen::MatrixXf along = cross(own, fresh, stop).cast<float>();
        for (Eigen::Index at = 0; at < y.rows(); at += kBlockRows) {
            check(stop);
            const Eigen::Index n = std::min(kBlockRows, y.rows() - at);
            fresh.middleRows(at, n).noalias() -= own.middleRows(at, n) * along;
        }
    }
    if (fresh.cols() > 0 && !cholesky_pass(fresh, stop))
        throw Error(ErrorKind::DataError, "the graph filter's random basis is degenerate",
                    "Train again with another seed.");
    y.resize(y.rows(), width);
    y << own, fresh;
}

}  // namespace

void multiply_right(FactorMatrix &y, const Eigen::MatrixXf &m, const StopCheck &stop) {
    FactorMatrix out(y.rows(), m.cols());
    for (Eigen::Index at = 0; at < y.rows(); at += kBlockRows) {
        check(stop);
        const Eigen::Index n = std::min(kBlockRows, y.rows() - at);
        out.middleRows(at, n).noalias() = y.middleRows(at, n) * m;
    }
    y = std::move(out);
}

void orthonormalize(FactorMatrix &y, uint64_t seed, const StopCheck &stop) {
    for (int pass = 0; pass < 2; ++pass) {
        if (!cholesky_pass(y, stop)) {
            complete_basis(y, seed, stop);
            cholesky_pass(y, stop);  // polishes what the eigenvectors left
            return;
        }
    }
}

void gaussian_fill(FactorMatrix &x, uint64_t seed) {
    SplitMix64 rng(seed);
    for (Eigen::Index i = 0; i < x.size(); i += 2) {
        // Box-Muller: two normal draws from two uniform ones.
        double u1 = std::max(rng.uniform(), 1e-300), u2 = rng.uniform();
        double r = std::sqrt(-2.0 * std::log(u1));
        x.data()[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
        if (i + 1 < x.size()) x.data()[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
    }
}

}  // namespace cfrec::core
