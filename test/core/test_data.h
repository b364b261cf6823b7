// Seeded synthetic data for the core tests.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/random.h"

namespace cfrec::test {

struct Triplets {
    std::vector<int64_t> users, items;
    std::vector<float> values;
    void add(int64_t u, int64_t i, float v) {
        users.push_back(u);
        items.push_back(i);
        values.push_back(v);
    }
};

inline core::Interactions build(const Triplets &t,
                                core::DuplicatePolicy policy = core::DuplicatePolicy::Average,
                                core::ItemOrder order = core::ItemOrder::ById) {
    core::InteractionBuilder builder(policy);
    builder.add(t.users.data(), t.items.data(), t.values.data(), t.users.size());
    return builder.finish(1, {}, order);
}

inline const core::StopCheck never_stop = [] { return false; };

// rows x cols entries drawn uniformly from [-0.5, 0.5), seeded.
inline core::FactorMatrix random_rows(int rows, int cols, uint64_t seed) {
    core::SplitMix64 rng(seed);
    core::FactorMatrix m(rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) m(r, c) = static_cast<float>(rng.uniform() - 0.5);
    return m;
}

}  // namespace cfrec::test
