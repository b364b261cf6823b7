// Training, one iteration at a time, so the caller can report progress and
// honour cancellation between iterations.
#pragma once

#include <cstdint>
#include <memory>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"

namespace cfrec::core {

enum class ImplicitSolver { ConjugateGradient, Cholesky };
// ALS for both feedback kinds; SVD: SGD-fitted biased factors, and SVD++,
// which adds what each user rated (sgd_svdpp.h), explicit only; GraphFilter:
// a low-pass filter on the item graph, implicit only (graph_filter.h);
// LinearFilter: the exact linear filter on it, implicit only (linear_filter.h);
// Bpmf: Bayesian matrix factorisation by Gibbs sampling, explicit only
// (bayesian_mf.h).
enum class Algorithm { Als, Svd, SvdPlusPlus, GraphFilter, LinearFilter, Bpmf };

// The SQL name of an algorithm: "als", "svd", "svdpp", "graph_filter",
// "linear_filter" or "bpmf".
const char *algorithm_name(Algorithm algorithm);
// The algorithm of that SQL name; false for any other name.
bool algorithm_named(const char *name, Algorithm *algorithm);

// Defaults are the tuned ones a user who never tunes gets, the same as
// cfrec_train's SQL defaults (src/sql/cfrec.sql); bench/RESULTS.md has the
// measurements behind them.
struct TrainOptions {
    Feedback feedback = Feedback::Explicit;
    Algorithm algorithm = Algorithm::Als;
    int factors = 64;
    int iterations = 15;  // make_trainer's callers pick default_iterations()
    // Weighted lambda: each row is penalised by regularization times its
    // number of interactions, so one value suits small and large data.
    double regularization = 0.1;
    double alpha = 1.0;           // implicit: confidence = 1 + alpha * value
    double learning_rate = 0.01;  // SVD: the SGD step
    // implicit: false penalises every row by plain `regularization`, as
    // implicit and Spark do; kept for comparisons.
    bool scale_regularization = true;
    uint64_t seed = 42;
    int threads = 0;  // 0 = all cores
    ImplicitSolver solver = ImplicitSolver::ConjugateGradient;
    // Implicit ALS: CG steps each row takes per iteration; 0 picks by the
    // factors (cg_steps_for).
    int cg_steps = 0;
    // Implicit ALS with CG: from this many factors on, both sides turn into
    // the eigenbasis of the Gram a side is solved against before it is
    // (gram_eigenbasis.h); below, the Gram's dense products cost less than
    // the turns.
    int eigenbasis_from_factors = 128;
    // Implicit ALS with CG where the CPU has kernels: the rows' products
    // read the other side's factors rounded to half precision
    // (implicit_side.cpp says why); false reads the floats, the reference.
    bool half_precision_products = true;
    // Graph filter: a rank above what the data has (min(users, items)) is
    // lowered to it instead of refused; set when factors were left out.
    bool fit_factors_to_data = false;
    // Linear filter: its ideal term weighed by its spectrum
    // (spectrum_ideal_weight) instead of by alpha; cleared when alpha is given.
    bool ideal_from_spectrum = false;
};

// The CG steps implicit ALS takes for rows of `factors`: o.cg_steps, or
// when 0 two up to 64 factors, three beyond, and two again where the Gram
// is turned diagonal (eigenbasis_from_factors), whose steps are
// preconditioned. Warm starts carry a step's work into the next iteration:
// at 32 and 64 factors two steps reached the same loss and ranking as three
// in 17-30 % less time; at 128 and 256 two plain steps fell short, two
// preconditioned ones end lower than three plain (bench/RESULTS.md).
//
// `streamed`: a row whose other side's factor rows are too many to stay in
// cache from one step to the next, so each step reads them from memory
// again. Preconditioned, such a row takes one step: on 25M interactions at
// 256 factors that cut the item side by about a fifth, and the loss after
// 15 iterations and the rankings on three data sets stayed those of two
// steps (bench/RESULTS.md).
inline int cg_steps_for(const TrainOptions &o, int factors, bool streamed = false) {
    if (o.cg_steps > 0) return o.cg_steps;
    if (factors >= o.eigenbasis_from_factors) return streamed ? 1 : 2;
    return factors <= 64 ? 2 : 3;
}

struct IterationReport {
    int iteration = 0;   // 1-based
    double loss = 0.0;   // training objective divided by the number of interactions
    double rmse = 0.0;   // explicit: training RMSE; implicit: NaN
    double seconds = 0;  // wall time of this iteration
};

class Trainer {
  public:
    virtual ~Trainer() = default;
    // Runs one full alternation (users, then items). Throws Cancelled when
    // `stop` says so; a cancelled trainer is half-updated and must be dropped.
    virtual IterationReport step(const StopCheck &stop) = 0;
    // Moves the trained model out; the trainer is spent afterwards.
    virtual FactorModel take_model() = 0;
};

// What a training gets for the arguments it leaves out: factors,
// regularization, alpha and iterations, by algorithm and feedback kind.
TrainOptions default_options(Algorithm algorithm, Feedback feedback);

// How the training's items are best numbered (interactions.h): implicit ALS
// below eigenbasis_from_factors gathers an item's factor row for every
// interaction and takes them in popularity order (at 25M interactions and
// 64 factors an iteration about 12 % shorter, bench/RESULTS.md); the others
// by id. The model comes back with ascending ids either way.
ItemOrder item_order_for(const TrainOptions &options);

// Validates options against the data (throws Error) and sets up a trainer.
std::unique_ptr<Trainer> make_trainer(Interactions data, const TrainOptions &options);

// Iterations a model gets unless asked otherwise, from held-out measurements
// (bench/RESULTS.md): explicit ALS converges in about 8 alternations, implicit
// ALS keeps gaining until about 15, SGD (SVD and SVD++) needs about 40 epochs, the graph
// filter's spectrum is settled after 3 passes.
int default_iterations(Algorithm algorithm, Feedback feedback);

// The checks make_trainer applies, usable before any data has been read.
void validate_options(const TrainOptions &options);

// About how many bytes training `data` with `options` on `threads` threads
// will hold at its peak, beyond the data itself: two copies of the factors
// (the trainer's and the model it hands over) and each thread's f x f
// systems and gathered rows. An upper estimate, for refusing a training
// before it allocates.
int64_t training_memory_bytes(const Interactions &data, const TrainOptions &options, int threads);

}  // namespace cfrec::core
