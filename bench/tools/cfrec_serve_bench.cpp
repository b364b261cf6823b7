// Core-only serving benchmark: time of core::recommend (score all items,
// select top k, skip seen items) on a random model of the given size, without
// Postgres, to separate scoring cost from SQL overhead.
//   cfrec_serve_bench [ITEMS] [FACTORS] [K] [CALLS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/random.h"
#include "core/serving.h"

using namespace cfrec;

int main(int argc, char **argv) {
    const int items = argc > 1 ? std::atoi(argv[1]) : 60000;
    const int f = argc > 2 ? std::atoi(argv[2]) : 64;
    const int k = argc > 3 ? std::atoi(argv[3]) : 10;
    const int calls = argc > 4 ? std::atoi(argv[4]) : 2000;
    const int users = 1000;
    core::SplitMix64 rng(1);
    core::FactorModel m;
    m.feedback = core::Feedback::Implicit;
    m.user_factors = core::FactorMatrix(users, f);
    m.item_factors = core::FactorMatrix(items, f);
    for (int u = 0; u < users; ++u)
        for (int j = 0; j < f; ++j) m.user_factors(u, j) = static_cast<float>(rng.uniform() - 0.5);
    for (int i = 0; i < items; ++i) {
        m.item_ids.push_back(i + 1);
        for (int j = 0; j < f; ++j) m.item_factors(i, j) = static_cast<float>(rng.uniform() - 0.5);
    }
    m.user_bias.assign(users, 0);
    m.item_bias.assign(items, 0);
    // CFREC_HALF=1 serves with the half-precision first pass.
    if (const char *half = std::getenv("CFREC_HALF"); half && half[0] == '1')
        core::prepare_for_serving(m);
    std::vector<double> micros;
    for (int c = 0; c < calls; ++c) {
        std::vector<int32_t> seen;
        for (int s = 0; s < 30; ++s) seen.push_back(static_cast<int32_t>(rng.next() % items));
        std::sort(seen.begin(), seen.end());
        const auto start = std::chrono::steady_clock::now();
        auto top = core::recommend(m, static_cast<int32_t>(rng.next() % users), k, seen);
        micros.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
        if (top.size() != static_cast<size_t>(k)) return 1;
    }
    std::sort(micros.begin(), micros.end());
    std::printf("items %d factors %d k %d: p50 %.1f us, p99 %.1f us per recommend\n", items, f, k,
                micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
}
