// Small trained models with planted structure, shared by the core tests.
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "core/serving.h"
#include "core/trainer.h"
#include "test_data.h"

namespace cfrec::test {

// R~ = D_u^-1/2 R D_i^-1/2 as a dense matrix, R the 0/1 interaction matrix.
inline Eigen::MatrixXd normalized_dense(const core::Interactions &d) {
    Eigen::MatrixXd r = Eigen::MatrixXd::Zero(d.by_user.rows(), d.by_item.rows());
    for (int32_t u = 0; u < d.by_user.rows(); ++u)
        for (int64_t k = d.by_user.indptr[u]; k < d.by_user.indptr[u + 1]; ++k) {
            const int32_t i = d.by_user.indices[k];
            r(u, i) =
                1.0 / std::sqrt(double(d.by_user.row_size(u)) * double(d.by_item.row_size(i)));
        }
    return r;
}

// Users 0..49 like items 0..29 and dislike 30..59; users 50..99 the other
// way round. Each user rates half their liked items 4-5 and a fifth of the
// others 1-2, so both explicit and implicit models can tell them apart.
inline Triplets communities() {
    core::SplitMix64 rng(17);
    Triplets t;
    for (int u = 0; u < 100; ++u)
        for (int i = 0; i < 60; ++i) {
            const bool liked = (u < 50) == (i < 30);
            if (rng.uniform() < (liked ? 0.5 : 0.2))
                t.add(u, i, liked ? 4.0f + (rng.next() % 2) : 1.0f + (rng.next() % 2));
        }
    return t;
}

inline core::FactorModel train_small(const Triplets &t, core::Feedback feedback, int iterations,
                                     int factors = 3) {
    core::TrainOptions o;
    o.feedback = feedback;
    o.factors = factors;
    o.iterations = iterations;
    o.solver = core::ImplicitSolver::Cholesky;
    auto trainer = core::make_trainer(
        build(t, feedback == core::Feedback::Explicit ? core::DuplicatePolicy::Average
                                                      : core::DuplicatePolicy::Sum),
        o);
    for (int it = 0; it < iterations; ++it) trainer->step(never_stop);
    core::FactorModel m = trainer->take_model();
    core::prepare_for_serving(m);
    return m;
}

}  // namespace cfrec::test
