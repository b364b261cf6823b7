// Small trained models with planted structure, shared by the core tests.
#pragma once

#include "core/serving.h"
#include "core/trainer.h"
#include "test_data.h"

namespace cfrec::test {

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
