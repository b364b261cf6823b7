#include "core/trainer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/als_explicit.h"
#include "core/als_implicit.h"
#include "core/errors.h"
#include "core/sgd_svd.h"

namespace cfrec::core {

namespace {

void require(bool ok, const std::string &message, const std::string &hint) {
    if (!ok) throw Error(ErrorKind::InvalidArgument, message, hint);
}

}  // namespace

void validate_options(const TrainOptions &o) {
    require(o.factors >= 1 && o.factors <= 1024, "factors must be between 1 and 1024",
            "Typical values are 16 to 256.");
    require(o.iterations >= 1 && o.iterations <= 1000, "iterations must be between 1 and 1000",
            "Leave iterations out for the algorithm's default: 8 for explicit ALS, "
            "15 for implicit ALS, 40 for SVD.");
    require(std::isfinite(o.regularization) && o.regularization >= 0.0,
            "regularization must be a finite number >= 0",
            "The default, 0.1, is tuned for both feedback kinds.");
    require(std::isfinite(o.alpha) && o.alpha >= 0.0, "alpha must be a finite number >= 0",
            "alpha scales interaction strength into confidence; the default is 1.");
    require(std::isfinite(o.learning_rate) && o.learning_rate > 0.0 && o.learning_rate < 1.0,
            "learning_rate must be between 0 and 1",
            "SGD steps of 0.002 to 0.02 are usual; the default is 0.01.");
    require(o.algorithm == Algorithm::Als || o.feedback == Feedback::Explicit,
            "algorithm 'svd' needs explicit feedback",
            "SVD fits ratings; for implicit feedback use algorithm => 'als'.");
    require(o.cg_steps >= 1 && o.cg_steps <= 64, "cg_steps must be between 1 and 64", "");
}

int64_t training_memory_bytes(const Interactions &data, const TrainOptions &o, int threads) {
    const int64_t f = o.factors;
    const int64_t sides = static_cast<int64_t>(data.user_ids.size() + data.item_ids.size());
    int64_t longest = 0;  // the longest row, gathered per thread by the implicit solver
    for (const Csr *csr : {&data.by_user, &data.by_item})
        for (int32_t r = 0; r < csr->rows(); ++r) longest = std::max(longest, csr->row_size(r));
    const int64_t factors = 2 * sides * (f + 1) * static_cast<int64_t>(sizeof(float));
    const int64_t per_thread = 2 * f * f * static_cast<int64_t>(sizeof(double)) +
                               longest * f * static_cast<int64_t>(sizeof(float));
    return factors + std::max(threads, 1) * per_thread;
}

int default_iterations(Algorithm algorithm, Feedback feedback) {
    if (algorithm == Algorithm::Svd) return 40;
    return feedback == Feedback::Explicit ? 8 : 15;
}

std::unique_ptr<Trainer> make_trainer(Interactions data, const TrainOptions &options) {
    validate_options(options);
    if (options.feedback == Feedback::Implicit) {
        for (float v : data.by_user.values)
            if (v < 0.0f)
                throw Error(ErrorKind::DataError,
                            "implicit feedback needs interaction strengths >= 0",
                            "Negative values have no meaning as confidence; filter them out "
                            "or train with feedback => 'explicit'.");
        return std::make_unique<ImplicitAls>(std::move(data), options);
    }
    if (options.algorithm == Algorithm::Svd)
        return std::make_unique<SgdSvd>(std::move(data), options);
    return std::make_unique<ExplicitAls>(std::move(data), options);
}

}  // namespace cfrec::core
