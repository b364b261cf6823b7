// Benchmark data as COPY text on stdout: "user<TAB>item<TAB>value" lines.
//   cfrec_generate ROWS [SEED [ITEMS]] | psql -c "\copy bench FROM STDIN"
// 160,000 users drawn uniformly; ITEMS (default 60,000) items with Zipf(1.0) popularity
// (exact discrete distribution), item id = a seeded random permutation of the
// popularity rank; unique (user, item) pairs; value Geometric(p = 0.5) on
// 1, 2, 3, ... Seeded and reproducible; rows come out ordered by user.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/random.h"

using cfrec::core::SplitMix64;

namespace {

constexpr int kUsers = 160000;

// Draws from pairs until `rows` distinct ones exist: oversample, sort, dedupe.
std::vector<uint64_t> distinct_pairs(int64_t rows, int kItems, SplitMix64 &rng) {
    std::vector<double> cdf(kItems);
    double sum = 0;
    for (int r = 0; r < kItems; ++r) cdf[r] = (sum += 1.0 / (r + 1));
    for (double &c : cdf) c /= sum;
    std::vector<int> item_of_rank(kItems);
    for (int r = 0; r < kItems; ++r) item_of_rank[r] = r + 1;
    for (int r = kItems - 1; r > 0; --r)  // Fisher-Yates
        std::swap(item_of_rank[r], item_of_rank[rng.next() % (r + 1)]);

    std::vector<uint64_t> pairs;
    int64_t want = rows;
    while (static_cast<int64_t>(pairs.size()) < rows) {
        const int64_t draws = want + want / 8 + 1000;
        for (int64_t d = 0; d < draws; ++d) {
            const uint64_t user = 1 + rng.next() % kUsers;
            const int rank = static_cast<int>(
                std::lower_bound(cdf.begin(), cdf.end(), rng.uniform()) - cdf.begin());
            pairs.push_back(user << 32 |
                            static_cast<uint64_t>(item_of_rank[std::min(rank, kItems - 1)]));
        }
        std::sort(pairs.begin(), pairs.end());
        pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
        want = rows - static_cast<int64_t>(pairs.size());
    }
    // Keep a seeded random subset of exactly `rows`, still ordered by user.
    for (int64_t j = static_cast<int64_t>(pairs.size()) - 1; j >= rows; --j)
        std::swap(pairs[j], pairs[rng.next() % (j + 1)]);
    pairs.resize(rows);
    std::sort(pairs.begin(), pairs.end());
    return pairs;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s ROWS [SEED [ITEMS]]\n", argv[0]);
        return 2;
    }
    const int64_t rows = std::atoll(argv[1]);
    SplitMix64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 42);
    const int items = argc > 3 ? std::atoi(argv[3]) : 60000;
    if (items < 1) {
        std::fprintf(stderr, "ITEMS must be at least 1\n");
        return 2;
    }
    const std::vector<uint64_t> pairs = distinct_pairs(rows, items, rng);
    // Static: stdout's last buffer is flushed at exit, after main's locals are gone.
    static char buffer[1 << 20];
    std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    for (uint64_t p : pairs) {
        const int value =
            1 + static_cast<int>(std::floor(std::log(1.0 - rng.uniform()) / std::log(0.5)));
        std::printf("%u\t%u\t%d\n", static_cast<unsigned>(p >> 32),
                    static_cast<unsigned>(p & 0xffffffffu), value);
    }
    return 0;
}
