// Accuracy of the core's models on a MovieLens ratings.csv, without Postgres.
// Protocol: random 80/20 holdout of each user's ratings; explicit models report
// RMSE/MAE on the held-out ratings; implicit models count every rating as one
// interaction and report P@10, R@10 and NDCG@10 with training items excluded.
// Each rating goes to test with probability 0.2, drawn per row (seed 42).
//
//   cfrec_quality RATINGS_CSV explicit FACTORS ITERATIONS REG...
//   cfrec_quality RATINGS_CSV implicit FACTORS ITERATIONS REG ALPHA [REG ALPHA]...
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/metrics.h"
#include "core/random.h"
#include "core/serving.h"
#include "core/trainer.h"

using namespace cfrec;

namespace {

struct Rows {
    std::vector<int64_t> users, items;
    std::vector<float> values;
    void add(int64_t u, int64_t i, float v) {
        users.push_back(u);
        items.push_back(i);
        values.push_back(v);
    }
};

// Per-user random holdout: each of a user's ratings goes to test with p = 0.2.
void load_split(const char *path, Rows &train, Rows &test) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path);
        std::exit(2);
    }
    std::string line;
    std::getline(in, line);  // header
    // CFREC_SPLIT_SEED picks another split, e.g. to tune on one and report on another.
    const char *seed = std::getenv("CFREC_SPLIT_SEED");
    core::SplitMix64 rng(seed ? std::strtoull(seed, nullptr, 10) : 42);
    while (std::getline(in, line)) {
        std::stringstream s(line);
        std::string u, i, r;
        std::getline(s, u, ',');
        std::getline(s, i, ',');
        std::getline(s, r, ',');
        (rng.uniform() < 0.2 ? test : train).add(std::stoll(u), std::stoll(i), std::stof(r));
    }
}

core::FactorModel train_model(const Rows &rows, const core::TrainOptions &o, double *seconds) {
    core::InteractionBuilder builder(o.feedback == core::Feedback::Explicit
                                         ? core::DuplicatePolicy::Average
                                         : core::DuplicatePolicy::Sum);
    builder.add(rows.users.data(), rows.items.data(), rows.values.data(), rows.users.size());
    auto trainer = core::make_trainer(builder.finish(), o);
    *seconds = 0;
    for (int it = 0; it < o.iterations; ++it)
        *seconds += trainer->step([] { return false; }).seconds;
    return trainer->take_model();
}

void explicit_run(const Rows &train, const Rows &test, core::TrainOptions o) {
    double seconds;
    core::FactorModel m = train_model(train, o, &seconds);
    double se = 0, ae = 0;
    for (size_t j = 0; j < test.users.size(); ++j) {
        double e = core::predict(m, test.users[j], test.items[j]) - test.values[j];
        se += e * e;
        ae += std::fabs(e);
    }
    std::printf("%s f=%d it=%d reg=%.4g  RMSE %.4f  MAE %.4f  (%.2f s)\n",
                core::algorithm_name(o.algorithm), o.factors, o.iterations,
                o.regularization, std::sqrt(se / test.users.size()), ae / test.users.size(),
                seconds);
}

void implicit_run(const Rows &train, const Rows &test, core::TrainOptions o) {
    Rows ones = train;
    std::fill(ones.values.begin(), ones.values.end(), 1.0f);
    double seconds;
    core::FactorModel m = train_model(ones, o, &seconds);
    std::map<int64_t, std::vector<int64_t>> seen, held;
    for (size_t j = 0; j < train.users.size(); ++j) seen[train.users[j]].push_back(train.items[j]);
    for (size_t j = 0; j < test.users.size(); ++j) held[test.users[j]].push_back(test.items[j]);
    double p = 0, r = 0, ndcg = 0;
    int users = 0;
    for (auto &[user, relevant] : held) {
        const int32_t u = m.user_index(user);
        if (u < 0) continue;
        std::sort(relevant.begin(), relevant.end());
        auto &s = seen[user];
        auto top = core::recommend(m, u, 10, core::known_items(m, s.data(), s.size()));
        std::vector<int64_t> ids;
        for (auto &t : top) ids.push_back(m.item_ids[t.index]);
        auto metrics = core::ranking_metrics(ids, relevant, 10);
        p += metrics.precision;
        r += metrics.recall;
        ndcg += metrics.ndcg;
        ++users;
    }
    std::printf(
        "implicit f=%d it=%d reg=%.4g alpha=%.4g  P@10 %.4f  R@10 %.4f  NDCG@10 %.4f  "
        "(%d users, %.2f s)\n",
        o.factors, o.iterations, o.regularization, o.alpha, p / users, r / users, ndcg / users,
        users, seconds);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 6) {
        std::fprintf(stderr,
                     "usage: %s RATINGS_CSV explicit|implicit FACTORS ITERATIONS REG [ALPHA] ...\n",
                     argv[0]);
        return 2;
    }
    Rows train, test;
    load_split(argv[1], train, test);
    core::TrainOptions o;
    o.feedback =
        std::string(argv[2]) == "implicit" ? core::Feedback::Implicit : core::Feedback::Explicit;
    o.factors = std::atoi(argv[3]);
    o.iterations = std::atoi(argv[4]);
    const bool implicit = o.feedback == core::Feedback::Implicit;
    if (implicit && (argc - 5) % 2 != 0) {
        std::fprintf(stderr, "%s: implicit runs take REG ALPHA pairs\n", argv[0]);
        return 2;
    }
    // CFREC_SVD_LR=0.005 trains explicit models with SGD (algorithm 'svd') at that step.
    if (const char *lr = std::getenv("CFREC_SVD_LR")) {
        o.algorithm = core::Algorithm::Svd;
        o.learning_rate = std::atof(lr);
    }
    // CFREC_SVDPP=1 with it: SVD++ instead of SVD.
    if (const char *pp = std::getenv("CFREC_SVDPP"); pp && pp[0] == '1')
        o.algorithm = core::Algorithm::SvdPlusPlus;
    if (const char *scaled = std::getenv("CFREC_SCALE_REG"))
        o.scale_regularization = scaled[0] == '1';
    for (int a = 5; a < argc; a += implicit ? 2 : 1) {
        o.regularization = std::atof(argv[a]);
        if (implicit) {
            o.alpha = std::atof(argv[a + 1]);
            implicit_run(train, test, o);
        } else {
            explicit_run(train, test, o);
        }
    }
}
