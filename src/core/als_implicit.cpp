#include "core/als_implicit.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/als_common.h"
#include "core/cg_kernels.h"
#include "core/gram_eigenbasis.h"
#include "core/implicit_side.h"
#include "core/row_solve.h"

namespace cfrec::core {

namespace {

using Gram = Eigen::MatrixXf;

// other^T other: the contribution of every pair with confidence 1. The
// kernels sum parts of the rows on every thread (Eigen would use one).
Gram gram_of(const FactorMatrix &other, int threads, const StopCheck &stop) {
    const Eigen::Index f = other.cols();
    Gram g = Gram::Zero(f, f);
    const CpuKernel kernel = cpu_kernel();
    if (kernel == CpuKernel::None) {
        g.selfadjointView<Eigen::Lower>().rankUpdate(other.transpose());
    } else {
        // The parts do not depend on the thread count: the same seed gives
        // the same model on any machine with the same kernel.
        const int64_t rows = other.rows();
        const int64_t parts = std::clamp<int64_t>(rows / 2048, 1, 16);
        std::vector<Gram> partial(parts, Gram::Zero(f, f));
        parallel_for(
            parts, threads, 1,
            [&](int64_t begin, int64_t end) {
                for (int64_t p = begin; p < end; ++p) {
                    const int64_t first = rows * p / parts, last = rows * (p + 1) / parts;
                    add_gram(kernel, other.data() + first * f, last - first,
                             static_cast<int>(f), partial[p].data());
                }
            },
            stop);
        for (const Gram &part : partial) g += part;
    }
    // Both filled the lower triangle (the kernel's upper one, read row-major).
    g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
    return g;
}

// The model's items put in ascending id order, as serving looks them up,
// when the training numbered them otherwise (item_order_for).
void in_id_order(FactorModel &model) {
    const std::vector<int64_t> &ids = model.item_ids;
    if (std::is_sorted(ids.begin(), ids.end())) return;
    std::vector<int32_t> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return ids[a] < ids[b]; });
    FactorMatrix factors(model.item_factors.rows(), model.item_factors.cols());
    std::vector<int64_t> sorted_ids(ids.size());
    std::vector<int32_t> counts(ids.size());
    for (size_t k = 0; k < order.size(); ++k) {
        factors.row(static_cast<Eigen::Index>(k)) = model.item_factors.row(order[k]);
        sorted_ids[k] = ids[order[k]];
        counts[k] = model.item_counts[order[k]];
    }
    model.item_factors = std::move(factors);
    model.item_ids = std::move(sorted_ids);
    model.item_counts = std::move(counts);
}

// A row's penalty: lambda, times its number of interactions when scaled.
float row_regularization(const TrainOptions &o, int64_t n) {
    return implicit_row_regularization(o.regularization, o.scale_regularization, n);
}

}  // namespace

ImplicitAls::ImplicitAls(Interactions data, const TrainOptions &options)
    : data_(std::move(data)), options_(options) {
    const float scale = 0.01f;
    users_ = random_factors(data_.user_ids, options.factors, options.seed, 1, scale);
    items_ = random_factors(data_.item_ids, options.factors, options.seed, 2, scale);
}

// Each side's gram is computed once per change of that side: the items'
// one serves the loss and then the next iteration's user step.
void ImplicitAls::solve_users(const StopCheck &stop, std::vector<double> *observed_before) {
    const int threads = resolve_threads(options_.threads);
    if (items_gram_.size() == 0) items_gram_ = gram_of(items_, threads, stop);
    if (turns()) turn_to_eigenbasis(items_gram_, items_, users_, threads, stop);
    solve_implicit_side(data_.by_user, items_, items_gram_, options_, stop, users_, observed_before,
                        LossAt::Start);
    users_gram_ = gram_of(users_, threads, stop);
}

void ImplicitAls::solve_items(const StopCheck &stop, std::vector<double> *observed_after) {
    const int threads = resolve_threads(options_.threads);
    if (turns()) turn_to_eigenbasis(users_gram_, users_, items_, threads, stop);
    solve_implicit_side(data_.by_item, users_, users_gram_, options_, stop, items_, observed_after,
                        LossAt::End);
    items_gram_ = gram_of(items_, threads, stop);
}

bool ImplicitAls::turns() const {
    return options_.solver == ImplicitSolver::ConjugateGradient &&
           options_.factors >= options_.eigenbasis_from_factors;
}

// The loss of an iteration's model needs each observed pair's x . y once
// more. The next iteration's users take exactly those dot products in their
// first CG pass, so unless this is the last iteration, the next one's users
// are solved now and report it: a pass over the interactions saved an
// iteration (11 % of one at 64 factors). The last iteration takes it while
// solving its items, each item's pairs while its users' rows are in cache.
IterationReport ImplicitAls::step(const StopCheck &stop) {
    Stopwatch clock;
    if (!users_ahead_) solve_users(stop, nullptr);
    const bool last = iteration_ + 1 >= options_.iterations;
    std::vector<double> observed;
    solve_items(stop, last ? &observed : nullptr);
    const double unobserved = unobserved_loss();
    users_ahead_ = !last;
    if (users_ahead_) solve_users(stop, &observed);  // before it moves, the model is this one
    IterationReport report;
    report.iteration = ++iteration_;
    report.loss = (unobserved + std::accumulate(observed.begin(), observed.end(), 0.0)) /
                  static_cast<double>(data_.by_user.nnz());
    report.rmse = std::numeric_limits<double>::quiet_NaN();
    report.seconds = clock.seconds();
    return report;
}

// The part of the loss (times the number of interactions) that needs no
// pass over them: every pair as if unobserved, sum of s^2 = trace(X^T X Y^T Y),
// and the penalties reg (|X|^2 + |Y|^2). Each observed pair's part then
// replaces its s^2 by c (1 - s)^2.
double ImplicitAls::unobserved_loss() const {
    // The float Grams the solver built, widened only at f x f.
    double total = (users_gram_.cast<double>().array() * items_gram_.cast<double>().array()).sum();
    for (int32_t u = 0; u < data_.by_user.rows(); ++u)
        total += row_regularization(options_, data_.by_user.row_size(u)) *
                 static_cast<double>(users_.row(u).squaredNorm());
    for (int32_t i = 0; i < data_.by_item.rows(); ++i)
        total += row_regularization(options_, data_.by_item.row_size(i)) *
                 static_cast<double>(items_.row(i).squaredNorm());
    return total;
}

FactorModel ImplicitAls::take_model() {
    FactorModel model;
    model.feedback = Feedback::Implicit;
    model.item_counts = row_sizes(data_.by_item);
    model.user_bias.assign(data_.user_ids.size(), 0.0f);
    model.item_bias.assign(data_.item_ids.size(), 0.0f);
    model.user_ids = std::move(data_.user_ids);
    model.item_ids = std::move(data_.item_ids);
    model.user_factors = std::move(users_);
    model.item_factors = std::move(items_);
    in_id_order(model);
    return model;
}

}  // namespace cfrec::core
