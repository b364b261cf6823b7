// Seeded, platform-independent pseudo-random numbers.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace cfrec::core {

// SplitMix64: tiny, fast and identical on every compiler, unlike the
// distributions of <random>, so a seed means the same model everywhere.
class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  private:
    uint64_t state_;
};

// A generator for one entity: seeded from (seed, external id) so the initial
// factors of a user or item do not depend on the order rows were read in.
inline SplitMix64 entity_rng(uint64_t seed, int64_t id, uint64_t stream) {
    SplitMix64 mix(seed ^ (stream * 0xD1B54A32D192ED03ULL));
    return SplitMix64(mix.next() ^ static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL);
}

// The generator of one SGD epoch: its visiting order depends only on
// (seed, iteration) and the data, never on the order rows were read in.
inline SplitMix64 epoch_rng(uint64_t seed, int iteration) {
    return SplitMix64(seed ^ (0xA24BAED4963EE407ULL * static_cast<uint64_t>(iteration + 1)));
}

// Fisher-Yates with `rng`: the same permutation on every platform.
template <class T>
void seeded_shuffle(std::vector<T> &v, SplitMix64 &rng) {
    for (size_t j = v.size(); j > 1; --j) std::swap(v[j - 1], v[rng.next() % j]);
}

}  // namespace cfrec::core
