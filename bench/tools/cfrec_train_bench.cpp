// Core-only implicit training benchmark on synthetic data shaped like
// cfrec_generate's (160k uniform users, 60k Zipf(1) items, geometric
// values), without Postgres: isolates the math from reading and writing.
//   cfrec_train_bench ROWS [FACTORS] [ITERATIONS] [THREADS]
// ROWS may instead name a file of "user<TAB>item<TAB>value" lines (what
// cfrec_generate writes and bench/train-bench loads), to time the same
// data the SQL benchmark trains on.
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "core/random.h"
#include "core/trainer.h"

using namespace cfrec;

namespace {

// The rows of a cfrec_generate file; false when it cannot be opened.
bool read_rows(const char *path, std::vector<int64_t> &users, std::vector<int64_t> &items,
               std::vector<float> &values) {
    FILE *in = std::fopen(path, "r");
    if (in == nullptr) return false;
    long long user, item;
    float value;
    while (std::fscanf(in, "%lld\t%lld\t%f", &user, &item, &value) == 3) {
        users.push_back(user);
        items.push_back(item);
        values.push_back(value);
    }
    std::fclose(in);
    return true;
}

// ROWS synthetic rows of that shape (not the same draws as cfrec_generate).
void generate_rows(int64_t rows, std::vector<int64_t> &users, std::vector<int64_t> &items,
                   std::vector<float> &values) {
    core::SplitMix64 rng(42);
    std::unordered_set<uint64_t> seen;
    while (static_cast<int64_t>(users.size()) < rows) {
        const int64_t u = 1 + static_cast<int64_t>(rng.uniform() * 160000);
        const int64_t rank = static_cast<int64_t>(std::floor(std::pow(60001.0, rng.uniform())));
        const int64_t i = 1 + ((rank - 1) * 7919) % 60000;
        if (!seen.insert(static_cast<uint64_t>(u) << 32 | static_cast<uint64_t>(i)).second)
            continue;
        users.push_back(u);
        items.push_back(i);
        values.push_back(1.0f + std::floor(std::log(1.0 - rng.uniform()) / std::log(0.5)));
    }
}

}  // namespace

int main(int argc, char **argv) {
    const char *source = argc > 1 ? argv[1] : "1000000";
    core::TrainOptions o;
    o.feedback = core::Feedback::Implicit;
    o.factors = argc > 2 ? std::atoi(argv[2]) : 64;
    o.iterations = argc > 3 ? std::atoi(argv[3]) : 15;
    o.threads = argc > 4 ? std::atoi(argv[4]) : 0;
    o.regularization = 0.05;
    std::vector<int64_t> users, items;
    std::vector<float> values;
    const bool digits = std::strspn(source, "0123456789") == std::strlen(source);
    if (!digits && !read_rows(source, users, items, values)) {
        std::fprintf(stderr, "cannot read %s\n", source);
        return 1;
    }
    if (digits) generate_rows(std::atoll(source), users, items, values);
    const int64_t rows = static_cast<int64_t>(users.size());
    if (rows == 0) {
        std::fprintf(stderr, "no rows in %s\n", source);
        return 1;
    }
    core::InteractionBuilder builder(core::DuplicatePolicy::Sum);
    builder.add(users.data(), items.data(), values.data(), users.size());
    const auto built = std::chrono::steady_clock::now();
    core::Interactions data =
        builder.finish(core::resolve_threads(o.threads), {}, core::item_order_for(o));
    std::printf("built the matrices in %.3f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - built).count());
    auto trainer = core::make_trainer(std::move(data), o);
    double total = 0;
    for (int it = 0; it < o.iterations; ++it) {
        auto r = trainer->step([] { return false; });
        total += r.seconds;
        std::printf("iteration %2d  loss %.5f  %.3f s\n", r.iteration, r.loss, r.seconds);
    }
    std::printf("rows %lld factors %d threads %d: %.2f s total, %.3f s per iteration\n",
                static_cast<long long>(rows), o.factors, core::resolve_threads(o.threads), total,
                total / o.iterations);
}
