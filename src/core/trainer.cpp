#include "core/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/als_explicit.h"
#include "core/als_implicit.h"
#include "core/bayesian_mf.h"
#include "core/errors.h"
#include "core/graph_filter.h"
#include "core/linear_filter.h"
#include "core/sgd_svd.h"
#include "core/sgd_svdpp.h"

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
            "15 for implicit ALS, 40 for SVD and SVD++, 250 for BPMF, 3 for the graph "
            "filter, 8 for the linear filter.");
    require(std::isfinite(o.regularization) && o.regularization >= 0.0,
            "regularization must be a finite number >= 0",
            "Leave it out for the algorithm's default: 0.1 for ratings, 0.5 for implicit "
            "ALS.");
    require(std::isfinite(o.alpha) && o.alpha >= 0.0, "alpha must be a finite number >= 0",
            "alpha scales interaction strength into confidence (implicit ALS, default 5) "
            "or weighs a graph filter's ideal low-pass part (default 1; the linear filter "
            "weighs it by its spectrum when alpha is left out).");
    require(std::isfinite(o.learning_rate) && o.learning_rate > 0.0 && o.learning_rate < 1.0,
            "learning_rate must be between 0 and 1",
            "SGD steps of 0.002 to 0.02 are usual; the default is 0.01.");
    require((o.algorithm != Algorithm::Svd && o.algorithm != Algorithm::SvdPlusPlus &&
             o.algorithm != Algorithm::Bpmf) ||
                o.feedback == Feedback::Explicit,
            std::string("algorithm '") + algorithm_name(o.algorithm) + "' needs explicit feedback",
            "It fits ratings; for implicit feedback use algorithm => 'als' or "
            "'linear_filter'.");
    require((o.algorithm != Algorithm::GraphFilter && o.algorithm != Algorithm::LinearFilter) ||
                o.feedback == Feedback::Implicit,
            std::string("algorithm '") + algorithm_name(o.algorithm) + "' needs implicit feedback",
            "Graph filters rank items from who interacted with what; for ratings use "
            "algorithm => 'als' or 'svd'.");
    require(o.cg_steps >= 0 && o.cg_steps <= 64, "cg_steps must be between 0 and 64", "");
}

const char *algorithm_name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::Svd:
            return "svd";
        case Algorithm::SvdPlusPlus:
            return "svdpp";
        case Algorithm::GraphFilter:
            return "graph_filter";
        case Algorithm::LinearFilter:
            return "linear_filter";
        case Algorithm::Bpmf:
            return "bpmf";
        case Algorithm::Als:
            break;
    }
    return "als";
}

bool algorithm_named(const char *name, Algorithm *algorithm) {
    for (Algorithm a : {Algorithm::Als, Algorithm::Svd, Algorithm::SvdPlusPlus,
                        Algorithm::GraphFilter, Algorithm::LinearFilter, Algorithm::Bpmf})
        if (std::strcmp(name, algorithm_name(a)) == 0) {
            *algorithm = a;
            return true;
        }
    return false;
}

int64_t training_memory_bytes(const Interactions &data, const TrainOptions &o, int threads) {
    const int64_t f = o.factors;
    const int64_t sides = static_cast<int64_t>(data.user_ids.size() + data.item_ids.size());
    if (o.algorithm == Algorithm::GraphFilter || o.algorithm == Algorithm::LinearFilter) {
        // Both sides' bases at rank + 32 columns, the random start (items
        // wide), then the model's two factor matrices and the trainer's copy.
        const int64_t width = f + 32;
        return static_cast<int64_t>(sizeof(float)) *
               (sides * width + static_cast<int64_t>(data.item_ids.size()) * width + 2 * sides * f);
    }
    int64_t longest = 0;  // the longest row, gathered per thread by the implicit solver
    for (const Csr *csr : {&data.by_user, &data.by_item})
        for (int32_t r = 0; r < csr->rows(); ++r) longest = std::max(longest, csr->row_size(r));
    if (o.algorithm == Algorithm::Bpmf)  // doubles: the sample, the sums, their means
        return 3 * sides * (f + 1) * static_cast<int64_t>(sizeof(double)) +
               std::max(threads, 1) * longest * (f + 2) * static_cast<int64_t>(sizeof(double));
    int64_t factors = 2 * sides * (f + 1) * static_cast<int64_t>(sizeof(float));
    if (o.algorithm == Algorithm::SvdPlusPlus)  // and the items' implicit factors y
        factors +=
            static_cast<int64_t>(data.item_ids.size()) * f * static_cast<int64_t>(sizeof(float));
    const int64_t per_thread = 2 * f * f * static_cast<int64_t>(sizeof(double)) +
                               longest * f * static_cast<int64_t>(sizeof(float));
    return factors + std::max(threads, 1) * per_thread;
}

