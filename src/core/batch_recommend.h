// Recommendations for many users at once (cfrec_recommend_all).
#pragma once

#include <cstdint>
#include <vector>

#include "core/factor_model.h"
#include "core/id_map.h"
#include "core/interactions.h"
#include "core/parallel.h"
#include "core/topk.h"

namespace cfrec::core {

// Collects what each requested user has seen, as sorted model item indices:
// a CSR whose rows follow `users` (sorted, unique external ids). Pairs of
// users not requested or items the model does not know are ignored.
class SeenCollector {
  public:
    SeenCollector(const ModelView &model, std::vector<int64_t> users);
    void add(const int64_t *users, const int64_t *items, size_t n);
    Csr finish();
    const std::vector<int64_t> &users() const { return users_; }

  private:
    ModelView model_;
    std::vector<int64_t> users_;
    IdMap user_rows_, item_indices_;  // hash lookups: one probe per seen row
    std::vector<int32_t> rows_, items_;
};

struct BatchRecommendations {
    std::vector<Scored> items;   // users.size() * k slots, each user's best first
    std::vector<int32_t> count;  // filled slots per user (< k when few are eligible)
};

// The order recommend_many scores a model's items in, and where a user's
// scan may stop. An implicit model's score is x . y, at most |x| |y|: with
// the items by falling norm, once a user's k-th score beats |x| times the
// largest norm left, no item left can enter the top k (popular items have
// the large norms, so this comes early). Explicit scores add biases that do
// not fall with the norms: their items keep the model's order and every
// item is scored. Built once per model and call: an implicit model's order
// holds a copy of its item factors.
class ScanOrder {
  public:
    explicit ScanOrder(const ModelView &model);
    bool prunes() const { return !norm_.empty(); }
    int32_t item_at(int64_t position) const { return index_[position]; }
    // The item factors by position (implicit models only).
    const FactorMatrix &rows() const { return rows_; }
    // The largest norm from a position on (implicit models only).
    float norm_from(int64_t position) const { return norm_[position]; }

  private:
    std::vector<int32_t> index_;  // position -> model item index
    FactorMatrix rows_;
    std::vector<float> norm_;     // falling
};

// The k best items for every user in `users` (sorted external ids), minus
// the items in their row of `seen` (empty rows when seen.rows() == 0). Known
// users are scored in blocks, one matrix product per block of users and
// items; users the model does not know get the most popular items. The
// answers, ties included, are those of core::recommend one user at a time.
BatchRecommendations recommend_many(const ModelView &model, const std::vector<int64_t> &users,
                                    int k, const Csr &seen, int threads, const StopCheck &stop);
// The same for users[row_begin, row_end) and their rows of `seen`, so that a
// long list is scored a slice at a time in bounded memory, with the model's
// ScanOrder built once.
BatchRecommendations recommend_many(const ModelView &model, const ScanOrder &order,
                                    const std::vector<int64_t> &users, int64_t row_begin,
                                    int64_t row_end, int k, const Csr &seen, int threads,
                                    const StopCheck &stop);

}  // namespace cfrec::core
