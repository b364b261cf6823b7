#include "core/evaluation.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/interactions.h"
#include "core/linear_filter.h"
#include "core/metrics.h"
#include "core/serving.h"

namespace cfrec::core {

int32_t Evaluator::user_of(int64_t id) const {
    return model_.linear ? model_.linear->row_index(id) : model_.user_index(id);
}

void Evaluator::add_test(const int64_t *users, const int64_t *items, const float *values,
                         size_t n) {
    if (values) require_finite(users, items, values, n);
    for (size_t r = 0; r < n; ++r)
        test_[users[r]].push_back({items[r], values ? values[r] : 1.0f, values != nullptr});
    test_rows_ += n;
}

void Evaluator::add_seen(const int64_t *users, const int64_t *items, size_t n) {
    for (size_t r = 0; r < n; ++r) {
        const int32_t u = user_of(users[r]);
        const int32_t i = model_.item_index(items[r]);
        if (u >= 0 && i >= 0) seen_[u].push_back(i);
    }
}

std::vector<int64_t> Evaluator::known_test_users() const {
    std::vector<int64_t> out;
    for (const auto &[user, rows] : test_)
        if (user_of(user) >= 0) out.push_back(user);
    std::sort(out.begin(), out.end());
    return out;
}

Evaluation Evaluator::evaluate(int k, double relevant_rating, int threads, const StopCheck &stop) {
    Evaluation e;
    const bool rates = model_.feedback == Feedback::Explicit;
    std::vector<int64_t> users;
    users.reserve(test_.size());
    for (const auto &[user, rows] : test_) users.push_back(user);
    std::sort(users.begin(), users.end());  // a fixed order: sums do not depend on hashing

    // Rating error over every rated test row (unknown ids use the fallbacks
    // predict() documents).
    double squared = 0, absolute = 0;
    if (rates)
        for (int64_t user : users)
            for (const TestRow &row : test_.at(user))
                if (row.has_value) {
                    const double error = predict(model_, user, row.item) - row.value;
                    squared += error * error;
                    absolute += std::fabs(error);
                    ++e.rated;
                }
    if (e.rated > 0) {
        e.rmse = std::sqrt(squared / static_cast<double>(e.rated));
        e.mae = absolute / static_cast<double>(e.rated);
    }

    // Ranking: per user, in parallel; results land in per-user slots so the
    // sums below come out the same whatever the thread count.
    std::vector<RankingMetrics> per_user(users.size());
    std::vector<char> ranked(users.size(), 0);
    std::vector<int64_t> relevant_count(users.size(), 0), relevant_seen(users.size(), 0);
    std::vector<char> recommended(model_.item_ids.size(), 0);
    std::mutex recommended_lock;
    parallel_for(
        static_cast<int64_t>(users.size()), resolve_threads(threads), 16,
        [&](int64_t begin, int64_t end) {
            // First who is measured and what each has seen, then their top k
            // (a linear filter ranks them together: see
            // recommend_each_from_items), then the metrics.
            std::vector<int64_t> measured;
            std::vector<std::vector<int64_t>> relevant_of;
            std::vector<std::vector<int32_t>> excluded_of;
            for (int64_t j = begin; j < end; ++j) {
                const int32_t u = user_of(users[j]);
                if (u < 0) continue;
                std::vector<int64_t> relevant;
                for (const TestRow &row : test_.at(users[j]))
                    if (std::isnan(relevant_rating) ||
                        (row.has_value && row.value >= relevant_rating))
                        relevant.push_back(row.item);
                std::sort(relevant.begin(), relevant.end());
                relevant.erase(std::unique(relevant.begin(), relevant.end()), relevant.end());
                if (relevant.empty()) continue;  // nothing to find: not measured
                auto seen_it = seen_.find(u);
                std::vector<int32_t> excluded =
                    seen_it == seen_.end() ? std::vector<int32_t>() : seen_it->second;
                std::sort(excluded.begin(), excluded.end());
                excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
                relevant_count[j] = static_cast<int64_t>(relevant.size());
                for (int64_t item : relevant) {
                    const int32_t i = model_.item_index(item);
                    if (i >= 0 && std::binary_search(excluded.begin(), excluded.end(), i))
                        ++relevant_seen[j];
                }
                measured.push_back(j);
                relevant_of.push_back(std::move(relevant));
                excluded_of.push_back(std::move(excluded));
            }
            // A linear filter scores a user from their items, the excluded
            // ones; with none left, the most popular, as cfrec_recommend.
            std::vector<std::vector<Scored>> tops;
            if (model_.linear) {
                tops = recommend_each_from_items(model_, excluded_of, k, true);
            } else {
                for (size_t q = 0; q < measured.size(); ++q)
                    tops.push_back(
                        recommend(model_, user_of(users[measured[q]]), k, excluded_of[q]));
            }
            std::vector<int32_t> picked;
            for (size_t q = 0; q < measured.size(); ++q) {
                std::vector<int64_t> ids;
                for (const Scored &s : tops[q]) {
                    ids.push_back(model_.item_ids[s.index]);
                    picked.push_back(s.index);
                }
                per_user[measured[q]] = ranking_metrics(ids, relevant_of[q], k);
                ranked[measured[q]] = 1;
            }
            std::lock_guard<std::mutex> guard(recommended_lock);
            for (int32_t i : picked) recommended[i] = 1;
        },
        stop);
    for (size_t j = 0; j < users.size(); ++j) {
        if (user_of(users[j]) < 0) {
            ++e.users_unknown;
            continue;
        }
        if (!ranked[j]) continue;
        ++e.users;
        e.relevant_items += relevant_count[j];
        e.relevant_in_training += relevant_seen[j];
        e.precision += per_user[j].precision;
        e.recall += per_user[j].recall;
        e.ndcg += per_user[j].ndcg;
        e.map += per_user[j].average_precision;
        e.hit_rate += per_user[j].hit;
    }
    if (e.users > 0) {
        const double n = static_cast<double>(e.users);
        e.precision /= n;
        e.recall /= n;
        e.ndcg /= n;
        e.map /= n;
        e.hit_rate /= n;
    }
    if (!model_.item_ids.empty())
        e.coverage = static_cast<double>(std::count(recommended.begin(), recommended.end(), 1)) /
                     static_cast<double>(model_.item_ids.size());
    return e;
}

}  // namespace cfrec::core
