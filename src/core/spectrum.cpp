#include "core/spectrum.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/errors.h"
#include "core/orthonormal.h"

namespace cfrec::core {

namespace {

std::vector<float> inverse_sqrt_degrees(const Csr &m) {
    std::vector<float> s(static_cast<size_t>(m.rows()));
    for (int32_t r = 0; r < m.rows(); ++r)
        s[r] = m.row_size(r) > 0 ? 1.0f / std::sqrt(static_cast<float>(m.row_size(r))) : 0.0f;
    return s;
}

// y = R~ x, with R~'s rows from `rows` (the transposed CSR gives R~^T x).
void normalized_product(const Csr &rows, const std::vector<float> &row_scale,
                        const std::vector<float> &column_scale, const FactorMatrix &x,
                        FactorMatrix &y, int threads, const StopCheck &stop) {
    y.setZero(rows.rows(), x.cols());
    parallel_for(
        rows.rows(), threads, 256,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                auto out = y.row(r);
                for (int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k) {
                    const int32_t c = rows.indices[k];
                    out += column_scale[c] * x.row(c);
                }
                out *= row_scale[r];
            }
        },
        stop);
}

}  // namespace

ItemSpectrumSolver::ItemSpectrumSolver(const Interactions &data, int rank, uint64_t seed)
    : data_(data), rank_(rank), seed_(seed) {
    const int32_t users = data.by_user.rows(), items = data.by_item.rows();
    if (rank < 1 || rank > std::min(users, items))
        throw Error(ErrorKind::InvalidArgument,
                    "factors must not exceed the number of users or of items",
                    "The graph filter's rank is at most min(users, items) = " +
                        std::to_string(std::min(users, items)) + "; ask for fewer factors.");
    width_ = std::min<int>({rank + 32, users, items});
    user_scale_ = inverse_sqrt_degrees(data.by_user);
    item_scale_ = inverse_sqrt_degrees(data.by_item);
    for (int32_t u = 0; u < users; ++u)
        for (int64_t k = data.by_user.indptr[u]; k < data.by_user.indptr[u + 1]; ++k) {
            const double v = user_scale_[u] * item_scale_[data.by_user.indices[k]];
            total_energy_ += v * v;
        }
}

double ItemSpectrumSolver::iterate(int threads, const StopCheck &stop) {
    if (y_.size() == 0) {
        FactorMatrix omega(data_.by_item.rows(), width_);
        gaussian_fill(omega, seed_);
        normalized_product(data_.by_user, user_scale_, item_scale_, omega, y_, threads, stop);
    } else {
        orthonormalize(z_, seed_ + ++passes_, stop);
        normalized_product(data_.by_user, user_scale_, item_scale_, z_, y_, threads, stop);
    }
    orthonormalize(y_, seed_ + ++passes_, stop);
    normalized_product(data_.by_item, item_scale_, user_scale_, y_, z_, threads, stop);
    return std::max(0.0, 1.0 - static_cast<double>(z_.squaredNorm()) / total_energy_);
}

ItemSpectrum ItemSpectrumSolver::finish(const StopCheck &stop) const {
    // y_ spans R~'s leading left singular space; z_ = R~^T y_ = V S W^T, so
    // the eigenvectors W of z_^T z_ = W S^2 W^T give V = z_ W S^-1.
    Eigen::MatrixXd m = (z_.transpose() * z_).cast<double>();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);  // ascending eigenvalues
    ItemSpectrum out;
    out.values.resize(rank_);
    Eigen::MatrixXf w(width_, rank_);
    for (int k = 0; k < rank_; ++k) {
        const int from = width_ - 1 - k;
        const double s = std::sqrt(std::max(0.0, eig.eigenvalues()[from]));
        out.values[k] = static_cast<float>(s);
        w.col(k) = (eig.eigenvectors().col(from) / (s > 0 ? s : 1.0)).cast<float>();
    }
    out.vectors = z_;
    multiply_right(out.vectors, w, stop);
    return out;
}

}  // namespace cfrec::core
