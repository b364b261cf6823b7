// Pieces both ALS variants share.
#pragma once

#include <chrono>
#include <vector>

#include "core/factor_model.h"
#include "core/random.h"

namespace cfrec::core {

// Rows solved per work unit: small enough that the stop check runs often.
constexpr int64_t kSolveChunk = 64;

// Small uniform values in [-scale, scale), drawn per external id.
inline FactorMatrix random_factors(const std::vector<int64_t> &ids, int factors, uint64_t seed,
                                   uint64_t stream, float scale) {
    FactorMatrix m(static_cast<Eigen::Index>(ids.size()), factors);
    for (size_t r = 0; r < ids.size(); ++r) {
        SplitMix64 rng = entity_rng(seed, ids[r], stream);
        for (int k = 0; k < factors; ++k)
            m(static_cast<Eigen::Index>(r), k) =
                static_cast<float>((2.0 * rng.uniform() - 1.0) * scale);
    }
    return m;
}

inline std::vector<int32_t> row_sizes(const Csr &m) {
    std::vector<int32_t> out(m.rows());
    for (int32_t r = 0; r < m.rows(); ++r) out[r] = static_cast<int32_t>(m.row_size(r));
    return out;
}

class Stopwatch {
  public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

  private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace cfrec::core