int default_iterations(Algorithm algorithm, Feedback feedback) {
    if (algorithm == Algorithm::Svd || algorithm == Algorithm::SvdPlusPlus) return 40;
    if (algorithm == Algorithm::GraphFilter) return 3;
    if (algorithm == Algorithm::LinearFilter) return kLinearFilterPasses;
    if (algorithm == Algorithm::Bpmf) return kBayesianSweeps;
    return feedback == Feedback::Explicit ? 8 : 15;
}

TrainOptions default_options(Algorithm algorithm, Feedback feedback) {
    TrainOptions o;
    o.algorithm = algorithm;
    o.feedback = feedback;
    o.iterations = default_iterations(algorithm, feedback);
    // bench/RESULTS.md, "Implicit defaults across data sets": measured on
    // ml-latest-small, Yelp2018 and synthetic check-ins; explicit ALS and
    // SVD keep the MovieLens-tuned TrainOptions values.
    if (algorithm == Algorithm::GraphFilter) {
        o.factors = 512;
        o.regularization = 0.0;
        o.alpha = 1.0;
    } else if (algorithm == Algorithm::LinearFilter) {
        o.factors = kLinearFilterRank;
        o.regularization = 0.0;
        o.alpha = 0.0;  // unused while ideal_from_spectrum
        o.ideal_from_spectrum = true;
    } else if (algorithm == Algorithm::SvdPlusPlus) {
        o.factors = 128;
    } else if (algorithm == Algorithm::Bpmf) {
        o.factors = kBayesianFactors;
    } else if (algorithm == Algorithm::Als && feedback == Feedback::Implicit) {
        o.factors = 256;
        o.regularization = 0.5;
        o.alpha = 5.0;
    }
    return o;
}

ItemOrder item_order_for(const TrainOptions &options) {
    // Not where the sides turn into the Gram's eigenbasis: the eigenvectors
    // of a rank-deficient Gram (more factors than items) follow the order
    // it was summed in, and without regularisation so did the model.
    const bool turns = options.solver == ImplicitSolver::ConjugateGradient &&
                       options.factors >= options.eigenbasis_from_factors;
    return options.algorithm == Algorithm::Als && options.feedback == Feedback::Implicit && !turns
               ? ItemOrder::ByInteractions
               : ItemOrder::ById;
}

std::unique_ptr<Trainer> make_trainer(Interactions data, const TrainOptions &options) {
    validate_options(options);
    // Only implicit ALS puts items numbered otherwise back in id order.
    const bool graph =
        options.algorithm == Algorithm::GraphFilter || options.algorithm == Algorithm::LinearFilter;
    if ((graph || options.feedback != Feedback::Implicit) &&
        !std::is_sorted(data.item_ids.begin(), data.item_ids.end()))
        throw std::logic_error("cfrec: items not numbered by id for a trainer that needs it");
    if (options.algorithm == Algorithm::GraphFilter)
        return std::make_unique<GraphFilter>(std::move(data), options);
    if (options.algorithm == Algorithm::LinearFilter)
        return std::make_unique<LinearFilterTrainer>(std::move(data), options);
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
    if (options.algorithm == Algorithm::SvdPlusPlus)
        return std::make_unique<SgdSvdPlusPlus>(std::move(data), options);
    if (options.algorithm == Algorithm::Bpmf)
        return std::make_unique<BayesianMf>(std::move(data), options);
    return std::make_unique<ExplicitAls>(std::move(data), options);
}

}  // namespace cfrec::core
