// The exact linear graph filter for implicit feedback (algorithm =>
// 'linear_filter'), after GF-CF (Shen et al. 2021) and BSPM (Choi et al.
// 2023). With R the 0/1 matrix of who interacted with what, D the degrees,
// R~ = D_u^-1/2 R D_i^-1/2 and R~ = U S V^T its SVD (top `rank` values),
// someone whose 0/1 row is r gets
//
//     scores = r R~^T R~  +  r V g(S^2) V^T  +  ideal * r D_i^-1/2 V V^T D_i^1/2
//
// The first term is GF-CF's linear filter, kept exact: two sparse products
// per request, through the users of r's items and then their items, so no
// item-item matrix is ever built. The second is one step of BSPM's
// sharpening on it, r R~^T R~ (I - s R~^T R~), taken in the leading
// spectrum, where it acts (R~^T R~ V = V S^2 exactly): a direction of
// strength x = s^2 gets g(x) = -s x^2 up to x = 1/2s and -(x - 1/4s) past
// it, so x + g(x) stays at its peak 1/4s and the filter low-pass
// (LinearFilter's constructor says why). The third is GF-CF's ideal
// low-pass term: it lifts every kept direction by about `ideal`, so by
// default `ideal` is measured in the spectrum's own units
// (spectrum_ideal_weight).
//
// As a model: the item factors are W = V S (so S is the norm of W's
// columns, and the factor table alone keeps the spectrum), and a
// LinearFilter holds the training interactions. Nothing about a user is
// stored: anyone is scored from their items, so a new interaction counts on
// the next request.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/batch_recommend.h"
#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/topk.h"
#include "core/trainer.h"

namespace cfrec::core {

// Defaults measured on LightGCN's Yelp2018 split (bench/RESULTS.md): rank
// 128 loses 2 % of Recall@20, 4 spectrum passes 0.4 %; sharpening 0.5 or
// 1.5 each lose 0.5-3 %. The ideal term's weight was chosen on held-out
// parts of three data sets' training interactions (bench/RESULTS.md).
constexpr int kLinearFilterRank = 256;
constexpr int kLinearFilterPasses = 8;
constexpr double kLinearFilterIdealPerWeakest = 1.5;
constexpr double kLinearFilterSharpening = 1.0;

// The ideal term's weight when alpha is left out, for item factors W = V S:
// kLinearFilterIdealPerWeakest times the strength x = s^2 of the weakest
// direction kept (0 when none has any). The linear term gives a direction
// its x; a fixed lift would mean another filter on dense data, whose kept
// directions are weak (x = 0.06 at the 256th on ml-latest-small), than on
// data of strong communities (0.28 on the synthetic check-ins).
double spectrum_ideal_weight(const FactorMatrix &factors);

// A CSR matrix's pattern (no values), read in place.
struct PatternView {
    Span<int64_t> indptr;  // rows() + 1 offsets
    Span<int32_t> indices;
    int32_t rows() const { return indptr.empty() ? 0 : static_cast<int32_t>(indptr.size()) - 1; }
    int64_t row_size(int32_t r) const { return indptr[r + 1] - indptr[r]; }
};

// Everything a LinearFilter reads, wherever it lives: in the filter's own
// vectors, or in a blob of the shared cache (model_blob.h) that every
// process maps, so a backend serves the filter without building anything.
struct LinearFilterArrays {
    Span<int64_t> row_ids;  // the training users, ascending
    PatternView by_user;    // their items
    PatternView by_item;    // the same pattern, items x users
    Span<float> inv_sqrt_item_degree, inv_user_degree;
    // Per column of W: ideal * S^-2 (0 where S is 0) and the sharpening's
    // weight (the constructor says which).
    Span<float> ideal_weight, sharpen_weight;
    // W in half precision for recommending's first pass (half_rows.h);
    // empty where this CPU has no kernel for it.
    Span<uint16_t> half_factors;
    Span<float> half_slack;
};

class LinearFilter {
  public:
    // `rows`: each training user's items (dense item indices), the users'
    // ids ascending in `row_ids`; `factors`: the model's item factors W.
    LinearFilter(std::vector<int64_t> row_ids, Csr rows, const FactorMatrix &factors, double ideal,
                 double sharpening);
    // A filter reading `arrays` in place (a blob's); they must outlive it.
    explicit LinearFilter(const LinearFilterArrays &arrays);
    LinearFilter(const LinearFilter &) = delete;  // its arrays may point into itself
    LinearFilter &operator=(const LinearFilter &) = delete;
    ~LinearFilter();

