#include "core/gram_eigenbasis.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <vector>

#include "core/cg_kernels.h"

namespace cfrec::core {

namespace {

// Rows turned at a time: their products with Q stay in L2 on the way out.
constexpr int64_t kTurnRows = 256;

// m = m Q, block by block, each row on its own (any thread count gives the
// same bits). q_rows is Q row-major, as gram_products reads its matrix.
void turn(FactorMatrix &m,
          const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> &q_rows,
          int threads, const StopCheck &stop) {
    const int f = static_cast<int>(m.cols());
    const CpuKernel kernel = cpu_kernel();
    const int64_t blocks = (m.rows() + kTurnRows - 1) / kTurnRows;
    parallel_for(
        blocks, threads, 1,
        [&](int64_t begin, int64_t end) {
            FactorMatrix turned(kTurnRows, f);
            const std::vector<float> no_reg(kTurnRows, 0.0f);
            for (int64_t block = begin; block < end; ++block) {
                const int64_t first = block * kTurnRows;
                const int count = static_cast<int>(std::min(kTurnRows, m.rows() - first));
                if (kernel == CpuKernel::None) {
                    turned.topRows(count).noalias() = m.middleRows(first, count) * q_rows;
                } else {
                    gram_products(kernel, q_rows.data(), f, no_reg.data(), m.row(first).data(),
                                  count, turned.data());
                }
                m.middleRows(first, count) = turned.topRows(count);
            }
        },
        stop);
}

}  // namespace

void turn_to_eigenbasis(Eigen::MatrixXf &gram, FactorMatrix &a, FactorMatrix &b, int threads,
                        const StopCheck &stop) {
    // Double precision keeps Q orthonormal to float's rounding.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(gram.cast<double>());
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> q =
        eigen.eigenvectors().cast<float>();
    turn(a, q, threads, stop);
    turn(b, q, threads, stop);
    gram.setZero();
    gram.diagonal() = eigen.eigenvalues().cast<float>();
}

bool is_diagonal(const Eigen::MatrixXf &gram) {
    for (Eigen::Index c = 0; c < gram.cols(); ++c)
        for (Eigen::Index r = 0; r < gram.rows(); ++r)
            if (r != c && gram(r, c) != 0.0f) return false;
    return true;
}

}  // namespace cfrec::core
