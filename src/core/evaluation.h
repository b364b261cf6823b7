// Measuring a trained model against held-out rows (cfrec_evaluate): rating
// error for explicit models, ranking quality at k for every model.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/factor_model.h"
#include "core/parallel.h"

namespace cfrec::core {

struct Evaluation {
    int64_t rated = 0;          // test rows with a rating, for RMSE and MAE
    double rmse = 0, mae = 0;   // over those rows (explicit models only)
    int64_t users = 0;          // users ranked: known to the model, with relevant test items
    int64_t users_unknown = 0;  // test users the model has never seen (not ranked)
    double precision = 0, recall = 0, ndcg = 0, map = 0, hit_rate = 0;  // means over users
    double coverage = 0;  // distinct items recommended / items in the model
    // Relevant test items of the ranked users, and how many of them the user
    // also had in training: those are excluded from rankings, so they can
    // never be hit (a test set that repeats the training data scores 0).
    int64_t relevant_items = 0, relevant_in_training = 0;
};

// Collects test rows and the training rows to exclude, then ranks every test
// user's top k with those excluded and compares it with their test items.
class Evaluator {
  public:
    explicit Evaluator(const ModelView &model) : model_(model) {}
    // values may be NULL (no ratings). Throws Error(DataError) for NaN or infinite values.
    void add_test(const int64_t *users, const int64_t *items, const float *values, size_t n);
    // Items users interacted with in training: never recommended, never counted.
    void add_seen(const int64_t *users, const int64_t *items, size_t n);
    // The distinct test users the model knows, ascending: whose seen items to fetch.
    std::vector<int64_t> known_test_users() const;
    size_t test_rows() const { return test_rows_; }
    // With `relevant_rating` (not NaN), only test rows rated at least that
    // count as relevant; otherwise every test row does.
    Evaluation evaluate(int k, double relevant_rating, int threads, const StopCheck &stop);

  private:
    struct TestRow {
        int64_t item;
        float value;
        bool has_value;
    };
    // The model's index of a user: a linear filter's training row, since it
    // keeps no user vectors; -1 for users it was not trained on.
    int32_t user_of(int64_t id) const;
    ModelView model_;
    std::unordered_map<int64_t, std::vector<TestRow>> test_;
    std::unordered_map<int32_t, std::vector<int32_t>> seen_;  // model user index -> item indices
    size_t test_rows_ = 0;
};

}  // namespace cfrec::core