    int32_t items() const { return a_.by_item.rows(); }
    // The ideal term's weight this filter was built with; NaN for a filter
    // reading a blob (its weights are per column there).
    double ideal() const;
    Span<int64_t> row_ids() const { return a_.row_ids; }
    // A training user's row, or -1.
    int32_t row_index(int64_t user_id) const;
    const PatternView &rows() const { return a_.by_user; }
    const LinearFilterArrays &arrays() const { return a_; }
    int64_t bytes() const;

    // Every item's score for someone whose items are `items` (dense indices,
    // distinct, any order) into scores[0, items()); `factors` is W.
    void score(const Eigen::Map<const FactorMatrix> &factors, const int32_t *items, size_t n,
               float *scores) const;
    // score() for `count` people at once, person r's scores into
    // scores[r * items(), (r + 1) * items()). W is read once for all of them
    // rather than once each, which bounds cfrec_recommend_all; every score
    // comes out exactly as score() computes it alone.
    void score_many(const Eigen::Map<const FactorMatrix> &factors, const Span<int32_t> *people,
                    size_t count, float *scores) const;
    // The k best items for each of `count` people (as score_many), person r
    // never given the items of excluded[r] (sorted): what top_k over
    // score_many's scores gives, item for item and score for score. With the
    // half-precision copy of W (and use_half) it reads the copy, half the
    // bytes, and rescores exactly only the items the copy cannot rule out.
    std::vector<std::vector<Scored>> best_many(const Eigen::Map<const FactorMatrix> &factors,
                                               const Span<int32_t> *people, size_t count, int k,
                                               const std::vector<int32_t> *const *excluded,
                                               bool use_half) const;
    // r R~^T R~ alone: for one item, its row of the item-item operator.
    void linear_scores(const int32_t *items, size_t n, float *scores) const;
    // What item j of a user's adds to item i's score: the scores are linear
    // in the user's items, so these add up to score() exactly (rounding aside).
    double share(const Eigen::Map<const FactorMatrix> &factors, int32_t j, int32_t i) const;

  private:
    // A person's weights on W's columns: r D_i^-1/2 V for the ideal term and
    // r V S^4 for the sharpening (as weights on W = V S).
    void low_rank_weights(const Eigen::Map<const FactorMatrix> &factors, Span<int32_t> person,
                          Eigen::RowVectorXf &ideal, Eigen::RowVectorXf &sharpen) const;

    struct Owned;  // the vectors a_ points into; none for a view
    std::unique_ptr<const Owned> owned_;
    LinearFilterArrays a_;
};

// Training: `iterations` passes of the spectrum solver, then the model: item
// factors W = V S, item counts, no users (their ids live in the filter).
class LinearFilterTrainer : public Trainer {
  public:
    LinearFilterTrainer(Interactions data, const TrainOptions &options);
    IterationReport step(const StopCheck &stop) override;
    FactorModel take_model() override;

  private:
    Interactions data_;
    TrainOptions options_;
    std::unique_ptr<class ItemSpectrumSolver> solver_;
    int iteration_ = 0;
    StopCheck stop_;  // step()'s, for take_model()
};

// Serving a linear filter (m.linear set): the k best items for someone
// whose items are `items` (dense indices, sorted, distinct), none of
// `excluded` (sorted), only `include`d ones when given (sorted).
// use_half: read the half-precision copy of W first where there is one (the
// same answers).
std::vector<Scored> recommend_from_items(const ModelView &m, const std::vector<int32_t> &items,
                                         int k, const std::vector<int32_t> &excluded,
                                         const std::vector<int32_t> *include = nullptr,
                                         bool use_half = true);
// recommend_from_items (no candidates) for each of several people, from
// their items (dense, sorted, distinct), each never given their own items
// when exclude_own; people with none get the most popular. Faster than one
// at a time: see LinearFilter::score_many.
std::vector<std::vector<Scored>> recommend_each_from_items(
    const ModelView &m, const std::vector<std::vector<int32_t>> &items, int k, bool exclude_own);
// cfrec_recommend_all's scoring for a linear filter: the users of rows
// [row_begin, row_end) of `items` (each a user's sorted model item indices),
// each scored from their row and, when exclude_seen, never given its items;
// users with no known items get the most popular.
BatchRecommendations recommend_many_from_items(const ModelView &m, int64_t row_begin,
                                               int64_t row_end, int k, const Csr &items,
                                               bool exclude_seen, int threads,
                                               const StopCheck &stop);
// The k items with the largest entries in item's row of R~^T R~ (itself left out).
std::vector<Scored> operator_neighbours(const ModelView &m, int32_t item, int k);

}  // namespace cfrec::core
