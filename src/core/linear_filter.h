// The exact linear graph filter for implicit feedback, after GF-CF (Shen et
// al. 2021) and BSPM (Choi et al. 2023). With R the 0/1 matrix of who
// interacted with what, D the degrees, R~ = D_u^-1/2 R D_i^-1/2 and
// R~ = U S V^T its SVD (top `rank` values), someone whose 0/1 row is r gets
//
//     scores = r R~^T R~  -  sharpening * r V S^4 V^T  +  ideal * r D_i^-1/2 V V^T D_i^1/2
//
// The first term is GF-CF's linear filter, kept exact: two sparse products
// per request, through the users of r's items and then their items, so no
// item-item matrix is ever built. The second is one step of BSPM's
// sharpening on it, r R~^T R~ (I - s R~^T R~), with the product taken in the
// leading spectrum, where it acts (R~^T R~ V = V S^2 exactly). The third is
// GF-CF's ideal low-pass term.
//
// Unlike a factor model, nothing about a user is stored: anyone is scored
// from their items, so a new interaction counts on the next request.
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/interactions.h"
#include "core/parallel.h"

namespace cfrec::core {

// Defaults measured on LightGCN's Yelp2018 split (bench/RESULTS.md): rank
// 128 loses 2 % of Recall@20, 4 spectrum passes 0.7 %; sharpening 0.5 or
// 1.5 and ideal 0.1 or 0.3 each lose 0.5-3 %.
struct LinearFilterOptions {
    int rank = 256;
    int passes = 8;
    double ideal = 0.2;
    double sharpening = 1.0;
    uint64_t seed = 42;
    int threads = 0;  // 0 = all cores
};

class LinearFilter {
  public:
    // Throws Error when rank exceeds the smaller side of the data, Cancelled
    // when `stop` says so.
    LinearFilter(const Interactions &data, const LinearFilterOptions &options,
                 const StopCheck &stop);

    int32_t items() const { return by_item_.rows(); }
    int32_t users() const { return by_user_.rows(); }
    // A known user's items (dense indices, ascending): [begin, end).
    const int32_t *user_items_begin(int32_t user) const;
    const int32_t *user_items_end(int32_t user) const;

    // Every item's score for someone whose items are `items` (dense indices,
    // distinct, any order) into scores[0, items()). `user_scratch` holds
    // users() zeros on entry and on return, so calls can share it.
    void score(const int32_t *items, size_t n, float *scores,
               std::vector<float> &user_scratch) const;

  private:
    Csr by_user_, by_item_;  // the training interactions; values unused
    std::vector<float> inv_sqrt_item_degree_, inv_user_degree_;
    FactorMatrix vectors_;        // V: items x rank
    Eigen::RowVectorXf sharpen_;  // sharpening * S^4
    float ideal_;
};

}  // namespace cfrec::core
